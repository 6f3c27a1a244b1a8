// Fresh key pairs for the grant tests, made with OpenSSL at test time.
#ifndef JITGUARD_TESTS_CPP_GRANT_KEYS_H_
#define JITGUARD_TESTS_CPP_GRANT_KEYS_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

namespace jitguard::testing {

struct PemPair {
  std::string private_pem;
  std::string public_pem;
};

// type: "EC" with group "P-256"/"P-384", "ED25519", or "RSA" (2048 bits).
inline PemPair GenerateKey(const char* type, const char* group = nullptr) {
  EVP_PKEY* key = nullptr;
  if (std::string(type) == "EC") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group);
  } else if (std::string(type) == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  PemPair out;
  if (key == nullptr) return out;
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(bio);
    return s;
  };
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_pem = to_string(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  out.public_pem = to_string(pub);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_GRANT_KEYS_H_
