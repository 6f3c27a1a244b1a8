// Conversions shared by the binding files: times cross as Unix seconds (float, `None` = the clock)
// and an Identity as a plain tuple that python/jitguard/token.py wraps into jitguard.Identity.
#ifndef JITGUARD_BINDINGS_PYTHON_CONVERT_H_
#define JITGUARD_BINDINGS_PYTHON_CONVERT_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bindings/python/module.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "jitguard/token.h"

namespace jitguard::python {

// The C++ Masker behind a `jitguard._core.Masker`, or null when `obj` is not one
// (bindings/mask.cc).
std::shared_ptr<const Masker> MaskerFromPython(pybind11::handle obj);

// `now` from Python: None is the clock; a non-finite number is a ConfigError "invalid_time".
inline absl::Time TimeOrNow(std::optional<double> seconds) {
  if (!seconds) return absl::Now();
  if (!std::isfinite(*seconds)) {
    throw StatusError(MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig,
                                "invalid_time", "now must be a finite number of seconds"));
  }
  return absl::FromUnixMicros(static_cast<int64_t>(std::llround(*seconds * 1e6)));
}

inline double UnixSeconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

// A duration in seconds; infinity (or NaN) is an infinite duration.
inline absl::Duration SecondsToDuration(double seconds) {
  if (!std::isfinite(seconds)) return absl::InfiniteDuration();
  return absl::Microseconds(std::llround(seconds * 1e6));
}

// (subject, issuer, groups, expires_at or None, token_id, claims_json)
using IdentityTuple = std::tuple<std::string, std::string, std::vector<std::string>,
                                 std::optional<double>, std::string, std::string>;

inline IdentityTuple ToIdentityTuple(const Identity& id) {
  std::optional<double> exp;
  if (id.expires_at != absl::InfiniteFuture()) exp = UnixSeconds(id.expires_at);
  return {id.subject, id.issuer, id.groups, exp, id.token_id, id.claims_json};
}

}  // namespace jitguard::python

#endif  // JITGUARD_BINDINGS_PYTHON_CONVERT_H_
