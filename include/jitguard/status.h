// Errors as values. Every jitguard API returns absl::Status / absl::StatusOr; every rejection also
// carries a stable, machine-readable reason (a short snake_case string such as "expired" or
// "bad_signature") and the component ("domain") that produced it, as status payloads. Tests and
// callers match on the reason, never on the human message. Messages never contain token contents,
// key material or unmasked PII.
//
// Thread-safety: plain functions on values; safe from any thread.
#ifndef JITGUARD_STATUS_H_
#define JITGUARD_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "jitguard/export.h"

namespace jitguard {

// The component an error comes from. The Python package maps each domain onto one exception class
// (kToken -> jitguard.TokenError, ...), in one place.
enum class ErrorDomain {
  kInternal,  // a bug or resource failure inside jitguard
  kConfig,    // invalid options or configuration
  kMask,
  kToken,
  kPolicy,
  kGrant,
  kApproval,
  kAudit,
  kAccess,  // the request is not admitted (Guard)
};

// Stable lowercase name of a domain ("token", "policy", ...).
JITGUARD_EXPORT std::string_view DomainName(ErrorDomain domain);

// The inverse of DomainName; kInternal for a name that is not a domain.
JITGUARD_EXPORT ErrorDomain DomainFromName(std::string_view name);

// Builds a non-OK status with `code`, the human `message`, and the domain and reason payloads.
// `code` must not be kOk.
JITGUARD_EXPORT absl::Status MakeError(absl::StatusCode code, ErrorDomain domain,
                                       std::string_view reason, std::string_view message);

// The reason attached by MakeError; "" for OK. A non-OK status from elsewhere yields "internal".
JITGUARD_EXPORT std::string ErrorReason(const absl::Status& status);

// The domain attached by MakeError; kInternal when none is attached.
JITGUARD_EXPORT ErrorDomain GetErrorDomain(const absl::Status& status);

// Structured details of an error beside its reason, as named text values (a policy error's
// "location", "line" and "column"), so callers never parse the message. Attached as status
// payloads; the Python binding hands them over as the exception's `fields` dict. Setting a field
// on an OK status does nothing; setting one again replaces it.
JITGUARD_EXPORT void SetErrorField(absl::Status* status, std::string_view name,
                                   std::string_view value);
// The fields set on `status`, sorted by name; empty for OK.
JITGUARD_EXPORT std::vector<std::pair<std::string, std::string>> ErrorFields(
    const absl::Status& status);
// One field's value; "" when it is not set.
JITGUARD_EXPORT std::string ErrorField(const absl::Status& status, std::string_view name);

}  // namespace jitguard

#endif  // JITGUARD_STATUS_H_
