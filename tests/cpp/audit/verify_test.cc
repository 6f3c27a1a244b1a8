// Tamper tests: every class of change the issue lists is detected, with the right first bad record
// and reason.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

using audit_test::MakeEvent;
using audit_test::ReadFile;
using audit_test::ReadLines;
using audit_test::WriteFile;
using audit_test::WriteLines;

const SecretBytes& Key() {
  static const SecretBytes* k = new SecretBytes("an hmac key of thirty-two bytes!");
  return *k;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-tamper-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    path_ = dir_ + "/audit.log";
    FileAuditSinkOptions o;
    o.hmac_key = Key();
    o.fsync = FsyncPolicy::kNever;
    o.masking = AuditMasking::kOff;
    auto sink = FileAuditSink::Open(path_, o);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 50; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    checkpoint_ = (*sink)->Checkpoint();
    ASSERT_TRUE((*sink)->Close().ok());
    lines_ = ReadLines(path_);
    ASSERT_EQ(lines_.size(), 50u);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  AuditVerifyResult Verify(const SecretBytes& key = Key(),
                           std::optional<AuditCheckpoint> cp = std::nullopt) {
    auto r = VerifyAuditLog(path_, key, cp);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AuditVerifyResult{};
  }

  void ExpectBad(const AuditVerifyResult& r, uint64_t first_bad, std::string_view reason) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_bad, first_bad);
    EXPECT_EQ(r.reason, reason);
    EXPECT_EQ(r.records, first_bad - 1);
  }

  std::string dir_, path_;
  std::vector<std::string> lines_;
  AuditCheckpoint checkpoint_;
};

TEST_F(TamperTest, IntactLogVerifies) {
  AuditVerifyResult r = Verify(Key(), checkpoint_);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 50u);
  EXPECT_EQ(r.first_bad, 0u);
  EXPECT_EQ(r.reason, "");
  EXPECT_FALSE(r.torn_tail);
  EXPECT_EQ(r.head.records, 50u);
  EXPECT_EQ(r.head.head, checkpoint_.head);
}

TEST_F(TamperTest, EveryEditedByteIsCaught) {
  // Flip each byte position of one record in turn (a sample of positions keeps this fast).
  const std::string original = lines_[9];
  for (size_t pos = 0; pos < original.size(); pos += 7) {
    std::vector<std::string> edited = lines_;
    edited[9][pos] = static_cast<char>(edited[9][pos] ^ 0x01);
    WriteLines(path_, edited);
    AuditVerifyResult r = Verify();
    EXPECT_FALSE(r.ok) << "byte " << pos;
    EXPECT_EQ(r.first_bad, 10u) << "byte " << pos;
  }
}

TEST_F(TamperTest, EditedFieldIsBadHash) {
  lines_[9] =
      absl::StrReplaceAll(lines_[9], {{"\"subject\":\"alice\"", "\"subject\":\"mallory\""}});
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 10, "bad_hash");
}

TEST_F(TamperTest, DeletedRecord) {
  lines_.erase(lines_.begin() + 20);
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 21, "bad_seq");
}

TEST_F(TamperTest, DuplicatedRecord) {
  lines_.insert(lines_.begin() + 21, lines_[20]);
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 22, "bad_seq");
}

TEST_F(TamperTest, ReorderedRecords) {
  std::swap(lines_[30], lines_[31]);
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 31, "bad_seq");
}

TEST_F(TamperTest, InsertedForgedRecord) {
  // A forger without the key builds a record with the right seq and prev under another key, then
  // renumbers nothing else: the forged record fails its hash.
  std::string forged_path = dir_ + "/forged.log";
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes("not the key, not the key, not it!");
  o.masking = AuditMasking::kOff;
  o.fsync = FsyncPolicy::kNever;
  {
    auto sink = FileAuditSink::Open(forged_path, o);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 11; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  std::string forged = ReadLines(forged_path)[10];
  // Make its prev point at the real record 10.
  std::string real_hash = lines_[9].substr(lines_[9].size() - 66, 64);
  size_t at = forged.find("\"prev\":\"") + 8;
  forged.replace(at, 64, real_hash);
  lines_[10] = forged;  // replaces record 11
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 11, "bad_hash");
}

TEST_F(TamperTest, SplicedRecordFromAnotherChainUnderTheSameKeyIsBadPrev) {
  std::string other_path = dir_ + "/other.log";
  FileAuditSinkOptions o;
  o.hmac_key = Key();
  o.masking = AuditMasking::kOff;
  o.fsync = FsyncPolicy::kNever;
  {
    auto sink = FileAuditSink::Open(other_path, o);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 12; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(100 + i)).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  lines_[11] = ReadLines(other_path)[11];  // seq 12 from another chain, same key
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 12, "bad_prev");
}

TEST_F(TamperTest, DroppedStart) {
  lines_.erase(lines_.begin(), lines_.begin() + 3);
  WriteLines(path_, lines_);
  ExpectBad(Verify(), 1, "bad_start");
}

