#include "jitguard/secret.h"

#include <openssl/crypto.h>

#include <utility>

namespace jitguard {

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

// std::string's move may leave a short (SSO) secret in the source buffer, and the moved-from string
// reports itself empty, so Wipe() could not reach those bytes: copy, then wipe the source.
// NOLINTNEXTLINE(performance-move-constructor-init): the copy is deliberate, see above
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(other.bytes_) { other.Wipe(); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
    other.Wipe();
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

}  // namespace jitguard
