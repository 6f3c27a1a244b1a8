// Minting test tokens with the internal JWS layer, and verifier options for tests.
#ifndef JITGUARD_TESTS_CPP_TOKEN_TOKEN_TESTING_H_
#define JITGUARD_TESTS_CPP_TOKEN_TOKEN_TESTING_H_

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/token/jws.h"
#include "tests/cpp/token/test_keys.h"

namespace jitguard::token::testing {

// A fixed "now" for every test: tests never read the clock.
inline absl::Time Now() { return absl::FromUnixSeconds(1'800'000'000); }
inline int64_t NowSec() { return 1'800'000'000; }

// A private key with what it takes to mint tokens and to publish its public half.
struct Signer {
  JwsKey key;
  Algorithm alg;
  std::string kid;

  // {"keys":[<public JWK>]} (or the oct JWK for HMAC keys).
  std::string Jwks() const { return absl::StrCat("{\"keys\":[", Jwk(), "]}"); }
  std::string Jwk() const;

  // A token with this header (alg/kid filled in unless `raw_header`) and payload.
  std::string Mint(const std::string& payload, const std::string& extra_header = "") const {
    std::string header = absl::StrCat("{\"alg\":\"", std::string(AlgorithmName(alg)), "\"");
    if (!kid.empty()) absl::StrAppend(&header, ",\"kid\":\"", kid, "\"");
    absl::StrAppend(&header, extra_header, "}");
    return MintRaw(header, payload);
  }
  std::string MintRaw(std::string_view header, std::string_view payload) const {
    const std::string input = MakeSigningInput(header, payload);
    absl::StatusOr<std::string> sig = Sign(key, alg, input);
    return absl::StrCat(input, ".", base::Base64UrlEncode(sig.ok() ? *sig : std::string()));
  }
};

inline std::string Signer::Jwk() const {
  if (key.type() == KeyType::kOct) return "";  // set by MakeHmacSigner
  std::string jwk = *key.PublicJwk();
  return jwk;
}

inline Signer MakeSigner(const std::string& private_pem, Algorithm alg, std::string kid) {
  absl::StatusOr<JwsKey> key = JwsKey::FromPem(private_pem, KeyPart::kPrivate, std::nullopt, kid);
  return Signer{*key, alg, std::move(kid)};
}

// Standard claims for `sub`, valid around Now().
inline std::string Claims(const std::string& sub = "alice", const std::string& extra = "") {
  return absl::StrCat("{\"iss\":\"https://idp.example\",\"aud\":\"api://jitguard\",\"sub\":\"", sub,
                      "\",\"iat\":", NowSec() - 10, ",\"exp\":", NowSec() + 300, ",\"jti\":\"id-",
                      sub, "\"", extra, "}");
}

inline TokenVerifierOptions BaseOptions(std::string jwks) {
  TokenVerifierOptions o;
  o.jwks = std::move(jwks);
  o.issuers = {"https://idp.example"};
  o.audiences = {"api://jitguard"};
  return o;
}

}  // namespace jitguard::token::testing

#endif  // JITGUARD_TESTS_CPP_TOKEN_TOKEN_TESTING_H_
