// The streaming guarantee: for every way of cutting a text into chunks, the concatenated output
// of MaskStream equals one-shot Mask() of the whole text. Property-tested over a generated corpus
// with 1-byte chunks, random sizes, empty chunks and UTF-8 characters split across chunks, under
// several configurations; plus what a stream holds back, and the fail-closed cap.
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "lib/mask/internal.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard {
namespace {

using mask::testing::CorpusGenerator;

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

// Chunk boundaries for one strategy.
std::vector<size_t> Cuts(int strategy, size_t n, std::mt19937_64& rng, std::string_view text) {
  std::vector<size_t> cuts;
  switch (strategy) {
    case 0:  // every byte
      for (size_t i = 1; i < n; ++i) cuts.push_back(i);
      break;
    case 1: {  // random sizes 1..16, with empty chunks
      size_t i = 0;
      while (i < n) {
        if (rng() % 5 == 0) cuts.push_back(i);  // an empty chunk
        i += 1 + rng() % 16;
        if (i < n) cuts.push_back(i);
      }
      break;
    }
    case 2: {  // random sizes 1..300
      size_t i = 0;
      while ((i += 1 + rng() % 300) < n) cuts.push_back(i);
      break;
    }
    default:  // inside every multi-byte UTF-8 character, and at every space
      for (size_t i = 1; i < n; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) == 0x80 || c == ' ') cuts.push_back(i);
      }
      break;
  }
  return cuts;
}

void CheckCorpus(const Masker& m, uint64_t seed, int docs, size_t bytes, size_t pii_every) {
  CorpusGenerator gen(seed);
  std::mt19937_64 rng(seed * 31 + 1);
  for (int d = 0; d < docs; ++d) {
    const std::string text = gen.Generate(bytes, pii_every).text;
    const std::string want = m.Mask(text);
    for (int strategy = 0; strategy < 4; ++strategy) {
      const std::vector<size_t> cuts = Cuts(strategy, text.size(), rng, text);
      ASSERT_EQ(StreamMask(m, text, cuts), want) << "doc " << d << " strategy " << strategy;
    }
  }
}

TEST(StreamTest, EqualsOneShotForEveryChunkingDefaultProfile) {
  CheckCorpus(**Masker::Create({}), 1, 60, 1500, 150);
}

TEST(StreamTest, EqualsOneShotWithCustomRulesTermsAndAllowlist) {
  MaskerOptions o;
  o.custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
  o.custom.push_back({.name = "ACCOUNT",
                      .regex = R"(\d{10,12})",
                      .validator = Validator::kLuhn,
                      .context_words = {"account", "acct"}});
  o.terms.push_back({.name = "PROJECT",
                     .terms = {"model", "quarterly results", "Kubernetes", "naïve", "data_frame"}});
  o.allowlist = {"support@example.com"};
  CheckCorpus(**Masker::Create(o), 2, 30, 1500, 150);
}

TEST(StreamTest, EqualsOneShotInEveryStyle) {
  for (MaskStyle style : {MaskStyle::kRedact, MaskStyle::kPartial, MaskStyle::kHash}) {
    MaskerOptions o;
    o.style = style;
    o.hash_key = SecretBytes("0123456789abcdef0123456789abcdef");
    CheckCorpus(**Masker::Create(o), 3 + static_cast<int>(style), 10, 1500, 120);
  }
}

TEST(StreamTest, EqualsOneShotOnAdversarialText) {
  using namespace std::string_literals;
  // Candidates that stay open for long, values glued together, and bytes that are not UTF-8.
  const std::string texts[] = {
      "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIV",  // unterminated at the end
      "a@b.c@d.com 4111111111111111@x.io ::ffff:1.2.3.4.5 1.2.3.4.5.6",
      "\0\xff\xfe a@example.com \x80\x80 123-45-6789\0"s,  // NULs included
      "+1 (415) 555-0132 +44 20 7946 0958 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig eyJhbGciOiJIUzI1NiJ9.eyJ",
      std::string(5000, 'a') + "@example.com",
      "SSN:\n\n123456789 ssn 123 45 6789 ssn 123456789012",
      // A value glued to the end of another (found right where the first one ends).
      "4110 1111 1111 1john.doe@example.com x 4111111111111111john@example.com.",
      "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----john@example.com",
  };
  const auto m = *Masker::Create({});
  std::mt19937_64 rng(5);
  for (const std::string& text : texts) {
    for (int strategy = 0; strategy < 4; ++strategy) {
      EXPECT_EQ(StreamMask(*m, text, Cuts(strategy, text.size(), rng, text)), m->Mask(text));
    }
  }
}

