// Built against an installed jitguard (see cmake/RunConsumerTest.cmake); exits non-zero on failure.
#include <cstdio>
#include <string>

#include "jitguard/jitguard.h"

int main() {
  absl::StatusOr<std::shared_ptr<const jitguard::Masker>> masker =
      jitguard::Masker::Create(jitguard::MaskerOptions{});
  if (!masker.ok()) return 1;
  const std::string masked = (*masker)->Mask("mail jane.doe@example.com, card 4111 1111 1111 1111");
  if (masked != "mail [EMAIL], card [CREDIT_CARD]") {
    std::fprintf(stderr, "consumer: unexpected output: %s\n", masked.c_str());
    return 1;
  }
  absl::Status s = jitguard::MakeError(absl::StatusCode::kUnauthenticated,
                                       jitguard::ErrorDomain::kToken, "expired", "token expired");
  if (jitguard::ErrorReason(s) != "expired") return 1;
  std::printf("consumer: linked the installed jitguard: %s\n", masked.c_str());
  return 0;
}
