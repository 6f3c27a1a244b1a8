// Single-use state for just-in-time grants: the ReplayCache remembers which grant ids were used or
// revoked, until the grant would have expired anyway.
//
// MarkUsed is atomic: of many concurrent calls for one id (threads, processes, replicas sharing a
// Redis) exactly one returns OK. Every implementation fails closed: when it cannot answer (Redis
// unreachable, memory cache full) MarkUsed returns an error, never OK.
//
// Thread-safety: every ReplayCache is safe to use from many threads at once; share one instance
// (std::shared_ptr) between all verifiers of a process.
#ifndef JITGUARD_REPLAY_H_
#define JITGUARD_REPLAY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/export.h"

namespace jitguard {

// Where single-use state lives. Errors carry ErrorDomain::kGrant and one of these reasons:
//   "replayed"                  (kPermissionDenied)  the id was used before
//   "revoked"                   (kPermissionDenied)  the id was revoked
//   "replay_cache_unavailable"  (kUnavailable)       the store cannot answer (Redis down, timeout)
//   "replay_cache_full"         (kResourceExhausted) a bounded memory cache has no room
//   "invalid_grant_id"          (kInvalidArgument)   empty, longer than 128 bytes, or not printable
class JITGUARD_EXPORT ReplayCache {
 public:
  virtual ~ReplayCache();

  // Records the first use of `id`, remembered until `expires_at`. OK only for the first use of an
  // id that was not revoked.
  virtual absl::Status MarkUsed(std::string_view id, absl::Time expires_at, absl::Time now) = 0;

  // Revokes `id` until `expires_at` (a later MarkUsed fails with "revoked"). Revoking an id that
  // was already used or revoked is OK.
  virtual absl::Status Revoke(std::string_view id, absl::Time expires_at, absl::Time now) = 0;

  // A short name for diagnostics ("memory", "redis").
  virtual std::string_view Name() const = 0;
};

// Options of the in-process cache (one process only: use Redis for many replicas).
struct MemoryReplayCacheOptions {
  // Most ids remembered at once. When full (after dropping expired entries) MarkUsed fails with
  // "replay_cache_full" instead of forgetting a live id. Memory is roughly 100 bytes per entry.
  size_t capacity = 1 << 20;
  // Independent lock shards; more shards = less contention, capacity is split evenly.
  size_t shards = 16;
};

// An in-process ReplayCache: sharded hash maps under mutexes; entries leave when they expire.
JITGUARD_EXPORT absl::StatusOr<std::shared_ptr<ReplayCache>> NewMemoryReplayCache(
    const MemoryReplayCacheOptions& options = {});

// Options of the Redis-backed cache.
struct RedisReplayCacheOptions {
  // redis://[[user]:password@]host[:port][/db]. TLS (rediss://) is not supported.
  std::string url = "redis://127.0.0.1:6379/0";
  // Prefix of every key; one key per grant id: <prefix>grant:<id>.
  std::string key_prefix = "jitguard:";
  // Connect, send and receive timeout of each operation. Past it the operation fails closed with
  // "replay_cache_unavailable"; a larger value rides out longer Redis pauses but stalls requests.
  absl::Duration timeout = absl::Milliseconds(50);
  // Most simultaneous connections; a caller waits (up to `timeout`) when all are busy. Connections
  // are opened lazily, reused, and dropped and reopened after an error.
  int max_connections = 8;
};

// A ReplayCache in Redis, shared by every replica: MarkUsed is `SET <key> used NX PXAT <ms>`,
// Revoke is `SET <key> revoked PXAT <ms>`. Creating it does not connect (Redis may be down at
// start; operations then fail closed until it is reachable). Errors: kInvalidArgument
// "invalid_url", kUnimplemented "redis_unsupported" when jitguard was built without hiredis.
JITGUARD_EXPORT absl::StatusOr<std::shared_ptr<ReplayCache>> NewRedisReplayCache(
    const RedisReplayCacheOptions& options);

}  // namespace jitguard

#endif  // JITGUARD_REPLAY_H_