TEST(StreamTest, HoldsAtMostTheCurrentWordOnProse) {
  const auto m = *Masker::Create({});
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out = s->Write("The quarterly report was rev");
  EXPECT_EQ(out, "The quarterly report was ");
  EXPECT_EQ(s->held_bytes(), 3u);
  out += s->Write("iewed by the board ");
  EXPECT_EQ(s->held_bytes(), 0u);
  out += s->Write("and mailed to jo");
  EXPECT_EQ(s->held_bytes(), 2u);
  out += s->Write("hn@exa");
  out += s->Write("mple.com today");
  EXPECT_EQ(s->held_bytes(), 5u);  // "today" might still be the start of something
  out += s->Finish();
  EXPECT_EQ(out, "The quarterly report was reviewed by the board and mailed to [EMAIL] today");
}

TEST(StreamTest, ValueSplitAcrossChunksIsCaught) {
  const auto m = *Masker::Create({});
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out = s->Write("card 4111 1111 ");
  EXPECT_EQ(out.find("4111"), std::string::npos);
  out += s->Write("1111 1111, thanks");
  out += s->Finish();
  EXPECT_EQ(out, "card [CREDIT_CARD], thanks");
  EXPECT_EQ(s->counts().at("CREDIT_CARD"), 1u);  // counts outlive Finish (audit records)
}

TEST(StreamTest, CountsFindingsPerEntity) {
  const auto m = *Masker::Create({});
  std::unique_ptr<MaskStream> s = m->NewStream();
  s->Write("a@example.com b@example.com 10.0.0.1 ");
  const FindingCounts& c = s->counts();
  EXPECT_EQ(c.at("EMAIL"), 2u);
  EXPECT_EQ(c.at("IPV4"), 1u);
}

TEST(StreamTest, CapMasksTheHeldCandidateFailClosed) {
  MaskerOptions o;
  o.max_held_bytes = 1024;
  const auto m = *Masker::Create(o);
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out = s->Write("before -----BEGIN PRIVATE KEY-----\n");
  EXPECT_EQ(out, "before ");
  const std::string body = std::string(64, 'Q') + "\n";
  for (int i = 0; i < 40; ++i) {
    const std::string piece = s->Write(body);
    EXPECT_EQ(piece.find('Q'), std::string::npos);  // never leaks the key material
    out += piece;
    EXPECT_LE(s->held_bytes(), 1024u + body.size());
  }
  out += s->Write("-----END PRIVATE KEY-----\nafter a@example.com");
  out += s->Finish();
  EXPECT_EQ(out, "before [PRIVATE_KEY]\nafter [EMAIL]");
  EXPECT_EQ(s->counts().at("PRIVATE_KEY"), 1u);
  EXPECT_EQ(s->counts().at("EMAIL"), 1u);
}

TEST(StreamTest, CapOnALongTokenSwallowsToTheNextDelimiter) {
  MaskerOptions o;
  o.max_held_bytes = 1024;
  const auto m = *Masker::Create(o);
  std::unique_ptr<MaskStream> s = m->NewStream();
  // A JWT-shaped token that keeps growing past the cap.
  std::string out = s->Write("tok eyJhbGciOiJIUzI1NiJ9.");
  for (int i = 0; i < 30; ++i) out += s->Write(std::string(64, 'x'));
  out += s->Write("yyy.zzz done");
  out += s->Finish();
  EXPECT_EQ(out, "tok [JWT] done");
}

TEST(StreamTest, RedactStyleCapStillRedactsEveryCharacter) {
  MaskerOptions o;
  o.max_held_bytes = 1024;
  o.style = MaskStyle::kRedact;
  const auto m = *Masker::Create(o);
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\n" + std::string(3000, 'k') + "\n-----END PRIVATE KEY-----";
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out;
  for (size_t i = 0; i < pem.size(); i += 100)
    out += s->Write(std::string_view(pem).substr(i, 100));
  out += s->Write(" tail");
  out += s->Finish();
  EXPECT_EQ(out, std::string(pem.size(), '*') + " tail");
  EXPECT_EQ(out, m->Mask(pem + " tail"));  // redact continuations keep the exact output
}

