// Fresh key pairs for the grant tests, made with OpenSSL at test time.
#ifndef JITGUARD_TESTS_CPP_GRANT_KEYS_H_
#define JITGUARD_TESTS_CPP_GRANT_KEYS_H_

#include <string>

#include "tests/cpp/testing/keys.h"

namespace jitguard::testing {

struct PemPair {
  std::string private_pem;
  std::string public_pem;
};

// type: "EC" with group "P-256"/"P-384", "ED25519", or "RSA" (2048 bits).
inline PemPair GenerateKey(const std::string& type, const char* group = nullptr) {
  std::string kind = type;
  if (type == "EC") kind = group;
  if (type == "ED25519") kind = "Ed25519";
  const std::string priv = GeneratePrivatePem(kind);
  return PemPair{priv, PublicPemOf(priv)};
}

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_GRANT_KEYS_H_
