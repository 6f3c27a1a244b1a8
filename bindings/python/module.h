// Shared pieces of the jitguard._core binding.
//
// Each component's binding file defines its part of the module with
//   JITGUARD_PY_PART(mask, 10) { m.def(...); }
// Parts register themselves at load time and run in order of their rank, so no central list needs
// editing when a component is added. Errors from the C++ API cross into Python in exactly one way:
// ThrowIfError / Unwrap throw StatusError, which module.cc translates into the jitguard.Error
// subclass for the status's domain, carrying its reason.
#ifndef JITGUARD_BINDINGS_PYTHON_MODULE_H_
#define JITGUARD_BINDINGS_PYTHON_MODULE_H_

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jitguard::python {

namespace py = pybind11;

using PartFn = void (*)(py::module_&);

// Registers a part of the module; returns a dummy value so it can initialize a static.
int AddPart(const char* name, int rank, PartFn fn);

// A non-OK absl::Status on its way to Python.
class StatusError : public std::exception {
 public:
  explicit StatusError(absl::Status status) : status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }
  const char* what() const noexcept override { return "jitguard status error"; }

 private:
  absl::Status status_;
};

inline void ThrowIfError(const absl::Status& status) {
  if (!status.ok()) throw StatusError(status);
}

template <typename T>
T Unwrap(absl::StatusOr<T> result) {
  if (!result.ok()) throw StatusError(result.status());
  return *std::move(result);
}

}  // namespace jitguard::python

#define JITGUARD_PY_PART(name, rank)                                    \
  static void JitguardPyPart_##name(::pybind11::module_& m);            \
  [[maybe_unused]] static const int jitguard_py_part_##name =           \
      ::jitguard::python::AddPart(#name, rank, &JitguardPyPart_##name); \
  static void JitguardPyPart_##name(::pybind11::module_& m)

#endif  // JITGUARD_BINDINGS_PYTHON_MODULE_H_
