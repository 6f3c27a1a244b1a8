// TEMPORARY: used only while lib/mask is absent from the tree. Masking "on" fails closed.
#include "jitguard/audit.h"
#include "lib/audit/record.h"

namespace jitguard::audit_internal {

absl::StatusOr<MaskFn> MakeMaskFn(AuditMasking masking, std::shared_ptr<const Masker> masker) {
  if (masking == AuditMasking::kOff) return MaskFn();
  (void)masker;
  return AuditError(absl::StatusCode::kUnimplemented, "masker_unavailable",
                    "this build has no mask engine; set masking off explicitly");
}

}  // namespace jitguard::audit_internal
