// Audit logs written before the chain's HMAC moved to OpenSSL's EVP_MAC (tests/data/audit/, made by
// jitguard 0.1.0 at commit 19bcf60 from legacy_events.h) still verify, and today's file sink writes
// the same events into the same bytes, so old and new records chain into one log.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "tests/cpp/audit/legacy_events.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

// The checkpoints the old code reported after writing each fixture.
std::string ExpectedHead(const std::string& name) {
  if (name == "sha256.log") return "7:776792b687ecf80302f5703c450de476a55a62ba52390f61075c2afb9a6e9e91";
  if (name == "hmac32.log") return "7:0ff92091c45713939c75b275661534148e32d39c6c0d65a0ffb1f28c9340ce82";
  return "7:40292807143dbad728acf46b6f68997ab5514e200813a8084ee7c86a5b8eff08";
}

std::string Fixture(const std::string& name) {
  return testing::SourcePath(absl::StrCat("tests/data/audit/", name));
}

TEST(LegacyChainTest, LogsWrittenByTheOldCodeStillVerify) {
  for (const auto& [name, key] : testing::LegacyKeys()) {
    absl::StatusOr<AuditCheckpoint> checkpoint = AuditCheckpoint::Parse(ExpectedHead(name));
    ASSERT_TRUE(checkpoint.ok());
    absl::StatusOr<AuditVerifyResult> r =
        VerifyAuditFiles({Fixture(name)}, SecretBytes(key), *checkpoint);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_TRUE(r->ok) << name << ": " << r->reason << " at " << r->first_bad;
    EXPECT_EQ(r->records, 7u) << name;
    EXPECT_EQ(r->head.ToString(), ExpectedHead(name)) << name;
    // Under another key the same log does not verify.
    absl::StatusOr<AuditVerifyResult> wrong =
        VerifyAuditFiles({Fixture(name)}, SecretBytes(key + "x"));
    ASSERT_TRUE(wrong.ok());
    EXPECT_FALSE(wrong->ok) << name;
    EXPECT_EQ(wrong->reason, "bad_hash") << name;
  }
}

TEST(LegacyChainTest, TodaysSinkWritesTheSameBytes) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-legacy-");
  ASSERT_TRUE(dir.ok());
  for (const auto& [name, key] : testing::LegacyKeys()) {
    FileAuditSinkOptions o;
    o.hmac_key = SecretBytes(key);
    o.fsync = FsyncPolicy::kNever;
    o.masking = AuditMasking::kOff;
    const std::string path = absl::StrCat(*dir, "/", name);
    absl::StatusOr<std::unique_ptr<FileAuditSink>> sink = FileAuditSink::Open(path, std::move(o));
    ASSERT_TRUE(sink.ok()) << sink.status();
    for (const AuditEvent& e : testing::LegacyEvents()) ASSERT_TRUE((*sink)->Write(e).ok());
    ASSERT_TRUE((*sink)->Close().ok());
    EXPECT_EQ((*sink)->Checkpoint().ToString(), ExpectedHead(name)) << name;
    EXPECT_EQ(audit_test::ReadFile(path), audit_test::ReadFile(Fixture(name))) << name;
  }
}

TEST(LegacyChainTest, AnOldLogContinuesUnderTheNewCode) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-legacy-");
  ASSERT_TRUE(dir.ok());
  const auto& [name, key] = testing::LegacyKeys()[1];
  const std::string path = absl::StrCat(*dir, "/audit.log");
  audit_test::WriteFile(path, audit_test::ReadFile(Fixture(name)));
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes(key);
  o.fsync = FsyncPolicy::kNever;
  o.masking = AuditMasking::kOff;
  absl::StatusOr<std::unique_ptr<FileAuditSink>> sink = FileAuditSink::Open(path, std::move(o));
  ASSERT_TRUE(sink.ok()) << sink.status();  // the old last record verifies under the new code
  ASSERT_TRUE((*sink)->Write(testing::LegacyEvents()[0]).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditLog(path, SecretBytes(key));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(r->records, 8u);
}

}  // namespace
}  // namespace jitguard
