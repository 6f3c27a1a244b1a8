// The Guard's request path as small steps, one file each, in the order Guard::Admit runs them:
//
//   Authenticate (authenticate.cc) -> Authorize (authorize.cc) -> Approve (approve.cc)
//   -> IssueGrant (issue_grant.cc) -> MaskRequest (mask_request.cc)
//
// and, on the way back, the response (response.cc) and its record. Each step takes exactly what it
// needs, writes its own audit record through the request's EventLog (nothing is admitted without
// its record: a sink error is the step's error) and counts itself in Metrics; each has a unit test
// of its own (tests/cpp/guard/steps_test.cc).
#ifndef JITGUARD_LIB_GUARD_STEPS_H_
#define JITGUARD_LIB_GUARD_STEPS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/approval.h"
#include "jitguard/grant.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/token.h"
#include "lib/guard/event.h"
#include "lib/guard/metrics.h"

namespace jitguard::guard {

// Grants live at most this long, whatever the policy allows: they are per-call credentials.
inline constexpr absl::Duration kMaxGrantTtl = absl::Hours(1);

// 1. Who is calling: verifies the bearer token (the verifier asks its key source about unknown
// keys). A rejection is counted and recorded (token.rejected, with the token's reason) and
// returned as the verifier's error.
absl::StatusOr<Identity> Authenticate(const TokenVerifier& verifier, std::string_view token,
                                      EventLog& log, Metrics& metrics);

// The session a request belongs to: the caller's, else the token's `sid` claim, else its `jti`,
// else the request id.
std::string SessionOf(std::string_view requested, const Identity& identity,
                      std::string_view request_id);

// 2. May they: evaluates the policy, records policy.decision (with the prompt masked by
// `audit_masker`) and counts the effect. A deny is kAccess kPermissionDenied with the decision's
// reason (and in refusal->decision); permit and approval_required return the decision.
absl::StatusOr<Decision> Authorize(const PolicyStore& policy, const Identity& identity,
                                   const AdmitRequest& request, const Masker& audit_masker,
                                   EventLog& log, Metrics& metrics, Refusal* refusal);

// The message a refusal carries: the deciding rule's message, else its reasons, else `fallback`.
std::string DecisionMessage(const Decision& decision, std::string_view fallback);

// 3. Someone else's yes, when the decision asks for one. Permit: nothing to do, returns "". Without
// a ticket in the request: files one (approval.requested) and returns kAccess kFailedPrecondition
// "approval_required" (refusal->ticket_id). With one: consumes it (approval.consumed, "consumed" or
// "refused" with the store's reason) and returns its id, or the store's error.
absl::StatusOr<std::string> Approve(ApprovalStore& approvals, const Decision& decision,
                                    const Identity& identity, const AdmitRequest& request,
                                    absl::Duration ticket_ttl, EventLog& log, Metrics& metrics,
                                    Refusal* refusal);

// 4. The per-call credential: a grant for this subject, model, dataset and operation, living the
// decision's grant_ttl (at least 1 s, at most kMaxGrantTtl), naming the consumed ticket if any.
// Recorded as grant.issued.
absl::StatusOr<IssuedGrant> IssueGrant(const GrantIssuer& issuer, const Decision& decision,
                                       const Identity& identity, const AdmitRequest& request,
                                       std::string_view approval_ticket, EventLog& log,
                                       Metrics& metrics);

// 5. The prompt as the audit log keeps it: masked with the admission's profile, recorded as
// inference.request.
absl::Status MaskRequest(const Masker& masker, std::string_view profile, std::string_view prompt,
                         EventLog& log);

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_STEPS_H_
