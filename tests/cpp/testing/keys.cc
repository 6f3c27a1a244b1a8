#include "tests/cpp/testing/keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "lib/base/crypto.h"

namespace jitguard::testing {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tests/cpp/testing/keys: %s\n", what);
  std::abort();
}

std::string Drain(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::string GeneratePrivatePem(std::string_view kind, int rsa_bits) {
  const std::string k(kind);
  base::EvpPkeyPtr key(
      k == "RSA"       ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits))
      : k == "Ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
      : k == "P-256" || k == "P-384" || k == "P-521"
          ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", k.c_str())
          : nullptr);
  if (key == nullptr) Die("unknown key kind or key generation failed");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("cannot write the private key");
  }
  return Drain(bio.get());
}

std::string PublicPemOf(std::string_view private_pem) {
  BioPtr in(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  base::EvpPkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) Die("the private key PEM does not parse");
  BioPtr out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) Die("cannot write the public key");
  return Drain(out.get());
}

}  // namespace jitguard::testing
