// A strict base64url decoder that writes into a caller's buffer (reusing its capacity) and leaves
// simdjson's padding after the bytes. Same language as base::Base64UrlDecodeStrict (no padding, no
// whitespace, URL-safe alphabet only, zero trailing bits): the token hot path decodes three parts
// per call, and this avoids the extra pass and allocations. tests/cpp/token/b64_test.cc compares
// the two on random and edge-case input.
#ifndef JITGUARD_LIB_TOKEN_B64_H_
#define JITGUARD_LIB_TOKEN_B64_H_

#include <string>
#include <string_view>

namespace jitguard::token {

// Decodes `in` into *out (resized to the decoded length, capacity for `padding` more bytes).
// False (and *out unspecified) when `in` is not canonical unpadded base64url.
bool DecodeBase64UrlInto(std::string_view in, std::string* out, size_t padding = 64);

}  // namespace jitguard::token

#endif  // JITGUARD_LIB_TOKEN_B64_H_
