// Built instead of the Redis client when jitguard is configured without hiredis: the Redis-backed
// factories of the components that use lib/redis (grants' replay cache, approvals' store) report the
// same configuration error.
#include "jitguard/approval.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"

namespace jitguard {
namespace {

absl::Status RedisUnsupported() {
  return MakeError(absl::StatusCode::kUnimplemented, ErrorDomain::kConfig, "redis_unsupported",
                   "jitguard was built without Redis support (JITGUARD_WITH_REDIS=OFF)");
}

}  // namespace

absl::StatusOr<std::shared_ptr<ReplayCache>> NewRedisReplayCache(const RedisReplayCacheOptions&) {
  return RedisUnsupported();
}

absl::StatusOr<std::shared_ptr<ApprovalStore>> NewRedisApprovalStore(
    const RedisApprovalStoreOptions&) {
  return RedisUnsupported();
}

}  // namespace jitguard
