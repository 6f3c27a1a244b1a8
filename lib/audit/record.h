// Canonical audit records: the fixed key order and formatting that the chain hashes, event
// validation, time stamps, and the last-line-of-defence masking of string fields.
#ifndef JITGUARD_LIB_AUDIT_RECORD_H_
#define JITGUARD_LIB_AUDIT_RECORD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/audit.h"

namespace jitguard::audit_internal {

// RFC 3339, UTC, microseconds: 2026-11-29T02:22:40.123456Z.
std::string FormatRecordTime(absl::Time t);

// Checks what the sinks refuse: empty type, reserved or duplicate field names, non-finite doubles,
// duplicate member names inside objects. Reason "bad_event".
absl::Status ValidateEvent(const AuditEvent& event);

// Appends the canonical record for `event` stamped with `time` WITHOUT the closing brace, so the
// caller can add prev/hash. Does not validate.
void AppendCanonicalOpen(const AuditEvent& event, uint64_t seq, absl::Time time, std::string* out);

// Applies `mask` to every string in the event except `type` (time is not a string). `mask` returns
// the masked text or an error (the write then fails: fail closed).
using MaskFn = std::function<absl::StatusOr<std::string>(std::string_view)>;
absl::Status MaskEventStrings(const MaskFn& mask, AuditEvent* event);

// What every sink does first: validates `event`, then masks a copy of it into `*masked` when `mask`
// is set. Returns the event to write (`&event`, or `&**masked`).
absl::StatusOr<const AuditEvent*> PrepareEvent(const AuditEvent& event, const MaskFn& mask,
                                               std::optional<AuditEvent>* masked);

// A mask function for the sinks' options: null when masking is off; the given masker or a default
// one otherwise. Errors when the default masker cannot be built.
absl::StatusOr<MaskFn> MakeMaskFn(AuditMasking masking, std::shared_ptr<const Masker> masker);

// The sink clock: `clock` or absl::Now.
inline absl::Time ClockNow(const std::function<absl::Time()>& clock) {
  return clock ? clock() : absl::Now();
}

absl::Status AuditError(absl::StatusCode code, std::string_view reason, std::string_view message);

}  // namespace jitguard::audit_internal

#endif  // JITGUARD_LIB_AUDIT_RECORD_H_
