// Fresh keys for the tests and benchmarks, made with OpenSSL at run time (never checked in).
#ifndef JITGUARD_TESTS_CPP_TESTING_KEYS_H_
#define JITGUARD_TESTS_CPP_TESTING_KEYS_H_

#include <string>
#include <string_view>

namespace jitguard::testing {

// PEM (PKCS#8) of a new private key. `kind`: "RSA" (`rsa_bits` bits), "P-256", "P-384", "P-521" or
// "Ed25519". Aborts on an unknown kind or an OpenSSL failure: a test cannot go on without its key.
std::string GeneratePrivatePem(std::string_view kind, int rsa_bits = 2048);

// The SubjectPublicKeyInfo PEM of a private key PEM. Aborts when the PEM does not parse.
std::string PublicPemOf(std::string_view private_pem);

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_TESTING_KEYS_H_
