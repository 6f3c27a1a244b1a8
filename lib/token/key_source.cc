// The static KeySources: a fixed JWKS, PEM public keys, HMAC secrets. Their keys never change
// (version 1 from the start), so a verifier installs them once.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jitguard/token.h"

namespace jitguard {
namespace {

class StaticKeySource final : public KeySource {
 public:
  StaticKeySource(std::string name, KeySnapshot keys)
      : name_(std::move(name)), keys_(std::make_shared<const KeySnapshot>(std::move(keys))) {}

  std::string Name() const override { return name_; }
  std::shared_ptr<const KeySnapshot> Current() const override { return keys_; }
  uint64_t version() const override { return keys_->version; }

 private:
  const std::string name_;
  const std::shared_ptr<const KeySnapshot> keys_;
};

}  // namespace

std::shared_ptr<KeySource> KeySource::StaticJwks(std::string jwks) {
  KeySnapshot keys;
  keys.jwks = std::move(jwks);
  keys.version = 1;
  return std::make_shared<StaticKeySource>("static_jwks", std::move(keys));
}

std::shared_ptr<KeySource> KeySource::Pem(std::vector<PemKey> pem_keys) {
  KeySnapshot keys;
  keys.pem_keys = std::move(pem_keys);
  keys.version = 1;
  return std::make_shared<StaticKeySource>("pem", std::move(keys));
}

std::shared_ptr<KeySource> KeySource::Hmac(std::vector<HmacKey> hmac_keys) {
  KeySnapshot keys;
  keys.hmac_keys = std::move(hmac_keys);
  keys.version = 1;
  return std::make_shared<StaticKeySource>("hmac", std::move(keys));
}

}  // namespace jitguard
