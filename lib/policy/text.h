// absl::StrCat / StrAppend that also take std::string_view (Debian's Abseil has its own
// absl::string_view, which std::string_view does not convert to implicitly), and a join for them.
#ifndef JITGUARD_LIB_POLICY_TEXT_H_
#define JITGUARD_LIB_POLICY_TEXT_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "lib/base/strings.h"

namespace jitguard::policy {

template <typename T>
const T& CatArg(const T& v) {
  return v;
}
inline absl::string_view CatArg(std::string_view v) { return base::AsAbsl(v); }

template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(CatArg(args)...);
}

template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, CatArg(args)...);
}

// Joins the elements (anything convertible to std::string_view) with `sep`.
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

}  // namespace jitguard::policy

#endif  // JITGUARD_LIB_POLICY_TEXT_H_
