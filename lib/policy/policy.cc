#include "jitguard/policy.h"

#include <utility>

#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "lib/policy/compiled.h"
#include "lib/policy/spec.h"

namespace jitguard {

std::string_view EffectName(Effect effect) {
  switch (effect) {
    case Effect::kDeny: return "deny";
    case Effect::kPermit: return "permit";
    case Effect::kApprovalRequired: return "approval_required";
  }
  return "deny";
}

std::string_view RuleEffectName(RuleEffect effect) {
  switch (effect) {
    case RuleEffect::kPermit: return "permit";
    case RuleEffect::kForbid: return "forbid";
    case RuleEffect::kRequireApproval: return "require_approval";
  }
  return "forbid";
}

std::string_view ConditionOutcomeName(ConditionOutcome outcome) {
  switch (outcome) {
    case ConditionOutcome::kMatched: return "matched";
    case ConditionOutcome::kNotMatched: return "not_matched";
    case ConditionOutcome::kUnevaluable: return "unevaluable";
  }
  return "unevaluable";
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Create(std::string_view json, const PolicyOptions& options) {
  absl::StatusOr<policy::PolicySpec> spec = policy::ParsePolicy(json, options.positions);
  if (!spec.ok()) return spec.status();
  std::string version = options.version;
  if (version.empty()) {
    const std::string digest = base::Hex(base::Sha256(json));
    version = "sha256:" + digest.substr(0, 16);
  }
  return policy::CompilePolicy(*std::move(spec), std::move(version));
}

PolicyStore::PolicyStore(std::shared_ptr<const Policy> initial) : current_(std::move(initial)) {}

absl::StatusOr<std::unique_ptr<PolicyStore>> PolicyStore::Create(std::string_view json, const PolicyOptions& options) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json, options);
  if (!policy.ok()) return policy.status();
  return std::make_unique<PolicyStore>(*std::move(policy));
}

std::shared_ptr<const Policy> PolicyStore::Snapshot() const { return current_.load(std::memory_order_acquire); }

absl::Status PolicyStore::Reload(std::string_view json, const PolicyOptions& options) {
  // Compile outside any critical section; readers keep using the old snapshot meanwhile.
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json, options);
  if (!policy.ok()) return policy.status();
  Swap(*std::move(policy));
  return absl::OkStatus();
}

void PolicyStore::Swap(std::shared_ptr<const Policy> policy) {
  if (policy == nullptr) return;  // documented as not null; never install a null policy
  current_.store(std::move(policy), std::memory_order_release);
}

Decision PolicyStore::Evaluate(const PolicyRequest& request) const { return Snapshot()->Evaluate(request); }

std::string PolicyStore::version() const { return Snapshot()->version(); }

}  // namespace jitguard
