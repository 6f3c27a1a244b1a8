// Step 5 of the request path: the prompt's record, masked with the admission's profile.
#include <string>

#include "lib/guard/steps.h"

namespace jitguard::guard {

absl::Status MaskRequest(const Masker& masker, std::string_view profile, std::string_view prompt,
                         EventLog& log) {
  const std::string masked = masker.Mask(prompt);
  return log.Write(audit_type::kInferenceRequest, {.mask_profile = profile, .prompt = masked});
}

}  // namespace jitguard::guard
