// Every instruction-set-specific kernel of the library, behind one interface: for the masking
// engine, the byte-class prefilter (the "trigger" bytes that can occur in a finding, and
// whitespace), the byte classes of a triggered span and of a context-word window; for the folded
// view (lib/text), the search for the next non-ASCII byte.
//
// One `Implementation` per instruction set (AVX2, SSE4.2, NEON on aarch64, scalar), each in its
// own file (avx2.cc, sse42.cc, neon.cc, scalar.cc) that defines a small vector type and includes
// the one generic kernel source (kernel.inc) inside a per-target region (`#pragma GCC target` /
// `clang attribute push`), so the library itself is built for the baseline CPU and no other code
// is compiled for a wider one; no other file of the library uses vector intrinsics. The best
// supported implementation is picked once per process (cpuid via __builtin_cpu_supports). The
// environment variable JITGUARD_SIMD=avx2|sse42|neon|scalar forces one; a value that is not one of
// those, or names an implementation this CPU cannot run, is an error that Masker::Create returns
// (kMask, "bad_simd", naming the accepted values) rather than a silent fallback.
#ifndef JITGUARD_LIB_SIMD_SIMD_H_
#define JITGUARD_LIB_SIMD_SIMD_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"

namespace jitguard::simd {

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

// Byte classes of a span of at most 64 bytes, one bit per byte (bit i = p[i]). Not zeroed by
// default: the scanner declares one per span and ClassifySpan writes every field (`{}` zeroes).
// `colon` holds the bytes ':' through '=' (':', ';', '<', '='): the IPv6 and MAC separator and
// the key-value separators ':' and '=' in one range compare (';' and '<' are span delimiters
// unless custom rules or terms are configured: the IPv6 and MAC span filters then keep a little
// more, and the key-value candidates check the byte).
struct SpanBits {
  uint64_t at, digit, colon, dash, dot, alnum, hex;
};

// Byte classes of a context-word window of at most 64 bytes (bit k = byte k): the bytes that end
// a context (line break, ',', ';', digit), '.', whitespace, ASCII letters and digits.
struct ContextBits {
  uint64_t stop = 0, dot = 0, space = 0, alnum = 0;
};

class Implementation {
 public:
  virtual ~Implementation() = default;
  // "avx2", "sse42", "neon" or "scalar".
  virtual std::string_view name() const = 0;
  // Index of the first byte of p[0, n) that is in `set`; n when there is none.
  virtual size_t FindFirst(const uint8_t* p, size_t n, const ByteSet& set) const = 0;
  // Index of the first byte of p[0, n) that is >= 0x80; n when there is none.
  virtual size_t FindNonAscii(const uint8_t* p, size_t n) const = 0;
  // Classifies `blocks` blocks of 64 bytes: bit i of out_a[k] is set when p[64k + i] is in `a`,
  // likewise for `b`.
  virtual void Classify(const uint8_t* p, size_t blocks, const ByteSet& a, const ByteSet& b,
                        uint64_t* out_a, uint64_t* out_b) const = 0;
  // Classifies p[0, len), len <= 64, into *out: '@', ASCII digits, ':', '-', '.', ASCII letters
  // or digits, hex digits. p[0, round_up(len, 16)) must be readable; bits at or past len are
  // cleared.
  virtual void ClassifySpan(const uint8_t* p, size_t len, SpanBits* out) const = 0;
  // Classifies window[0, len), len <= 64 (all 64 bytes readable and writable, 16-byte aligned),
  // and lower-cases its ASCII letters in place. Bits at or past len are cleared.
  virtual ContextBits ClassifyContext(uint8_t* window, size_t len) const = 0;
};

// Every implementation this CPU can run, best first (always ends with scalar).
std::span<const Implementation* const> SupportedImplementations();

// The implementation chosen once per process: the one JITGUARD_SIMD names, else the best
// supported. An error (kMask, "bad_simd") when JITGUARD_SIMD is set to a name that is not an
// implementation or that this CPU cannot run.
absl::StatusOr<const Implementation*> SelectedImplementation();

// The choice SelectedImplementation makes for a JITGUARD_SIMD value (nullptr: not set).
absl::StatusOr<const Implementation*> ChooseImplementation(const char* forced);

// The supported implementation with this name, or nullptr.
const Implementation* FindImplementation(std::string_view name);

// The scalar implementation (every CPU).
const Implementation& ScalarImplementation();

// Per-instruction-set factories (lib/simd/<isa>.cc); nullptr when not compiled for this target.
// The caller checks that the CPU supports the instruction set before using one.
const Implementation* Avx2Implementation();
const Implementation* Sse42Implementation();
const Implementation* NeonImplementation();

}  // namespace jitguard::simd

#endif  // JITGUARD_LIB_SIMD_SIMD_H_
