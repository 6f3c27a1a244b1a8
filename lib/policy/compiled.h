// The compiled policy: rules indexed for candidate lookup, groups as bit positions, and every
// prompt keyword and pattern of every rule in one RE2::Set, so a request costs one pass over its
// prompt plus a check of the few rules its model, dataset, operation, subject, groups or prompt can
// match.
#ifndef JITGUARD_LIB_POLICY_COMPILED_H_
#define JITGUARD_LIB_POLICY_COMPILED_H_

#include <memory>

#include "absl/status/statusor.h"
#include "jitguard/policy.h"
#include "lib/policy/spec.h"

namespace jitguard::policy {

// Compiles a validated spec. Fails (ErrorDomain::kPolicy, "invalid_policy") only when the combined
// prompt matcher exceeds its memory budget.
absl::StatusOr<std::shared_ptr<const Policy>> CompilePolicy(PolicySpec spec, std::string version);

}  // namespace jitguard::policy

#endif  // JITGUARD_LIB_POLICY_COMPILED_H_
