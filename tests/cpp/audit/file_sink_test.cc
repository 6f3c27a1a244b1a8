#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "simdjson.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

using audit_test::MakeEvent;
using audit_test::ReadFile;
using audit_test::ReadLines;
using audit_test::WriteFile;
using audit_test::WriteLines;

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-audit-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    path_ = dir_ + "/audit.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  FileAuditSinkOptions Options(FsyncPolicy fsync = FsyncPolicy::kNever) {
    FileAuditSinkOptions o;
    o.hmac_key = SecretBytes("0123456789abcdef0123456789abcdef");
    o.fsync = fsync;
    o.masking = AuditMasking::kOff;
    return o;
  }

  void WriteN(int n, FileAuditSinkOptions options, int first = 1) {
    auto sink = FileAuditSink::Open(path_, std::move(options));
    ASSERT_TRUE(sink.ok()) << sink.status();
    for (int i = first; i < first + n; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }

  std::string dir_;
  std::string path_;
};

TEST_F(FileSinkTest, RecordIsCanonicalAndChainedWithHmac) {
  WriteN(2, Options());
  std::vector<std::string> lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  std::string zero(64, '0');
  std::string body = absl::StrCat(
      "{\"seq\":1,\"time\":\"2027-01-15T08:00:00.000001Z\",\"type\":\"policy.decision\","
      "\"session_id\":\"s-1\",\"request_id\":\"r-1\",\"subject\":\"alice\","
      "\"groups\":[\"analysts\",\"eu\"],\"gen_ai.request.model\":\"llama-3-70b\","
      "\"dataset\":\"claims\",\"operation\":\"infer\",\"decision\":\"permit\","
      "\"rules\":[\"allow-analysts\"],\"n\":1,\"gen_ai.usage.input_tokens\":12,\"prev\":\"",
      zero, "\"");
  // Independent computation with OpenSSL's one-shot HMAC: prev (raw) || body.
  std::string tag = base::Hmac("0123456789abcdef0123456789abcdef", std::string(32, '\0') + body);
  EXPECT_EQ(lines[0], absl::StrCat(body, ",\"hash\":\"", base::Hex(tag), "\"}"));
  // The second record links to the first.
  EXPECT_TRUE(absl::StrContains(lines[1], absl::StrCat("\"prev\":\"", base::Hex(tag), "\"")));
  // Every line is valid JSON with unique keys.
  simdjson::dom::parser parser;
  for (const auto& l : lines) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(l).get(doc), simdjson::SUCCESS) << l;
  }
}

TEST_F(FileSinkTest, CanonicalAuditRecordIsTheStoredBodyWithoutChainMembers) {
  WriteN(1, Options());
  std::string line = ReadLines(path_)[0];
  auto canonical = CanonicalAuditRecord(MakeEvent(1), 1);
  ASSERT_TRUE(canonical.ok());
  // The stored line is the canonical record with prev and hash added before the closing brace.
  EXPECT_EQ(line.substr(0, canonical->size() - 1), canonical->substr(0, canonical->size() - 1));
  EXPECT_EQ(line.size(),
            canonical->size() - 1 + 74 + 75);  // "}" -> prev member + hash member + "}"
  AuditEvent unset = MakeEvent(1);
  unset.time = absl::InfinitePast();
  EXPECT_EQ(ErrorReason(CanonicalAuditRecord(unset, 1).status()), "bad_event");
}

TEST_F(FileSinkTest, PlainSha256WithoutKey) {
  FileAuditSinkOptions o = Options();
  o.hmac_key = SecretBytes();
  WriteN(1, o);
  std::string line = ReadLines(path_)[0];
  std::string body = line.substr(0, line.size() - 75);
  base::Sha256Digest d = base::Sha256(std::string(32, '\0') + body);
  EXPECT_EQ(line.substr(line.size() - 66, 64), base::Hex(d));
  auto r = VerifyAuditLog(path_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->records, 1u);
}

