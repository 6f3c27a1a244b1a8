#include "lib/approval/store.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "lib/approval/rules.h"
#include "lib/base/crypto.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"

namespace jitguard {

ApprovalStore::~ApprovalStore() = default;

std::string_view ApprovalStateName(ApprovalState state) {
  switch (state) {
    case ApprovalState::kPending:
      return "pending";
    case ApprovalState::kApproved:
      return "approved";
    case ApprovalState::kDenied:
      return "denied";
    case ApprovalState::kExpired:
      return "expired";
    case ApprovalState::kConsumed:
      return "consumed";
  }
  return "pending";
}

namespace approval {
namespace {

std::string_view VerdictName(Verdict v) { return v == Verdict::kApprove ? "approve" : "deny"; }

class Store final : public ApprovalStore {
 public:
  Store(std::unique_ptr<TicketBackend> backend, ApprovalStoreOptions options)
      : backend_(std::move(backend)), options_(std::move(options)) {}

  absl::StatusOr<ApprovalTicket> Request(const ApprovalRequest& request, absl::Time now) override {
    if (absl::Status s = ValidateRequest(request); !s.ok()) return s;
    absl::StatusOr<std::string> random = base::RandomBytes(16);
    if (!random.ok()) return random.status();
    ApprovalTicket ticket = NewTicket(request, base::Hex(*random), now);
    if (absl::Status s = backend_->Insert(ticket, now); !s.ok()) return s;
    AuditEvent event = Event(audit_type::kApprovalRequested, now, ticket.subject, ticket.id);
    event.decision = "pending";
    event.Set("approver_groups", ticket.approver_groups)
        .Set("min_approvals", ticket.min_approvals)
        .Set("justification", ticket.reason);
    if (absl::Status s = Audit(event); !s.ok()) return s;
    return ticket;
  }

  absl::StatusOr<ApprovalTicket> Decide(std::string_view id, const ApprovalVote& vote,
                                        absl::Time now) override {
    absl::StatusOr<ApprovalTicket> result =
        IsTicketId(id)
            ? backend_->Update(id, now, [&](ApprovalTicket& t) { return ApplyVote(&t, vote, now); })
            : absl::StatusOr<ApprovalTicket>(NotFound());
    const std::string reason = ErrorReason(result.status());
    AuditEvent event =
        Event(reason == "expired" ? audit_type::kApprovalExpired : audit_type::kApprovalDecided,
              now, vote.approver, id);
    event.groups = vote.groups;
    event.decision = std::string(VerdictName(vote.verdict));
    event.Set(audit_field::kApprover, vote.approver);
    if (result.ok()) {
      event.Set("state", std::string(ApprovalStateName(result->state)));
      if (!vote.comment.empty()) event.Set("comment", vote.comment);
      if (absl::Status s = Audit(event); !s.ok()) return s;
      result->state = EffectiveState(*result, now);
      return result;
    }
    event.Set(audit_field::kReason, reason);
    Audit(event).IgnoreError();  // the refusal is the answer; see ApprovalStoreOptions::audit
    return result;
  }

  absl::StatusOr<ApprovalTicket> Get(std::string_view id, absl::Time now) override {
    if (!IsTicketId(id)) return NotFound();
    absl::StatusOr<ApprovalTicket> ticket = backend_->Load(id);
    if (ticket.ok()) ticket->state = EffectiveState(*ticket, now);
    return ticket;
  }

  absl::StatusOr<ApprovalTicket> Consume(std::string_view id, std::string_view request_digest,
                                         absl::Time now) override {
    std::string subject;
    absl::StatusOr<ApprovalTicket> result =
        IsTicketId(id) ? backend_->Update(id, now,
                                          [&](ApprovalTicket& t) {
                                            subject = t.subject;
                                            return ApplyConsume(&t, request_digest, now);
                                          })
                       : absl::StatusOr<ApprovalTicket>(NotFound());
    const std::string reason = ErrorReason(result.status());
    AuditEvent event =
        Event(reason == "expired" ? audit_type::kApprovalExpired : audit_type::kApprovalConsumed,
              now, subject, id);
    if (result.ok()) {
      event.decision = "consumed";
      if (absl::Status s = Audit(event); !s.ok()) return s;
      return result;
    }
    event.decision = "refused";
    event.Set(audit_field::kReason, reason);
    Audit(event).IgnoreError();
    return result;
  }

