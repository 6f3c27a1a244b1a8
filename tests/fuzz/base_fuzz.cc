// Strict base64url: never crashes, and whatever it accepts re-encodes to exactly the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/base/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto decoded = jitguard::base::Base64UrlDecodeStrict(in);
  if (decoded && jitguard::base::Base64UrlEncode(*decoded) != in) std::abort();
  return 0;
}
