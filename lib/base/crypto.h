// Small OpenSSL wrappers shared by the components: digests, HMAC, randomness, constant-time
// compare, and owning handles for OpenSSL objects. Hot paths that need a reusable context (audit
// chaining, token verification) keep their own EVP contexts; these are for everything else.
#ifndef JITGUARD_LIB_BASE_CRYPTO_H_
#define JITGUARD_LIB_BASE_CRYPTO_H_

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jitguard::base {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// HMAC with the given digest (EVP_sha256() by default). Returns the raw tag.
std::string Hmac(std::string_view key, std::string_view data, const EVP_MD* md = EVP_sha256());

// `n` bytes from the OpenSSL CSPRNG; an error only if the generator fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

// Compares in time independent of where the inputs differ (sizes are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Lowercase hex of raw bytes.
std::string Hex(std::string_view bytes);
inline std::string Hex(const Sha256Digest& d) {
  return Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_CRYPTO_H_
