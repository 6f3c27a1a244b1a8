// One test per Unicode evasion class and built-in entity: a value written with zero-width
// characters, soft hyphens, fullwidth forms, Unicode spaces and digits, dashes, look-alike letters
// or combining marks is found and masked over exactly its original span, the text around it stays
// byte-identical, and a stream (one byte at a time) gives the same output.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "lib/text/fold.h"
#include "tests/cpp/mask/unicode_obfuscation.h"

namespace jitguard {
namespace {

using mask::testing::Utf8;

// Letters and digits of `s`, in order.
std::string Alnum(std::string_view s) {
  std::string out;
  for (char c : s) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) out += c;
  }
  return out;
}

std::string FoldText(std::string_view s) {
  text::FoldedView v;
  text::Fold(s, &v);
  return v.text;
}

// Replaces every ASCII character of `value` found in `from` by the code point at the same index
// of `to` (code points), e.g. Map("4111-1111", "-", {0x2013}).
std::string Map(std::string_view value, std::string_view from, std::vector<uint32_t> to) {
  std::string out;
  for (char c : value) {
    const size_t k = from.find(c);
    out += k == std::string_view::npos ? std::string(1, c) : Utf8(to[k]);
  }
  return out;
}
std::string Fullwidth(std::string_view value) {
  std::string out;
  for (char c : value) {
    out += c > 0x20 && c < 0x7F ? Utf8(0xFF00u + static_cast<uint32_t>(c - 0x20))
                                : std::string(1, c);
  }
  return out;
}
std::string Digits(std::string_view value, uint32_t zero) {
  std::string out;
  for (char c : value) {
    out += c >= '0' && c <= '9' ? Utf8(zero + static_cast<uint32_t>(c - '0')) : std::string(1, c);
  }
  return out;
}
// Inserts `cp` after every `every`-th character (never at the ends).
std::string Insert(std::string_view value, uint32_t cp, size_t every = 3) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    out += value[i];
    if ((i + 1) % every == 0 && i + 1 < value.size()) out += Utf8(cp);
  }
  return out;
}

const std::string kBefore = "Bitte beachten:\u00A0Kontakt für Rückfragen ";  // NBSP, umlauts
const std::string kAfter = " (danke), 日本語。";

// `written` (the evasive spelling of `plain`) is masked as `entity` exactly over its span.
void ExpectMasked(std::string_view entity, std::string_view plain, const std::string& written) {
  SCOPED_TRACE(std::string(entity) + ": " + written);
  const auto m = *Masker::Create({});
  ASSERT_EQ(FoldText(written), FoldText(plain)) << "the test spelling must fold to the value";
  const std::string text = kBefore + written + kAfter;
  const std::vector<Finding> found = m->Find(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].entity, entity);
  EXPECT_EQ(found[0].start, kBefore.size());
  EXPECT_EQ(found[0].end, kBefore.size() + written.size());
  const std::string out = m->Mask(text);
  EXPECT_EQ(out, kBefore + "[" + std::string(entity) + "]" + kAfter);
  // None of the value's letters and digits in sequence, in any spelling.
  EXPECT_EQ(Alnum(FoldText(out)).find(Alnum(plain)), std::string::npos);
  // The same through a stream fed one byte at a time.
  std::unique_ptr<MaskStream> s = m->NewStream();
  std::string streamed;
  for (char c : text) streamed += s->Write(std::string_view(&c, 1));
  streamed += s->Finish();
  EXPECT_EQ(streamed, out);
}

constexpr uint32_t kZwsp = 0x200B, kZwnj = 0x200C, kZwj = 0x200D, kWordJoiner = 0x2060,
                   kBom = 0xFEFF, kSoftHyphen = 0x00AD, kNbsp = 0x00A0, kNarrowNbsp = 0x202F,
                   kEnDash = 0x2013, kMinus = 0x2212, kAcute = 0x0301, kArabicZero = 0x0660,
                   kPersianZero = 0x06F0, kDevanagariZero = 0x0966, kFullwidthZero = 0xFF10;

TEST(UnicodeEvasionTest, Email) {
  const std::string v = "jane.doe@example.com";
  ExpectMasked("EMAIL", v, Map(v, "@.", {0xFF20, 0xFF0E}));  // fullwidth ＠ and ．
  ExpectMasked("EMAIL", v, Fullwidth(v));
  ExpectMasked("EMAIL", v, Insert(v, kZwsp));
  ExpectMasked("EMAIL", v, Insert(v, kSoftHyphen, 4));
  ExpectMasked("EMAIL", v, Insert(v, kZwj, 2));
  ExpectMasked("EMAIL", v, Map(v, "ao", {0x0430, 0x043E}));  // Cyrillic а, о
  ExpectMasked("EMAIL", v, Map(v, ".", {0x3002}));           // ideographic full stop
  ExpectMasked("EMAIL", v, Insert(v, kAcute, 5));
}

