// Symbol visibility for the shared library. The library is built with hidden visibility, so only
// names marked JITGUARD_EXPORT (the public API in include/jitguard/) are exported.
#ifndef JITGUARD_EXPORT_H_
#define JITGUARD_EXPORT_H_

#if defined(_WIN32)
#define JITGUARD_EXPORT
#else
#define JITGUARD_EXPORT __attribute__((visibility("default")))
#endif

#endif  // JITGUARD_EXPORT_H_
