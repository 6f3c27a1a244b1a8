#include "absl/strings/str_cat.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "lib/grant/replay_internal.h"

namespace jitguard {

ReplayCache::~ReplayCache() = default;

namespace grant_internal {

absl::Status ValidateGrantId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) ok = ok && c > ' ' && c < 0x7f;
  if (ok) return absl::OkStatus();
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kGrant, "invalid_grant_id",
                   "a grant id is 1 to 128 printable ASCII characters");
}

absl::Status ReplayedError() {
  return MakeError(absl::StatusCode::kPermissionDenied, ErrorDomain::kGrant, "replayed",
                   "the grant was already used");
}

absl::Status RevokedError() {
  return MakeError(absl::StatusCode::kPermissionDenied, ErrorDomain::kGrant, "revoked",
                   "the grant was revoked");
}

absl::Status ReplayCacheUnavailable(std::string_view detail) {
  return MakeError(absl::StatusCode::kUnavailable, ErrorDomain::kGrant, "replay_cache_unavailable",
                   absl::StrCat("the replay cache cannot answer: ", base::AsAbsl(detail)));
}

absl::Status ReplayCacheFull() {
  return MakeError(
      absl::StatusCode::kResourceExhausted, ErrorDomain::kGrant, "replay_cache_full",
      "the memory replay cache is full of live grants; refusing rather than forgetting");
}

}  // namespace grant_internal
}  // namespace jitguard
