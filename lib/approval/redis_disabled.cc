// Built instead of the Redis backend when jitguard is configured without hiredis.
#include "jitguard/approval.h"
#include "jitguard/status.h"

namespace jitguard {

absl::StatusOr<std::shared_ptr<ApprovalStore>> NewRedisApprovalStore(
    const RedisApprovalStoreOptions&) {
  return MakeError(absl::StatusCode::kUnimplemented, ErrorDomain::kConfig, "redis_unsupported",
                   "jitguard was built without Redis support (JITGUARD_WITH_REDIS=OFF)");
}

}  // namespace jitguard
