// libFuzzer target: masking never crashes, and a stream cut anywhere equals one-shot Mask().
//
// Input: byte 0 picks the configuration (style, custom rule/terms on or off, the default profile or
// every built-in entity, the opt-in ones too), byte 1 seeds the chunk sizes; the rest is the text.
// MaskJson and the SSE stream also run on the text (their results are not compared; they must only
// not crash or leak through an error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/mask.h"

namespace {

std::shared_ptr<const jitguard::Masker> MakeMasker(uint8_t config) {
  jitguard::MaskerOptions o;
  o.style = static_cast<jitguard::MaskStyle>(config % 4);
  o.hash_key = jitguard::SecretBytes("fuzz-key-0123456789");
  o.max_held_bytes = 1 << 20;  // never reached by fuzz inputs: exactness must hold
  if (config & 4) o.custom.push_back({.name = "EMP", .regex = R"(EMP-\d{4,6})"});
  if (config & 8) o.terms.push_back({.name = "TERM", .terms = {"blue bird", "acme", "x-ray"}});
  if (config & 16) o.allowlist = {"a@b.co"};
  if (config & 32) o.json_keys = {"password"};
  if (config & 64) {
    o.entities = std::vector<std::string>(jitguard::BuiltinEntities().begin(),
                                          jitguard::BuiltinEntities().end());
  }
  return *jitguard::Masker::Create(o);
}

const std::shared_ptr<const jitguard::Masker>& Cached(uint8_t config) {
  static std::shared_ptr<const jitguard::Masker> cache[128];
  auto& m = cache[config % 128];
  if (!m) m = MakeMasker(config % 128);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto& masker = Cached(data[0]);
  uint32_t seed = data[1] * 2654435761u + 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  const std::string want = masker->Mask(text);
  std::unique_ptr<jitguard::MaskStream> stream = masker->NewStream();
  std::string got;
  size_t i = 0;
  while (i < text.size()) {
    seed = seed * 1103515245u + 12345u;
    const size_t len = (seed >> 16) % 9;  // 0..8 bytes, empty chunks included
    got += stream->Write(text.substr(i, len));
    i += len;
  }
  got += stream->Finish();
  if (got != want) std::abort();

  (void)masker->Find(text);
  (void)masker->MaskJson(text);
  std::unique_ptr<jitguard::SseMaskStream> sse = masker->NewSseStream();
  if (sse->Write(text).ok()) (void)sse->Finish();
  return 0;
}
