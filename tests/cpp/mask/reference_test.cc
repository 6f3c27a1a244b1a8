// The scanner against a brute-force reference: every candidate start (a position whose previous
// byte is not an ASCII letter or digit, or the end of a finding) tried with every built-in
// detector, longest match wins (ties: mask::PreferHit), scanning resumes after the match; a value
// after "key: " is tried first with the key-value rules at that ':'. Every shortcut of the engine (the
// trigger prefilter, span-level conditions, the shape filter, the left-boundary table) must leave
// the findings unchanged; this test is where a shortcut that drops a real candidate shows up.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "lib/mask/builtin.h"
#include "lib/mask/validators.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard::mask {
namespace {

std::string Describe(std::string_view text, size_t start, size_t end, std::string_view rule) {
  return std::string(rule) + "@" + std::to_string(start) + ":" +
         std::string(text.substr(start, end - start));
}

// `all`: every built-in entity (else the default profile's).
std::vector<std::string> Reference(std::string_view text, bool all = false) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  const Cursor cur(p, n, /*final=*/true);
  std::vector<std::string> out;
  size_t s = 0;
  size_t resume = n + 1;  // where the last finding ended
  while (s < n) {
    // Right after a finding a value may start whatever the finding's last byte was.
    // (A ':' or '=' is a candidate whatever precedes it: the key-value secrets start there.)
    if (s > 0 && IsAlnum(p[s - 1]) && s != resume && !IsKeyValueSeparator(p[s])) {
      ++s;
      continue;
    }
    Hit best;
    // A value after "key: " (ColonBeforeValue): the key-value rules at the ':', which is its left
    // context (it may lie inside the finding before); such a match wins at s.
    if (const size_t colon = ColonBeforeValue(p, s); colon != SIZE_MAX) {
      for (int e : {kAwsAccessKey, kApiKey}) {
        Hit hit;
        if (MatchBuiltin(e, cur, colon, &hit) && hit.begin >= s && PreferHit(hit, best)) {
          best = hit;
        }
      }
    }
    for (int e = 0; e < kNumBuiltinEntities && best.rule < 0; ++e) {
      if (!all && !BuiltinDefaultOn(e)) continue;
      Hit hit;
      if (MatchBuiltin(e, cur, s, &hit) && hit.end > s && PreferHit(hit, best)) best = hit;
    }
    if (best.rule < 0) {
      ++s;
      continue;
    }
    out.push_back(Describe(text, std::max(s, best.begin), best.end, BuiltinRuleName(best.rule)));
    s = resume = best.end;
    cur.SetResumeAt(s);
  }
  return out;
}

std::vector<std::string> Engine(const Masker& m, std::string_view text) {
  std::vector<std::string> out;
  for (const Finding& f : m.Find(text)) out.push_back(Describe(text, f.start, f.end, f.rule));
  return out;
}

// Text made of the bytes values and near-values are built from, with real values spliced in:
// numbers next to every separator, upper-case runs, key prefixes, partial values.
std::string Soup(std::mt19937_64& rng, testing::CorpusGenerator& gen, size_t bytes,
                 bool extra = false) {
  static const std::string_view kPieces[] = {
      "0",     "1",    "2",   "4",   "5",    "9",    "12",   "415", "555",  "0132",     "4111",
      "123",   "-",    ".",   ":",   "::",   " ",    "  ",   "\n",  "(",    ")",        "+",
      "+1",    "/",    "@",   "_",   ",",    "#",    "$",    "A",   "AKIA", "J",        "eyJ",
      "sk-",   "ghp_", "DE",  "GB",  "ABCD", "x",    "ab",   "fe",  "ssn",  "SSN ",     "e",
      "-----", "\t",   "1.2", "a.b", "é",    "\xff", "12:3", "ff:", "10.",  "GB82 WEST",
      // key-value secrets: key names, separators, values
      "password=", "token: ", "api_key", "=", ": ", "Secret", "Zx81Nv4Ty7Pw0Rk3", "Q~"};
  // Values and near values of the entities added after the first eleven (`extra`).
  static const std::string_view kExtraPieces[] = {
      "00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e", "0a:", "1b-", "2c3d.", "4e:5f",
      "de:ad:be:ef:ca:fe",
      // NATIONAL_ID values, their context words and near misses
      "912-70-1234", "ITIN ", "12345678Z", "12345678A", "X1234567L", "2341 2341 2346",
      "2341 2341 2345", "aadhaar ", "499187654323", "NHS ", "9434765919", "123 456 7881", "PESEL ",
      "44051401359", "131052-308T", "131052A308T", "S1234567D", "F1234567N", "1234 ", "9",
      "JG 10 37 59 A", "AB123456C", "QQ 12 34 56 C", "CE 123456 D", "JG", "CE ", " 12 34 56 C",
      "RSSMRA85T10A562S", "RSSMRA85T10A56NH", "RSSMRA85T10A562T", "RSSMRA",
      "51 824 753 556", "ABN ", "51824753556", "ACN ", "004 085 616", "TFN ", "123 456 782",
      "876543210", "medicare ", "2123 45670 1", "2123456701", "51 824 753 557",
      "ABCPE1234F", "ABCDE1234F", "800101-1234560", "800101-1234561", "RRN ", "210315-3987654",
      "passport ", "passport #", "A12345678", "123456789",
      // CRYPTO_WALLET values and near misses
      "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
      "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "wallet ", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf",
      "0x", "bc1", "3J98t1",
      // DATE_OF_BIRTH values, context words and near misses
      "DOB ", "born ", "1985-03-14", "14/03/1985", "3 March 1985", "March ", "3rd of March, 1985",
      "19850314", "1985-02-30", "Sept. ", "2, 1985", "4-3-85", "T00"};
  std::string out;
  while (out.size() < bytes) {
    const uint64_t r = rng() % 100;
    if (r < 4) {
      out += gen.Generate(80, 40).text;
    } else if (r < 6) {
      out += gen.Ipv4();
    } else if (r < 8) {
      out += gen.Phone();
    } else if (extra && r < 20) {
      out += kExtraPieces[rng() % std::size(kExtraPieces)];
    } else {
      out += kPieces[rng() % std::size(kPieces)];
    }
  }
  return out;
}

