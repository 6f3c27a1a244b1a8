// The scalar Implementation: the generic kernels (kernel.inc) on a 16-byte "vector" of plain
// bytes, every operation a loop over the lanes. It runs on every CPU, is the reference the tests
// compare the others with, and is what JITGUARD_SIMD=scalar selects.
#include <cstring>

#include "lib/simd/simd.h"

namespace jitguard::simd {
namespace scalar {

struct Vec16 {
  static constexpr size_t kWidth = 16;
  uint8_t b[16];
};

template <class V>
V LoadU(const uint8_t* p);
template <class V>
V LoadTable(const uint8_t* t16);

template <class F>
inline Vec16 Map(F f) {
  Vec16 r;
  for (size_t i = 0; i < 16; ++i) r.b[i] = f(i);
  return r;
}
template <>
inline Vec16 LoadU<Vec16>(const uint8_t* p) {
  Vec16 r;
  std::memcpy(r.b, p, 16);
  return r;
}
template <>
inline Vec16 LoadTable<Vec16>(const uint8_t* t16) {
  return LoadU<Vec16>(t16);
}
inline void StoreU(uint8_t* p, Vec16 x) { std::memcpy(p, x.b, 16); }
inline Vec16 And(Vec16 a, Vec16 b) {
  return Map([&](size_t i) { return static_cast<uint8_t>(a.b[i] & b.b[i]); });
}
inline Vec16 Or(Vec16 a, Vec16 b) {
  return Map([&](size_t i) { return static_cast<uint8_t>(a.b[i] | b.b[i]); });
}
inline Vec16 Eq(Vec16 a, Vec16 b) {
  return Map([&](size_t i) { return static_cast<uint8_t>(a.b[i] == b.b[i] ? 0xff : 0); });
}
inline Vec16 GtSigned(Vec16 a, Vec16 b) {
  return Map([&](size_t i) {
    return static_cast<uint8_t>(static_cast<int8_t>(a.b[i]) > static_cast<int8_t>(b.b[i]) ? 0xff
                                                                                          : 0);
  });
}
inline uint64_t Bits(Vec16 m) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 16; ++i) bits |= static_cast<uint64_t>(m.b[i] >> 7) << i;
  return bits;
}
// The ByteSet tables read one byte at a time: (h < 8 ? lo_low[l] : lo_high[l]) & bit_of_hi[h].
inline uint64_t InSet(Vec16 x, Vec16 lo_low, Vec16 lo_high, Vec16 bit_of_hi) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t c = x.b[i];
    const uint8_t row = (c & 0x80) != 0 ? lo_high.b[c & 0xf] : lo_low.b[c & 0xf];
    bits |= uint64_t{(row & bit_of_hi.b[c >> 4]) != 0} << i;
  }
  return bits;
}
inline uint64_t InAsciiSet(Vec16 x, Vec16 lo_low, Vec16 bit_of_hi) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t c = x.b[i];
    const uint8_t row = (c & 0x80) != 0 ? 0 : lo_low.b[c & 0xf];
    bits |= uint64_t{(row & bit_of_hi.b[c >> 4]) != 0} << i;
  }
  return bits;
}

#include "lib/simd/kernel.inc"

}  // namespace scalar

const Implementation& ScalarImplementation() {
  static const scalar::KernelImplementation<scalar::Vec16, scalar::Vec16> impl("scalar");
  return impl;
}

}  // namespace jitguard::simd
