// Binding of the shared pieces: the error model, so that tests can check the mapping end to end.
#include <string>

#include "bindings/python/module.h"
#include "jitguard/status.h"
#include "jitguard/version.h"

namespace jitguard::python {

JITGUARD_PY_PART(base, 0) {
  // The C++ library's version (jitguard::Version()); tests check it equals jitguard.__version__.
  m.def("version", [] { return std::string(Version()); });
  // Raises the error that a C++ status of this domain and reason turns into.
  m.def(
      "_raise_status",
      [](const std::string& domain, const std::string& reason, const std::string& message) {
        ThrowIfError(
            MakeError(absl::StatusCode::kInvalidArgument, DomainFromName(domain), reason, message));
      },
      py::arg("domain"), py::arg("reason"), py::arg("message"));
}

}  // namespace jitguard::python
