// Binding of grants and replay caches. Conversion only; the friendly API is
// python/jitguard/grant.py. Signing, verification and every Redis round trip run with the GIL
// released. Times cross as Unix seconds (float); `now` None means the clock.
#include "jitguard/grant.h"

#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/audit.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"

namespace jitguard::python {

// An AuditSink that hands each event, as a dict, to a Python callable (a function, or the bound
// `write` of a jitguard audit sink). Shared with the approval binding.
std::shared_ptr<AuditSink> MakePyAuditSink(py::object write);
py::object AuditValueToPython(const AuditValue& v);  // audit.cc

namespace {

class PyAuditSink final : public AuditSink {
 public:
  explicit PyAuditSink(py::object write) : write_(std::move(write)) {}
  ~PyAuditSink() override {
    try {
      py::gil_scoped_acquire gil;
      write_ = py::object();
    } catch (...) {
      // No Python thread state could be made for this thread: leak the reference rather than
      // drop it without the GIL or throw out of a destructor.
      write_.release();
    }
  }

  absl::Status Write(const AuditEvent& e) override {
    py::gil_scoped_acquire gil;
    try {
      py::dict d;
      d["type"] = e.type;
      d["time"] = UnixSeconds(e.time);
      auto put = [&](const char* key, const std::string& value) {
        if (!value.empty()) d[key] = value;
      };
      put("request_id", e.request_id);
      put("subject", e.subject);
      put("model", e.model);
      put("dataset", e.dataset);
      put("operation", e.operation);
      put("decision", e.decision);
      if (!e.groups.empty()) d["groups"] = e.groups;
      for (const auto& [name, value] : e.fields) d[py::str(name)] = AuditValueToPython(value);
      write_(d);
    } catch (py::error_already_set& err) {
      err.discard_as_unraisable("jitguard audit callback");
      return MakeError(absl::StatusCode::kUnavailable, ErrorDomain::kAudit, "sink_error",
                       "the audit callback raised an exception");
    }
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string_view Name() const override { return "python"; }

 private:
  py::object write_;
};

GrantKey ToKey(const std::string& kind, const py::bytes& material) {
  std::string bytes = material;  // wiped below
  GrantKey key;
  if (kind == "pem") {
    key.kind = GrantKey::Kind::kPem;
  } else if (kind == "jwks") {
    key.kind = GrantKey::Kind::kJwks;
  } else {
    key.kind = GrantKey::Kind::kSecret;
  }
  key.material = SecretBytes(bytes);
  std::fill(bytes.begin(), bytes.end(), '\0');
  return key;
}

struct PyReplayCache {
  std::shared_ptr<ReplayCache> cache;
};

struct PyIssuer {
  std::shared_ptr<const GrantIssuer> issuer;
};

struct PyVerifier {
  std::shared_ptr<const GrantVerifier> verifier;
};

}  // namespace

// The pybind class of a GrantVerifier built elsewhere in C++ (the Guard's), for
// jitguard.GrantVerifier.
py::object WrapGrantVerifier(std::shared_ptr<const GrantVerifier> verifier) {
  return py::cast(PyVerifier{std::move(verifier)});
}

std::shared_ptr<AuditSink> MakePyAuditSink(py::object write) {
  if (write.is_none()) return nullptr;
  return std::make_shared<PyAuditSink>(std::move(write));
}

JITGUARD_PY_PART(grant, 40) {
  py::class_<PyReplayCache>(m, "ReplayCache")
      .def_property_readonly("name",
                             [](const PyReplayCache& c) { return std::string(c.cache->Name()); })
      .def(
          "mark_used",
          [](const PyReplayCache& c, const std::string& id, double expires_at,
             std::optional<double> now) {
            const absl::Time t = TimeOrNow(now);
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = c.cache->MarkUsed(id, TimeOrNow(expires_at), t);
            }
            ThrowIfError(s);
          },
          py::arg("id"), py::arg("expires_at"), py::arg("now") = py::none())
      .def(
          "revoke",
          [](const PyReplayCache& c, const std::string& id, double expires_at,
             std::optional<double> now) {
            const absl::Time t = TimeOrNow(now);
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = c.cache->Revoke(id, TimeOrNow(expires_at), t);
            }
            ThrowIfError(s);
          },
          py::arg("id"), py::arg("expires_at"), py::arg("now") = py::none());

  m.def(
      "memory_replay_cache",
      [](size_t capacity, size_t shards) {
        return PyReplayCache{
            Unwrap(NewMemoryReplayCache({.capacity = capacity, .shards = shards}))};
      },
      py::arg("capacity") = size_t{1} << 20, py::arg("shards") = 16);

