// Configuration: errors, styles, custom rules, term lists, allowlist; bad input.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"

namespace jitguard {
namespace {

TEST(OptionsTest, BuiltinEntitiesInPriorityOrder) {
  const std::vector<std::string_view> want = {
      "EMAIL",         "PHONE",          "US_SSN",  "NATIONAL_ID", "DATE_OF_BIRTH",
      "CREDIT_CARD",   "CRYPTO_WALLET",  "IPV4",    "IPV6",        "MAC_ADDRESS",
      "IBAN",          "AWS_ACCESS_KEY", "API_KEY", "JWT",         "PRIVATE_KEY"};
  EXPECT_EQ(std::vector<std::string_view>(BuiltinEntities().begin(), BuiltinEntities().end()),
            want);
  EXPECT_TRUE(IsBuiltinEntity("JWT"));
  EXPECT_FALSE(IsBuiltinEntity("jwt"));
}

TEST(OptionsTest, DefaultProfileIsTheElevenOriginalEntities) {
  std::vector<std::string> want;
  for (std::string_view e : BuiltinEntities()) {
    if (e != "MAC_ADDRESS" && e != "NATIONAL_ID" && e != "DATE_OF_BIRTH" && e != "CRYPTO_WALLET") {
      want.emplace_back(e);
    }
  }
  EXPECT_EQ((*Masker::Create({}))->Entities(), want);
}

// One bit per detector slot, shared with custom rules: 52 custom rules fit with every built-in
// entity and a term list on (entities added after the first eleven share older slots), 53 do not.
TEST(OptionsTest, FiftyTwoCustomRulesFitWithEveryEntityOn) {
  MaskerOptions o;
  o.entities = std::vector<std::string>(BuiltinEntities().begin(), BuiltinEntities().end());
  o.terms.push_back({.name = "PROJECT", .terms = {"bluebird"}});
  for (int i = 0; i < 52; ++i) {
    const std::string name = absl::StrCat("R", i);
    o.custom.push_back({.name = name, .regex = absl::StrCat(name, "-\\d+")});
  }
  absl::StatusOr<std::shared_ptr<const Masker>> m = Masker::Create(o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->Mask("R51-7 bluebird"), "[R51] [PROJECT]");
  o.custom.push_back({.name = "R52", .regex = "x"});
  const absl::Status s = Masker::Create(o).status();
  EXPECT_EQ(ErrorReason(s), "bad_option");
  EXPECT_NE(std::string(s.message()).find("at most 52 custom rules"), std::string::npos);
}

TEST(OptionsTest, ParseStyleAndValidator) {
  EXPECT_EQ(*ParseMaskStyle("hash"), MaskStyle::kHash);
  EXPECT_EQ(*ParseMaskStyle("partial"), MaskStyle::kPartial);
  EXPECT_EQ(ErrorReason(ParseMaskStyle("blur").status()), "bad_style");
  EXPECT_EQ(MaskStyleName(MaskStyle::kRedact), "redact");
  EXPECT_EQ(*ParseValidator("luhn"), Validator::kLuhn);
  EXPECT_EQ(ErrorReason(ParseValidator("crc").status()), "bad_validator");
}

TEST(OptionsTest, ConfigurationErrorsNameTheProblem) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{"EMAIL", "PASSPORT"};
  absl::Status s = Masker::Create(o).status();
  EXPECT_EQ(ErrorReason(s), "unknown_entity");
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kMask);
  EXPECT_NE(std::string(s.message()).find("PASSPORT"), std::string::npos);

  o = {};
  o.custom.push_back({.name = "BROKEN", .regex = "(unclosed"});
  s = Masker::Create(o).status();
  EXPECT_EQ(ErrorReason(s), "bad_regex");
  EXPECT_NE(std::string(s.message()).find("BROKEN"), std::string::npos);

  o = {};
  o.entities = std::vector<std::string>{};
  EXPECT_EQ(ErrorReason(Masker::Create(o).status()), "empty_config");

