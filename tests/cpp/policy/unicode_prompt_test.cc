// Prompt keywords and patterns match through the folded view of the prompt (lib/text/fold.h):
// every Unicode spelling of "export" that reads the same needs the same approval as "export".
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/policy.h"

namespace jitguard {
namespace {

using ::testing::ElementsAre;

constexpr char kPolicy[] = R"({"version": 1, "rules": [
  {"id": "ds", "effect": "permit"},
  {"id": "export", "effect": "require_approval", "approvers": ["security-leads"],
   "prompt": {"keywords": ["export", "bulk download"],
              "patterns": ["(?i)all\\s+customer\\s+records"]}},
  {"id": "secret", "effect": "forbid", "prompt": {"keywords": ["project ｎｉｇｈｔｏｗｌ"]}}]})";

std::shared_ptr<const Policy> Load() {
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(kPolicy);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

Decision Eval(const Policy& p, std::string prompt) {
  return p.Evaluate(PolicyRequest{.subject = "alice", .prompt = std::move(prompt)});
}

TEST(PolicyUnicodeTest, EverySpellingOfAKeywordNeedsTheSameApproval) {
  const auto p = Load();
  const Decision plain = Eval(*p, "please export the table");
  ASSERT_EQ(plain.effect, Effect::kApprovalRequired);
  for (const char* prompt : {
           "please \uFF45\uFF58\uFF50\uFF4F\uFF52\uFF54 the table",     // fullwidth
           "please ex\u200Bport the table",                            // zero-width space
           "please ex\u200D\u2060port the table",                      // ZWJ, word joiner
           "please exp\u00ADort the table",                            // soft hyphen
           "please \u0435\u0445\u0440\u043Ert the table",              // Cyrillic е х р о
           "please e\u0301xport the table",                            // combining mark
           "please \uFEFFexport\uFEFF the table",                      // BOMs around it
           "please EXPORT the table",                                  // (case, as before)
           "please \U0001D41E\U0001D431\U0001D429\U0001D428\U0001D42B\U0001D42D the table",  // 𝐞𝐱𝐩𝐨𝐫𝐭
       }) {
    const Decision d = Eval(*p, prompt);
    EXPECT_EQ(d.effect, Effect::kApprovalRequired) << prompt;
    EXPECT_EQ(d.reason, plain.reason) << prompt;
    EXPECT_THAT(d.rules, ElementsAre("export", "ds")) << prompt;
    EXPECT_THAT(d.approvers, ElementsAre("security-leads")) << prompt;
  }
}

TEST(PolicyUnicodeTest, WhatIsNotALetterNextToAKeywordDoesNotHideIt) {
  const auto p = Load();
  for (const char* prompt : {
           "please \U0001F600export the table",  // an emoji glued on
           "please export\u2192 now",            // an arrow
           "please export\u2122 now",            // TM sign
           "\u8BF7export\u6570\u636E",            // CJK on both sides
           "please\u2800export the table",       // Braille blank (looks like a space)
           "please\u3164export the table",       // Hangul filler
           "please export\u20DD the table",      // an enclosing mark
       }) {
    EXPECT_EQ(Eval(*p, prompt).effect, Effect::kApprovalRequired) << prompt;
  }
}

TEST(PolicyUnicodeTest, PhraseKeywordsAndPatternsAcceptUnicodeSpaces) {
  const auto p = Load();
  for (const char* prompt : {"a bulk\u00A0download please", "a bulk\u202Fdownload please",
                             "a bulk\u3000download please", "a bulk\u2009\u200Bdownload please",
                             "give me all\u00A0customer\u2028records"}) {
    EXPECT_EQ(Eval(*p, prompt).effect, Effect::kApprovalRequired) << prompt;
  }
}

TEST(PolicyUnicodeTest, AKeywordWrittenInFullwidthMatchesEverySpelling) {
  const auto p = Load();
  EXPECT_EQ(Eval(*p, "about project nightowl").effect, Effect::kDeny);
  EXPECT_EQ(Eval(*p, "about project ｎｉｇｈｔｏｗｌ").effect, Effect::kDeny);
  EXPECT_EQ(Eval(*p, "about project\u00A0night\u200Bowl").effect, Effect::kDeny);
}

TEST(PolicyUnicodeTest, FoldingDoesNotInventMatches) {
  const auto p = Load();
  // (An ignorable inside a word, as in "re\u200Bexport", still matches: the prompt as written is
  // matched too, where the ignorable separates words. Fail closed.)
  for (const char* prompt : {"the exporter is broken", "ｒｅｅｘｐｏｒｔ", "ex port",
                             "darüber export\u00E9", "日本語のテキスト", "Кириллица"}) {
    EXPECT_EQ(Eval(*p, prompt).effect, Effect::kPermit) << prompt;
  }
}

}  // namespace
}  // namespace jitguard
