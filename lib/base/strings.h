// Debian's Abseil (20220623) is built with its own absl::string_view, absl::optional and
// absl::variant rather than the std:: types (ABSL_OPTION_USE_STD_* = 0), so the two string views do
// not convert implicitly. jitguard's API speaks std::string_view; these convert at the seams.
#ifndef JITGUARD_LIB_BASE_STRINGS_H_
#define JITGUARD_LIB_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace jitguard::base {

inline absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_STRINGS_H_
