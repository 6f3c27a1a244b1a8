#include "lib/policy/glob.h"

#include <vector>

#include "absl/status/status.h"

namespace jitguard::policy {
namespace {

constexpr size_t kMaxGlobBytes = 1024;

// Length of the UTF-8 sequence starting at value[i] (1 for invalid bytes, so matching still
// advances and `?` covers one byte of a broken sequence).
size_t CodePointLength(std::string_view value, size_t i) {
  const unsigned char c = static_cast<unsigned char>(value[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
  if (i + n > value.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(value[i + k]) & 0xc0) != 0x80) return 1;
  }
  return n;
}

}  // namespace

absl::StatusOr<Glob> Glob::Parse(std::string_view pattern) {
  if (pattern.empty()) return absl::InvalidArgumentError("empty glob");
  if (pattern.size() > kMaxGlobBytes)
    return absl::InvalidArgumentError("glob longer than 1024 bytes");
  Glob glob;
  glob.pattern_ = std::string(pattern);
  glob.tokens_.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(pattern[i]);
    if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError("control character in glob");
    if (c == '\\') {
      if (i + 1 == pattern.size()) return absl::InvalidArgumentError("glob ends with a lone '\\'");
      const char next = pattern[++i];
      if (next != '*' && next != '?' && next != '\\') {
        return absl::InvalidArgumentError("'\\' in a glob may only escape '*', '?' or '\\'");
      }
      glob.tokens_.push_back(next);
      if (glob.exact_) glob.prefix_.push_back(next);
    } else if (c == '*') {
      // Runs of '*' are one '*'.
      if (glob.tokens_.empty() || glob.tokens_.back() != kStar) glob.tokens_.push_back(kStar);
      glob.exact_ = false;
    } else if (c == '?') {
      glob.tokens_.push_back(kAny);
      glob.exact_ = false;
    } else {
      glob.tokens_.push_back(static_cast<char>(c));
      if (glob.exact_) glob.prefix_.push_back(static_cast<char>(c));
    }
  }
  return glob;
}

bool Glob::Matches(std::string_view value) const {
  if (exact_) return value == prefix_;
  // Iterative wildcard matching with one backtrack point (the last '*'): linear in practice,
  // O(pattern * value) in the worst case, and globs are at most 1 KiB.
  const std::string_view p = tokens_;
  size_t pi = 0, vi = 0;
  size_t star_p = std::string_view::npos, star_v = 0;
  while (vi < value.size()) {
    if (pi < p.size() && p[pi] == kStar) {
      star_p = pi++;
      star_v = vi;
    } else if (pi < p.size() && p[pi] == kAny) {
      ++pi;
      vi += CodePointLength(value, vi);
    } else if (pi < p.size() && p[pi] == value[vi]) {
      ++pi;
      ++vi;
    } else if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      star_v += CodePointLength(value, star_v);
      vi = star_v;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == kStar) ++pi;
  return pi == p.size();
}

}  // namespace jitguard::policy
