#include "lib/mask/simd.h"

#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define JITGUARD_MASK_X86 1
#endif

namespace jitguard::mask {

ByteSet::ByteSet() {
  for (int h = 0; h < 16; ++h) bit_of_hi[h] = static_cast<uint8_t>(1u << (h & 7));
}

void ByteSet::Add(uint8_t c) {
  contains[c] = true;
  const int h = c >> 4, l = c & 0xf;
  if (h < 8) {
    lo_low[l] |= static_cast<uint8_t>(1u << h);
  } else {
    lo_high[l] |= static_cast<uint8_t>(1u << (h - 8));
  }
}

void ByteSet::AddRange(uint8_t lo, uint8_t hi) {
  for (int c = lo; c <= hi; ++c) Add(static_cast<uint8_t>(c));
}

void ByteSet::AddAll(std::string_view bytes) {
  for (char c : bytes) Add(static_cast<uint8_t>(c));
}

namespace {

// ---- scalar -------------------------------------------------------------------------------------
class ScalarImplementation final : public Implementation {
 public:
  std::string_view name() const override { return "scalar"; }
  size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) const override {
    size_t i = 0;
    // Eight table lookups per step, then one branch.
    for (; i + 8 <= n; i += 8) {
      const bool any = set.contains[p[i]] | set.contains[p[i + 1]] | set.contains[p[i + 2]] |
                       set.contains[p[i + 3]] | set.contains[p[i + 4]] | set.contains[p[i + 5]] |
                       set.contains[p[i + 6]] | set.contains[p[i + 7]];
      if (any) break;
    }
    for (; i < n; ++i) {
      if (set.contains[p[i]]) return i;
    }
    return n;
  }
  void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b,
                uint64_t* out_a, uint64_t* out_b) const override {
    for (size_t k = 0; k < blocks; ++k) {
      uint64_t ma = 0, mb = 0;
      for (size_t i = 0; i < 64; ++i) {
        ma |= uint64_t{a.contains[p[64 * k + i]]} << i;
        mb |= uint64_t{b.contains[p[64 * k + i]]} << i;
      }
      out_a[k] = ma;
      out_b[k] = mb;
    }
  }
};

#if JITGUARD_MASK_X86

#if defined(__clang__)
#define JG_TARGET_BEGIN(t) _Pragma(t)
#define JG_TARGET_END _Pragma("clang attribute pop")
#define JG_PRAGMA_AVX2 \
  "clang attribute push (__attribute__((target(\"avx2\"))), apply_to = function)"
#define JG_PRAGMA_SSE42 \
  "clang attribute push (__attribute__((target(\"sse4.2\"))), apply_to = function)"
#else
#define JG_TARGET_BEGIN(t) _Pragma("GCC push_options") _Pragma(t)
#define JG_TARGET_END _Pragma("GCC pop_options")
#define JG_PRAGMA_AVX2 "GCC target(\"avx2\")"
#define JG_PRAGMA_SSE42 "GCC target(\"sse4.2\")"
#endif

// ---- AVX2: 32 bytes per vector ----------------------------------------------------------------
JG_TARGET_BEGIN(JG_PRAGMA_AVX2)
namespace avx2 {

struct Vec {
  static constexpr size_t kWidth = 32;
  __m256i v;
};
inline Vec LoadTable(const uint8_t* t16) {
  return {_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t16)))};
}
inline Vec LoadU(const uint8_t* p) {
  return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))};
}
inline uint64_t Classify(Vec x, Vec lo_low, Vec lo_high, Vec bit_of_hi) {
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
// Classify for a set without bytes >= 0x80: pshufb zeroes the lanes whose index has the high bit
// set, so the byte itself indexes the low-nibble table and the blend goes away.
inline uint64_t ClassifyAscii(Vec x, Vec lo_low, Vec bit_of_hi) {
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x.v, 4), _mm256_set1_epi8(0x0f));
  const __m256i hit =
      _mm256_and_si256(_mm256_shuffle_epi8(lo_low.v, x.v), _mm256_shuffle_epi8(bit_of_hi.v, hi));
  const __m256i miss = _mm256_cmpeq_epi8(hit, _mm256_setzero_si256());
  return static_cast<uint32_t>(~_mm256_movemask_epi8(miss));
}

#include "lib/mask/simd_kernel.inc"

size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) {
  return FindFirstKernel(p, n, set);
}

