// What a Guard is made of, built from its configuration in one go: a Guard is constructed only
// from parts that all exist and work (no Init step, no half-built Guard).
#ifndef JITGUARD_LIB_GUARD_PARTS_H_
#define JITGUARD_LIB_GUARD_PARTS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "jitguard/approval.h"
#include "jitguard/audit.h"
#include "jitguard/grant.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/token.h"
#include "lib/guard/config.h"
#include "lib/guard/maskers.h"

namespace jitguard::guard {

struct GuardParts {
  std::shared_ptr<const GuardConfig> config;
  std::shared_ptr<AuditSink> audit;
  AsyncAuditSink* async_audit = nullptr;  // `audit` when asynchronous (for the queue depth)
  std::shared_ptr<TokenVerifier> verifier;
  std::unique_ptr<PolicyStore> policy;
  std::shared_ptr<const GrantIssuer> grant_issuer;
  std::shared_ptr<const GrantVerifier> grant_verifier;
  std::shared_ptr<ApprovalStore> approvals;
  std::unique_ptr<MaskerCache> maskers;          // every profile of the policy compiled
  std::shared_ptr<const Masker> default_masker;  // masks the prompt of policy.decision records
};

// Builds every part, the audit sink first (nothing else may run without its record), then the
// token keys (tokens.jwks_url: fetched before this returns; GuardOptions::key_source), the
// verifier, the policy, grants, approvals and the maskers. Errors name the config key (see
// Guard::FromConfigJson); a sink opened before a later part failed is closed again.
absl::StatusOr<GuardParts> BuildParts(GuardConfig config, const GuardOptions& options);

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_PARTS_H_
