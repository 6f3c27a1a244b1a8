// Pieces shared by the ReplayCache implementations: id validation and the errors they return.
#ifndef JITGUARD_LIB_GRANT_REPLAY_INTERNAL_H_
#define JITGUARD_LIB_GRANT_REPLAY_INTERNAL_H_

#include <string_view>

#include "absl/status/status.h"

namespace jitguard::grant_internal {

// Ids become map keys and Redis key suffixes: 1..128 printable ASCII bytes, no spaces.
absl::Status ValidateGrantId(std::string_view id);

absl::Status ReplayedError();
absl::Status RevokedError();
absl::Status ReplayCacheUnavailable(std::string_view detail);
absl::Status ReplayCacheFull();

}  // namespace jitguard::grant_internal

#endif  // JITGUARD_LIB_GRANT_REPLAY_INTERNAL_H_
