// Binding of the shared pieces: the error model, so that tests can check the mapping end to end.
#include <pybind11/stl.h>

#include <map>
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
      [](const std::string& domain, const std::string& reason, const std::string& message,
         const std::map<std::string, std::string>& fields) {
        absl::Status status =
            MakeError(absl::StatusCode::kInvalidArgument, DomainFromName(domain), reason, message);
        for (const auto& [name, value] : fields) SetErrorField(&status, name, value);
        ThrowIfError(status);
      },
      py::arg("domain"), py::arg("reason"), py::arg("message"),
      py::arg("fields") = std::map<std::string, std::string>());
}

}  // namespace jitguard::python