TEST(UnicodeEvasionTest, CreditCard) {
  const std::string v = "4111 1111 1111 1111";
  ExpectMasked("CREDIT_CARD", v, Map(v, " ", {kNbsp}));
  ExpectMasked("CREDIT_CARD", v, Map(v, " ", {kNarrowNbsp}));
  ExpectMasked("CREDIT_CARD", v, Map(v, " ", {0x2009}));  // thin space
  const std::string dashed = "4111-1111-1111-1111";
  ExpectMasked("CREDIT_CARD", dashed, Map(dashed, "-", {kEnDash}));
  ExpectMasked("CREDIT_CARD", dashed, Map(dashed, "-", {kMinus}));
  ExpectMasked("CREDIT_CARD", v, Digits(v, kArabicZero));
  ExpectMasked("CREDIT_CARD", v, Digits(v, kPersianZero));
  ExpectMasked("CREDIT_CARD", v, Digits(v, kDevanagariZero));
  ExpectMasked("CREDIT_CARD", v, Digits(v, kFullwidthZero));
  const std::string plain = "4111111111111111";
  ExpectMasked("CREDIT_CARD", plain, Insert(plain, kZwsp, 4));
  ExpectMasked("CREDIT_CARD", plain, Insert(plain, kSoftHyphen, 2));
  ExpectMasked("CREDIT_CARD", plain, Insert(plain, kAcute, 1));  // combining marks
  ExpectMasked("CREDIT_CARD", plain, Insert(plain, kBom, 5));
}

TEST(UnicodeEvasionTest, Phone) {
  const std::string v = "415-555-2671";
  ExpectMasked("PHONE", v, Map(v, "-", {kEnDash}));
  ExpectMasked("PHONE", v, Digits(v, kFullwidthZero));
  ExpectMasked("PHONE", v, Digits(v, kArabicZero));
  ExpectMasked("PHONE", v, Insert(v, kZwsp, 2));
  const std::string intl = "+1 415 555 2671";
  ExpectMasked("PHONE", intl, Map(intl, " ", {kNbsp}));
  ExpectMasked("PHONE", intl, Fullwidth(intl));
}

TEST(UnicodeEvasionTest, UsSsn) {
  const std::string v = "536-22-8726";
  ExpectMasked("US_SSN", v, Map(v, "-", {kEnDash}));
  ExpectMasked("US_SSN", v, Map(v, "-", {0x2011}));  // non-breaking hyphen
  ExpectMasked("US_SSN", v, Digits(v, kDevanagariZero));
  ExpectMasked("US_SSN", v, Digits(v, kFullwidthZero));
  ExpectMasked("US_SSN", v, Insert(v, kWordJoiner, 2));
  ExpectMasked("US_SSN", v, Insert(v, kAcute, 1));
}

TEST(UnicodeEvasionTest, Iban) {
  const std::string v = "DE89 3704 0044 0532 0130 00";
  ExpectMasked("IBAN", v, Map(v, " ", {kNbsp}));
  ExpectMasked("IBAN", v, Fullwidth(v));
  ExpectMasked("IBAN", v, Digits(v, kArabicZero));
  ExpectMasked("IBAN", v, Map(v, "E", {0x0415}));  // Cyrillic Е
  const std::string plain = "DE89370400440532013000";
  ExpectMasked("IBAN", plain, Insert(plain, kZwsp, 4));
}

TEST(UnicodeEvasionTest, Ipv4AndIpv6) {
  const std::string v = "192.168.10.23";
  ExpectMasked("IPV4", v, Map(v, ".", {0xFF0E}));
  ExpectMasked("IPV4", v, Digits(v, kFullwidthZero));
  ExpectMasked("IPV4", v, Insert(v, kZwsp, 2));
  const std::string v6 = "2001:db8:85a3::8a2e:370:7334";
  ExpectMasked("IPV6", v6, Fullwidth(v6));
  ExpectMasked("IPV6", v6, Insert(v6, kZwnj, 3));
}

