#include "lib/base/json.h"

#include <string>

#include "gtest/gtest.h"

namespace jitguard::base {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonTest, EscapesOnlyWhatJsonRequires) {
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Quote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Quote(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(Quote("caf\xc3\xa9 /"), "\"caf\xc3\xa9 /\"");
}

TEST(JsonTest, EscapedStringsParseBackToTheOriginal) {
  simdjson::dom::parser parser;
  for (int c = 0; c < 128; ++c) {
    const std::string original = std::string("x") + static_cast<char>(c) + "y";
    const std::string doc = "{\"k\":" + Quote(original) + "}";
    auto parsed = parser.parse(doc);
    ASSERT_FALSE(parsed.error()) << c;
    std::string_view value;
    ASSERT_FALSE(parsed["k"].get(value));
    EXPECT_EQ(value, original) << c;
  }
}

TEST(JsonTest, DetectsDuplicateKeysAtAnyDepth) {
  simdjson::dom::parser parser;
  auto unique = [&](std::string_view json) {
    simdjson::padded_string p(json);
    return HasUniqueKeys(parser.parse(p).value());
  };
  EXPECT_TRUE(unique(R"({"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]})"));
  EXPECT_FALSE(unique(R"({"a":1,"a":2})"));
  EXPECT_FALSE(unique(R"({"x":{"k":1,"k":1}})"));
  EXPECT_FALSE(unique(R"([{"k":1,"k":2}])"));
  // Escapes are compared after unescaping: "\u0061" is "a".
  EXPECT_FALSE(unique(R"({"a":1,"\u0061":2})"));
}

}  // namespace
}  // namespace jitguard::base
