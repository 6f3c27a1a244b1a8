// Step 2 of the request path: the policy's decision.
#include <string>
#include <utility>

#include "absl/strings/str_join.h"
#include "jitguard/status.h"
#include "lib/guard/steps.h"

namespace jitguard::guard {

std::string DecisionMessage(const Decision& decision, std::string_view fallback) {
  if (!decision.message.empty()) return decision.message;
  if (!decision.reasons.empty()) return absl::StrJoin(decision.reasons, "; ");
  return std::string(fallback);
}

absl::StatusOr<Decision> Authorize(const PolicyStore& policy, const Identity& identity,
                                   const AdmitRequest& request, const Masker& audit_masker,
                                   EventLog& log, Metrics& metrics, Refusal* refusal) {
  Decision decision = policy.Evaluate(PolicyRequest{.subject = identity.subject,
                                                    .groups = identity.groups,
                                                    .model = request.model,
                                                    .dataset = request.dataset,
                                                    .operation = request.operation,
                                                    .prompt = request.prompt,
                                                    .attributes = request.attributes});
  const std::string_view effect = EffectName(decision.effect);
  metrics.Add(Counter::kDecisions, effect);
  const std::string masked_prompt = audit_masker.Mask(request.prompt);
  if (absl::Status s = log.Write(audit_type::kPolicyDecision, {.decision = effect,
                                                               .rules = &decision.rules,
                                                               .reason = decision.reason,
                                                               .prompt = masked_prompt});
      !s.ok()) {
    return s;
  }
  if (decision.effect != Effect::kDeny) return decision;
  std::string message = DecisionMessage(decision, "the policy denies this request");
  refusal->decision = std::move(decision);
  return MakeError(absl::StatusCode::kPermissionDenied, ErrorDomain::kAccess,
                   refusal->decision.reason, message);
}

}  // namespace jitguard::guard
