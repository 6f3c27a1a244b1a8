// The approval rules as pure functions over a ticket, shared by every store so the memory and the
// Redis backends cannot disagree. A store only has to make "load, apply, save" atomic.
#ifndef JITGUARD_LIB_APPROVAL_RULES_H_
#define JITGUARD_LIB_APPROVAL_RULES_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "jitguard/approval.h"

namespace jitguard::approval {

// The state at `now`: a pending ticket past expires_at, or an approved one past its access window,
// is expired.
ApprovalState EffectiveState(const ApprovalTicket& ticket, absl::Time now);

// The last moment the ticket can still change or be used (for retention).
absl::Time LastDeadline(const ApprovalTicket& ticket);

// Checks a request; "invalid_request" with the problem in the message.
absl::Status ValidateRequest(const ApprovalRequest& request);

// A ticket in state pending built from a validated request.
ApprovalTicket NewTicket(const ApprovalRequest& request, std::string id, absl::Time now);

// Records `vote` on *ticket, or returns the refusal and leaves it unchanged.
absl::Status ApplyVote(ApprovalTicket* ticket, const ApprovalVote& vote, absl::Time now);

// Marks *ticket consumed, or returns the refusal and leaves it unchanged.
absl::Status ApplyConsume(ApprovalTicket* ticket, std::string_view request_digest, absl::Time now);

// Ticket ids are 32 lowercase hex characters; anything else cannot name a ticket.
bool IsTicketId(std::string_view id);

absl::Status NotFound();
absl::Status StoreUnavailable(std::string_view detail);

}  // namespace jitguard::approval

#endif  // JITGUARD_LIB_APPROVAL_RULES_H_
