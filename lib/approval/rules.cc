#include "lib/approval/rules.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "lib/base/strings.h"

namespace jitguard::approval {
namespace {

absl::Status Refuse(absl::StatusCode code, std::string_view reason, std::string_view message) {
  return MakeError(code, ErrorDomain::kApproval, reason, message);
}

absl::Status Invalid(std::string_view message) {
  return Refuse(absl::StatusCode::kInvalidArgument, "invalid_request", message);
}

bool IsLowerHex(std::string_view s, size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

ApprovalState EffectiveState(const ApprovalTicket& ticket, absl::Time now) {
  if (ticket.state == ApprovalState::kPending && now >= ticket.expires_at) {
    return ApprovalState::kExpired;
  }
  if (ticket.state == ApprovalState::kApproved && now >= ticket.decided_at + ticket.access_window) {
    return ApprovalState::kExpired;
  }
  return ticket.state;
}

absl::Time LastDeadline(const ApprovalTicket& ticket) {
  absl::Time last = std::max(ticket.expires_at, ticket.created_at);
  if (ticket.decided_at != absl::InfinitePast()) {
    last = std::max(last, ticket.decided_at + ticket.access_window);
  }
  return std::max(last, ticket.consumed_at);
}

bool IsTicketId(std::string_view id) { return IsLowerHex(id, 32); }

absl::Status ValidateRequest(const ApprovalRequest& request) {
  if (request.subject.empty()) return Invalid("the subject is empty");
  if (!IsLowerHex(request.request_digest, 64)) {
    return Invalid("request_digest must be 64 lowercase hex characters (RequestDigest)");
  }
  if (request.reason.size() > 4096) return Invalid("the reason is longer than 4096 bytes");
  if (request.approver_groups.empty()) return Invalid("no approver groups");
  for (const std::string& g : request.approver_groups) {
    if (g.empty()) return Invalid("an approver group is empty");
  }
  if (request.min_approvals < 1 || request.min_approvals > 100) {
    return Invalid("min_approvals must be between 1 and 100");
  }
  if (request.ttl <= absl::ZeroDuration()) return Invalid("the ttl must be positive");
  if (request.access_window <= absl::ZeroDuration()) {
    return Invalid("the access window must be positive");
  }
  return absl::OkStatus();
}

ApprovalTicket NewTicket(const ApprovalRequest& request, std::string id, absl::Time now) {
  ApprovalTicket t;
  t.id = std::move(id);
  t.subject = request.subject;
  t.request_digest = request.request_digest;
  t.reason = request.reason;
  t.approver_groups = request.approver_groups;
  t.min_approvals = request.min_approvals;
  t.created_at = now;
  t.expires_at = now + request.ttl;
  t.access_window = request.access_window;
  t.state = ApprovalState::kPending;
  return t;
}

absl::Status ApplyVote(ApprovalTicket* ticket, const ApprovalVote& vote, absl::Time now) {
  if (vote.approver.empty()) return Invalid("the approver is empty");
  switch (EffectiveState(*ticket, now)) {
    case ApprovalState::kPending:
      break;
    case ApprovalState::kExpired:
      return Refuse(absl::StatusCode::kFailedPrecondition, "expired", "the ticket has expired");
    default:
      return Refuse(absl::StatusCode::kFailedPrecondition, "already_decided",
                    "the ticket was already decided");
  }
  if (vote.approver == ticket->subject) {
    return Refuse(absl::StatusCode::kPermissionDenied, "self_approval",
                  "nobody may decide on their own request");
  }
  const bool in_group =
      std::any_of(vote.groups.begin(), vote.groups.end(), [&](const std::string& g) {
        return std::find(ticket->approver_groups.begin(), ticket->approver_groups.end(), g) !=
               ticket->approver_groups.end();
      });
  if (!in_group) {
    return Refuse(absl::StatusCode::kPermissionDenied, "not_an_approver",
                  "the approver is in none of the ticket's approver groups");
  }
  for (const ApprovalDecision& d : ticket->decisions) {
    if (d.approver == vote.approver) {
      return Refuse(absl::StatusCode::kFailedPrecondition, "duplicate_approver",
                    "this approver has already decided on the ticket");
    }
  }
  ticket->decisions.push_back(
      ApprovalDecision{vote.approver, vote.groups, vote.verdict, now, vote.comment});
  if (vote.verdict == Verdict::kDeny) {
    ticket->state = ApprovalState::kDenied;  // final, whatever was approved before
    ticket->decided_at = now;
    return absl::OkStatus();
  }
  const int approvals = static_cast<int>(
      std::count_if(ticket->decisions.begin(), ticket->decisions.end(),
                    [](const ApprovalDecision& d) { return d.verdict == Verdict::kApprove; }));
  if (approvals >= ticket->min_approvals) {
    ticket->state = ApprovalState::kApproved;
    ticket->decided_at = now;
  }
  return absl::OkStatus();
}

absl::Status ApplyConsume(ApprovalTicket* ticket, std::string_view request_digest, absl::Time now) {
  switch (EffectiveState(*ticket, now)) {
    case ApprovalState::kApproved:
      break;
    case ApprovalState::kPending:
      return Refuse(absl::StatusCode::kFailedPrecondition, "not_approved",
                    "the ticket has not been approved (yet)");
    case ApprovalState::kDenied:
      return Refuse(absl::StatusCode::kPermissionDenied, "denied", "the ticket was denied");
    case ApprovalState::kConsumed:
      return Refuse(absl::StatusCode::kFailedPrecondition, "already_consumed",
                    "the approval was already used");
    case ApprovalState::kExpired:
      return Refuse(absl::StatusCode::kFailedPrecondition, "expired", "the ticket has expired");
  }
  if (!base::ConstantTimeEquals(request_digest, ticket->request_digest)) {
    return Refuse(absl::StatusCode::kPermissionDenied, "digest_mismatch",
                  "the approval was granted for a different request");
  }
  ticket->state = ApprovalState::kConsumed;
  ticket->consumed_at = now;
  return absl::OkStatus();
}

absl::Status NotFound() {
  return Refuse(absl::StatusCode::kNotFound, "not_found", "no such approval ticket");
}

absl::Status StoreUnavailable(std::string_view detail) {
  return Refuse(absl::StatusCode::kUnavailable, "approval_store_unavailable",
                absl::StrCat("the approval store cannot answer: ", base::AsAbsl(detail)));
}

}  // namespace jitguard::approval
