// The last line of defence: the file and Postgres sinks mask every string field by default.
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/mask.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

AuditEvent Leaky() {
  AuditEvent e;
  e.type = "inference.request";
  e.time = absl::FromUnixSeconds(1'800'000'000);
  e.subject = "alice@example.com";
  e.groups = {"ops", "bob@example.org"};
  e.Set("prompt", "my ssn is 123-45-6789, card 4111 1111 1111 1111")
      .Set("tags", std::vector<std::string>{"call 212-555-0142"})
      .Set("nested", AuditValue::Object({{"note", "mail carol@example.net"}, {"n", 3}}));
  return e;
}

class MaskingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::MakeTempDir("jg-audit-mask-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    path_ = dir_ + "/audit.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(MaskingTest, DefaultMaskerRemovesPiiFromEveryStringField) {
  auto sink = FileAuditSink::Open(path_, {.hmac_key = SecretBytes("k")});  // masking on by default
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Write(Leaky()).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  std::string log = audit_test::ReadFile(path_);
  for (const char* raw : {"alice@example.com", "bob@example.org", "123-45-6789",
                          "4111 1111 1111 1111", "212-555-0142", "carol@example.net"}) {
    EXPECT_FALSE(absl::StrContains(log, raw)) << raw;
  }
  EXPECT_TRUE(absl::StrContains(log, "[EMAIL]"));
  EXPECT_TRUE(absl::StrContains(log, "[US_SSN]"));
  EXPECT_TRUE(absl::StrContains(log, "\"type\":\"inference.request\""));
  EXPECT_TRUE(absl::StrContains(log, "\"n\":3"));
  auto r = VerifyAuditLog(path_, SecretBytes("k"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
}

TEST_F(MaskingTest, CustomMaskerAndOff) {
  MaskerOptions mo;
  mo.entities = std::vector<std::string>{"EMAIL"};
  mo.style = MaskStyle::kRedact;
  auto masker = Masker::Create(mo);
  ASSERT_TRUE(masker.ok());
  {
    auto sink = FileAuditSink::Open(path_, {.masker = *masker});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(Leaky()).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  std::string log = audit_test::ReadFile(path_);
  EXPECT_FALSE(absl::StrContains(log, "alice@example.com"));
  EXPECT_TRUE(absl::StrContains(log, "*****************"));
  EXPECT_TRUE(absl::StrContains(log, "123-45-6789"));  // this masker only knows EMAIL
  std::filesystem::remove(path_);
  {
    auto sink = FileAuditSink::Open(path_, {.masking = AuditMasking::kOff});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(Leaky()).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_TRUE(absl::StrContains(audit_test::ReadFile(path_), "alice@example.com"));
}

}  // namespace
}  // namespace jitguard
