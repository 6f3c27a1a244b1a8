// The masker matches through the folded view (lib/text/fold.h). Differential properties over a
// generated corpus obfuscated with code points that fold back to it:
//   - Find() on the obfuscated text reports the same findings as on the plain text, each covering
//     exactly the code points that fold to the plain value;
//   - the folded masked output equals the masked plain text (clean text keeps its original bytes);
//   - a stream equals the one-shot scan for every chunking, including chunks that split a UTF-8
//     sequence;
//   - every SIMD implementation gives the scalar one's output.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "lib/mask/internal.h"
#include "lib/mask/simd.h"
#include "lib/text/fold.h"
#include "tests/cpp/mask/corpus.h"
#include "tests/cpp/mask/unicode_obfuscation.h"

namespace jitguard {
namespace {

using mask::testing::CorpusGenerator;
using mask::testing::Obfuscator;

std::string Fold(std::string_view s) {
  text::FoldedView v;
  text::Fold(s, &v);
  return v.text;
}

std::string StreamMask(const Masker& m, std::string_view text, const std::vector<size_t>& cuts) {
  std::unique_ptr<MaskStream> s = m.NewStream();
  std::string out;
  size_t prev = 0;
  for (size_t cut : cuts) {
    out += s->Write(text.substr(prev, cut - prev));
    prev = cut;
  }
  out += s->Write(text.substr(prev));
  out += s->Finish();
  return out;
}

std::vector<size_t> Cuts(int strategy, std::string_view text, std::mt19937_64& rng) {
  const size_t n = text.size();
  std::vector<size_t> cuts;
  switch (strategy) {
    case 0:  // every byte
      for (size_t i = 1; i < n; ++i) cuts.push_back(i);
      break;
    case 1: {  // random sizes 1..16, with empty chunks
      size_t i = 0;
      while (i < n) {
        if (rng() % 5 == 0) cuts.push_back(i);
        i += 1 + rng() % 16;
        if (i < n) cuts.push_back(i);
      }
      break;
    }
    case 2: {  // random sizes 1..700 (past the stream's compaction point)
      size_t i = 0;
      while ((i += 1 + rng() % 700) < n) cuts.push_back(i);
      break;
    }
    default:  // inside every multi-byte UTF-8 sequence
      for (size_t i = 1; i < n; ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) cuts.push_back(i);
      }
      break;
  }
  return cuts;
}

MaskerOptions CustomAndTerms() {
  MaskerOptions o;
  o.custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
  o.custom.push_back({.name = "ACCOUNT",
                      .regex = R"(\d{10,12})",
                      .validator = Validator::kLuhn,
                      .context_words = {"account", "acct"}});
  o.terms.push_back({.name = "PROJECT",
                     .terms = {"model", "quarterly results", "Kubernetes", "data_frame"}});
  return o;
}

void CheckFindingsMatchThePlainText(const Masker& m, uint64_t seed, int docs, double rate,
                                    double insert_rate) {
  CorpusGenerator gen(seed);
  Obfuscator ob(seed + 100, rate, insert_rate);
  for (int d = 0; d < docs; ++d) {
    const std::string plain = gen.Generate(2000, 120).text;
    const std::string text = ob.Obfuscate(plain);
    ASSERT_EQ(Fold(text), plain);
    const std::vector<Finding> want = m.Find(plain);
    const std::vector<Finding> got = m.Find(text);
    ASSERT_EQ(got.size(), want.size()) << "doc " << d;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].entity, want[i].entity);
      EXPECT_EQ(got[i].rule, want[i].rule);
      const std::string_view value =
          std::string_view(text).substr(got[i].start, got[i].end - got[i].start);
      EXPECT_EQ(Fold(value), plain.substr(want[i].start, want[i].end - want[i].start));
    }
    EXPECT_EQ(Fold(m.Mask(text)), m.Mask(plain)) << "doc " << d;
  }
}

TEST(UnicodeDifferentialTest, FindingsMatchThePlainTextDefaultProfile) {
  CheckFindingsMatchThePlainText(**Masker::Create({}), 1, 40, 0.3, 0.05);
  CheckFindingsMatchThePlainText(**Masker::Create({}), 2, 20, 0.9, 0.3);
}

TEST(UnicodeDifferentialTest, FindingsMatchThePlainTextWithCustomRulesAndTerms) {
  CheckFindingsMatchThePlainText(**Masker::Create(CustomAndTerms()), 3, 30, 0.3, 0.05);
}

void CheckStream(const Masker& m, uint64_t seed, int docs, double rate, double insert_rate) {
  CorpusGenerator gen(seed);
  Obfuscator ob(seed + 200, rate, insert_rate);
  std::mt19937_64 rng(seed * 7 + 3);
  for (int d = 0; d < docs; ++d) {
    const std::string text = ob.Obfuscate(gen.Generate(1500, 120).text);
    const std::string want = m.Mask(text);
    for (int strategy = 0; strategy < 4; ++strategy) {
      ASSERT_EQ(StreamMask(m, text, Cuts(strategy, text, rng)), want)
          << "doc " << d << " strategy " << strategy;
    }
  }
}

