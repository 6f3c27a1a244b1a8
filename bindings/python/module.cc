#include "bindings/python/module.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::python {
namespace {

struct Part {
  const char* name;
  int rank;
  PartFn fn;
};

std::vector<Part>& Parts() {
  static auto* parts = new std::vector<Part>();
  return *parts;
}

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return name;
}

// Raises jitguard.errors.<class for the domain>(message, reason=..., code=..., domain=...,
// fields={...}): everything a caller matches on arrives as a value, not inside the message.
void RaiseStatus(const absl::Status& status) {
  py::module_ errors = py::module_::import("jitguard.errors");
  const std::string domain(DomainName(GetErrorDomain(status)));
  py::object cls = errors.attr("error_class_for_domain")(domain);
  py::dict fields;
  for (const auto& [name, value] : ErrorFields(status)) fields[py::str(name)] = py::str(value);
  py::object exc = cls(std::string(status.message()), py::arg("reason") = ErrorReason(status),
                       py::arg("code") = CodeName(status.code()), py::arg("domain") = domain,
                       py::arg("fields") = fields);
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

}  // namespace

int AddPart(const char* name, int rank, PartFn fn) {
  Parts().push_back({name, rank, fn});
  return 0;
}

}  // namespace jitguard::python

PYBIND11_MODULE(_core, m) {
  namespace jp = jitguard::python;
  m.doc() = "jitguard's C++ core. Use the jitguard package, not this module directly.";
  // The parameter type is pybind11's (ExceptionTranslator is void (*)(std::exception_ptr)).
  // NOLINTNEXTLINE(performance-unnecessary-value-param): the signature is fixed by pybind11
  pybind11::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const jp::StatusError& e) {
      jp::RaiseStatus(e.status());
    }
  });
  std::vector<jp::Part> parts = jp::Parts();
  std::stable_sort(parts.begin(), parts.end(), [](const jp::Part& a, const jp::Part& b) {
    // Names compared as text, not as pointers, so equal ranks still give a fixed order.
    return std::make_tuple(a.rank, std::string_view(a.name)) <
           std::make_tuple(b.rank, std::string_view(b.name));
  });
  for (const jp::Part& part : parts) part.fn(m);
}
