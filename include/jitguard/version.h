// The library's version, the same string as the Python package's jitguard.__version__, the CMake
// package version and the pkg-config Version (all read from python/jitguard/_version.py).
#ifndef JITGUARD_VERSION_H_
#define JITGUARD_VERSION_H_

#include <string_view>

#include "jitguard/export.h"

namespace jitguard {

// "MAJOR.MINOR.PATCH" of the library this program is linked against.
JITGUARD_EXPORT std::string_view Version();

}  // namespace jitguard

#endif  // JITGUARD_VERSION_H_
