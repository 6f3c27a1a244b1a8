#include "lib/base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::base {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

std::string Hmac(std::string_view key, std::string_view data, const EVP_MD* md) {
  unsigned char tag[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A zero-length key is valid HMAC input; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(md, key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), tag,
           &len) == nullptr) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(tag), len);
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kInternal, "random_failure",
                     "the OpenSSL random generator failed");
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Hex(std::string_view bytes) { return absl::BytesToHexString(AsAbsl(bytes)); }

}  // namespace jitguard::base
