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

namespace jitguard::base {
namespace {

struct SyntaxCase {
  const char* text;
  size_t line;
  size_t column;
};

TEST(JsonSyntaxErrorTest, PointsAtWhereTheTextGoesWrong) {
  const SyntaxCase cases[] = {
      {"{\"a\": 1,, }", 1, 9},                             // the second comma
      {"{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7},              // missing colon
      {"{\"a\": tru}", 1, 7},                              // bad literal
      {"{\"a\": -}", 1, 7},                                // bad number
      {"{\"rules\": [\n  {\"id\": \"é\",, }\n]}", 2, 14},  // columns count characters
      {"[1, 2", 1, 5},  // the last value before the text ends, inside an array never closed
      {"{\"a\": {\"b\": [1, {\"c\": 2}\n", 2, 1},  // ends before the objects do
      {"{\"a\": 1} x", 1, 10},                     // content after the root
      {"{\"a\": 1, \"b\": [true, nul]}", 1, 22},   // a bad literal deep inside
  };
  for (const SyntaxCase& c : cases) {
    std::optional<TextPosition> at = LocateJsonSyntaxError(c.text);
    ASSERT_TRUE(at.has_value()) << c.text;
    EXPECT_EQ(at->line, c.line) << c.text;
    EXPECT_EQ(at->column, c.column) << c.text;
  }
}

TEST(JsonSyntaxErrorTest, NothingToPointAt) {
  EXPECT_FALSE(LocateJsonSyntaxError("{\"a\": [1, {\"b\": null}]}").has_value());  // valid
  EXPECT_FALSE(LocateJsonSyntaxError("{\"a\": \"unclosed").has_value());           // no position
  EXPECT_FALSE(LocateJsonSyntaxError("42").has_value());  // not a container
  EXPECT_FALSE(LocateJsonSyntaxError("").has_value());
}

TEST(JsonSyntaxErrorTest, PositionInTextCountsLinesAndCharacters) {
  const std::string text = "ab\nçd\ne";
  EXPECT_EQ(PositionInText(text, 0).line, 1u);
  EXPECT_EQ(PositionInText(text, 5).line, 2u);    // after "ç" (2 bytes)
  EXPECT_EQ(PositionInText(text, 5).column, 2u);  // one character in
  EXPECT_EQ(PositionInText(text, 99).offset, text.size());
  EXPECT_EQ(PositionInText(text, 99).line, 3u);
}

}  // namespace
}  // namespace jitguard::base