TEST_F(FileSinkTest, ValuesOfEveryKindAreWritten) {
  auto sink = FileAuditSink::Open(path_, Options());
  ASSERT_TRUE(sink.ok());
  AuditEvent e;
  e.type = "inference.response";
  e.time = absl::FromUnixSeconds(0);
  e.Set("s", "q\"uote\n")
      .Set("d", 0.25)
      .Set("b", false)
      .Set("nul", AuditValue())
      .Set("list", std::vector<std::string>{"a", "b"})
      .Set("findings", AuditValue::Object({{"EMAIL", 2}, {"US_SSN", 1}}));
  ASSERT_TRUE((*sink)->Write(e).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  std::string line = ReadLines(path_)[0];
  EXPECT_TRUE(absl::StrContains(line,
                                "\"time\":\"1970-01-01T00:00:00.000000Z\",\"type\":\"inference."
                                "response\",\"s\":\"q\\\"uote\\n\","
                                "\"d\":0.25,\"b\":false,\"nul\":null,\"list\":[\"a\",\"b\"],"
                                "\"findings\":{\"EMAIL\":2,\"US_SSN\":1},\"prev\""))
      << line;
}

TEST_F(FileSinkTest, RejectsBadEvents) {
  auto sink = FileAuditSink::Open(path_, Options());
  ASSERT_TRUE(sink.ok());
  AuditEvent empty;
  EXPECT_EQ(ErrorReason((*sink)->Write(empty)), "bad_event");
  AuditEvent reserved = MakeEvent(1);
  reserved.Set("hash", "x");
  EXPECT_EQ(ErrorReason((*sink)->Write(reserved)), "bad_event");
  AuditEvent dup = MakeEvent(1);
  dup.Set("n", 2);
  EXPECT_EQ(ErrorReason((*sink)->Write(dup)), "bad_event");
  AuditEvent nan = MakeEvent(1);
  nan.Set("x", std::nan(""));
  EXPECT_EQ(ErrorReason((*sink)->Write(nan)), "bad_event");
  EXPECT_EQ((*sink)->Checkpoint().records, 0u);
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ErrorReason((*sink)->Write(MakeEvent(1))), "closed");
  EXPECT_TRUE((*sink)->Close().ok());  // idempotent
}

TEST_F(FileSinkTest, StampsTimeFromClockWhenUnset) {
  FileAuditSinkOptions o = Options();
  o.clock = [] { return absl::FromUnixMicros(1'700'000'000'123'456); };
  auto sink = FileAuditSink::Open(path_, o);
  ASSERT_TRUE(sink.ok());
  AuditEvent e;
  e.type = "session.start";
  ASSERT_TRUE((*sink)->Write(e).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_TRUE(absl::StrContains(ReadFile(path_), "\"time\":\"2023-11-14T22:13:20.123456Z\""));
}

TEST_F(FileSinkTest, ReopenContinuesTheChain) {
  WriteN(10, Options(FsyncPolicy::kAlways));
  WriteN(10, Options(FsyncPolicy::kBatch), 11);
  auto r = VerifyAuditLog(path_, Options().hmac_key);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(r->records, 20u);
}

TEST_F(FileSinkTest, ReopenUnderAnotherKeyIsRefused) {
  WriteN(3, Options());
  FileAuditSinkOptions other = Options();
  other.hmac_key = SecretBytes("another key, another key, another");
  auto sink = FileAuditSink::Open(path_, other);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(ErrorReason(sink.status()), "corrupt_tail");
}

TEST_F(FileSinkTest, ReopenRepairsATornLastLine) {
  WriteN(5, Options());
  std::string data = ReadFile(path_);
  WriteFile(path_, data + "{\"seq\":6,\"time\":\"2027-");  // a crash in the middle of a write
  auto before = VerifyAuditLog(path_, Options().hmac_key);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->ok);
  EXPECT_TRUE(before->torn_tail);
  EXPECT_EQ(before->records, 5u);
  WriteN(2, Options(), 6);
  auto after = VerifyAuditLog(path_, Options().hmac_key);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok) << after->reason;
  EXPECT_FALSE(after->torn_tail);
  EXPECT_EQ(after->records, 7u);
}

TEST_F(FileSinkTest, CheckpointMatchesTheLastRecord) {
  auto sink = FileAuditSink::Open(path_, Options());
  ASSERT_TRUE(sink.ok());
  AuditCheckpoint empty = (*sink)->Checkpoint();
  EXPECT_EQ(empty.records, 0u);
  EXPECT_EQ(empty.head, std::string(64, '0'));
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  AuditCheckpoint cp = (*sink)->Checkpoint();
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(cp.records, 4u);
  std::string last = ReadLines(path_).back();
  EXPECT_EQ(last.substr(last.size() - 66, 64), cp.head);
  auto parsed = AuditCheckpoint::Parse(cp.ToString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->records, 4u);
  EXPECT_EQ(parsed->head, cp.head);
  EXPECT_EQ(ErrorReason(AuditCheckpoint::Parse("4:xyz").status()), "bad_checkpoint");
  EXPECT_EQ(ErrorReason(AuditCheckpoint::Parse(cp.head).status()), "bad_checkpoint");
}

// Caught by the checkpoint property of tests/fuzz/audit_fuzz.cc: a 20-digit count above UINT64_MAX
// wrapped around to another count (99999999999999999999 parsed as 7766279631452241919).
TEST(CheckpointParseTest, ACountAboveUint64MaxIsRefusedNotWrapped) {
  const std::string head(64, 'a');
  auto max = AuditCheckpoint::Parse("18446744073709551615:" + head);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(max->records, UINT64_MAX);
  EXPECT_EQ(max->ToString(), "18446744073709551615:" + head);
  for (const char* count :
       {"18446744073709551616", "99999999999999999999", "20000000000000000000"}) {
    EXPECT_EQ(ErrorReason(AuditCheckpoint::Parse(std::string(count) + ":" + head).status()),
              "bad_checkpoint")
        << count;
  }
}

TEST_F(FileSinkTest, RotationContinuesTheChainAcrossFiles) {
  FileAuditSinkOptions o = Options(FsyncPolicy::kBatch);
  o.max_file_bytes = 4096;
  auto sink = FileAuditSink::Open(path_, o);
  ASSERT_TRUE(sink.ok());
  for (int i = 1; i <= 120; ++i) {
    ASSERT_TRUE((*sink)->Write(MakeEvent(i, i % 2 ? "odd" : "even")).ok());
  }
  ASSERT_TRUE((*sink)->Close().ok());
  auto files = AuditLogFiles(path_);
  ASSERT_TRUE(files.ok());
  ASSERT_GT(files->size(), 5u);
  EXPECT_EQ((*files)[0], path_ + ".1");
  EXPECT_EQ(files->back(), path_);
  for (const auto& f : *files) EXPECT_LE(std::filesystem::file_size(f), 4096u) << f;
  auto r = VerifyAuditLog(path_, o.hmac_key);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(r->records, 120u);

  // Reopening continues after the newest rotated file too.
  auto again = FileAuditSink::Open(path_, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Checkpoint().records, 120u);
  ASSERT_TRUE((*again)->Close().ok());

  // Replay of one session across every file, in order.
  auto reader = AuditLogReader::Open(path_, "even");
  ASSERT_TRUE(reader.ok());
  std::string rec;
  int count = 0;
  simdjson::dom::parser parser;
  uint64_t last_seq = 0;
  while (true) {
    auto more = (*reader)->Next(&rec);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(rec).get(doc), simdjson::SUCCESS);
    uint64_t seq = doc["seq"].get_uint64().value();
    EXPECT_EQ(seq % 2, 0u);
    EXPECT_GT(seq, last_seq);
    last_seq = seq;
    ++count;
  }
  EXPECT_EQ(count, 60);
}

