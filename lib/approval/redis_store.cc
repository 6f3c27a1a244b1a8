// The Redis approval backend: one key per ticket (<prefix>approval:<id>) holding the ticket as
// JSON. Every transition is optimistic and atomic:
//
//   WATCH key; GET key; (apply the rules in C++); MULTI; SET key <json> PX <ms>; EXEC
//
// EXEC fails (nil reply) when another client wrote the key after WATCH; the transition is then
// re-run on the new value, so of two replicas consuming one approval exactly one succeeds and the
// other sees "already_consumed". WATCH/MULTI rather than a Lua script keeps the rules in one place
// (rules.cc) for both backends; the price is more round trips per transition, which approvals
// (human-paced) can afford.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/approval/codec.h"
#include "lib/approval/rules.h"
#include "lib/approval/store.h"
#include "lib/base/strings.h"
#include "lib/redis/client.h"

namespace jitguard {
namespace approval {
namespace {

// Conflicts need another writer to win each round, so this bound is only hit under a storm.
constexpr int kMaxAttempts = 32;

std::string_view Text(const redisReply& r) {
  return r.str == nullptr ? std::string_view() : std::string_view(r.str, r.len);
}

absl::Status Unexpected(const redisReply& r) {
  if (r.type == REDIS_REPLY_ERROR) {
    return StoreUnavailable(absl::StrCat("Redis error: ", base::AsAbsl(Text(r))));
  }
  return StoreUnavailable(absl::StrCat("unexpected Redis reply type ", r.type));
}

class RedisBackend final : public TicketBackend {
 public:
  RedisBackend(redis::Endpoint endpoint, const RedisApprovalStoreOptions& options)
      : prefix_(absl::StrCat(options.key_prefix, "approval:")),
        retention_(options.common.retention),
        pool_(std::move(endpoint), options.timeout, options.max_connections) {}

  absl::Status Insert(const ApprovalTicket& ticket, absl::Time now) override {
    const std::string key = Key(ticket.id);
    const std::string value = EncodeTicket(ticket);
    const std::string ttl = TtlMillis(ticket, now);
    // NX: a random 128-bit id never collides, but if it did, refuse rather than overwrite.
    absl::StatusOr<redis::Reply> reply = pool_.Command({"SET", key, value, "NX", "PX", ttl});
    if (!reply.ok()) return StoreUnavailable(base::AsStd(reply.status().message()));
    if ((*reply)->type == REDIS_REPLY_STATUS && Text(**reply) == "OK") return absl::OkStatus();
    return Unexpected(**reply);
  }

  absl::StatusOr<ApprovalTicket> Load(std::string_view id) override {
    absl::StatusOr<redis::Reply> reply = pool_.Command({"GET", Key(id)});
    if (!reply.ok()) return StoreUnavailable(base::AsStd(reply.status().message()));
    if ((*reply)->type == REDIS_REPLY_NIL) return NotFound();
    if ((*reply)->type != REDIS_REPLY_STRING) return Unexpected(**reply);
    return DecodeTicket(Text(**reply));
  }

  absl::StatusOr<ApprovalTicket> Update(
      std::string_view id, absl::Time now,
      absl::FunctionRef<absl::Status(ApprovalTicket&)> mutate) override {
    const std::string key = Key(id);
    bool retried_stale = false;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      absl::StatusOr<redis::Lease> lease = pool_.Acquire();
      if (!lease.ok()) return StoreUnavailable(base::AsStd(lease.status().message()));
      absl::StatusOr<ApprovalTicket> result = Attempt(*lease, key, now, mutate);
      if (result.ok()) return result;
      if (ErrorReason(result.status()) == "conflict") continue;
      if (!retried_stale && lease->reused() && lease->saw_eof()) {
        // The pooled connection had been closed by the server (restart): one fresh try. Should
        // the lost command have been an EXEC that did run, the retry sees its result and refuses
        // (fail closed), never applies a transition twice.
        retried_stale = true;
        continue;
      }
      return result;
    }
    return MakeError(absl::StatusCode::kAborted, ErrorDomain::kApproval, "conflict",
                     "too many concurrent changes to this ticket; try again");
  }

