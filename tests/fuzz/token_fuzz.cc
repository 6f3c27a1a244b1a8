// The token parser and verifier on arbitrary input: never crashes, never accepts anything (no input
// can carry a signature made with the private keys, which the fuzzer never sees), and the fast
// base64url decoder agrees with the reference one on every part.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/token/b64.h"
#include "lib/token/jws.h"

namespace {

std::shared_ptr<jitguard::TokenVerifier> MakeVerifier() {
  jitguard::TokenVerifierOptions o;
  // Public keys only: an EC and an Ed25519 key generated once, private halves discarded.
  o.jwks = R"({"keys":[
    {"kty":"EC","crv":"P-256","kid":"es","x":"5gtUiNhu6k-EPPdwkVr8PQhmcQo0tLLQPW5qBio8I1o","y":"nFKM9ryEvpDjvkquwNtP1yPmIlJb1-EskqJAygYtHhc"},
    {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"iNC9Fg6MpWjA8liE8wdYs9aI3tKQNTokdqIAAOYBeuw"}]})";
  o.issuers = {"https://idp.example"};
  o.audiences = {"api://fuzz"};
  o.cache_size = 64;
  return *jitguard::TokenVerifier::Create(o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<jitguard::TokenVerifier> verifier = MakeVerifier();
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  if (verifier->Verify(in, now).ok()) std::abort();
  if (verifier->VerifyJws(in).ok()) std::abort();
  jitguard::token::JwsParseOptions any;
  any.payload = jitguard::token::PayloadFormat::kAny;
  (void)jitguard::token::ParseCompactJws(in, any);
  std::string fast;
  const bool ok = jitguard::token::DecodeBase64UrlInto(in, &fast);
  std::optional<std::string> reference = jitguard::base::Base64UrlDecodeStrict(in);
  if (ok != reference.has_value() || (ok && fast != *reference)) std::abort();
  return 0;
}
