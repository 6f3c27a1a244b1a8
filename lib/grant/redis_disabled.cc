// Built instead of the Redis backends when jitguard is configured without hiredis.
#include "jitguard/replay.h"
#include "jitguard/status.h"

namespace jitguard {

absl::StatusOr<std::shared_ptr<ReplayCache>> NewRedisReplayCache(const RedisReplayCacheOptions&) {
  return MakeError(absl::StatusCode::kUnimplemented, ErrorDomain::kConfig, "redis_unsupported",
                   "jitguard was built without Redis support (JITGUARD_WITH_REDIS=OFF)");
}

}  // namespace jitguard