std::shared_ptr<const Masker> Default() {
  static const std::shared_ptr<const Masker> m = *Masker::Create({});
  return m;
}

// Every built-in entity on (the default profile leaves some off).
std::shared_ptr<const Masker> All() {
  static const std::shared_ptr<const Masker> m = [] {
    MaskerOptions o;
    o.entities = std::vector<std::string>(BuiltinEntities().begin(), BuiltinEntities().end());
    return *Masker::Create(std::move(o));
  }();
  return m;
}

TEST(ReferenceTest, GeneratedCorporaMatchBruteForce) {
  for (uint64_t seed : {1, 2, 3}) {
    testing::CorpusGenerator gen(seed);
    for (int d = 0; d < 30; ++d) {
      const std::string text = gen.Generate(4000, d % 2 == 0 ? 0 : 150).text;
      ASSERT_EQ(Engine(*Default(), text), Reference(text)) << "seed " << seed << " doc " << d;
    }
  }
}

TEST(ReferenceTest, SoupMatchesBruteForce) {
  std::mt19937_64 rng(42);
  testing::CorpusGenerator gen(9);
  size_t found = 0;
  for (int d = 0; d < 400; ++d) {
    const std::string text = Soup(rng, gen, 1 + rng() % 600);
    const std::vector<std::string> want = Reference(text);
    ASSERT_EQ(Engine(*Default(), text), want) << "doc " << d << ": " << text;
    found += want.size();
  }
  EXPECT_GT(found, 1000u);  // the soup is rich in values, not only in near-misses
}

TEST(ReferenceTest, SoupMatchesBruteForceWithEveryEntity) {
  std::mt19937_64 rng(44);
  testing::CorpusGenerator gen(11);
  size_t found = 0, extra = 0;
  for (int d = 0; d < 600; ++d) {
    const std::string text = Soup(rng, gen, 1 + rng() % 600, /*extra=*/true);
    const std::vector<std::string> want = Reference(text, /*all=*/true);
    ASSERT_EQ(Engine(*All(), text), want) << "doc " << d << ": " << text;
    found += want.size();
    for (const std::string& f : want) {
      for (std::string_view rule : {"mac@", "us_itin@", "es_nif@", "es_nie@", "in_aadhaar@",
                                    "uk_nhs@", "pl_pesel@", "fi_hetu@", "sg_nric@", "uk_nino@",
                                    "it_fiscal_code@", "au_abn@", "au_acn@", "au_tfn@",
                                    "au_medicare@", "in_pan@", "kr_rrn@", "us_passport@",
                                    "btc_base58@", "btc_bech32@", "eth@", "eth_context@"}) {
        extra += f.rfind(rule, 0) == 0;
      }
    }
  }
  EXPECT_GT(found, 1000u);
  EXPECT_GT(extra, 30u);  // the added entities' values are found too (pieces glue to neighbours)
}

TEST(ReferenceTest, SoupStreamsMatchOneShotWithEveryEntity) {
  std::mt19937_64 rng(46);
  testing::CorpusGenerator gen(12);
  for (int d = 0; d < 200; ++d) {
    const std::string text = Soup(rng, gen, 1 + rng() % 600, /*extra=*/true);
    const std::string want = All()->Mask(text);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{64}}) {
      std::unique_ptr<MaskStream> s = All()->NewStream();
      std::string got;
      for (size_t i = 0; i < text.size(); i += chunk) {
        s->Write(std::string_view(text).substr(i, chunk), &got);
      }
      got += s->Finish();
      ASSERT_EQ(got, want) << "doc " << d << " chunk " << chunk << ": " << text;
    }
  }
}

TEST(ReferenceTest, SoupStreamsMatchOneShot) {
  std::mt19937_64 rng(43);
  testing::CorpusGenerator gen(10);
  for (int d = 0; d < 200; ++d) {
    const std::string text = Soup(rng, gen, 1 + rng() % 600);
    const std::string want = Default()->Mask(text);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{64}}) {
      std::unique_ptr<MaskStream> s = Default()->NewStream();
      std::string got;
      for (size_t i = 0; i < text.size(); i += chunk) {
        s->Write(std::string_view(text).substr(i, chunk), &got);
      }
      got += s->Finish();
      ASSERT_EQ(got, want) << "doc " << d << " chunk " << chunk << ": " << text;
    }
  }
}