TEST_F(FileSinkTest, ACrashBetweenRenameAndCreateContinuesFromTheRotatedFile) {
  WriteN(5, Options());
  std::filesystem::rename(path_, path_ + ".1");
  WriteN(3, Options(), 6);
  auto r = VerifyAuditLog(path_, Options().hmac_key);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(r->records, 8u);
}

TEST_F(FileSinkTest, BatchPolicySyncsWithoutFurtherWrites) {
  FileAuditSinkOptions o = Options(FsyncPolicy::kBatch);
  o.batch_interval = absl::Milliseconds(5);
  o.batch_records = 1000000;
  auto sink = FileAuditSink::Open(path_, o);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(MakeEvent(1)).ok());
  // The background syncer writes the record out; poll the file rather than sleep a fixed time.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ReadLines(path_).empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  EXPECT_EQ(ReadLines(path_).size(), 1u);
  ASSERT_TRUE((*sink)->Close().ok());
}

TEST_F(FileSinkTest, NeverPolicyBuffersUntilFlush) {
  FileAuditSinkOptions o = Options(FsyncPolicy::kNever);
  auto sink = FileAuditSink::Open(path_, o);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(MakeEvent(1)).ok());
  EXPECT_TRUE(ReadFile(path_).empty());
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_EQ(ReadLines(path_).size(), 1u);
  ASSERT_TRUE((*sink)->Close().ok());
}

TEST_F(FileSinkTest, ManyThreadsGetConsecutiveSeqs) {
  auto sink = FileAuditSink::Open(path_, Options(FsyncPolicy::kNever));
  ASSERT_TRUE(sink.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(t * 1000 + i)).ok());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*sink)->Close().ok());
  auto r = VerifyAuditLog(path_, Options().hmac_key);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(r->records, 2000u);
}

TEST_F(FileSinkTest, OpenErrors) {
  EXPECT_EQ(ErrorReason(FileAuditSink::Open("", Options()).status()), "bad_options");
  EXPECT_FALSE(FileAuditSink::Open(dir_ + "/missing/dir/audit.log", Options()).ok());
  EXPECT_EQ(ErrorReason(VerifyAuditLog(dir_ + "/nothing.log").status()), "not_found");
}

}  // namespace
}  // namespace jitguard