  o = {};
  o.style = MaskStyle::kHash;
  EXPECT_EQ(ErrorReason(Masker::Create(o).status()), "missing_hash_key");

  o = {};
  o.max_held_bytes = 100;
  EXPECT_EQ(ErrorReason(Masker::Create(o).status()), "bad_option");

  o = {};
  o.custom.push_back({.name = "X", .regex = "a"});
  o.terms.push_back({.name = "X", .terms = {"b"}});
  EXPECT_EQ(ErrorReason(Masker::Create(o).status()), "bad_rule");

  o = {};
  o.terms.push_back({.name = "T", .terms = {"  "}});
  EXPECT_EQ(ErrorReason(Masker::Create(o).status()), "bad_rule");
}

TEST(OptionsTest, EntitySubsetOnlyDetectsThose) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{"EMAIL"};
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("a@example.com 10.0.0.1 123-45-6789"), "[EMAIL] 10.0.0.1 123-45-6789");
  EXPECT_EQ(m->Entities(), std::vector<std::string>{"EMAIL"});
}

TEST(OptionsTest, Styles) {
  const std::string text = "mail john@example.com or call 415-555-0132";
  MaskerOptions o;
  o.style = MaskStyle::kRedact;
  EXPECT_EQ((*Masker::Create(o))->Mask(text), "mail **************** or call ************");
  o.style = MaskStyle::kPartial;
  EXPECT_EQ((*Masker::Create(o))->Mask(text), "mail ************.com or call ********0132");
  o.style = MaskStyle::kHash;
  o.hash_key = SecretBytes("key-one-0123456789");
  const auto h1 = *Masker::Create(o);
  const std::string a = h1->Mask("x john@example.com y john@example.com");
  ASSERT_EQ(a.size(), std::string("x [EMAIL:12345678] y [EMAIL:12345678]").size()) << a;
  EXPECT_EQ(a.substr(2, 16), a.substr(21, 16));  // stable per value
  EXPECT_EQ(a.substr(2, 7), "[EMAIL:");
  EXPECT_NE(h1->Mask("jane@example.com"), h1->Mask("john@example.com"));
  o.hash_key = SecretBytes("key-two-0123456789");
  EXPECT_NE((*Masker::Create(o))->Mask("john@example.com"), h1->Mask("john@example.com"));
  EXPECT_EQ(h1->Mask("john@example.com"), h1->Mask("john@example.com"));
}

TEST(OptionsTest, RedactCountsCharactersNotBytes) {
  MaskerOptions o;
  o.style = MaskStyle::kRedact;
  o.terms.push_back({.name = "CITY", .terms = {"zürich"}});
  EXPECT_EQ((*Masker::Create(o))->Mask("in Zürich today"), "in ****** today");
}

TEST(OptionsTest, CustomRulesWithValidatorAndContext) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{};
  o.custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
  o.custom.push_back({.name = "ACCOUNT", .regex = R"(\d{12})", .validator = Validator::kLuhn});
  o.custom.push_back({.name = "MEMBER", .regex = R"(M\d{5})", .context_words = {"member"}});
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("id EMP-123456, EMP-12345 and xEMP-123456"),
            "id [EMPLOYEE_ID], EMP-12345 and xEMP-123456");
  EXPECT_EQ(m->Mask("acct 123456789015 vs 123456789012"), "acct [ACCOUNT] vs 123456789012");
  const std::string far(60, '.');
  EXPECT_EQ(m->Mask("Member no. M12345; " + far + " order M12345"),
            "Member no. [MEMBER]; " + far + " order M12345");
  const std::vector<Finding> f = m->Find("EMP-000001");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].entity, "EMPLOYEE_ID");
  EXPECT_EQ(f[0].rule, "EMPLOYEE_ID");
  EXPECT_EQ(m->Entities(), (std::vector<std::string>{"EMPLOYEE_ID", "ACCOUNT", "MEMBER"}));
}

