// MaskJson: configured keys masked whole at any depth, detectors over every other string after
// unescaping, valid JSON of the same shape out, invalid JSON an error.
#include <string>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "simdjson.h"

namespace jitguard {
namespace {

std::shared_ptr<const Masker> WithKeys() {
  MaskerOptions o;
  o.json_keys = {"password", "SSN", "secret"};
  return *Masker::Create(o);
}

TEST(MaskJsonTest, MasksStringValuesAndConfiguredKeys) {
  const auto m = WithKeys();
  const std::string in = R"({"user": {"email": "Mail: a@example.com", "Password": "hunter2",
      "ids": [1, 2.5, true, null, "10.0.0.1"], "ssn": 123456789},
      "note": "no pii here", "secret": {"a": ["x", 7], "b": false}})";
  absl::StatusOr<std::string> out = m->MaskJson(in);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"user":{"email":"Mail: [EMAIL]","Password":"[PASSWORD]",)"
                  R"("ids":[1,2.5,true,null,"[IPV4]"],"ssn":"[SSN]"},"note":"no pii here",)"
                  R"("secret":{"a":["[SECRET]","[SECRET]"],"b":false}})");
}

TEST(MaskJsonTest, EscapesAreDecodedBeforeDetectionAndReencodedAfter) {
  const auto m = WithKeys();
  // The e-mail is spelled with escapes; the quote and newline around it survive re-encoding.
  absl::StatusOr<std::string> out =
      m->MaskJson(R"(["\"john\u0040example.com\"\nbye", "tab\there \u00e9"])");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "[\"\\\"[EMAIL]\\\"\\nbye\",\"tab\\there \xc3\xa9\"]");
}

TEST(MaskJsonTest, OutputIsValidJsonOfTheSameShape) {
  const auto m = WithKeys();
  const std::string in =
      R"({"a":[{"b":"call 415-555-0132"},{"c":["ssn 123-45-6789",{"password":["p",1]}]}],"d":{}})";
  absl::StatusOr<std::string> out = m->MaskJson(in);
  ASSERT_TRUE(out.ok());
  simdjson::dom::parser p1, p2;
  simdjson::dom::element a = p1.parse(in).value();
  simdjson::dom::element b = p2.parse(*out).value();
  EXPECT_EQ(a["a"].get_array().size(), b["a"].get_array().size());
  EXPECT_TRUE(b["d"].is_object());
  EXPECT_EQ(std::string(b["a"].at(0)["b"].get_string().value()), "call [PHONE]");
}

TEST(MaskJsonTest, InvalidJsonIsAnError) {
  const auto m = WithKeys();
  for (const char* bad : {"{", "{\"a\":}", "[1,2", "not json", "{\"a\":\"\\x\"}", ""}) {
    absl::StatusOr<std::string> out = m->MaskJson(bad);
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_EQ(ErrorReason(out.status()), "invalid_json");
    EXPECT_EQ(GetErrorDomain(out.status()), ErrorDomain::kMask);
  }
}

TEST(MaskJsonTest, CountsFindings) {
  const auto m = WithKeys();
  FindingCounts counts;
  ASSERT_TRUE(
      m->MaskJson(R"({"password":"x","e":["a@example.com","b@example.com"]})", &counts).ok());
  EXPECT_EQ(counts["PASSWORD"], 1u);
  EXPECT_EQ(counts["EMAIL"], 2u);
}

}  // namespace
}  // namespace jitguard
