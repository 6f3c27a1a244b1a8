// The state behind a JwsKey (internal to lib/token).
#ifndef JITGUARD_LIB_TOKEN_KEY_STATE_H_
#define JITGUARD_LIB_TOKEN_KEY_STATE_H_

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "jitguard/secret.h"
#include "lib/base/crypto.h"
#include "lib/token/jws.h"

namespace jitguard::token {

struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;

struct JwsKey::State {
  KeyType type = KeyType::kRsa;
  Curve curve = Curve::kNone;
  std::optional<Algorithm> alg;
  std::optional<std::string> kid;
  bool has_private = false;
  int bits = 0;
  base::EvpPkeyPtr pkey;  // RSA, EC, Ed25519
  SecretBytes secret;     // oct
  // oct: HMAC contexts already keyed for SHA-256/384/512 (null where the secret is too short or the
  // key is pinned to another hash). Verify duplicates one instead of re-deriving the key pads.
  std::array<EvpMacCtxPtr, 3> hmac;
  std::string fingerprint;
  // Unique per State for the life of the process (never reused, unlike an address): lets a thread
  // keep one HMAC context keyed for the key it used last.
  uint64_t serial = 0;
};

struct JwsKeyFactory {
  static JwsKey Make(std::shared_ptr<const JwsKey::State> state) {
    return JwsKey(std::move(state));
  }
};

// The SHA-2 digest behind `alg` (fetched once).
const EVP_MD* DigestFor(Algorithm alg);

}  // namespace jitguard::token

#endif  // JITGUARD_LIB_TOKEN_KEY_STATE_H_
