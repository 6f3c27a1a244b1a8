#include "lib/policy/location.h"

#include "gtest/gtest.h"

namespace jitguard::policy {
namespace {

TEST(LocationTest, PathToString) {
  EXPECT_EQ(PathToString({}), "document");
  Path p = {{"rules", 1, -1}, {"", 1, 3}, {"prompt", 1, -1}, {"patterns", 1, -1}, {"", 1, 0}};
  EXPECT_EQ(PathToString(p), "rules[3].prompt.patterns[0]");
  Path odd = {{"a: b", 1, -1}};
  EXPECT_EQ(PathToString(odd), "[\"a\\u003a b\"]");
}

TEST(LocationTest, FindsValuesAndKeysWithLineAndColumn) {
  const std::string json =
      "{\"a\": 1,\n"
      " \"rules\": [ {\"id\": \"x\"},\n"
      "   {\"id\": \"y\", \"m\\u00e9\": [\"p\", \"q\"]}]}";
  Path path = {{"rules", 1, -1}, {"", 1, 1}, {"m\xc3\xa9", 1, -1}, {"", 1, 1}};
  auto value = LocateInText(json, path, LocateWhat::kValue);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(json.substr(value->offset, 3), "\"q\"");
  EXPECT_EQ(value->line, 3u);
  EXPECT_EQ(value->column, 33u);
  Path key_path = {{"rules", 1, -1}, {"", 1, 1}, {"m\xc3\xa9", 1, -1}};
  auto key = LocateInText(json, key_path, LocateWhat::kKey);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->line, 3u);
  EXPECT_EQ(key->column, 16u);
}

TEST(LocationTest, SecondOccurrenceOfADuplicateKey) {
  const std::string json = "{\"k\": {\"x\": \"}\"}, \"k\": 2}";
  auto pos = LocateInText(json, {{"k", 2, -1}}, LocateWhat::kKey);
  ASSERT_TRUE(pos.has_value());
  EXPECT_EQ(pos->column, 19u);
}

TEST(LocationTest, MissingPathIsNullopt) {
  EXPECT_FALSE(
      LocateInText("{\"a\": [1]}", {{"a", 1, -1}, {"", 1, 5}}, LocateWhat::kValue).has_value());
  EXPECT_FALSE(LocateInText("{\"a\": 1}", {{"b", 1, -1}}, LocateWhat::kValue).has_value());
}

}  // namespace
}  // namespace jitguard::policy
