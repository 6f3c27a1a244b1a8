// Binding of token verification (include/jitguard/token.h). Thin: converts options, releases the
// GIL around Verify (the token is read in place from the str's cached UTF-8 form), and returns the
// identity as a plain tuple that python/jitguard/token.py wraps into jitguard.Identity. The
// fetching KeySource (JwksKeySource) is bound as _core.JwksKeySource, which jitguard.JwksClient
// wraps: the fetching, refreshing and rate limiting are the C++ ones.
#include "jitguard/token.h"

#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/status.h"

namespace jitguard::python {
namespace {

// The token's text without copying: the UTF-8 buffer CPython caches for a str, or a bytes object.
std::string_view TokenText(py::handle obj) {
  PyObject* o = obj.ptr();
  if (PyUnicode_Check(o)) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(o, &size);
    if (data == nullptr) throw py::error_already_set();
    return std::string_view(data, static_cast<size_t>(size));
  }
  if (PyBytes_Check(o)) {
    return std::string_view(PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o)));
  }
  throw py::type_error("token must be str or bytes");
}

absl::Time FromSeconds(double now) {
  if (!std::isfinite(now)) throw py::value_error("now must be a finite number of seconds");
  return absl::UnixEpoch() + absl::Seconds(now);
}

std::shared_ptr<TokenVerifier> Create(
    const std::string& jwks,
    const std::vector<std::tuple<std::string, std::string, std::string>>& pem_keys,
    const std::vector<std::tuple<py::bytes, std::string, std::string>>& hmac_keys,
    const std::vector<std::string>& issuers, const std::vector<std::string>& audiences,
    const std::string& audience_policy, const std::vector<std::string>& algorithms, double leeway,
    const std::string& groups_claim, bool require_exp, std::optional<double> max_lifetime,
    const std::vector<std::string>& required_claims, const std::vector<std::string>& typ,
    size_t max_token_size, size_t cache_size, bool require_subject,
    std::shared_ptr<JwksKeySource> key_source) {
  TokenVerifierOptions o;
  o.key_source = std::move(key_source);
  o.jwks = jwks;
  for (const auto& [pem, alg, kid] : pem_keys) o.pem_keys.push_back({pem, alg, kid});
  for (const auto& [secret, alg, kid] : hmac_keys) {
    o.hmac_keys.push_back({SecretBytes(std::string_view(secret)), alg, kid});
  }
  o.issuers = issuers;
  o.audiences = audiences;
  if (audience_policy == "aud") {
    o.audience_policy = AudiencePolicy::kAud;
  } else if (audience_policy == "aud_or_azp") {
    o.audience_policy = AudiencePolicy::kAudOrAuthorizedParty;
  } else if (audience_policy == "none") {
    o.audience_policy = AudiencePolicy::kNotChecked;
  } else {
    ThrowIfError(MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "bad_value",
                           "audience_policy must be 'aud', 'aud_or_azp' or 'none'"));
  }
  o.algorithms = algorithms;
  if (!std::isfinite(leeway) || leeway < 0) throw py::value_error("leeway must be >= 0 seconds");
  o.leeway = absl::Seconds(leeway);
  o.groups_claim = groups_claim;
  o.expiry = require_exp ? ExpiryPolicy::kRequired : ExpiryPolicy::kOptional;
  if (max_lifetime) o.max_lifetime = absl::Seconds(*max_lifetime);
  o.required_claims = required_claims;
  o.typ = typ;
  o.max_token_size = max_token_size;
  o.cache_size = cache_size;
  o.subject = require_subject ? SubjectPolicy::kRequired : SubjectPolicy::kOptional;
  return Unwrap(TokenVerifier::Create(std::move(o)));
}

// A Python clock for a JwksKeySource: called with the GIL taken (from whichever thread asks), and
// released under the GIL too.
std::function<absl::Time()> PythonClock(py::function fn) {
  std::shared_ptr<py::function> held(new py::function(std::move(fn)), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  return [held]() {
    py::gil_scoped_acquire gil;
    const double seconds = (*held)().cast<double>();
    return absl::UnixEpoch() + SecondsToDuration(seconds);
  };
}

std::shared_ptr<JwksKeySource> CreateJwksSource(const std::string& url, const std::string& issuer,
                                                double refresh_interval,
                                                double min_refresh_interval, double timeout,
                                                size_t max_bytes, const std::string& ca_file,
                                                bool background, std::optional<py::function> clock) {
  JwksFetchOptions o;
  o.url = url;
  o.issuer = issuer;
  o.refresh_interval = SecondsToDuration(refresh_interval);
  o.min_refresh_interval = SecondsToDuration(min_refresh_interval);
  o.timeout = SecondsToDuration(timeout);
  o.unknown_key_wait = o.timeout;
  o.max_bytes = max_bytes;
  o.ca_file = ca_file;
  o.refresh_thread = background ? RefreshThread::kBackground : RefreshThread::kCaller;
  if (clock) {
    // The background thread would call Python on its own; an injected clock is for tests that
    // drive the refresh themselves.
    if (background) {
      ThrowIfError(MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "bad_value",
                             "clock: only with background_refresh=False"));
    }
    o.clock = PythonClock(*std::move(clock));
  }
  std::shared_ptr<JwksKeySource> source = Unwrap(JwksKeySource::Create(std::move(o)));
  // Destroyed without the GIL: the destructor joins the refresh thread, which may be inside a
  // fetch (at most `timeout`), and Python threads go on meanwhile.
  JwksKeySource* raw = source.get();
  return std::shared_ptr<JwksKeySource>(raw, [held = std::move(source)](JwksKeySource*) mutable {
    if (PyGILState_Check() != 0) {
      py::gil_scoped_release release;
      held.reset();
    } else {
      held.reset();
    }
  });
}

}  // namespace

