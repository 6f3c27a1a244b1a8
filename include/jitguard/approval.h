// Human approvals for risky requests: a ticket is filed for exactly one request (bound to it by
// RequestDigest), other people in the approver groups decide on it, and an approved ticket is
// consumed once, by that same request, within its access window.
//
// Rules (each refusal has a stable reason, ErrorDomain::kApproval):
//   * nobody approves their own request                        "self_approval" kPermissionDenied
//   * the approver must be in one of the ticket's groups       "not_an_approver" kPermissionDenied
//   * each approver counts once                                "duplicate_approver"
//   kFailedPrecondition
//   * min_approvals distinct approvals approve; any denial is final (no later approval undoes it)
//   * a decided (approved, denied, consumed) ticket stays so   "already_decided"
//   kFailedPrecondition
//   * a pending ticket expires after its ttl; an approved one at the end of its access window
//                                                              "expired" kFailedPrecondition
//   * consume: only an approved ticket                         "not_approved" (pending),
//                                                              "denied" kPermissionDenied
//     only once                                                "already_consumed"
//     kFailedPrecondition only with the request digest it was filed for           "digest_mismatch"
//     kPermissionDenied
//   * unknown ticket id                                        "not_found"         kNotFound
//   * the store cannot answer (Redis down, timeout)            "approval_store_unavailable"
//   kUnavailable
// Every transition is atomic: in memory under a lock, in Redis with WATCH/MULTI/EXEC (optimistic
// concurrency, retried on conflict), so two replicas can never both consume one approval.
//
// Thread-safety: every ApprovalStore is safe to use from many threads (and, for Redis, from many
// processes) at once.
#ifndef JITGUARD_APPROVAL_H_
#define JITGUARD_APPROVAL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/export.h"

namespace jitguard {

class AuditSink;  // jitguard/audit.h

// The lowercase hex SHA-256 of a canonical encoding of one request: a version tag, then each field
// as an 8-byte big-endian length followed by its bytes, so no two different requests share an
// encoding (no field can spill into the next). An approval filed for this digest covers exactly
// this request.
JITGUARD_EXPORT std::string RequestDigest(std::string_view subject, std::string_view model,
                                          std::string_view dataset, std::string_view operation,
                                          std::string_view prompt);

enum class ApprovalState { kPending, kApproved, kDenied, kExpired, kConsumed };

// "pending", "approved", "denied", "expired", "consumed".
JITGUARD_EXPORT std::string_view ApprovalStateName(ApprovalState state);

enum class Verdict { kApprove, kDeny };

// One recorded decision.
struct JITGUARD_EXPORT ApprovalDecision {
  std::string approver = {};             // subject of the person who decided
  std::vector<std::string> groups = {};  // the groups they held when deciding
  Verdict verdict = Verdict::kApprove;
  absl::Time at = {};
  std::string comment = {};
};

// A ticket as stored, with `state` evaluated at the `now` of the call that returned it.
struct JITGUARD_EXPORT ApprovalTicket {
  std::string id = {};              // 128 random bits, lowercase hex
  std::string subject = {};         // who asked
  std::string request_digest = {};  // RequestDigest of the request it covers
  std::string reason = {};          // the requester's justification
  std::vector<std::string> approver_groups = {};
  int min_approvals = 1;
  absl::Time created_at = {};
  absl::Time expires_at = {};  // a pending ticket expires here
  absl::Duration access_window =
      {};  // an approved ticket is usable until decided_at + access_window
  absl::Time decided_at = absl::InfinitePast();  // when it became approved or denied
  absl::Time consumed_at = absl::InfinitePast();
  std::vector<ApprovalDecision> decisions = {};  // in order
  ApprovalState state = ApprovalState::kPending;
};

// What a requester files.
struct JITGUARD_EXPORT ApprovalRequest {
  std::string subject = {};
  std::string request_digest = {};                   // 64 lowercase hex characters (RequestDigest)
  std::string reason = {};                           // shown to approvers; at most 4096 bytes
  std::vector<std::string> approver_groups = {};     // at least one
  absl::Duration ttl = absl::Minutes(30);            // how long the ticket may stay pending
  int min_approvals = 1;                             // distinct approvals needed, 1..100
  absl::Duration access_window = absl::Minutes(10);  // how long an approval stays usable
};

// One approver's decision.
struct JITGUARD_EXPORT ApprovalVote {
  std::string approver = {};             // subject of the approver
  std::vector<std::string> groups = {};  // their groups (from their verified identity)
  Verdict verdict = Verdict::kApprove;
  std::string comment = {};
};

// Where tickets live. Methods return the ticket after the operation (state evaluated at `now`).
class JITGUARD_EXPORT ApprovalStore {
 public:
  virtual ~ApprovalStore();

  // Files a pending ticket. Errors: "invalid_request" (kInvalidArgument).
  virtual absl::StatusOr<ApprovalTicket> Request(const ApprovalRequest& request,
                                                 absl::Time now) = 0;

  // Records one decision, applying the rules above.
  virtual absl::StatusOr<ApprovalTicket> Decide(std::string_view id, const ApprovalVote& vote,
                                                absl::Time now) = 0;

  // The ticket, state evaluated at `now`. Errors: "not_found".
  virtual absl::StatusOr<ApprovalTicket> Get(std::string_view id, absl::Time now) = 0;

  // Marks an approved ticket consumed by the request with `request_digest`; OK exactly once.
  virtual absl::StatusOr<ApprovalTicket> Consume(std::string_view id,
                                                 std::string_view request_digest,
                                                 absl::Time now) = 0;

  // A short name for diagnostics ("memory", "redis").
  virtual std::string_view Name() const = 0;
};

// Options shared by both stores.
struct ApprovalStoreOptions {
  // Receives approval.requested / decided / consumed / expired events (refusals included, with
  // their reason). Null: no audit. Fail closed: when the sink fails after a transition was stored,
  // the call returns the sink's error, so the caller does not act on it (an approval consumed that
  // way is spent, and the request it was for is not served). A refusal is returned as the refusal.
  std::shared_ptr<AuditSink> audit = nullptr;
  // How long a ticket is kept after its last deadline (for status queries and investigation).
  absl::Duration retention = absl::Hours(24);
};

struct MemoryApprovalStoreOptions {
  ApprovalStoreOptions common = {};
  // Most tickets held. When full (after dropping those past retention) Request fails with
  // "approval_store_full" (kResourceExhausted).
  size_t capacity = 100000;
};

// An in-process store (one process only: use Redis for many replicas).
JITGUARD_EXPORT absl::StatusOr<std::shared_ptr<ApprovalStore>> NewMemoryApprovalStore(
    const MemoryApprovalStoreOptions& options = {});

struct RedisApprovalStoreOptions {
  ApprovalStoreOptions common = {};
  // redis://[[user]:password@]host[:port][/db]
  std::string url = "redis://127.0.0.1:6379/0";
  // One key per ticket: <prefix>approval:<id>, holding the ticket as JSON.
  std::string key_prefix = "jitguard:";
  // Per-command timeout; past it the operation fails with "approval_store_unavailable".
  absl::Duration timeout = absl::Milliseconds(50);
  int max_connections = 8;
};

// A store in Redis shared by every replica. Does not connect at creation. Errors: "invalid_url",
// "redis_unsupported" (built without hiredis), both ErrorDomain::kConfig.
JITGUARD_EXPORT absl::StatusOr<std::shared_ptr<ApprovalStore>> NewRedisApprovalStore(
    const RedisApprovalStoreOptions& options);

}  // namespace jitguard

#endif  // JITGUARD_APPROVAL_H_
