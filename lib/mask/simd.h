// The byte-class prefilter: finds the next byte of a set (the "trigger" bytes that can occur in a
// finding, or whitespace) in a buffer, at SIMD speed.
//
// One `Implementation` interface; one implementation per instruction set (AVX2, SSE4.2, scalar),
// compiled from the same kernel source (simd_kernel.inc) with per-function target attributes, so
// the library itself is built for the baseline CPU. The best supported implementation is picked
// once (cpuid via __builtin_cpu_supports); the environment variable JITGUARD_SIMD=scalar|sse42|avx2
// forces one (an unknown or unsupported value falls back to automatic choice). NEON is not built:
// there is no aarch64 toolchain on the development machine to compile-test it.
#ifndef JITGUARD_LIB_MASK_SIMD_H_
#define JITGUARD_LIB_MASK_SIMD_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace jitguard::mask {

// A set of bytes, stored both as a plain 256-entry table (scalar code) and as the three 16-byte
// shuffle tables the SIMD kernels use: for a byte with high nibble h and low nibble l,
//   member = (h < 8 ? lo_low[l] : lo_high[l]) & bit_of_hi[h] != 0.
struct ByteSet {
  bool contains[256] = {};
  alignas(16) uint8_t lo_low[16] = {};
  alignas(16) uint8_t lo_high[16] = {};
  alignas(16) uint8_t bit_of_hi[16] = {};

  ByteSet();
  void Add(uint8_t c);
  void AddRange(uint8_t lo, uint8_t hi);
  void AddAll(std::string_view bytes);
};

class Implementation {
 public:
  virtual ~Implementation() = default;
  // "avx2", "sse42" or "scalar".
  virtual std::string_view name() const = 0;
  // Index of the first byte of p[0, n) that is in `set`; n when there is none.
  virtual size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) const = 0;
  // Classifies `blocks` blocks of 64 bytes: bit i of out_a[k] is set when p[64k + i] is in `a`,
  // likewise for `b`.
  virtual void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b,
                        uint64_t* out_a, uint64_t* out_b) const = 0;
};

// Every implementation this CPU can run, best first (always ends with scalar).
std::span<const Implementation* const> SupportedImplementations();

// The implementation chosen once per process (JITGUARD_SIMD, else the best supported).
const Implementation& ActiveImplementation();

// The supported implementation with this name, or nullptr.
const Implementation* FindImplementation(std::string_view name);

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_SIMD_H_