TEST(UnicodeDifferentialTest, StreamEqualsOneShotDefaultProfile) {
  CheckStream(**Masker::Create({}), 11, 25, 0.3, 0.05);
  CheckStream(**Masker::Create({}), 12, 10, 0.9, 0.4);
}

TEST(UnicodeDifferentialTest, StreamEqualsOneShotWithCustomRulesTermsAndStyles) {
  CheckStream(**Masker::Create(CustomAndTerms()), 13, 15, 0.3, 0.1);
  for (MaskStyle style : {MaskStyle::kRedact, MaskStyle::kPartial, MaskStyle::kHash}) {
    MaskerOptions o;
    o.style = style;
    o.hash_key = SecretBytes("0123456789abcdef0123456789abcdef");
    CheckStream(**Masker::Create(o), 14 + static_cast<int>(style), 5, 0.5, 0.1);
  }
}

TEST(UnicodeDifferentialTest, StreamEqualsOneShotOnLongNonAsciiContext) {
  // Long runs of code points folding to nothing or to several bytes before values, across the
  // stream's compaction point, and sequences cut at the very end of a chunk.
  const auto m = *Masker::Create(CustomAndTerms());
  std::string zw;
  for (int i = 0; i < 30; ++i) zw += "\u200B";
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += "Пример текста ⑴⑵ ﬁle ssn" + zw + " 123456789 acct" + zw + " 4111111111111111 ";
    text += "日本語のテキスト ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ ";
  }
  std::mt19937_64 rng(9);
  const std::string want = m->Mask(text);
  for (int strategy = 0; strategy < 4; ++strategy) {
    EXPECT_EQ(StreamMask(*m, text, Cuts(strategy, text, rng)), want) << strategy;
  }
}

// Random mixes of values, code points that folding changes, invalid and truncated UTF-8: a stream
// equals one-shot for random chunkings, and findings are ordered, disjoint and in bounds.
TEST(UnicodeDifferentialTest, StreamEqualsOneShotOnRandomMixesWithInvalidUtf8) {
  const char* atoms[] = {"4111", " ", "-", "\u2013", "\u00A0", "\u200B", "\u0301", "\uFF11",
                         "\u0661", "@", "\uFF20", ".", "\uFF0E", "jane", "\u0435", "x",
                         "\xE2\x80", "\xC3", "\x80", "\xF0\x9F", "\xED\xA0\x80", "\u2474",
                         "\u2488", "536", "22", "8726", "ghp_", "R8x2Kq9Lm4Vz7Tn1Bw3Yc6Pd5Hs0Jf2Gk8N",
                         "\n", "ssn", "日本", "\uFB01", "example", "com", "1", "0",
                         // expansions a value can end inside: ½ ⑽ ⒈ ㏇
                         "\u00BD", "\u247D", "\u2488", "\u33C7", "415-555-267", "2671"};
  const auto m = *Masker::Create(CustomAndTerms());
  std::mt19937_64 rng(77);
  for (int round = 0; round < 600; ++round) {
    std::string text;
    const int k = 1 + static_cast<int>(rng() % 80);
    for (int i = 0; i < k; ++i) text += atoms[rng() % std::size(atoms)];
    const std::string want = m->Mask(text);
    const std::vector<Finding> found = m->Find(text);
    size_t prev = 0;
    for (const Finding& f : found) {
      ASSERT_LE(prev, f.start);
      ASSERT_LT(f.start, f.end);
      ASSERT_LE(f.end, text.size());
      prev = f.end;
    }
    for (int strategy = 0; strategy < 4; ++strategy) {
      ASSERT_EQ(StreamMask(*m, text, Cuts(strategy, text, rng)), want)
          << "round " << round << " strategy " << strategy;
    }
  }
}

TEST(UnicodeDifferentialTest, EverySimdImplementationAgreesWithScalar) {
  const mask::Implementation* scalar = mask::FindImplementation("scalar");
  ASSERT_NE(scalar, nullptr);
  for (const MaskerOptions& o : {MaskerOptions{}, CustomAndTerms()}) {
    const auto ref = *mask::CreateMaskerWith(o, scalar);
    for (const mask::Implementation* impl : mask::SupportedImplementations()) {
      const auto m = *mask::CreateMaskerWith(o, impl);
      CorpusGenerator gen(21);
      Obfuscator ob(22, 0.4, 0.1);
      for (int d = 0; d < 20; ++d) {
        const std::string text = ob.Obfuscate(gen.Generate(3000, 100).text);
        ASSERT_EQ(m->Mask(text), ref->Mask(text)) << impl->name() << " doc " << d;
      }
    }
  }
}

}  // namespace
}  // namespace jitguard
