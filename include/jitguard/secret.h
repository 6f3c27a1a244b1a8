// Secret bytes (HMAC keys, signing secrets, private-key PEM text) that wipe themselves.
//
// Reading the bytes is an explicit, greppable call (`Reveal()`), so every place that touches key
// material is easy to audit. A SecretBytes is a value: copyable and movable, each copy wiped when
// it dies. Safe to read from many threads; not to mutate concurrently.
#ifndef JITGUARD_SECRET_H_
#define JITGUARD_SECRET_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "jitguard/export.h"

namespace jitguard {

class JITGUARD_EXPORT SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  // The secret itself. Never log, format or put the result in an error message.
  std::string_view Reveal() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  void Wipe();
  std::string bytes_;
};

}  // namespace jitguard

#endif  // JITGUARD_SECRET_H_