JITGUARD_PY_PART(token, 20) {
  using Release = py::call_guard<py::gil_scoped_release>;
  py::class_<JwksKeySource, std::shared_ptr<JwksKeySource>>(m, "JwksKeySource")
      .def_static("create", &CreateJwksSource, py::arg("url"), py::arg("issuer"),
                  py::arg("refresh_interval"), py::arg("min_refresh_interval"), py::arg("timeout"),
                  py::arg("max_bytes"), py::arg("ca_file"), py::arg("background"),
                  py::arg("clock") = std::nullopt)
      // Every call that can take the source's lock runs without the GIL (an injected clock takes
      // the GIL while the lock is held).
      .def(
          "jwks",
          [](JwksKeySource& s, double first_wait) {
            absl::Status status;
            std::string jwks;
            {
              py::gil_scoped_release release;
              if (s.version() == 0) {
                status = s.WaitForKeys(SecondsToDuration(first_wait));
              } else {
                s.Poll();
              }
              if (status.ok()) jwks = s.Current()->jwks;
            }
            ThrowIfError(status);
            return jwks;
          },
          py::arg("first_wait"))
      .def("poll", &JwksKeySource::Poll, Release())
      .def("refresh", &JwksKeySource::Refresh, Release())
      .def("refresh_for_unknown_kid", &JwksKeySource::RefreshForUnknownKey, Release())
      .def_property_readonly("name", &JwksKeySource::Name)
      .def_property_readonly("version", &JwksKeySource::version)
      .def_property_readonly("fetches",
                             [](const JwksKeySource& s) {
                               py::gil_scoped_release release;
                               return s.fetches();
                             })
      .def_property_readonly("last_error", [](const JwksKeySource& s) {
        std::string error;
        {
          py::gil_scoped_release release;
          error = s.last_error();
        }
        return error;
      });

  py::class_<TokenVerifier, std::shared_ptr<TokenVerifier>>(m, "TokenVerifier")
      .def_static("create", &Create, py::kw_only(), py::arg("jwks"), py::arg("pem_keys"),
                  py::arg("hmac_keys"),
                  py::arg("issuers"), py::arg("audiences"), py::arg("audience_policy"),
                  py::arg("algorithms"), py::arg("leeway"), py::arg("groups_claim"),
                  py::arg("require_exp"), py::arg("max_lifetime"), py::arg("required_claims"),
                  py::arg("typ"), py::arg("max_token_size"), py::arg("cache_size"),
                  py::arg("require_subject"), py::arg("key_source") = nullptr)
      .def(
          "verify",
          [](const TokenVerifier& v, py::handle token, double now) -> IdentityTuple {
            const std::string_view text = TokenText(token);
            const absl::Time t = FromSeconds(now);
            absl::StatusOr<std::shared_ptr<const Identity>> id;
            {
              py::gil_scoped_release release;
              id = v.VerifyShared(text, t);
            }
            return ToIdentityTuple(*Unwrap(std::move(id)));
          },
          py::arg("token"), py::arg("now"))
      .def(
          "verify_jws",
          [](const TokenVerifier& v, py::handle jws) -> py::bytes {
            const std::string_view text = TokenText(jws);
            absl::StatusOr<std::string> payload;
            {
              py::gil_scoped_release release;
              payload = v.VerifyJws(text);
            }
            return py::bytes(Unwrap(std::move(payload)));
          },
          py::arg("jws"))
      .def(
          "update_keys",
          [](TokenVerifier& v, const std::string& jwks) {
            absl::Status s;
            {
              py::gil_scoped_release release;
              s = v.UpdateKeys(jwks);
            }
            ThrowIfError(s);
          },
          py::arg("jwks"))
      .def_property_readonly("key_count", &TokenVerifier::key_count)
      .def_property_readonly("key_ids", &TokenVerifier::key_ids)
      .def_property_readonly("key_problems", &TokenVerifier::key_problems)
      .def_property_readonly("cache_entries", &TokenVerifier::cache_entries);
}

}  // namespace jitguard::python
