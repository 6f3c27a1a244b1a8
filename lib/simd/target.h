// Per-target regions for the lib/simd/<isa>.cc files: everything between JITGUARD_SIMD_TARGET_BEGIN
// and JITGUARD_SIMD_TARGET_END is compiled for the named instruction set (GCC `target` pragma, clang
// `attribute push`), while the rest of the library stays at the baseline CPU. Only code in such a
// region may use the wider instructions, and it runs only after the CPU was checked (simd.cc).
#ifndef JITGUARD_LIB_SIMD_TARGET_H_
#define JITGUARD_LIB_SIMD_TARGET_H_

#if defined(__clang__)
#define JITGUARD_SIMD_PRAGMA(x) _Pragma(#x)
#define JITGUARD_SIMD_TARGET_BEGIN(isa) \
  JITGUARD_SIMD_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define JITGUARD_SIMD_TARGET_END _Pragma("clang attribute pop")
#else
#define JITGUARD_SIMD_PRAGMA(x) _Pragma(#x)
#define JITGUARD_SIMD_TARGET_BEGIN(isa) \
  _Pragma("GCC push_options") JITGUARD_SIMD_PRAGMA(GCC target(isa))
#define JITGUARD_SIMD_TARGET_END _Pragma("GCC pop_options")
#endif

#endif  // JITGUARD_LIB_SIMD_TARGET_H_
