#include "lib/policy/glob.h"

#include "gtest/gtest.h"

namespace jitguard::policy {
namespace {

bool M(std::string_view pattern, std::string_view value) {
  absl::StatusOr<Glob> g = Glob::Parse(pattern);
  EXPECT_TRUE(g.ok()) << pattern;
  return g.ok() && g->Matches(value);
}

TEST(GlobTest, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(M("llama-*", "llama-3"));
  EXPECT_TRUE(M("llama-*", "llama-"));
  EXPECT_FALSE(M("llama-*", "llama"));
  EXPECT_TRUE(M("*", ""));
  EXPECT_TRUE(M("*-70b-*", "llama-70b-chat"));
  EXPECT_FALSE(M("*-70b-*", "llama-7b-chat"));
  EXPECT_TRUE(M("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(M("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(M("a**b", "ab"));
}

TEST(GlobTest, QuestionMarkIsExactlyOneCodePoint) {
  EXPECT_TRUE(M("gpt-?", "gpt-4"));
  EXPECT_FALSE(M("gpt-?", "gpt-"));
  EXPECT_FALSE(M("gpt-?", "gpt-40"));
  EXPECT_TRUE(M("caf?", "caf\xc3\xa9"));  // é is two bytes, one code point
  EXPECT_TRUE(M("*?", "\xc3\xa9"));
}

TEST(GlobTest, EscapesAndExactness) {
  EXPECT_TRUE(M("a\\*b", "a*b"));
  EXPECT_FALSE(M("a\\*b", "aXb"));
  EXPECT_TRUE(M("what\\?", "what?"));
  EXPECT_TRUE(M("back\\\\slash", "back\\slash"));
  absl::StatusOr<Glob> exact = Glob::Parse("sales");
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->exact());
  EXPECT_TRUE(exact->Matches("sales"));
  EXPECT_FALSE(exact->Matches("sales2"));
  absl::StatusOr<Glob> prefixed = Glob::Parse("sup\\*port-*x");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_FALSE(prefixed->exact());
  EXPECT_EQ(prefixed->literal_prefix(), "sup*port-");
}

TEST(GlobTest, CaseSensitive) { EXPECT_FALSE(M("Llama-*", "llama-3")); }

TEST(GlobTest, RejectsBadGlobs) {
  EXPECT_FALSE(Glob::Parse("").ok());
  EXPECT_FALSE(Glob::Parse("abc\\").ok());
  EXPECT_FALSE(Glob::Parse("a\\b").ok());
  EXPECT_FALSE(Glob::Parse("tab\there").ok());
  EXPECT_FALSE(Glob::Parse(std::string(1025, 'a')).ok());
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  // One backtrack point: a long run of stars against a long non-matching value is still quick.
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "a*";
  pattern += "b";
  EXPECT_FALSE(M(pattern, std::string(5000, 'a')));
}

}  // namespace
}  // namespace jitguard::policy
