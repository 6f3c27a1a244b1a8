#include "lib/guard/event.h"

#include <utility>

namespace jitguard::guard {

AuditEvent BuildEvent(std::string_view type, const RequestScope& scope, const EventFields& f,
                      absl::Time now) {
  AuditEvent e;
  e.type = std::string(type);
  e.time = now;
  e.session_id = scope.session_id;
  e.request_id = scope.request_id;
  e.subject = scope.subject;
  e.groups = scope.groups;
  e.model = scope.model;
  e.dataset = scope.dataset;
  e.operation = scope.operation;
  e.decision = std::string(f.decision);
  if (f.rules != nullptr) e.rules = *f.rules;
  if (!f.mask_profile.empty()) e.Set("mask_profile", f.mask_profile);
  if (!f.grant_id.empty()) e.Set(audit_field::kGrantId, f.grant_id);
  if (f.expires_at) {
    e.Set("expires_at", absl::FormatTime(absl::RFC3339_sec, *f.expires_at, absl::UTCTimeZone()));
  }
  const std::string_view ticket_id = f.ticket_id.empty() ? scope.ticket_id : f.ticket_id;
  if (!ticket_id.empty()) e.Set(audit_field::kTicketId, ticket_id);
  if (!f.approver.empty()) e.Set(audit_field::kApprover, f.approver);
  if (f.approvers != nullptr) e.Set("approvers", *f.approvers);
  if (f.reason) e.Set(audit_field::kReason, *f.reason);
  if (f.prompt) e.Set(audit_field::kPrompt, *f.prompt);
  if (f.response) e.Set(audit_field::kResponse, *f.response);
  if (f.findings != nullptr) {
    std::vector<AuditValue::Member> members;
    for (const auto& [entity, n] : *f.findings) members.emplace_back(entity, AuditValue(n));
    e.Set(audit_field::kFindings, AuditValue::Object(std::move(members)));
  }
  return e;
}

}  // namespace jitguard::guard
