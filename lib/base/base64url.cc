#include "lib/base/base64url.h"

#include "absl/strings/escaping.h"
#include "lib/base/strings.h"

namespace jitguard::base {
namespace {

// Value of a URL-safe base64 character, or -1.
constexpr int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Base64UrlDecodeStrict(std::string_view in) {
  // A lone trailing character carries only 6 bits: never a whole byte.
  if (in.size() % 4 == 1) return std::nullopt;
  for (char c : in) {
    if (DecodeChar(c) < 0) return std::nullopt;
  }
  // Non-canonical encodings set bits that decoding would drop (e.g. "QR" vs "QQ" for "A").
  if (!in.empty()) {
    const int last = DecodeChar(in.back());
    if (in.size() % 4 == 2 && (last & 0x0f) != 0) return std::nullopt;
    if (in.size() % 4 == 3 && (last & 0x03) != 0) return std::nullopt;
  }
  std::string out;
  // The alphabet and length were checked above, so absl's decoder cannot meet padding or spaces.
  if (!absl::WebSafeBase64Unescape(AsAbsl(in), &out)) return std::nullopt;
  return out;
}

std::string Base64UrlEncode(std::string_view in) { return absl::WebSafeBase64Escape(AsAbsl(in)); }

}  // namespace jitguard::base
