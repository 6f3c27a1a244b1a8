#include "lib/token/b64.h"

#include <array>
#include <cstdint>

namespace jitguard::token {
namespace {

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (int i = 0; i < 26; ++i) t['A' + i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 26; ++i) t['a' + i] = static_cast<uint8_t>(26 + i);
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<uint8_t>(52 + i);
  t['-'] = 62;
  t['_'] = 63;
  return t;
}
constexpr std::array<uint8_t, 256> kTable = MakeTable();

}  // namespace

bool DecodeBase64UrlInto(std::string_view in, std::string* out, size_t padding) {
  const size_t rem = in.size() % 4;
  if (rem == 1) return false;
  const size_t full = in.size() / 4;
  const size_t len = full * 3 + (rem == 0 ? 0 : rem - 1);
  out->reserve(len + padding);
  out->resize(len);
  auto* dst = reinterpret_cast<uint8_t*>(out->data());
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  uint32_t bad = 0;
  for (size_t i = 0; i < full; ++i, src += 4, dst += 3) {
    const uint32_t a = kTable[src[0]], b = kTable[src[1]], c = kTable[src[2]], d = kTable[src[3]];
    bad |= a | b | c | d;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[0] = static_cast<uint8_t>(v >> 16);
    dst[1] = static_cast<uint8_t>(v >> 8);
    dst[2] = static_cast<uint8_t>(v);
  }
  if (rem == 2) {
    const uint32_t a = kTable[src[0]], b = kTable[src[1]];
    bad |= a | b;
    if (b != 0xff && (b & 0x0f) != 0) return false;  // non-zero trailing bits
    dst[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const uint32_t a = kTable[src[0]], b = kTable[src[1]], c = kTable[src[2]];
    bad |= a | b | c;
    if (c != 0xff && (c & 0x03) != 0) return false;
    dst[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
    dst[1] = static_cast<uint8_t>((b << 4) | (c >> 2));
  }
  // Every valid value is < 64, so any 0xff (invalid character) sets bit 6 or 7.
  return (bad & 0xc0) == 0;
}

}  // namespace jitguard::token
