// Internal entry points of the mask component, shared between its files and its tests.
#ifndef JITGUARD_LIB_MASK_INTERNAL_H_
#define JITGUARD_LIB_MASK_INTERNAL_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "jitguard/mask.h"
#include "lib/mask/simd.h"

namespace jitguard::mask {

// Masker::Create with a given SIMD implementation (tests compare every implementation).
absl::StatusOr<std::shared_ptr<const Masker>> CreateMaskerWith(MaskerOptions options,
                                                               const Implementation* simd);

// The one door into a Masker's private parts, for lib/mask's own files.
class MaskerAccess {
 public:
  static const Masker::Impl& Of(const Masker& masker) { return *masker.impl_; }
  static std::shared_ptr<const Masker> Make(std::unique_ptr<Masker::Impl> impl);  // masker.cc
};

inline const Masker::Impl& ImplOf(const Masker& masker) { return MaskerAccess::Of(masker); }

std::unique_ptr<MaskStream> NewMaskStream(std::shared_ptr<const Masker> masker);
std::unique_ptr<ResponseMaskStream> NewResponseMaskStream(std::shared_ptr<const Masker> masker,
                                                          ResponseFraming framing);
// Test hook: the bytes a MaskStream's Writes and Finish looked at (from the held start to the
// end, per Scan or trigger-free check); 0 for another kind of stream.
size_t StreamBytesExamined(const MaskStream& stream);

absl::StatusOr<std::string> MaskRequestDocument(const Masker& masker, std::string_view json,
                                                FindingCounts* counts);

absl::StatusOr<std::string> MaskJsonDocument(const Masker& masker, std::string_view json,
                                             FindingCounts* counts);

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_INTERNAL_H_
