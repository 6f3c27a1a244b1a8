// The JWKS importer on arbitrary input, through the public API (this target links the installed
// library, like a user would): never crashes; a verifier created from it has at least one key and
// lists only keys it really has; UpdateKeys with it either installs a usable set or changes
// nothing.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "jitguard/token.h"

namespace {

jitguard::TokenVerifierOptions Options(std::string jwks) {
  jitguard::TokenVerifierOptions o;
  o.jwks = std::move(jwks);
  o.issuers = {"https://idp.example"};
  o.audience_policy = jitguard::AudiencePolicy::kNotChecked;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<jitguard::TokenVerifier> base = *jitguard::TokenVerifier::Create(Options(
      R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"base","x":"iNC9Fg6MpWjA8liE8wdYs9aI3tKQNTokdqIAAOYBeuw"}]})"));
  const std::string in(reinterpret_cast<const char*>(data), size);
  auto created = jitguard::TokenVerifier::Create(Options(in));
  if (created.ok()) {
    if ((*created)->key_count() == 0) std::abort();
    if ((*created)->key_ids().size() > (*created)->key_count()) std::abort();
  }
  if (base->UpdateKeys(in).ok()) {
    if (base->key_count() == 0) std::abort();
    // Put the base key back for the next input.
    if (!base->UpdateKeys(
                 R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"base","x":"iNC9Fg6MpWjA8liE8wdYs9aI3tKQNTokdqIAAOYBeuw"}]})")
             .ok()) {
      std::abort();
    }
  } else if (base->key_count() != 1 || base->key_ids() != std::vector<std::string>{"base"}) {
    std::abort();  // a refused update changed the keys
  }
  return 0;
}