TEST_F(TamperTest, ChainUnderAnotherKey) {
  ExpectBad(Verify(SecretBytes("the wrong key, the wrong key!!!!")), 1, "bad_hash");
  ExpectBad(Verify(SecretBytes()), 1, "bad_hash");  // not a plain SHA-256 chain either
}

TEST_F(TamperTest, TruncationNeedsACheckpoint) {
  lines_.resize(45);
  WriteLines(path_, lines_);
  EXPECT_TRUE(Verify().ok);                                // a shorter chain is a valid chain...
  ExpectBad(Verify(Key(), checkpoint_), 46, "truncated");  // ...but not against a checkpoint
}

TEST_F(TamperTest, CheckpointFromAnotherHistory) {
  AuditCheckpoint cp = checkpoint_;
  cp.records = 30;  // the head of record 50 is not the hash of record 30
  ExpectBad(Verify(Key(), cp), 30, "checkpoint_mismatch");
  AuditCheckpoint empty;
  empty.head = std::string(64, '0');
  EXPECT_TRUE(Verify(Key(), empty).ok);
}

TEST_F(TamperTest, TruncatedAndRebuiltUnkeyedChainIsCaughtByCheckpoint) {
  // Without a key anyone can rebuild a chain; the checkpoint kept elsewhere still catches it.
  std::string unkeyed = dir_ + "/unkeyed.log";
  FileAuditSinkOptions o;
  o.masking = AuditMasking::kOff;
  o.fsync = FsyncPolicy::kNever;
  AuditCheckpoint cp;
  {
    auto sink = FileAuditSink::Open(unkeyed, o);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    cp = (*sink)->Checkpoint();
    ASSERT_TRUE((*sink)->Close().ok());
  }
  std::filesystem::remove(unkeyed);
  {
    auto sink = FileAuditSink::Open(unkeyed, o);
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 10; ++i) {
      AuditEvent e = MakeEvent(i);
      if (i == 4) e.subject = "someone-else";
      ASSERT_TRUE((*sink)->Write(e).ok());
    }
    ASSERT_TRUE((*sink)->Close().ok());
  }
  auto r = VerifyAuditLog(unkeyed, SecretBytes(), cp);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "checkpoint_mismatch");
}

TEST_F(TamperTest, MalformedAndTornLines) {
  std::vector<std::string> with_junk = lines_;
  with_junk.insert(with_junk.begin() + 5, "not a record");
  WriteLines(path_, with_junk);
  ExpectBad(Verify(), 6, "malformed");

  WriteFile(path_, ReadFile(path_).substr(0, 100));  // torn inside the first record
  AuditVerifyResult r = Verify();
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.torn_tail);
  EXPECT_EQ(r.records, 0u);
}

TEST_F(TamperTest, RotatedSetWithAMissingOrTornFile) {
  // Split the 50 records over three files as rotation would.
  std::vector<std::string> a(lines_.begin(), lines_.begin() + 20);
  std::vector<std::string> b(lines_.begin() + 20, lines_.begin() + 35);
  std::vector<std::string> c(lines_.begin() + 35, lines_.end());
  WriteLines(path_ + ".1", a);
  WriteLines(path_ + ".2", b);
  WriteLines(path_, c);
  EXPECT_TRUE(Verify(Key(), checkpoint_).ok);

  std::filesystem::remove(path_ + ".2");
  ExpectBad(Verify(), 21, "bad_seq");

  WriteLines(path_ + ".2", b);
  WriteFile(path_ + ".1", ReadFile(path_ + ".1") + "{\"seq\":21");
  AuditVerifyResult r = Verify();
  ExpectBad(r, 21, "torn_line");
  EXPECT_EQ(r.file, path_ + ".1");
}

TEST_F(TamperTest, ExplicitFileListIsOneChain) {
  std::vector<std::string> a(lines_.begin(), lines_.begin() + 25);
  std::vector<std::string> b(lines_.begin() + 25, lines_.end());
  WriteLines(dir_ + "/part-a", a);
  WriteLines(dir_ + "/part-b", b);
  auto ok = VerifyAuditFiles({dir_ + "/part-a", dir_ + "/part-b"}, Key(), checkpoint_);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(ok->records, 50u);
  auto swapped = VerifyAuditFiles({dir_ + "/part-b", dir_ + "/part-a"}, Key());
  ASSERT_TRUE(swapped.ok());
  EXPECT_FALSE(swapped->ok);
  EXPECT_EQ(swapped->reason, "bad_start");
  EXPECT_EQ(ErrorReason(VerifyAuditFiles({}, Key()).status()), "bad_options");
  EXPECT_EQ(ErrorReason(VerifyAuditFiles({dir_ + "/nope"}, Key()).status()), "not_found");
}

}  // namespace
}  // namespace jitguard
