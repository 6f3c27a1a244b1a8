#include <cstdint>
#include <string>

#include "jitguard/approval.h"
#include "lib/base/crypto.h"

namespace jitguard {
namespace {

void AppendField(std::string* out, std::string_view field) {
  uint64_t n = field.size();
  char len[8];
  for (int i = 7; i >= 0; --i) {
    len[i] = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  out->append(len, sizeof(len));
  out->append(field);
}

}  // namespace

std::string RequestDigest(std::string_view subject, std::string_view model,
                          std::string_view dataset, std::string_view operation,
                          std::string_view prompt) {
  std::string encoding;
  encoding.reserve(64 + subject.size() + model.size() + dataset.size() + operation.size() +
                   prompt.size());
  // The version tag is itself length-prefixed, so a future encoding can never collide with this
  // one.
  AppendField(&encoding, "jitguard-request-digest-v1");
  for (std::string_view field : {subject, model, dataset, operation, prompt}) {
    AppendField(&encoding, field);
  }
  return base::Hex(base::Sha256(encoding));
}

}  // namespace jitguard
