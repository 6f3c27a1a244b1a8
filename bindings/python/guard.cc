// Binding of the C++ Guard (jitguard::Guard), the engine of jitguard.Guard. Conversion only; calls
// that verify signatures, mask, write audit records or talk to Redis/PostgreSQL release the GIL. A
// Python audit callback or key source given in GuardOptions re-acquires it when the C++ side calls
// it.
#include "jitguard/guard.h"

#include <pybind11/stl.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/status.h"

namespace jitguard::python {

// The pybind classes of the component bindings (approval.cc, grant.cc, audit.cc): reused, not
// redone.
py::object WrapApprovalStore(std::shared_ptr<ApprovalStore> store);
py::object WrapGrantVerifier(std::shared_ptr<const GrantVerifier> verifier);
std::shared_ptr<AuditSink> AuditSinkOf(const py::handle& sink);

namespace {

// A policy attribute from a Python value (bool, int, float, str, None, list of scalars).
AttributeValue ToAttribute(const py::handle& v) {
  if (v.is_none()) return AttributeNull{};
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::vector<AttributeScalar> out;
    for (const py::handle& item : v) {
      if (py::isinstance<py::bool_>(item)) {
        out.emplace_back(item.cast<bool>());
      } else if (py::isinstance<py::int_>(item) || py::isinstance<py::float_>(item)) {
        out.emplace_back(item.cast<double>());
      } else if (py::isinstance<py::str>(item)) {
        out.emplace_back(item.cast<std::string>());
      } else {
        return AttributeNull{};  // an odd element: the attribute fails closed
      }
    }
    return out;
  }
  return AttributeNull{};
}

struct PyResponse {
  std::unique_ptr<ResponseGuard> rg;
};

struct PyGuard {
  std::shared_ptr<Guard> guard;

  explicit PyGuard(std::shared_ptr<Guard> g) : guard(std::move(g)) {}
  PyGuard(PyGuard&&) = default;
  // gil_scoped_release throws only while pybind11 first creates its internals, which importing
  // the module has done. NOLINTNEXTLINE(bugprone-exception-escape): cannot throw here, see above
  ~PyGuard() {
    // The last reference closes the audit sink; an asynchronous one joins a writer thread that may
    // need the GIL for a Python callback.
    if (guard && PyGILState_Check()) {
      py::gil_scoped_release nogil;
      guard.reset();
    }
  }
};

}  // namespace