TEST(OptionsTest, CustomMod97Validator) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{};
  o.custom.push_back(
      {.name = "ACCT", .regex = R"([A-Z]{2}\d{2}[A-Z0-9]{10,30})", .validator = Validator::kMod97});
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("DE89370400440532013000 DE88370400440532013000"),
            "[ACCT] DE88370400440532013000");
}

TEST(OptionsTest, TermListsAreCaseInsensitiveWholeWords) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{};
  o.terms.push_back({.name = "PROJECT", .terms = {"bluebird", "Night Jar", "at&t"}});
  o.terms.push_back({.name = "CUSTOMER", .terms = {"Acme Corp", "acme"}});
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("BlueBird and bluebirds, night   jar, AT&T, ACME CORP. acme-x"),
            "[PROJECT] and bluebirds, [PROJECT], [PROJECT], [CUSTOMER]. [CUSTOMER]-x");
  EXPECT_EQ(m->Mask("nightjar acmecorp"), "nightjar acmecorp");
}

TEST(OptionsTest, HundredThousandTermsCompileAndScan) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{};
  TermList list{.name = "CODENAME"};
  for (int i = 0; i < 100000; ++i) list.terms.push_back("codename" + std::to_string(i * 7919));
  o.terms.push_back(std::move(list));
  const auto m = *Masker::Create(o);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "word codename" + std::to_string(i * 13) + " ";
  const std::vector<Finding> f = m->Find(text);
  size_t want = 0;
  for (int i = 0; i < 20000; ++i) want += (i * 13) % 7919 == 0 && (i * 13) / 7919 < 100000;
  EXPECT_EQ(f.size(), want);
  EXPECT_EQ(m->Mask("see CODENAME15838."), "see [CODENAME].");
}

TEST(OptionsTest, AllowlistPassesValuesThrough) {
  MaskerOptions o;
  o.allowlist = {"support@example.com", "10.0.0.1"};
  const auto m = *Masker::Create(o);
  EXPECT_EQ(m->Mask("Support@Example.com a@example.com 10.0.0.1 10.0.0.2"),
            "Support@Example.com [EMAIL] 10.0.0.1 [IPV4]");
}

TEST(OptionsTest, InvalidUtf8AndNulPassThroughIntact) {
  const auto m = *Masker::Create({});
  using namespace std::string_literals;
  const std::string text = "\xff\xfe\0abc\x80\xc3(\0 a@example.com \xed\xa0\x80"s;
  EXPECT_EQ(m->Mask(text), "\xff\xfe\0abc\x80\xc3(\0 [EMAIL] \xed\xa0\x80"s);
  std::string random(100000, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string masked = m->Mask(random);  // no crash; clean bytes stay
  EXPECT_EQ(m->Find(random).empty(), masked == random);
}

TEST(OptionsTest, HundredMegabyteInput) {
  const auto m = *Masker::Create({});
  std::string text;
  text.reserve(100 << 20);
  const std::string line = "The service handled 1200 requests at 12:30 from host alpha, ok.\n";
  while (text.size() + line.size() < (100u << 20)) text += line;
  text += "contact ops@example.com";
  std::string out = m->Mask(text);
  EXPECT_EQ(out.size(), text.size() - std::string("ops@example.com").size() + 7);
  EXPECT_EQ(out.substr(out.size() - 15), "contact [EMAIL]");
}

TEST(OptionsTest, MaskAppendCountsFindings) {
  const auto m = *Masker::Create({});
  std::string out = "> ";
  FindingCounts counts;
  m->MaskAppend("a@example.com and 10.0.0.1", &out, &counts);
  EXPECT_EQ(out, "> [EMAIL] and [IPV4]");
  EXPECT_EQ(counts["EMAIL"], 1u);
  EXPECT_EQ(counts["IPV4"], 1u);
}

}  // namespace
}  // namespace jitguard