TEST(UnicodeEvasionTest, AccessKeysAndTokens) {
  const std::string aws = "AKIAQ3EGT5JXMPLQ7RZA";
  ExpectMasked("AWS_ACCESS_KEY", aws, Insert(aws, kZwsp, 4));
  ExpectMasked("AWS_ACCESS_KEY", aws, Fullwidth(aws));
  ExpectMasked("AWS_ACCESS_KEY", aws, Map(aws, "AEKMT", {0x0410, 0x0415, 0x041A, 0x041C, 0x0422}));
  const std::string gh = "ghp_R8x2Kq9Lm4Vz7Tn1Bw3Yc6Pd5Hs0Jf2Gk8N";
  ExpectMasked("API_KEY", gh, Insert(gh, kZwsp, 5));
  ExpectMasked("API_KEY", gh, Insert(gh, kSoftHyphen, 7));
  ExpectMasked("API_KEY", gh, Map(gh, "px", {0x0440, 0x0445}));  // Cyrillic р, х
  ExpectMasked("API_KEY", gh, Fullwidth(gh));
  const std::string sk = "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7nP9rS1tV3xZ5aB7cD9eF1";
  ExpectMasked("API_KEY", sk, Map(sk, "-", {kEnDash}));
  ExpectMasked("API_KEY", sk, Insert(sk, kZwj, 6));
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  ExpectMasked("JWT", jwt, Insert(jwt, kZwsp, 9));
  ExpectMasked("JWT", jwt, Map(jwt, ".", {0xFF0E}));
}

TEST(UnicodeEvasionTest, TermListsAndCustomRulesMatchTheFoldedView) {
  MaskerOptions o;
  o.custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
  o.terms.push_back({.name = "PROJECT", .terms = {"bluebird", "ｎｉｇｈｔ ｏｗｌ"}});
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("id ＥＭＰ\u2013１２３４５６ ok"), "id [EMPLOYEE_ID] ok");
  EXPECT_EQ(m->Mask("id EMP-\u0661\u0662\u0663\u0664\u0665\u0666 ok"), "id [EMPLOYEE_ID] ok");
  EXPECT_EQ(m->Mask("on blue\u200Bbird today"), "on [PROJECT] today");
  EXPECT_EQ(m->Mask("on bluеbird today"), "on [PROJECT] today");  // Cyrillic е
  // A term written in fullwidth is folded too, and matches its plain spelling.
  EXPECT_EQ(m->Mask("the night\u00A0owl plan"), "the [PROJECT] plan");
  EXPECT_EQ(m->Mask("the night owl plan"), "the [PROJECT] plan");
}

TEST(UnicodeEvasionTest, TextWithoutValuesIsUntouchedByteForByte) {
  const auto m = *Masker::Create({});
  const std::string texts[] = {
      "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ， ｚｅｒｏ\u200Bｗｉｄｔｈ， Кириллица и ελληνικά.",
      "١٢٣ items, ４２ apples, e\u0301te\u0301, naïve café — “quotes” ‹›",
      "broken \xC0\xAF bytes \xE2\x82 and \xED\xA0\x80 surrogates",
  };
  for (const std::string& t : texts) EXPECT_EQ(m->Mask(t), t);
}

TEST(UnicodeEvasionTest, AnEndInsideAnExpansionRoundsUpToTheWholeCodePoint) {
  // U+2488 DIGIT ONE FULL STOP folds to "1.": the phone number ends at its '1', so the finding
  // covers the whole code point.
  const auto m = *Masker::Create({});
  const std::string text = "call 415-555-267\u2488 now";
  const std::vector<Finding> found = m->Find(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].entity, "PHONE");
  EXPECT_EQ(found[0].start, 5u);
  EXPECT_EQ(found[0].end, text.find(" now"));
  EXPECT_EQ(m->Mask(text), "call [PHONE] now");
}

TEST(UnicodeEvasionTest, AFindingThenCodePointsThatFoldToNothingThenAValue) {
  // In the folded view the second value starts right after the first finding, where one-shot
  // takes a candidate whatever the byte before it; a stream held the bytes after the zero-width
  // characters without that, and emitted the e-mail (a red-team pass found it).
  const std::shared_ptr<const Masker> m = *Masker::Create({});
  for (const std::string& ignorable :
       {Utf8(0x200B), Utf8(0x00AD), Utf8(0xFEFF), Utf8(0x200B) + Utf8(0x200B)}) {
    for (const std::string& text :
         {"4111 1111 1111 1111" + ignorable + "john.doe@example.com ok",
          "10.0.0.1" + ignorable + "+1 415 555 0134 ok",
          "4111 1111 1111 1111" + ignorable + "AKIAIOSFODNN7EXAMPLE ok"}) {
      const std::string want = m->Mask(text);
      EXPECT_EQ(want.find("john.doe"), std::string::npos) << text;
      EXPECT_EQ(want.find("AKIA"), std::string::npos) << text;
      for (size_t cut = 1; cut < text.size(); ++cut) {
        std::unique_ptr<MaskStream> s = m->NewStream();
        std::string got;
        s->Write(std::string_view(text).substr(0, cut), &got);
        s->Write(std::string_view(text).substr(cut), &got);
        got += s->Finish();
        EXPECT_EQ(got, want) << text << " cut at " << cut;
      }
    }
  }
}

}  // namespace
}  // namespace jitguard