void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b, uint64_t* out_a,
              uint64_t* out_b) {
  ClassifyKernel(p, blocks, a, b, out_a, out_b);
}

}  // namespace avx2
JG_TARGET_END

// ---- SSE4.2: 16 bytes per vector ----------------------------------------------------------------
JG_TARGET_BEGIN(JG_PRAGMA_SSE42)
namespace sse42 {

struct Vec {
  static constexpr size_t kWidth = 16;
  __m128i v;
};
inline Vec LoadTable(const uint8_t* t16) {
  return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(t16))};
}
inline Vec LoadU(const uint8_t* p) {
  return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))};
}
inline uint64_t Classify(Vec x, Vec lo_low, Vec lo_high, Vec bit_of_hi) {
  const __m128i nib = _mm_set1_epi8(0x0f);
  const __m128i lo = _mm_and_si128(x.v, nib);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(x.v, 4), nib);
  const __m128i row =
      _mm_blendv_epi8(_mm_shuffle_epi8(lo_low.v, lo), _mm_shuffle_epi8(lo_high.v, lo), x.v);
  const __m128i hit = _mm_and_si128(row, _mm_shuffle_epi8(bit_of_hi.v, hi));
  const __m128i miss = _mm_cmpeq_epi8(hit, _mm_setzero_si128());
  return static_cast<uint32_t>(~_mm_movemask_epi8(miss)) & 0xffffu;
}
inline uint64_t ClassifyAscii(Vec x, Vec lo_low, Vec bit_of_hi) {
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(x.v, 4), _mm_set1_epi8(0x0f));
  const __m128i hit =
      _mm_and_si128(_mm_shuffle_epi8(lo_low.v, x.v), _mm_shuffle_epi8(bit_of_hi.v, hi));
  const __m128i miss = _mm_cmpeq_epi8(hit, _mm_setzero_si128());
  return static_cast<uint32_t>(~_mm_movemask_epi8(miss)) & 0xffffu;
}

#include "lib/mask/simd_kernel.inc"

size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) {
  return FindFirstKernel(p, n, set);
}

void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b, uint64_t* out_a,
              uint64_t* out_b) {
  ClassifyKernel(p, blocks, a, b, out_a, out_b);
}

}  // namespace sse42
JG_TARGET_END

class Avx2Implementation final : public Implementation {
 public:
  std::string_view name() const override { return "avx2"; }
  size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) const override {
    return avx2::FindFirst(p, n, set);
  }
  void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b,
                uint64_t* out_a, uint64_t* out_b) const override {
    avx2::Classify(p, blocks, a, b, out_a, out_b);
  }
};

class Sse42Implementation final : public Implementation {
 public:
  std::string_view name() const override { return "sse42"; }
  size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) const override {
    return sse42::FindFirst(p, n, set);
  }
  void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b,
                uint64_t* out_a, uint64_t* out_b) const override {
    sse42::Classify(p, blocks, a, b, out_a, out_b);
  }
};

#endif  // JITGUARD_MASK_X86

struct Registry {
  const Implementation* list[3] = {};
  size_t size = 0;
  const Implementation* active = nullptr;
};

const Registry& GetRegistry() {
  static const Registry* registry = [] {
    auto* r = new Registry;
#if JITGUARD_MASK_X86
    static const Avx2Implementation avx2_impl;
    static const Sse42Implementation sse42_impl;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) r->list[r->size++] = &avx2_impl;
    if (__builtin_cpu_supports("sse4.2")) r->list[r->size++] = &sse42_impl;
#endif
    static const ScalarImplementation scalar_impl;
    r->list[r->size++] = &scalar_impl;
    r->active = r->list[0];
    if (const char* forced = std::getenv("JITGUARD_SIMD"); forced != nullptr) {
      for (size_t i = 0; i < r->size; ++i) {
        if (r->list[i]->name() == forced) r->active = r->list[i];
      }
    }
    return r;
  }();
  return *registry;
}

}  // namespace

std::span<const Implementation* const> SupportedImplementations() {
  const Registry& r = GetRegistry();
  return {r.list, r.size};
}

const Implementation& ActiveImplementation() { return *GetRegistry().active; }

const Implementation* FindImplementation(std::string_view name) {
  for (const Implementation* impl : SupportedImplementations()) {
    if (impl->name() == name) return impl;
  }
  return nullptr;
}

}  // namespace jitguard::mask
