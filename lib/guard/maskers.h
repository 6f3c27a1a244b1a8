// The Guard's Maskers: the one place MaskerOptions are made from the config and a mask profile
// (Guard construction, requests and ReloadPolicy all go through it), and the per-policy-version
// cache of compiled Maskers.
#ifndef JITGUARD_LIB_GUARD_MASKERS_H_
#define JITGUARD_LIB_GUARD_MASKERS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "lib/base/mutex.h"
#include "lib/guard/config.h"

namespace jitguard::guard {

// The options of `profile`'s Masker: the config's masking section (hash key, custom rules, term
// lists, JSON keys) plus the profile's entities and style. Null profile: the default (every
// entity, "label"). Errors: the profile's style does not parse (kMask).
absl::StatusOr<MaskerOptions> MaskerOptionsFor(const GuardConfig& config,
                                               const MaskProfile* profile);

// MaskerOptionsFor compiled. Errors are the masking component's own.
absl::StatusOr<std::shared_ptr<const Masker>> CompileMasker(const GuardConfig& config,
                                                            const MaskProfile* profile);

// Every profile `policy` declares, compiled (and thrown away): a policy whose profiles do not all
// compile must not go live. Errors as CompileMasker.
absl::Status CheckProfiles(const GuardConfig& config, const Policy& policy);

// One Masker per (policy version, profile), compiled on first use and shared. Thread-safe.
class MaskerCache {
 public:
  explicit MaskerCache(std::shared_ptr<const GuardConfig> config) : config_(std::move(config)) {}

  // The Masker of `profile` ("" = "default") under `policy`. Errors: kConfig "unknown_profile"
  // for a profile the policy does not declare (other than "default"); otherwise CompileMasker's,
  // reported at the key "policy" (style) or "masking".
  absl::StatusOr<std::shared_ptr<const Masker>> For(const Policy& policy, std::string_view profile);

 private:
  const std::shared_ptr<const GuardConfig> config_;
  base::Mutex mu_;
  std::string version_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const Masker>, std::less<>> maskers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_MASKERS_H_
