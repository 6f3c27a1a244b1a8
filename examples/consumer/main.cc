// Built against an installed jitguard (see cmake/RunConsumerTest.cmake); exits non-zero on failure.
#include <cstdio>

#include "jitguard/jitguard.h"

int main() {
  absl::Status s = jitguard::MakeError(absl::StatusCode::kUnauthenticated, jitguard::ErrorDomain::kToken,
                                       "expired", "the token has expired");
  if (jitguard::ErrorReason(s) != "expired") return 1;
  std::printf("consumer: linked jitguard, error reason = %s\n", jitguard::ErrorReason(s).c_str());
  return 0;
}
