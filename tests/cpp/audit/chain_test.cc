// ChainHead: the chain state the file and Postgres sinks share (seal, advance, checkpoint,
// restore).
#include "lib/audit/chain.h"

#include <string>

#include "gtest/gtest.h"
#include "jitguard/status.h"

namespace jitguard::audit_internal {
namespace {

constexpr std::string_view kKey = "chain test key of at least 32 bytes";

std::string Sealed(ChainHead& head, const Chainer& chainer, std::string_view type) {
  std::string line =
      "{\"seq\":" + std::to_string(head.next_seq()) + ",\"type\":\"" + std::string(type) + "\"";
  absl::StatusOr<Digest> hash = head.Seal(chainer, &line);
  EXPECT_TRUE(hash.ok());
  if (hash.ok()) head.Advance(*hash);
  return line;
}

TEST(ChainHeadTest, SealDoesNotMoveTheHeadAdvanceDoes) {
  const Chainer chainer(kKey);
  ChainHead head;
  EXPECT_EQ(head.next_seq(), 1u);
  EXPECT_EQ(head.Checkpoint().ToString(), "0:" + std::string(kZeroHex));
  std::string line = "{\"seq\":1,\"type\":\"a\"";
  absl::StatusOr<Digest> sealed = head.Seal(chainer, &line);
  ASSERT_TRUE(sealed.ok());
  const Digest hash = *sealed;
  EXPECT_EQ(head.next_seq(), 1u);  // a refused record costs nothing
  LineParts parts;
  ASSERT_TRUE(SplitLine(line, &parts));
  EXPECT_EQ(parts.seq, 1u);
  EXPECT_EQ(parts.prev_hex, kZeroHex);
  EXPECT_EQ(chainer.Hash(Digest{}, parts.body), hash);
  head.Advance(hash);
  EXPECT_EQ(head.next_seq(), 2u);
  EXPECT_EQ(head.Checkpoint().records, 1u);
  EXPECT_EQ(head.Checkpoint().head, parts.hash_hex);
}

TEST(ChainHeadTest, RestoreContinuesFromTheLastLine) {
  const Chainer chainer(kKey);
  ChainHead writer;
  Sealed(writer, chainer, "a");
  const std::string last = Sealed(writer, chainer, "b");
  ChainHead reopened;
  ASSERT_TRUE(reopened.Restore(chainer, last, "the last record").ok());
  EXPECT_EQ(reopened.Checkpoint().ToString(), writer.Checkpoint().ToString());
  // Both go on to the same third record.
  EXPECT_EQ(Sealed(reopened, chainer, "c"), Sealed(writer, chainer, "c"));
}

TEST(ChainHeadTest, RestoreRefusesAForeignOrBrokenLineAndKeepsTheHead) {
  const Chainer chainer(kKey);
  ChainHead writer;
  const std::string line = Sealed(writer, chainer, "a");
  ChainHead head;
  Sealed(head, chainer, "x");
  const std::string before = head.Checkpoint().ToString();

  absl::Status other_key = head.Restore(Chainer("another key"), line, "the last record of f");
  EXPECT_EQ(ErrorReason(other_key), "corrupt_tail");
  EXPECT_NE(other_key.message().find("the last record of f does not verify"), std::string::npos);
  std::string edited = line;
  edited[15] = edited[15] == 'a' ? 'b' : 'a';
  EXPECT_EQ(ErrorReason(head.Restore(chainer, edited, "row")), "corrupt_tail");
  absl::Status garbage = head.Restore(chainer, "{\"seq\":1}", "row");
  EXPECT_EQ(ErrorReason(garbage), "corrupt_tail");
  EXPECT_NE(garbage.message().find("row is not a record line"), std::string::npos);
  EXPECT_EQ(head.Checkpoint().ToString(), before);
}

}  // namespace
}  // namespace jitguard::audit_internal
