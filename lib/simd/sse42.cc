// The SSE4.2 Implementation (pshufb from SSSE3 and pblendvb from SSE4.1, both implied): the
// generic kernels (kernel.inc) on 16-byte vectors, compiled for SSE4.2 in a target region;
// the rest of the library stays at the baseline CPU.
#include <cstring>

#include "lib/simd/simd.h"
#include "lib/simd/target.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

namespace jitguard::simd {
namespace sse42 {

JITGUARD_SIMD_TARGET_BEGIN("sse4.2")

#include "lib/simd/x86_vec16.inc"

inline uint64_t InSet(Vec16 x, Vec16 lo_low, Vec16 lo_high, Vec16 bit_of_hi) {
  const __m128i nib = _mm_set1_epi8(0x0f);
  const __m128i lo = _mm_and_si128(x.v, nib);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(x.v, 4), nib);
  // The high bit of each byte selects the table of high nibbles 8..15.
  const __m128i row =
      _mm_blendv_epi8(_mm_shuffle_epi8(lo_low.v, lo), _mm_shuffle_epi8(lo_high.v, lo), x.v);
  const __m128i hit = _mm_and_si128(row, _mm_shuffle_epi8(bit_of_hi.v, hi));
  const __m128i miss = _mm_cmpeq_epi8(hit, _mm_setzero_si128());
  return static_cast<uint32_t>(~_mm_movemask_epi8(miss)) & 0xffffu;
}
// InSet for a set without bytes >= 0x80: pshufb zeroes the lanes whose index has the high bit
// set, so the byte itself indexes the low-nibble table and the blend goes away.
inline uint64_t InAsciiSet(Vec16 x, Vec16 lo_low, Vec16 bit_of_hi) {
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(x.v, 4), _mm_set1_epi8(0x0f));
  const __m128i hit =
      _mm_and_si128(_mm_shuffle_epi8(lo_low.v, x.v), _mm_shuffle_epi8(bit_of_hi.v, hi));
  const __m128i miss = _mm_cmpeq_epi8(hit, _mm_setzero_si128());
  return static_cast<uint32_t>(~_mm_movemask_epi8(miss)) & 0xffffu;
}

#include "lib/simd/kernel.inc"

const Implementation* Get() {
  static const KernelImplementation<Vec16, Vec16> impl("sse42");
  return &impl;
}

JITGUARD_SIMD_TARGET_END

}  // namespace sse42

const Implementation* Sse42Implementation() { return sse42::Get(); }

}  // namespace jitguard::simd

#else

namespace jitguard::simd {
const Implementation* Sse42Implementation() { return nullptr; }
}  // namespace jitguard::simd

#endif
