// Keys generated once per test process (tests/cpp/testing/keys.h), as PEM, for minting test tokens.
#ifndef JITGUARD_TESTS_CPP_TOKEN_TEST_KEYS_H_
#define JITGUARD_TESTS_CPP_TOKEN_TEST_KEYS_H_

#include <string>

#include "tests/cpp/testing/keys.h"

namespace jitguard::token::testing {

using ::jitguard::testing::GeneratePrivatePem;
using ::jitguard::testing::PublicPemOf;

// Private PEMs made once per process (RSA generation is slow).
struct KeyRing {
  std::string rsa = GeneratePrivatePem("RSA");
  std::string p256 = GeneratePrivatePem("P-256");
  std::string p384 = GeneratePrivatePem("P-384");
  std::string p521 = GeneratePrivatePem("P-521");
  std::string ed25519 = GeneratePrivatePem("Ed25519");
  std::string hmac =
      std::string("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
};

inline const KeyRing& Keys() {
  static const KeyRing* ring = new KeyRing();
  return *ring;
}

}  // namespace jitguard::token::testing

#endif  // JITGUARD_TESTS_CPP_TOKEN_TEST_KEYS_H_
