#include "lib/guard/maskers.h"

#include <utility>

#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::guard {

absl::StatusOr<MaskerOptions> MaskerOptionsFor(const GuardConfig& config,
                                               const MaskProfile* profile) {
  MaskerOptions options;
  options.hash_key = config.hash_key;
  options.custom = config.custom;
  options.terms = config.terms;
  options.json_keys = config.json_keys;
  if (profile != nullptr) {
    // "all" lists every built-in, also those the masker's default profile leaves off.
    options.entities = profile->entities;
    absl::StatusOr<MaskStyle> style =
        ParseMaskStyle(profile->style.empty() ? "label" : profile->style);
    if (!style.ok()) return style.status();
    options.style = *style;
  }
  return options;
}

absl::StatusOr<std::shared_ptr<const Masker>> CompileMasker(const GuardConfig& config,
                                                            const MaskProfile* profile) {
  absl::StatusOr<MaskerOptions> options = MaskerOptionsFor(config, profile);
  if (!options.ok()) return options.status();
  return Masker::Create(*std::move(options));
}

absl::Status CheckProfiles(const GuardConfig& config, const Policy& policy) {
  for (const MaskProfile& p : policy.mask_profiles()) {
    if (absl::StatusOr<std::shared_ptr<const Masker>> m = CompileMasker(config, &p); !m.ok()) {
      return m.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Masker>> MaskerCache::For(const Policy& policy,
                                                               std::string_view profile) {
  if (profile.empty()) profile = "default";
  base::MutexLock lock(&mu_);
  if (version_ != policy.version()) {
    maskers_.clear();
    version_ = policy.version();
  }
  auto it = maskers_.find(profile);
  if (it != maskers_.end()) return it->second;
  const MaskProfile* p = policy.FindMaskProfile(profile);
  if (p == nullptr && profile != "default") {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "unknown_profile",
                     base::Cat("policy: mask profile '", profile, "' is not declared"));
  }
  absl::StatusOr<MaskerOptions> options = MaskerOptionsFor(*config_, p);
  if (!options.ok()) return AtKey("policy", options.status());
  absl::StatusOr<std::shared_ptr<const Masker>> m = Masker::Create(*std::move(options));
  if (!m.ok()) return AtKey("masking", m.status());
  maskers_.emplace(std::string(profile), *m);
  return *m;
}

}  // namespace jitguard::guard