JITGUARD_PY_PART(guard, 90) {
  // (model, prompt, stream) of a request body; raises the access-domain error (reason bad_json,
  // not_an_object, bad_messages, bad_prompt, token_prompt, ...) for a body that cannot be read.
  m.def(
      "read_inference_request",
      [](const py::bytes& body) {
        std::string_view in = body;
        absl::StatusOr<InferenceRequest> r;
        {
          py::gil_scoped_release nogil;
          r = ReadInferenceRequest(in);
        }
        InferenceRequest req = Unwrap(std::move(r));
        return py::make_tuple(req.model, req.prompt, req.stream);
      },
      py::arg("body"));
  py::class_<Admission>(m, "_NativeAdmission")
      .def_property_readonly("identity",
                             [](const Admission& a) { return ToIdentityTuple(a.identity); })
      .def_readonly("decision",
                    &Admission::decision)  // jitguard.Decision, the policy binding's class
      .def_readonly("grant", &Admission::grant)
      .def_readonly("grant_id", &Admission::grant_id)
      .def_property_readonly("grant_expires_at",
                             [](const Admission& a) { return UnixSeconds(a.grant_expires_at); })
      .def_readonly("mask_profile", &Admission::mask_profile)
      .def_readonly("session_id", &Admission::session_id)
      .def_readonly("request_id", &Admission::request_id)
      .def_readonly("model", &Admission::model)
      .def_readonly("dataset", &Admission::dataset)
      .def_readonly("operation", &Admission::operation)
      .def_readonly("approval_ticket", &Admission::approval_ticket);

  py::class_<PyResponse>(m, "_NativeResponse")
      .def("write",
           [](PyResponse& r, const py::bytes& chunk) {
             std::string_view in = chunk;  // the bytes object outlives the call
             absl::StatusOr<std::string> out;
             {
               py::gil_scoped_release nogil;
               out = r.rg->Write(in);
             }
             return py::bytes(Unwrap(std::move(out)));
           })
      .def(
          "finish",
          [](PyResponse& r, std::optional<double> now) {
            absl::Time t = TimeOrNow(now);
            absl::StatusOr<std::string> out;
            {
              py::gil_scoped_release nogil;
              out = r.rg->Finish(t);
            }
            return py::bytes(Unwrap(std::move(out)));
          },
          py::arg("now") = py::none())
      .def(
          "abort",
          [](PyResponse& r, std::optional<double> now) {
            absl::Time t = TimeOrNow(now);
            absl::Status s;
            {
              py::gil_scoped_release nogil;
              s = r.rg->Abort(t);
            }
            ThrowIfError(s);
          },
          py::arg("now") = py::none())
      .def_property_readonly("finished", [](const PyResponse& r) { return r.rg->finished(); })
      .def_property_readonly("counts", [](const PyResponse& r) {
        std::map<std::string, uint64_t> out(r.rg->counts().begin(), r.rg->counts().end());
        return out;
      });

  py::class_<PyGuard>(m, "_NativeGuard")
      // audit_sink: a jitguard._core.AuditSink (e.g. a callback sink) instead of the config's sink.
      // (tokens.jwks_url is fetched by the C++ Guard itself.)
      .def_static(
          "from_config_json",
          [](const std::string& json, const std::string& base_dir, const py::object& audit_sink) {
            GuardOptions options;
            if (!audit_sink.is_none()) options.audit_sink = AuditSinkOf(audit_sink);
            absl::StatusOr<std::shared_ptr<Guard>> g;
            {
              py::gil_scoped_release nogil;
              g = Guard::FromConfigJson(json, base_dir, options);
              options = GuardOptions();
            }
            return PyGuard(Unwrap(std::move(g)));
          },
          py::arg("json"), py::arg("base_dir"), py::arg("audit_sink") = py::none())
      // Returns (admission, None) or (None, refusal dict): the Python side raises the right error.
      .def("admit",
           [](const PyGuard& g, const std::string& token, const std::string& model,
              const std::string& dataset, const std::string& operation, const std::string& prompt,
              const py::dict& attributes, const std::string& approval,
              const std::string& session_id, std::optional<double> now) -> py::tuple {
             AdmitRequest req;
             req.bearer_token = token;
             req.model = model;
             req.dataset = dataset;
             req.operation = operation;
             req.prompt = prompt;
             for (const auto& [k, v] : attributes)
               req.attributes.emplace(k.cast<std::string>(), ToAttribute(v));
             req.approval = approval;
             req.session_id = session_id;
             absl::Time t = TimeOrNow(now);
             Refusal refusal;
             absl::StatusOr<Admission> adm;
             {
               py::gil_scoped_release nogil;
               adm = g.guard->Admit(req, t, &refusal);
             }
             if (adm.ok()) return py::tuple(py::make_tuple(py::cast(*std::move(adm)), py::none()));
             py::dict d;
             d["domain"] = std::string(DomainName(GetErrorDomain(adm.status())));
             d["reason"] = ErrorReason(adm.status());
             d["message"] =
                 std::string(adm.status().message().data(), adm.status().message().size());
             d["decision"] = refusal.decision;
             d["ticket_id"] = refusal.ticket_id;
             return py::tuple(py::make_tuple(py::none(), d));
           })
      .def("verify_grant",
           [](const PyGuard& g, const std::string& grant, const std::string& dataset,
              const std::string& operation, std::optional<double> now) {
             absl::Time t = TimeOrNow(now);
             absl::Status s;
             {
               py::gil_scoped_release nogil;
               s = g.guard->VerifyGrant(grant, dataset, operation, t);
             }
             ThrowIfError(s);
           })
      .def("decide",
           [](const PyGuard& g, const std::string& token, const std::string& ticket, bool approve,
              const std::string& comment, std::optional<double> now) {
             absl::Time t = TimeOrNow(now);
             absl::StatusOr<std::string> state;
             {
               py::gil_scoped_release nogil;
               state = g.guard->Decide(token, ticket, approve ? Verdict::kApprove : Verdict::kDeny,
                                       comment, t);
             }
             return Unwrap(std::move(state));
           })
      .def("permitted_models",
           [](const PyGuard& g, const std::string& token, const std::vector<std::string>& models,
              const std::string& dataset, const std::string& operation, std::optional<double> now) {
             absl::Time t = TimeOrNow(now);
             absl::StatusOr<std::vector<std::string>> listed;
             {
               py::gil_scoped_release nogil;
               listed = g.guard->PermittedModels(token, dataset, operation, models, t);
             }
             return Unwrap(std::move(listed));
           })
      .def("mask_prompt",
           [](const PyGuard& g, const Admission& adm, const std::string& text) {
             absl::StatusOr<std::string> out;
             {
               py::gil_scoped_release nogil;
               out = g.guard->MaskPrompt(adm, text);
             }
             return Unwrap(std::move(out));
           })
      .def("mask_request_body",
           [](const PyGuard& g, const Admission& adm, const py::bytes& body) {
             std::string_view in = body;
             absl::StatusOr<std::string> out;
             {
               py::gil_scoped_release nogil;
               out = g.guard->MaskRequestBody(adm, in);
             }
             return py::bytes(Unwrap(std::move(out)));
           })
      .def("new_response",
           [](const PyGuard& g, const Admission& adm, const std::string& format) {
             ResponseFormat f = ResponseFormat::kText;
             if (format == "sse") f = ResponseFormat::kSse;
             else if (format == "ndjson") f = ResponseFormat::kNdjson;
             else if (format == "json") f = ResponseFormat::kJson;
             else if (format != "text") throw py::value_error("format: text, sse, ndjson or json");
             return PyResponse{Unwrap(g.guard->NewResponse(adm, f))};
           },
           py::arg("admission"), py::arg("format"))
      .def("reload_policy",
           [](const PyGuard& g) {
             absl::Status s;
             {
               py::gil_scoped_release nogil;
               s = g.guard->ReloadPolicy();
             }
             ThrowIfError(s);
           })
      .def("update_keys",
           [](const PyGuard& g, const std::string& jwks) {
             absl::Status s;
             {
               py::gil_scoped_release nogil;
               s = g.guard->UpdateKeys(jwks);
             }
             ThrowIfError(s);
           })
      .def("approvals", [](const PyGuard& g) { return WrapApprovalStore(g.guard->approvals()); })
      .def("grant_verifier",
           [](const PyGuard& g) { return WrapGrantVerifier(g.guard->grant_verifier()); })
      .def("metrics_text", [](const PyGuard& g) { return g.guard->MetricsText(); })
      .def("metrics", [](const PyGuard& g) { return g.guard->Metrics(); })
      .def("flush",
           [](const PyGuard& g) {
             absl::Status s;
             {
               py::gil_scoped_release nogil;
               s = g.guard->Flush();
             }
             ThrowIfError(s);
           })
      .def("close", [](const PyGuard& g) {
        absl::Status s;
        {
          py::gil_scoped_release nogil;
          s = g.guard->Close();
        }
        ThrowIfError(s);
      });
}

}  // namespace jitguard::python
