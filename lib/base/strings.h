// Debian's Abseil (20220623) is built with its own absl::string_view, absl::optional and
// absl::variant rather than the std:: types (ABSL_OPTION_USE_STD_* = 0), so the two string views do
// not convert implicitly. jitguard's API speaks std::string_view; these convert at the seams.
#ifndef JITGUARD_LIB_BASE_STRINGS_H_
#define JITGUARD_LIB_BASE_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace jitguard::base {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view AsStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// absl::StrCat / StrAppend that also take std::string_view, and a join for anything convertible to
// std::string_view.
template <typename T>
const T& CatArg(const T& v) {
  return v;
}
inline absl::string_view CatArg(std::string_view v) { return AsAbsl(v); }

template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(CatArg(args)...);
}

template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, CatArg(args)...);
}

template <typename Range>
std::string Join(const Range& range, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& item : range) {
    if (!first) out.append(sep);
    first = false;
    out.append(std::string_view(item));
  }
  return out;
}

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_STRINGS_H_
