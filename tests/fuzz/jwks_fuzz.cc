// The JWKS / JWK importer on arbitrary input: never crashes; every key it accepts can export its
// public form, and that form imports again as the same key (same fingerprint).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/token/jws.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto check = [](const jitguard::token::JwsKey& key) {
    if (key.type() == jitguard::token::KeyType::kOct) return;
    auto jwk = key.PublicJwk();
    if (!jwk.ok()) std::abort();
    auto again = jitguard::token::JwsKey::FromJwkJson(*jwk);
    if (!again.ok() || again->fingerprint() != key.fingerprint()) std::abort();
  };
  auto set = jitguard::token::ParseJwks(in);
  if (set.ok()) {
    for (const auto& key : set->keys) check(key);
  }
  auto one = jitguard::token::JwsKey::FromJwkJson(in, jitguard::token::KeyPart::kPrivate);
  if (one.ok()) check(*one);
  return 0;
}