  std::string_view Name() const override { return backend_->Name(); }

 private:
  static AuditEvent Event(std::string_view type, absl::Time now, std::string_view subject,
                          std::string_view ticket_id) {
    AuditEvent event;
    event.type = std::string(type);
    event.time = now;
    event.subject = std::string(subject);
    event.Set(audit_field::kTicketId, ticket_id);
    return event;
  }

  absl::Status Audit(const AuditEvent& event) {
    if (options_.audit == nullptr) return absl::OkStatus();
    return options_.audit->Write(event);
  }

  std::unique_ptr<TicketBackend> backend_;
  const ApprovalStoreOptions options_;
};

// ---- the in-memory backend ---------------------------------------------------------------------

class MemoryBackend final : public TicketBackend {
 public:
  MemoryBackend(size_t capacity, absl::Duration retention)
      : capacity_(capacity), retention_(retention) {}

  absl::Status Insert(const ApprovalTicket& ticket, absl::Time now) override {
    base::MutexLock lock(&mu_);
    // Sweep only when full and something can actually be dropped, so a store full of live
    // tickets refuses in O(1) instead of scanning on every request.
    if (tickets_.size() >= capacity_ && now >= earliest_drop_) {
      absl::Time earliest = absl::InfiniteFuture();
      absl::erase_if(tickets_, [&](const auto& entry) {
        const absl::Time drop = LastDeadline(entry.second) + retention_;
        if (drop <= now) return true;
        earliest = std::min(earliest, drop);
        return false;
      });
      earliest_drop_ = earliest;
    }
    if (tickets_.size() >= capacity_) {
      return MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kApproval,
                       "approval_store_full", "the memory approval store is full");
    }
    earliest_drop_ = std::min(earliest_drop_, LastDeadline(ticket) + retention_);
    tickets_.insert_or_assign(ticket.id, ticket);
    return absl::OkStatus();
  }

  absl::StatusOr<ApprovalTicket> Load(std::string_view id) override {
    base::MutexLock lock(&mu_);
    auto it = tickets_.find(base::AsAbsl(id));
    if (it == tickets_.end()) return NotFound();
    return it->second;
  }

  absl::StatusOr<ApprovalTicket> Update(
      std::string_view id, absl::Time,
      absl::FunctionRef<absl::Status(ApprovalTicket&)> mutate) override {
    base::MutexLock lock(&mu_);
    auto it = tickets_.find(base::AsAbsl(id));
    if (it == tickets_.end()) return NotFound();
    ApprovalTicket copy = it->second;
    if (absl::Status s = mutate(copy); !s.ok()) return s;
    it->second = copy;
    return copy;
  }

  std::string_view Name() const override { return "memory"; }

 private:
  const size_t capacity_;
  const absl::Duration retention_;
  base::Mutex mu_;
  absl::flat_hash_map<std::string, ApprovalTicket> tickets_ ABSL_GUARDED_BY(mu_);
  // No ticket may be dropped before this (a lower bound; decisions only push deadlines later).
  absl::Time earliest_drop_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace

std::shared_ptr<ApprovalStore> MakeStore(std::unique_ptr<TicketBackend> backend,
                                         ApprovalStoreOptions options) {
  return std::make_shared<Store>(std::move(backend), std::move(options));
}

}  // namespace approval

absl::StatusOr<std::shared_ptr<ApprovalStore>> NewMemoryApprovalStore(
    const MemoryApprovalStoreOptions& options) {
  if (options.capacity == 0 || options.common.retention < absl::ZeroDuration()) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "invalid_options",
                     "MemoryApprovalStoreOptions: capacity must be > 0 and retention >= 0");
  }
  return approval::MakeStore(
      std::make_unique<approval::MemoryBackend>(options.capacity, options.common.retention),
      options.common);
}

}  // namespace jitguard
