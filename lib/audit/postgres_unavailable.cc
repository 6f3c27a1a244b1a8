// Built when JITGUARD_WITH_POSTGRES is off: the Postgres sink and verifier report "unavailable".
#include "jitguard/audit.h"
#include "lib/audit/record.h"

namespace jitguard {

namespace {
absl::Status Unavailable() {
  return audit_internal::AuditError(absl::StatusCode::kUnimplemented, "unavailable",
                                    "jitguard was built without PostgreSQL (libpq)");
}
}  // namespace

// The options are taken by value because the public Open takes them so; nothing reads them here.
absl::StatusOr<std::unique_ptr<PostgresAuditSink>> PostgresAuditSink::Open(
    std::string_view, PostgresAuditSinkOptions) {  // NOLINT(performance-unnecessary-value-param)
  return Unavailable();
}

absl::StatusOr<AuditTableVerifyResult> VerifyAuditTable(std::string_view, std::string_view,
                                                        const SecretBytes&) {
  return Unavailable();
}

}  // namespace jitguard
