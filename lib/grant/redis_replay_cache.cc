// The Redis ReplayCache: one key per grant id, written with a single atomic SET.
//
//   MarkUsed: SET <prefix>grant:<id> used NX PX <ms>    reply OK -> first use; nil -> used/revoked
//   Revoke:   SET <prefix>grant:<id> revoked PX <ms>    (overwrites "used": both refuse)
//
// The lifetime is sent relative (PX, the remaining lifetime as the verifier sees it) rather than
// absolute (PXAT): an absolute deadline is read on Redis's clock, so a replica whose clock runs
// behind Redis's would see the key vanish while it still accepts the grant. Relative lifetimes keep
// each key alive for as long as the replica that wrote it considers the grant valid. One key per id
// also keeps the cache usable on Redis Cluster (no multi-key commands).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "lib/redis/client.h"
#include "lib/grant/replay_internal.h"

namespace jitguard {
namespace {

using grant_internal::ReplayCacheUnavailable;
using grant_internal::ReplayedError;
using grant_internal::RevokedError;
using grant_internal::ValidateGrantId;

constexpr std::string_view kUsed = "used";
constexpr std::string_view kRevoked = "revoked";

// Milliseconds to keep a key: the remaining lifetime, at least one second (Redis refuses PX 0, and
// an id seen after its expiry is still worth remembering for a moment).
std::string TtlMillis(absl::Time expires_at, absl::Time now) {
  const int64_t ms = absl::ToInt64Milliseconds(expires_at - now);
  return absl::StrCat(std::max<int64_t>(ms, 1000));
}

std::string_view ReplyText(const redisReply& reply) {
  return reply.str == nullptr ? std::string_view() : std::string_view(reply.str, reply.len);
}

class RedisReplayCache final : public ReplayCache {
 public:
  RedisReplayCache(redis::Endpoint endpoint, const RedisReplayCacheOptions& options)
      : prefix_(absl::StrCat(options.key_prefix, "grant:")),
        pool_(std::move(endpoint), options.timeout, options.max_connections) {}

  absl::Status MarkUsed(std::string_view id, absl::Time expires_at, absl::Time now) override {
    if (absl::Status s = ValidateGrantId(id); !s.ok()) return s;
    const std::string key = absl::StrCat(prefix_, base::AsAbsl(id));
    const std::string ttl = TtlMillis(expires_at, now);
    absl::StatusOr<redis::Reply> reply = pool_.Command({"SET", key, kUsed, "NX", "PX", ttl});
    if (!reply.ok()) return ReplayCacheUnavailable(base::AsStd(reply.status().message()));
    const redisReply& r = **reply;
    if (r.type == REDIS_REPLY_STATUS && ReplyText(r) == "OK") return absl::OkStatus();
    if (r.type != REDIS_REPLY_NIL) return Unexpected(r);
    // Refused: tell a revocation from a replay. Only the reason depends on this second read; if it
    // fails or the key has just expired, the answer is still a refusal.
    absl::StatusOr<redis::Reply> value = pool_.Command({"GET", key});
    if (value.ok() && (*value)->type == REDIS_REPLY_STRING && ReplyText(**value) == kRevoked) {
      return RevokedError();
    }
    return ReplayedError();
  }

  absl::Status Revoke(std::string_view id, absl::Time expires_at, absl::Time now) override {
    if (absl::Status s = ValidateGrantId(id); !s.ok()) return s;
    const std::string key = absl::StrCat(prefix_, base::AsAbsl(id));
    const std::string ttl = TtlMillis(expires_at, now);
    absl::StatusOr<redis::Reply> reply = pool_.Command({"SET", key, kRevoked, "PX", ttl});
    if (!reply.ok()) return ReplayCacheUnavailable(base::AsStd(reply.status().message()));
    const redisReply& r = **reply;
    if (r.type == REDIS_REPLY_STATUS && ReplyText(r) == "OK") return absl::OkStatus();
    return Unexpected(r);
  }

  std::string_view Name() const override { return "redis"; }

 private:
  // An error reply (READONLY replica, OOM, an old server without these options) or anything else
  // unexpected: the cache cannot vouch for the id, so refuse.
  static absl::Status Unexpected(const redisReply& r) {
    if (r.type == REDIS_REPLY_ERROR) {
      return ReplayCacheUnavailable(absl::StrCat("Redis error: ", base::AsAbsl(ReplyText(r))));
    }
    return ReplayCacheUnavailable(absl::StrCat("unexpected Redis reply type ", r.type));
  }

  const std::string prefix_;
  redis::Pool pool_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<ReplayCache>> NewRedisReplayCache(
    const RedisReplayCacheOptions& options) {
  absl::StatusOr<redis::Endpoint> endpoint = redis::ParseUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  if (options.timeout <= absl::ZeroDuration() || options.max_connections < 1) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "invalid_options",
                     "RedisReplayCacheOptions: timeout must be positive and max_connections >= 1");
  }
  return std::shared_ptr<ReplayCache>(
      std::make_shared<RedisReplayCache>(*std::move(endpoint), options));
}

}  // namespace jitguard
