// MaskStream::Write(chunk, out), the appending form, is exactly out->append(Write(chunk)): checked
// chunk by chunk against a second stream using the string-returning form, over random chunkings
// of a generated corpus, in every style, with custom rules and terms, and through the fail-closed
// cap; plus both forms mixed on one stream.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard {
namespace {

using mask::testing::CorpusGenerator;

// Random chunk sizes in [0, max_chunk] (0 = an empty chunk).
std::vector<std::string_view> RandomChunks(std::string_view text, size_t max_chunk,
                                           std::mt19937_64& rng) {
  std::vector<std::string_view> chunks;
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = std::min<size_t>(rng() % (max_chunk + 1), text.size() - i);
    chunks.push_back(text.substr(i, len));
    i += len;
  }
  return chunks;
}

// Feeds `text` to two streams, one per form, and compares every call's output. The appending form
// writes into a buffer that already holds bytes (they must be kept) and is cleared only now and
// then, as a server reusing its send buffer would.
void CheckSameOutput(const Masker& m, std::string_view text, size_t max_chunk,
                     std::mt19937_64& rng) {
  std::unique_ptr<MaskStream> by_value = m.NewStream();
  std::unique_ptr<MaskStream> by_append = m.NewStream();
  std::string buffer = "prefix";
  std::string all_by_value, all_by_append;
  for (std::string_view chunk : RandomChunks(text, max_chunk, rng)) {
    const std::string want = by_value->Write(chunk);
    const size_t before = buffer.size();
    by_append->Write(chunk, &buffer);
    ASSERT_EQ(buffer.substr(before), want);
    ASSERT_EQ(by_append->held_bytes(), by_value->held_bytes());
    all_by_value += want;
    all_by_append += buffer.substr(before);
    if (rng() % 4 == 0) buffer.clear();
  }
  const std::string tail = by_value->Finish();
  all_by_value += tail;
  all_by_append += by_append->Finish();
  ASSERT_EQ(all_by_append, all_by_value);
  ASSERT_EQ(by_append->counts(), by_value->counts());
}

TEST(StreamAppendTest, EqualsStringWriteForRandomChunkings) {
  std::vector<MaskerOptions> configs(5);
  configs[1].style = MaskStyle::kRedact;
  configs[2].style = MaskStyle::kPartial;
  configs[3].style = MaskStyle::kHash;
  configs[3].hash_key = SecretBytes("0123456789abcdef0123456789abcdef");
  configs[4].custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
  configs[4].terms.push_back({.name = "PROJECT", .terms = {"model", "quarterly results"}});
  configs[4].allowlist = {"support@example.com"};
  std::mt19937_64 rng(11);
  for (size_t c = 0; c < configs.size(); ++c) {
    const auto m = *Masker::Create(configs[c]);
    CorpusGenerator gen(100 + c);
    for (int d = 0; d < 12; ++d) {
      const std::string text = gen.Generate(2000, d % 2 == 0 ? 150 : 0).text;
      for (size_t max_chunk : {size_t{1}, size_t{16}, size_t{64}, size_t{300}}) {
        CheckSameOutput(*m, text, max_chunk, rng);
        // And the concatenation is still one-shot Mask().
        std::unique_ptr<MaskStream> s = m->NewStream();
        std::string out;
        for (std::string_view chunk : RandomChunks(text, max_chunk, rng)) s->Write(chunk, &out);
        out += s->Finish();
        ASSERT_EQ(out, m->Mask(text)) << "config " << c << " doc " << d;
      }
    }
  }
}

TEST(StreamAppendTest, EqualsStringWriteThroughTheFailClosedCap) {
  MaskerOptions o;
  o.max_held_bytes = 1024;
  for (MaskStyle style : {MaskStyle::kLabel, MaskStyle::kRedact}) {
    o.style = style;
    const auto m = *Masker::Create(o);
    const std::string text = "before -----BEGIN PRIVATE KEY-----\n" + std::string(3000, 'k') +
                             "\n-----END PRIVATE KEY-----\nafter a@example.com tok " +
                             "eyJhbGciOiJIUzI1NiJ9." + std::string(2000, 'x') + ".y done";
    std::mt19937_64 rng(12);
    for (size_t max_chunk : {size_t{7}, size_t{64}, size_t{500}}) {
      CheckSameOutput(*m, text, max_chunk, rng);
    }
  }
}

TEST(StreamAppendTest, BothFormsMixOnOneStream) {
  const auto m = *Masker::Create({});
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out = s->Write("mail jo");
  s->Write("hn@exa", &out);
  out += s->Write("mple.com, card 4111 1111 ");
  s->Write("1111 1111 done", &out);
  out += s->Finish();
  EXPECT_EQ(out, "mail [EMAIL], card [CREDIT_CARD] done");
}

}  // namespace
}  // namespace jitguard