  m.def(
      "redis_replay_cache",
      [](const std::string& url, double timeout, int max_connections, const std::string& prefix) {
        return PyReplayCache{Unwrap(NewRedisReplayCache({.url = url,
                                                         .key_prefix = prefix,
                                                         .timeout = SecondsToDuration(timeout),
                                                         .max_connections = max_connections}))};
      },
      py::arg("url"), py::arg("timeout") = 0.05, py::arg("max_connections") = 8,
      py::arg("key_prefix") = "jitguard:");

  py::class_<PyIssuer>(m, "GrantIssuer")
      .def(py::init([](const std::string& kind, const py::bytes& key, const std::string& issuer,
                       const std::string& key_id, double max_ttl, py::object audit) {
             GrantIssuerOptions o;
             o.issuer = issuer;
             o.key_id = key_id;
             o.max_ttl = SecondsToDuration(max_ttl);
             o.audit = MakePyAuditSink(std::move(audit));
             return PyIssuer{Unwrap(GrantIssuer::Create(ToKey(kind, key), std::move(o)))};
           }),
           py::arg("kind"), py::arg("key"), py::arg("issuer") = "jitguard", py::arg("key_id") = "",
           py::arg("max_ttl") = 3600.0, py::arg("audit") = py::none())
      .def_property_readonly("algorithm",
                             [](const PyIssuer& i) { return std::string(i.issuer->Algorithm()); })
      .def(
          "issue",
          [](const PyIssuer& i, const std::string& subject, std::vector<std::string> datasets,
             std::vector<std::string> operations, std::optional<std::string> model, double ttl,
             const std::string& request_id, const std::string& approval_id,
             std::optional<double> now) {
            GrantRequest r;
            r.subject = subject;
            r.datasets = std::move(datasets);
            r.operations = std::move(operations);
            r.model = std::move(model);
            r.ttl = SecondsToDuration(ttl);
            r.request_id = request_id;
            r.approval_id = approval_id;
            const absl::Time t = TimeOrNow(now);
            absl::StatusOr<IssuedGrant> g;
            {
              py::gil_scoped_release nogil;
              g = i.issuer->Issue(r, t);
            }
            IssuedGrant out = Unwrap(std::move(g));
            return py::make_tuple(out.token, out.id, UnixSeconds(out.expires_at));
          },
          py::arg("subject"), py::arg("datasets"), py::arg("operations"), py::arg("model"),
          py::arg("ttl"), py::arg("request_id"), py::arg("approval_id"), py::arg("now"));

  py::class_<PyVerifier>(m, "GrantVerifier")
      .def(py::init([](const std::string& kind, const py::bytes& key, const std::string& issuer,
                       double leeway, double max_lifetime, std::optional<PyReplayCache> cache,
                       py::object audit) {
             GrantVerifierOptions o;
             o.issuer = issuer;
             o.leeway = SecondsToDuration(leeway);
             o.max_lifetime = SecondsToDuration(max_lifetime);
             if (cache) o.replay_cache = cache->cache;
             o.audit = MakePyAuditSink(std::move(audit));
             return PyVerifier{Unwrap(GrantVerifier::Create(ToKey(kind, key), std::move(o)))};
           }),
           py::arg("kind"), py::arg("key"), py::arg("issuer") = "jitguard", py::arg("leeway") = 5.0,
           py::arg("max_lifetime") = 3600.0, py::arg("replay_cache") = py::none(),
           py::arg("audit") = py::none())
      .def_property_readonly(
          "replay_cache",
          [](const PyVerifier& v) { return PyReplayCache{v.verifier->replay_cache()}; })
      .def(
          "verify",
          [](const PyVerifier& v, const std::string& token, std::optional<std::string> dataset,
             std::optional<std::string> operation, std::optional<std::string> model,
             std::optional<double> now) {
            GrantScope scope;
            scope.dataset = std::move(dataset);
            scope.operation = std::move(operation);
            scope.model = std::move(model);
            const absl::Time t = TimeOrNow(now);
            absl::StatusOr<Grant> g;
            {
              py::gil_scoped_release nogil;
              g = v.verifier->Verify(token, scope, t);
            }
            Grant out = Unwrap(std::move(g));
            return py::make_tuple(out.id, out.subject, out.datasets, out.operations, out.model,
                                  UnixSeconds(out.expires_at), out.issuer,
                                  UnixSeconds(out.issued_at), out.request_id, out.approval_id);
          },
          py::arg("token"), py::arg("dataset"), py::arg("operation"), py::arg("model"),
          py::arg("now"))
      .def(
          "revoke",
          [](const PyVerifier& v, const std::string& grant_id, std::optional<double> now) {
            const absl::Time t = TimeOrNow(now);
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = v.verifier->Revoke(grant_id, t);
            }
            ThrowIfError(s);
          },
          py::arg("grant_id"), py::arg("now") = py::none());
}

}  // namespace jitguard::python
