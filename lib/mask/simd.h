// The SIMD kernels (lib/simd) under the names the masking engine uses for them.
#ifndef JITGUARD_LIB_MASK_SIMD_H_
#define JITGUARD_LIB_MASK_SIMD_H_

#include "lib/simd/simd.h"

namespace jitguard::mask {

using simd::ByteSet;
using simd::ChooseImplementation;
using simd::ContextBits;
using simd::FindImplementation;
using simd::Implementation;
using simd::ScalarImplementation;
using simd::SelectedImplementation;
using simd::SpanBits;
using simd::SupportedImplementations;

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_SIMD_H_
