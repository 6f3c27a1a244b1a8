// Strict base64url (RFC 4648 §5) as JOSE requires it: no padding, no whitespace, no characters
// outside the URL-safe alphabet, and the unused low bits of the last character must be zero, so
// every byte string has exactly one encoding.
#ifndef JITGUARD_LIB_BASE_BASE64URL_H_
#define JITGUARD_LIB_BASE_BASE64URL_H_

#include <optional>
#include <string>
#include <string_view>

namespace jitguard::base {

// Decodes `in`; nullopt when it is not the canonical unpadded base64url form of some bytes.
std::optional<std::string> Base64UrlDecodeStrict(std::string_view in);

// Encodes without padding.
std::string Base64UrlEncode(std::string_view in);

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_BASE64URL_H_
