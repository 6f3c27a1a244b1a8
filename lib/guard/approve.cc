// Step 3 of the request path: the approval a decision may ask for.
#include <string>
#include <utility>

#include "jitguard/status.h"
#include "lib/guard/steps.h"

namespace jitguard::guard {

absl::StatusOr<std::string> Approve(ApprovalStore& approvals, const Decision& decision,
                                    const Identity& identity, const AdmitRequest& request,
                                    absl::Duration ticket_ttl, EventLog& log, Metrics& metrics,
                                    Refusal* refusal) {
  if (decision.effect != Effect::kApprovalRequired) return std::string();
  const std::string digest = RequestDigest(identity.subject, request.model, request.dataset,
                                           request.operation, request.prompt);
  if (request.approval.empty()) {
    // No ticket yet: file one for the approvers and refuse until someone else approved it.
    std::string message = DecisionMessage(decision, "this request needs an approval");
    absl::StatusOr<ApprovalTicket> ticket =
        approvals.Request(ApprovalRequest{.subject = identity.subject,
                                          .request_digest = digest,
                                          .reason = message,
                                          .approver_groups = decision.approvers,
                                          .ttl = ticket_ttl},
                          log.now());
    if (!ticket.ok()) return ticket.status();
    metrics.Add(Counter::kApprovals, "requested");
    if (absl::Status s = log.Write(audit_type::kApprovalRequested,
                                   {.decision = EffectName(decision.effect),
                                    .rules = &decision.rules,
                                    .ticket_id = ticket->id,
                                    .approvers = &decision.approvers});
        !s.ok()) {
      return s;
    }
    refusal->decision = decision;
    refusal->ticket_id = ticket->id;
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorDomain::kAccess,
                     "approval_required", message);
  }
  // A ticket: consumed once, by this same request (the digest), while its window is open.
  absl::StatusOr<ApprovalTicket> consumed = approvals.Consume(request.approval, digest, log.now());
  if (!consumed.ok()) {
    const std::string reason = ErrorReason(consumed.status());
    if (absl::Status s = log.Write(audit_type::kApprovalConsumed, {.decision = "refused",
                                                                   .ticket_id = request.approval,
                                                                   .reason = reason});
        !s.ok()) {
      return s;
    }
    refusal->decision = decision;
    return consumed.status();
  }
  if (absl::Status s = log.Write(audit_type::kApprovalConsumed,
                                 {.decision = "consumed", .ticket_id = request.approval});
      !s.ok()) {
    return s;
  }
  metrics.Add(Counter::kApprovals, "consumed");
  return request.approval;
}

}  // namespace jitguard::guard