// Feeding a text in chunks of `chunk` bytes: the output, and the bytes the stream examined.
std::pair<std::string, size_t> FeedInChunks(const Masker& m, std::string_view text, size_t chunk) {
  std::unique_ptr<MaskStream> s = m.NewStream();
  std::string out;
  for (size_t i = 0; i < text.size(); i += chunk) s->Write(text.substr(i, chunk), &out);
  out += s->Finish();
  return {out, mask::StreamBytesExamined(*s)};
}

TEST(StreamTest, ByteAtATimeExaminesLinearlyManyBytes) {
  // Texts whose candidates stay held over many Writes: a long key, a long JWT, a digit run and a
  // word with no delimiter, an e-mail local part, plus prose and PII. Re-scanning the held bytes
  // on every 1-byte Write would examine about n^2 / 2 bytes (tens of millions here); the stream
  // must stay within a constant per byte. No timing: the stream counts what it looked at.
  CorpusGenerator gen(17);
  const std::string pem = "key: -----BEGIN PRIVATE KEY-----\n" + std::string(9000, 'Q') +
                          "\n-----END PRIVATE KEY----- done";
  const std::string jwt = "tok eyJhbGciOiJIUzI1NiJ9." + std::string(12000, 'x') + ".sig end";
  const std::string digits = "n " + std::string(12000, '7') + " end";
  const std::string word = std::string(15000, 'a');
  const std::string local = "mail " + std::string(8000, 'b') + "@example.com ok";
  const std::string prose = gen.Generate(20000, 150).text;
  const auto m = *Masker::Create({});
  for (const std::string* text : {&pem, &jwt, &digits, &word, &local, &prose}) {
    const std::string want = m->Mask(*text);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{64}}) {
      const auto [got, examined] = FeedInChunks(*m, *text, chunk);
      EXPECT_EQ(got, want) << "chunk " << chunk << " text of " << text->size();
      const size_t n = text->size();
      EXPECT_LE(examined, 40 * n + 200000) << "chunk " << chunk << " text of " << n;
      EXPECT_LT(examined, n * n / 40) << "chunk " << chunk << " text of " << n;
    }
  }
  // Past the hold cap (fail closed) the cost stays linear too.
  MaskerOptions capped;
  capped.max_held_bytes = 4096;
  const auto mc = *Masker::Create(capped);
  const std::string huge = "tok eyJhbGciOiJIUzI1NiJ9." + std::string(60000, 'x') + " end";
  const auto [out, examined] = FeedInChunks(*mc, huge, 1);
  EXPECT_EQ(out, "tok [JWT] end");
  EXPECT_LE(examined, 40 * huge.size() + 200000);
}

TEST(StreamTest, StreamIsReusableAfterFinish) {
  const auto m = *Masker::Create({});
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string out = s->Write("x a@example.c");
  out += s->Finish();
  EXPECT_EQ(out, "x a@example.c");
  out = s->Write("y a@example.co");
  out += s->Finish();
  EXPECT_EQ(out, "y [EMAIL]");
}

}  // namespace
}  // namespace jitguard

namespace jitguard {
namespace {

using mask::testing::CorpusGenerator;

TEST(ConcurrencyTest, OneMaskerSharedByManyThreads) {
  MaskerOptions o;
  o.terms.push_back({.name = "PROJECT", .terms = {"model", "quarterly results"}});
  o.custom.push_back({.name = "EMP", .regex = R"(EMP-\d{6})"});
  const auto m = *Masker::Create(o);
  std::vector<std::string> texts;
  CorpusGenerator gen(77);
  for (int i = 0; i < 16; ++i) texts.push_back(gen.Generate(4000, 150).text);
  std::vector<std::string> want;
  for (const std::string& t : texts) want.push_back(m->Mask(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const std::string& text = texts[(i + t) % texts.size()];
          const std::string& expect = want[(i + t) % texts.size()];
          if (m->Mask(text) != expect) ++mismatches;
          auto s = m->NewStream();
          std::string out;
          for (size_t k = 0; k < text.size(); k += 61) out += s->Write(text.substr(k, 61));
          out += s->Finish();
          if (out != expect) ++mismatches;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace jitguard
