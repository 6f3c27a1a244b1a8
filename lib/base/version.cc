#include "jitguard/version.h"

#include <string_view>

#ifndef JITGUARD_VERSION_STRING
#error "JITGUARD_VERSION_STRING is set by lib/base/CMakeLists.txt from the project version"
#endif

namespace jitguard {

std::string_view Version() { return JITGUARD_VERSION_STRING; }

}  // namespace jitguard
