// Built against an installed jitguard (cmake/RunConsumerTest.cmake, the build tree installed) and
// against the unpacked CPack packages (cmake/RunPackageTest.cmake); exits non-zero on failure.
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
  // The CMake package version (find_package) and the library's own version agree.
  if (jitguard::Version() != JITGUARD_PACKAGE_VERSION) {
    std::fprintf(stderr, "consumer: library version %s, CMake package version %s\n",
                 std::string(jitguard::Version()).c_str(), JITGUARD_PACKAGE_VERSION);
    return 1;
  }
  std::printf("consumer: linked the installed jitguard %s: %s\n",
              std::string(jitguard::Version()).c_str(), masked.c_str());
  return 0;
}
