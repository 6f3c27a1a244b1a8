// Small OpenSSL wrappers shared by the components: digests, HMAC (through OpenSSL 3's EVP_MAC),
// randomness, constant-time compare, and owning handles for OpenSSL objects. A key used for many
// messages (the audit chain's) is prepared once as an HmacKey.
#ifndef JITGUARD_LIB_BASE_CRYPTO_H_
#define JITGUARD_LIB_BASE_CRYPTO_H_

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
// SHA-256 of the concatenation of `parts`; nullopt only if OpenSSL fails.
std::optional<Sha256Digest> Sha256(std::initializer_list<std::string_view> parts);

// HMAC with the given digest (EVP_sha256() by default). Returns the raw tag; empty only if OpenSSL
// fails.
std::string Hmac(std::string_view key, std::string_view data, const EVP_MD* md = EVP_sha256());

// An HMAC key prepared once (EVP_MAC "HMAC" with the key set) for many messages. A value type: copies
// share the prepared key, which is wiped when the last copy goes. Sign may be called from any number
// of threads at once: each thread keeps re-initialisable contexts for the few keys it used last, so
// the steady state allocates nothing.
class HmacKey {
 public:
  // `digest` is an OpenSSL digest name ("SHA256", "SHA384", "SHA512"). Any key length, empty
  // included. Errors (domain internal, reason "crypto_failure") only if OpenSSL fails.
  static absl::StatusOr<HmacKey> Create(std::string_view key, const char* digest = "SHA256");

  // Writes the tag of the concatenation of `parts` to `out` (size() bytes). False only if OpenSSL
  // fails.
  bool Sign(std::initializer_list<std::string_view> parts, unsigned char* out) const;
  // The tag length in bytes.
  size_t size() const;

 private:
  struct Prepared;
  explicit HmacKey(std::shared_ptr<const Prepared> prepared) : prepared_(std::move(prepared)) {}
  std::shared_ptr<const Prepared> prepared_;
};

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