// ContextWordBefore against a byte-by-byte version of its rules, on random windows rich in the
// bytes those rules look at, with every SIMD implementation's window classifier.
bool NaiveContextWordBefore(std::string_view text, size_t s, size_t window,
                            const std::vector<std::string>& words) {
  const auto* d = reinterpret_cast<const uint8_t*>(text.data());
  size_t from = s > window ? s - window : 0;
  for (size_t i = s; i > from; --i) {
    const int ch = d[i - 1];
    bool sentence_end = false;
    if (ch == '.' && i < s && IsSpace(d[i])) {
      size_t letters = 0;
      while (letters < 4 && i >= 2 + letters && IsAlpha(d[i - 2 - letters])) ++letters;
      sentence_end = letters >= 4;
    }
    if (ch == '\n' || ch == '\r' || IsDigit(ch) || ch == ',' || ch == ';' || sentence_end) {
      from = i;
      break;
    }
  }
  std::string hay;
  for (size_t k = from; k < s; ++k) hay.push_back(static_cast<char>(ToLower(d[k])));
  for (const std::string& word : words) {
    for (size_t pos = hay.find(word); pos != std::string::npos; pos = hay.find(word, pos + 1)) {
      const bool left_ok = pos == 0 ? (from == 0 || !IsAlnum(d[from - 1]))
                                    : !IsAlnum(static_cast<unsigned char>(hay[pos - 1]));
      const size_t after = pos + word.size();
      const bool right_ok = after == hay.size() ||
                            !IsAlnum(static_cast<unsigned char>(hay[after])) ||
                            !IsAlnum(static_cast<unsigned char>(word.back()));
      if (left_ok && right_ok) return true;
    }
  }
  return false;
}

TEST(ReferenceTest, ContextWordBeforeMatchesByteByByteRules) {
  static const std::string_view kPieces[] = {"ssn",     "SSN",    "ss#",  "Social Security",
                                             "soc sec", "socsec", " ",    "  ",
                                             "\n",      "\r",     ",",    ";",
                                             ".",       ". ",     "No. ", "Administration. ",
                                             "1",       "a",      "x",    "#",
                                             "\t",      ":",      "é",    "\xff",
                                             "ssns",    "issn",   "ssnx", "-",
                                             "e.g. "};
  const std::vector<std::string> words = {
      "ssn", "ssns", "ss#", "ssn#", "social security", "social sec", "soc sec", "socsec"};
  std::vector<std::string_view> views(words.begin(), words.end());
  std::mt19937_64 rng(45);
  size_t hits = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const size_t pieces = rng() % 24;
    for (size_t k = 0; k < pieces; ++k) text += kPieces[rng() % std::size(kPieces)];
    text += "123456789";
    const size_t s = text.size() - 9;
    const bool want = NaiveContextWordBefore(text, s, kContextWindow, words);
    for (const Implementation* impl : SupportedImplementations()) {
      const Cursor cur(reinterpret_cast<const uint8_t*>(text.data()), text.size(), true, impl);
      ASSERT_EQ(ContextWordBefore(cur, s, kContextWindow, views.data(), views.size()), want)
          << impl->name() << " round " << round << ": " << text;
    }
    hits += want;
  }
  EXPECT_GT(hits, 2000u);
}

// Mod97Valid against the textbook digit-by-digit remainder, on random IBAN-shaped strings (with
// spaces and lower case) and on every valid IBAN with one character changed.
bool NaiveMod97(std::string_view s) {
  std::string t;
  for (char c : s) {
    if (c != ' ') t.push_back(c);
  }
  if (t.size() < 5 || t.size() > 64) return false;
  t = t.substr(4) + t.substr(0, 4);
  int rem = 0;
  for (char c : t) {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else if (c >= 'a' && c <= 'z') {
      rem = (rem * 100 + (c - 'a' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

TEST(ReferenceTest, Mod97MatchesTextbookRemainder) {
  std::mt19937_64 rng(44);
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZab ";
  size_t valid = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const size_t len = 1 + rng() % 40;
    for (size_t k = 0; k < len; ++k) s.push_back(kAlphabet[rng() % kAlphabet.size()]);
    ASSERT_EQ(Mod97Valid(s), NaiveMod97(s)) << s;
    valid += NaiveMod97(s);
  }
  testing::CorpusGenerator gen(12);
  for (int i = 0; i < 2000; ++i) {
    std::string iban = gen.Iban(i % 2 == 0);
    ASSERT_TRUE(Mod97Valid(iban)) << iban;
    iban[4 + rng() % (iban.size() - 4)] = static_cast<char>('0' + rng() % 10);
    ASSERT_EQ(Mod97Valid(iban), NaiveMod97(iban)) << iban;
  }
  EXPECT_GT(valid, 100u);
}

}  // namespace
}  // namespace jitguard::mask
