// Step 4 of the request path: the grant the data store will check.
#include <algorithm>
#include <string>

#include "lib/guard/steps.h"

namespace jitguard::guard {

absl::StatusOr<IssuedGrant> IssueGrant(const GrantIssuer& issuer, const Decision& decision,
                                       const Identity& identity, const AdmitRequest& request,
                                       std::string_view approval_ticket, EventLog& log,
                                       Metrics& metrics) {
  GrantRequest gr;
  gr.subject = identity.subject;
  if (!request.dataset.empty()) gr.datasets = {request.dataset};
  gr.operations = {request.operation};
  if (!request.model.empty()) gr.model = request.model;
  gr.ttl = std::min(absl::Seconds(decision.grant_ttl > 0 ? decision.grant_ttl : 1), kMaxGrantTtl);
  gr.request_id = log.scope().request_id;
  gr.approval_id = std::string(approval_ticket);
  absl::StatusOr<IssuedGrant> grant = issuer.Issue(gr, log.now());
  if (!grant.ok()) return grant.status();
  metrics.Add(Counter::kGrants, "");
  if (absl::Status s = log.Write(audit_type::kGrantIssued, {.decision = EffectName(decision.effect),
                                                            .rules = &decision.rules,
                                                            .grant_id = grant->id,
                                                            .expires_at = grant->expires_at,
                                                            .ticket_id = approval_ticket});
      !s.ok()) {
    return s;
  }
  return grant;
}

}  // namespace jitguard::guard
