// The last line of defence: the sinks' Masker over every string field.
#include <memory>
#include <string>
#include <utility>

#include "jitguard/audit.h"
#include "jitguard/mask.h"
#include "lib/audit/record.h"

namespace jitguard::audit_internal {

absl::StatusOr<MaskFn> MakeMaskFn(AuditMasking masking, std::shared_ptr<const Masker> masker) {
  if (masking == AuditMasking::kOff) return MaskFn();
  if (masker == nullptr) {
    // One default masker per process: building it compiles every built-in detector.
    static const absl::StatusOr<std::shared_ptr<const Masker>>* const kDefault =
        new absl::StatusOr<std::shared_ptr<const Masker>>(Masker::Create(MaskerOptions{}));
    if (!kDefault->ok()) return kDefault->status();
    masker = **kDefault;
  }
  return MaskFn([masker = std::move(masker)](std::string_view text) -> absl::StatusOr<std::string> {
    return masker->Mask(text);
  });
}

}  // namespace jitguard::audit_internal