  std::string_view Name() const override { return "redis"; }

 private:
  std::string Key(std::string_view id) const { return absl::StrCat(prefix_, base::AsAbsl(id)); }

  std::string TtlMillis(const ApprovalTicket& ticket, absl::Time now) const {
    const absl::Duration keep = LastDeadline(ticket) + retention_ - now;
    return absl::StrCat(std::max<int64_t>(absl::ToInt64Milliseconds(keep), 1000));
  }

  // One optimistic round. Errors: the refusal from `mutate`, "not_found", "conflict" (EXEC aborted:
  // retry), or unavailable.
  absl::StatusOr<ApprovalTicket> Attempt(redis::Lease& lease, const std::string& key,
                                         absl::Time now,
                                         absl::FunctionRef<absl::Status(ApprovalTicket&)> mutate) {
    auto unavailable = [](const absl::Status& s) {
      return StoreUnavailable(base::AsStd(s.message()));
    };
    absl::StatusOr<redis::Reply> watch = lease.Command({"WATCH", key});
    if (!watch.ok()) return unavailable(watch.status());
    if ((*watch)->type == REDIS_REPLY_ERROR) return Unexpected(**watch);
    absl::StatusOr<redis::Reply> get = lease.Command({"GET", key});
    if (!get.ok()) return unavailable(get.status());
    absl::Status refusal;
    absl::StatusOr<ApprovalTicket> ticket;
    if ((*get)->type == REDIS_REPLY_NIL) {
      refusal = NotFound();
    } else if ((*get)->type != REDIS_REPLY_STRING) {
      refusal = Unexpected(**get);
    } else {
      ticket = DecodeTicket(Text(**get));
      refusal = ticket.ok() ? mutate(*ticket) : ticket.status();
    }
    if (!refusal.ok()) {
      // Leave the connection clean for the next user.
      absl::StatusOr<redis::Reply> unwatch = lease.Command({"UNWATCH"});
      if (!unwatch.ok()) return unavailable(unwatch.status());
      return refusal;
    }
    const std::string value = EncodeTicket(*ticket);
    const std::string ttl = TtlMillis(*ticket, now);
    for (const std::vector<std::string_view>& cmd :
         {std::vector<std::string_view>{"MULTI"},
          std::vector<std::string_view>{"SET", key, value, "PX", ttl}}) {
      absl::StatusOr<redis::Reply> r = lease.Command(cmd);
      if (!r.ok()) return unavailable(r.status());
      if ((*r)->type == REDIS_REPLY_ERROR) {
        lease.Command({"DISCARD"}).IgnoreError();
        return Unexpected(**r);
      }
    }
    absl::StatusOr<redis::Reply> exec = lease.Command({"EXEC"});
    if (!exec.ok()) return unavailable(exec.status());
    if ((*exec)->type == REDIS_REPLY_NIL) {
      return MakeError(absl::StatusCode::kAborted, ErrorDomain::kApproval, "conflict",
                       "the ticket changed concurrently");
    }
    if ((*exec)->type != REDIS_REPLY_ARRAY || (*exec)->elements != 1 ||
        (*exec)->element[0]->type != REDIS_REPLY_STATUS) {
      return Unexpected(**exec);
    }
    return *std::move(ticket);
  }

  const std::string prefix_;
  const absl::Duration retention_;
  redis::Pool pool_;
};

}  // namespace
}  // namespace approval

absl::StatusOr<std::shared_ptr<ApprovalStore>> NewRedisApprovalStore(
    const RedisApprovalStoreOptions& options) {
  absl::StatusOr<redis::Endpoint> endpoint = redis::ParseUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  if (options.timeout <= absl::ZeroDuration() || options.max_connections < 1 ||
      options.common.retention < absl::ZeroDuration()) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "invalid_options",
                     "RedisApprovalStoreOptions: timeout must be positive, max_connections >= 1");
  }
  return approval::MakeStore(
      std::make_unique<approval::RedisBackend>(*std::move(endpoint), options), options.common);
}

}  // namespace jitguard
