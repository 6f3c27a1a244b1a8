// The AVX2 Implementation: the generic kernels (kernel.inc) on 32-byte vectors for the
// prefilter and 16-byte (VEX-encoded) vectors for the short span and context windows, compiled
// for AVX2 in a target region; the rest of the library stays at the baseline CPU.
#include <cstring>

#include "lib/simd/simd.h"
#include "lib/simd/target.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

namespace jitguard::simd {
namespace avx2 {

JITGUARD_SIMD_TARGET_BEGIN("avx2")

#include "lib/simd/x86_vec16.inc"

struct Vec32 {
  static constexpr size_t kWidth = 32;
  __m256i v;
};


template <>
inline Vec32 LoadU<Vec32>(const uint8_t* p) {
  return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))};
}
template <>
inline Vec32 LoadTable<Vec32>(const uint8_t* t16) {
  return {_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t16)))};
}
inline Vec32 Or(Vec32 a, Vec32 b) { return {_mm256_or_si256(a.v, b.v)}; }
inline Vec32 GtSigned(Vec32 a, Vec32 b) { return {_mm256_cmpgt_epi8(a.v, b.v)}; }
inline uint64_t Bits(Vec32 a) { return static_cast<uint32_t>(_mm256_movemask_epi8(a.v)); }
inline uint64_t InSet(Vec32 x, Vec32 lo_low, Vec32 lo_high, Vec32 bit_of_hi) {
  const __m256i nib = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(x.v, nib);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x.v, 4), nib);
  // The high bit of each byte selects the table of high nibbles 8..15.
  const __m256i row = _mm256_blendv_epi8(_mm256_shuffle_epi8(lo_low.v, lo),
                                         _mm256_shuffle_epi8(lo_high.v, lo), x.v);
  const __m256i hit = _mm256_and_si256(row, _mm256_shuffle_epi8(bit_of_hi.v, hi));
  const __m256i miss = _mm256_cmpeq_epi8(hit, _mm256_setzero_si256());
  return static_cast<uint32_t>(~_mm256_movemask_epi8(miss));
}
// InSet for a set without bytes >= 0x80: pshufb zeroes the lanes whose index has the high bit
// set, so the byte itself indexes the low-nibble table and the blend goes away.
inline uint64_t InAsciiSet(Vec32 x, Vec32 lo_low, Vec32 bit_of_hi) {
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x.v, 4), _mm256_set1_epi8(0x0f));
  const __m256i hit =
      _mm256_and_si256(_mm256_shuffle_epi8(lo_low.v, x.v), _mm256_shuffle_epi8(bit_of_hi.v, hi));
  const __m256i miss = _mm256_cmpeq_epi8(hit, _mm256_setzero_si256());
  return static_cast<uint32_t>(~_mm256_movemask_epi8(miss));
}

#include "lib/simd/kernel.inc"

const Implementation* Get() {
  static const KernelImplementation<Vec16, Vec32> impl("avx2");
  return &impl;
}

JITGUARD_SIMD_TARGET_END

}  // namespace avx2

const Implementation* Avx2Implementation() { return avx2::Get(); }

}  // namespace jitguard::simd

#else

namespace jitguard::simd {
const Implementation* Avx2Implementation() { return nullptr; }
}  // namespace jitguard::simd

#endif
