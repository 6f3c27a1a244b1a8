// Keys generated once per test process with OpenSSL, as PEM, for minting test tokens.
#ifndef JITGUARD_TESTS_CPP_TOKEN_TEST_KEYS_H_
#define JITGUARD_TESTS_CPP_TOKEN_TEST_KEYS_H_

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "lib/token/jws.h"

namespace jitguard::token::testing {

// PEM (PKCS#8) of a fresh private key: "RSA" (2048 bits unless `bits`), "P-256", "P-384", "P-521",
// "Ed25519".
inline std::string GeneratePrivatePem(const std::string& kind, int bits = 2048) {
  EVP_PKEY* key = nullptr;
  if (kind == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  } else if (kind == "Ed25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kind.c_str());
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// The SubjectPublicKeyInfo PEM of a private PEM.
inline std::string PublicPemOf(const std::string& private_pem) {
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(key);
  return pem;
}

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
