// Incremental chain verification, shared by the file verifier and the Postgres table verifier.
#ifndef JITGUARD_LIB_AUDIT_VERIFIER_H_
#define JITGUARD_LIB_AUDIT_VERIFIER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/audit.h"
#include "lib/audit/chain.h"

namespace jitguard::audit_internal {

class ChainVerifier {
 public:
  ChainVerifier(std::string_view key, std::optional<AuditCheckpoint> checkpoint);
  // Verifies the next records (lines without newline) in chain order; false once a record failed
  // (later calls do nothing).
  bool AddLines(const std::vector<std::string_view>& lines, std::string_view file);
  bool AddTornTail();
  bool Fail(uint64_t position, std::string_view reason, std::string_view file);
  uint64_t records() const { return result_.records; }
  // Applies the checkpoint's truncation check and returns the result.
  AuditVerifyResult Finish();

 private:
  size_t HashCheck(const std::vector<LineParts>& parts, size_t limit, size_t structural_bad) const;

  Chainer chainer_;
  std::optional<AuditCheckpoint> checkpoint_;
  AuditVerifyResult result_;
  std::string prev_hex_;
  bool failed_ = false;
};

}  // namespace jitguard::audit_internal

#endif  // JITGUARD_LIB_AUDIT_VERIFIER_H_
