// The NEON Implementation (aarch64, where NEON is baseline: no target region needed): the generic
// kernels (kernel.inc) on 16-byte vectors. Compiled only for aarch64; elsewhere the factory
// returns nullptr.
#include <cstring>

#include "lib/simd/simd.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace jitguard::simd {
namespace neon {

struct Vec16 {
  static constexpr size_t kWidth = 16;
  uint8x16_t v;
};

template <class V>
V LoadU(const uint8_t* p);
template <class V>
V LoadTable(const uint8_t* t16);

template <>
inline Vec16 LoadU<Vec16>(const uint8_t* p) {
  return {vld1q_u8(p)};
}
template <>
inline Vec16 LoadTable<Vec16>(const uint8_t* t16) {
  return {vld1q_u8(t16)};
}
inline void StoreU(uint8_t* p, Vec16 x) { vst1q_u8(p, x.v); }
inline Vec16 And(Vec16 a, Vec16 b) { return {vandq_u8(a.v, b.v)}; }
inline Vec16 Or(Vec16 a, Vec16 b) { return {vorrq_u8(a.v, b.v)}; }
inline Vec16 Eq(Vec16 a, Vec16 b) { return {vceqq_u8(a.v, b.v)}; }
inline Vec16 GtSigned(Vec16 a, Vec16 b) {
  return {vcgtq_s8(vreinterpretq_s8_u8(a.v), vreinterpretq_s8_u8(b.v))};
}
// No movemask on NEON: weight each lane by its bit and add the halves across.
inline uint64_t Bits(Vec16 m) {
  static const uint8_t kWeights[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t w = vandq_u8(m.v, vld1q_u8(kWeights));
  return uint64_t{vaddv_u8(vget_low_u8(w))} | (uint64_t{vaddv_u8(vget_high_u8(w))} << 8);
}
inline uint64_t InSet(Vec16 x, Vec16 lo_low, Vec16 lo_high, Vec16 bit_of_hi) {
  const uint8x16_t lo = vandq_u8(x.v, vdupq_n_u8(0x0f));
  const uint8x16_t hi = vshrq_n_u8(x.v, 4);
  // The high bit of each byte selects the table of high nibbles 8..15.
  const uint8x16_t high = vreinterpretq_u8_s8(vshrq_n_s8(vreinterpretq_s8_u8(x.v), 7));
  const uint8x16_t row = vbslq_u8(high, vqtbl1q_u8(lo_high.v, lo), vqtbl1q_u8(lo_low.v, lo));
  const uint8x16_t hit = vandq_u8(row, vqtbl1q_u8(bit_of_hi.v, hi));
  return Bits({vtstq_u8(hit, hit)});
}
// tbl gives 0 for an index >= 16: keep the high bit and the low nibble as the index, so a byte
// >= 0x80 reads 0 and any other byte reads its low-nibble row.
inline uint64_t InAsciiSet(Vec16 x, Vec16 lo_low, Vec16 bit_of_hi) {
  const uint8x16_t idx = vandq_u8(x.v, vdupq_n_u8(0x8f));
  const uint8x16_t hit =
      vandq_u8(vqtbl1q_u8(lo_low.v, idx), vqtbl1q_u8(bit_of_hi.v, vshrq_n_u8(x.v, 4)));
  return Bits({vtstq_u8(hit, hit)});
}

#include "lib/simd/kernel.inc"

}  // namespace neon

const Implementation* NeonImplementation() {
  static const neon::KernelImplementation<neon::Vec16, neon::Vec16> impl("neon");
  return &impl;
}

}  // namespace jitguard::simd

#else

namespace jitguard::simd {
const Implementation* NeonImplementation() { return nullptr; }
}  // namespace jitguard::simd

#endif
