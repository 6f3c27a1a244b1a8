// Pieces shared by the grant issuer and verifier.
#ifndef JITGUARD_LIB_GRANT_GRANT_INTERNAL_H_
#define JITGUARD_LIB_GRANT_GRANT_INTERNAL_H_

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "jitguard/grant.h"

namespace jitguard::grant_internal {

// Claim names (the header comment of jitguard/grant.h lists them).
inline constexpr std::string_view kClaimDatasets = "datasets";
inline constexpr std::string_view kClaimOperations = "operations";
inline constexpr std::string_view kClaimModel = "model";
inline constexpr std::string_view kClaimRequestId = "request_id";
inline constexpr std::string_view kClaimApprovalId = "approval_id";

// A status from the token layer (ErrorDomain::kToken) re-homed in ErrorDomain::kGrant with the same
// code, reason and message; other statuses unchanged.
absl::Status AsGrantError(const absl::Status& status);

absl::Status GrantError(absl::StatusCode code, std::string_view reason, std::string_view message);

}  // namespace jitguard::grant_internal

#endif  // JITGUARD_LIB_GRANT_GRANT_INTERNAL_H_
