// Validation: every kind of bad document is rejected with its location, and nothing half-loads.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/status.h"

namespace jitguard {
namespace {

using ::testing::HasSubstr;

std::string Error(std::string_view json, PolicyPositions positions = PolicyPositions::kLineColumn) {
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(json, {.positions = positions});
  if (p.ok()) return "OK";
  EXPECT_EQ(GetErrorDomain(p.status()), ErrorDomain::kPolicy);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

std::string Reason(std::string_view json) { return ErrorReason(Policy::Create(json).status()); }

// A policy with one rule (given as JSON text) after a fixed preamble.
std::string WithRule(std::string_view rule) {
  return std::string(R"({"version": 1,
 "mask_profiles": [{"name": "standard", "entities": ["EMAIL", "US_SSN"], "style": "label"},
                   {"name": "strict", "entities": "all", "style": "redact"}],
 "defaults": {"max_grant_ttl": "15m", "mask_profile": "standard"},
 "rules": [)") +
         std::string(rule) + "]}";
}

TEST(PolicyParseTest, TheIssueExampleLoads) {
  const std::string json = R"({"version": 1,
   "defaults": {"max_grant_ttl": "15m", "mask_profile": "standard"},
   "mask_profiles": [{"name": "standard", "entities": ["EMAIL", "US_SSN"], "style": "label"},
                     {"name": "strict", "entities": "all", "style": "redact"}],
   "rules": [
    {"id": "ds", "effect": "permit", "groups": ["data-scientist"], "models": ["llama-*"],
     "datasets": ["sales", "support-*"], "operations": ["infer"], "max_grant_ttl": "10m"},
    {"id": "no-params", "effect": "forbid", "operations": ["update_params"], "message": "..."},
    {"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export", "download"],
     "patterns": ["(?i)all\\s+customer\\s+records"]}, "approvers": ["security-leads"]},
    {"id": "huge", "effect": "forbid", "when": [{"attribute": "max_tokens", "gt": 100000}]}]})";
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(json);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->rule_count(), 4u);
  ASSERT_EQ((*p)->mask_profiles().size(), 2u);
  // "all" expands to every built-in (also those the masker's default profile leaves off).
  EXPECT_EQ((*p)->mask_profiles()[1].entities.size(), BuiltinEntities().size());
  EXPECT_TRUE((*p)->mask_profiles()[1].all_entities);
  EXPECT_NE((*p)->FindMaskProfile("standard"), nullptr);
  EXPECT_EQ((*p)->FindMaskProfile("nope"), nullptr);
  EXPECT_EQ((*p)->version().rfind("sha256:", 0), 0u);
  EXPECT_EQ((*p)->version().size(), 7u + 16u);
}

TEST(PolicyParseTest, TypoedKeyIsNamedWithLineColumnAndHint) {
  const std::string json = WithRule(R"({"id": "a", "effect": "permit",
   "modles": ["x"]})");
  const std::string e = Error(json);
  EXPECT_THAT(
      e, HasSubstr(
             "rules[0].modles: line 6, column 4: unknown key 'modles' (did you mean 'models'?)"));
}

TEST(PolicyParseTest, PatternErrorsAreLocatedDeep) {
  const std::string json = WithRule(R"({"id": "a", "effect": "permit"},
  {"id": "b", "effect": "permit"}, {"id": "c", "effect": "permit"},
  {"id": "d", "effect": "require_approval", "approvers": ["x"],
   "prompt": {"patterns": ["(unclosed"]}})");
  EXPECT_THAT(Error(json),
              HasSubstr("rules[3].prompt.patterns[0]: line 8, column 28: invalid RE2 pattern"));
  EXPECT_THAT(Error(json, PolicyPositions::kPathOnly),
              HasSubstr("rules[3].prompt.patterns[0]: invalid RE2 pattern"));
  EXPECT_EQ(Reason(json), "invalid_policy");
}

TEST(PolicyParseTest, LocationLineAndColumnAreAlsoErrorFields) {
  const std::string json = WithRule(R"({"id": "a", "effect": "permit",
   "modles": ["x"]})");
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(json);
  ASSERT_FALSE(p.ok());
  using Fields = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ErrorFields(p.status()),
            (Fields{{"column", "4"}, {"line", "6"}, {"location", "rules[0].modles"}}));
  // Without positions only the location; a syntax error is located at the document.
  p = Policy::Create(json, {.positions = PolicyPositions::kPathOnly});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ErrorFields(p.status()), (Fields{{"location", "rules[0].modles"}}));
  p = Policy::Create("{\n  \"version\": 1,,\n}");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ErrorReason(p.status()), "invalid_json");
  EXPECT_EQ(ErrorField(p.status(), "location"), "document");
  EXPECT_EQ(ErrorField(p.status(), "line"), "2");
}

TEST(PolicyParseTest, EveryKindOfMistakeIsRejectedAtItsLocation) {
  struct Case {
    std::string rule;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"id": "a", "effect": "allow"})",
       "rules[0].effect: line 5, column 34: unknown effect 'allow'"},
      {R"({"id": "a"})", "rules[0]: line 5, column 12: a rule needs an \"effect\""},
      {R"({"effect": "permit"})", "rules[0]: line 5, column 12: a rule needs an \"id\""},
      {R"({"id": 7, "effect": "permit"})",
       "rules[0].id: line 5, column 19: expected a string, got a number"},
      {R"({"id": "a", "effect": "permit", "groups": "admins"})",
       "rules[0].groups: line 5, column 54: expected an array of strings, got a string"},
      {R"({"id": "a", "effect": "permit", "groups": []})",
       "rules[0].groups: line 5, column 54: must not be an empty list"},
      {R"({"id": "a", "effect": "permit", "groups": ["ok", 3]})",
       "rules[0].groups[1]: line 5, column 61: expected a string"},
      {R"({"id": "a", "effect": "permit", "models": ["llama-\\x"]})",
       "rules[0].models[0]: line 5, column 55: bad glob"},
      {R"({"id": "a", "effect": "permit", "models": [""]})",
       "rules[0].models[0]: line 5, column 55: must not be empty"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": "15 minutes"})",
       "rules[0].max_grant_ttl: line 5, column 61: bad duration"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": "0s"})", "must be at least 1s"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": "-5m"})", "must be at least 1s"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": "1.5s"})", "whole number of seconds"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": "169h"})", "exceeds 168h"},
      {R"({"id": "a", "effect": "permit", "max_grant_ttl": 60})",
       "rules[0].max_grant_ttl: line 5, column 61: expected a string, got a number"},
      {R"({"id": "a", "effect": "permit", "mask_profile": "lenient"})",
       "rules[0].mask_profile: line 5, column 60: unknown mask profile 'lenient'"},
      {R"({"id": "a", "effect": "forbid", "mask_profile": "strict"})",
       "a forbid rule takes no mask_profile"},
      {R"({"id": "a", "effect": "forbid", "max_grant_ttl": "1m"})",
       "a forbid rule takes no max_grant_ttl"},
      {R"({"id": "a", "effect": "permit", "approvers": ["x"]})",
       "only require_approval rules take approvers"},
      {R"({"id": "a", "effect": "require_approval"})",
       "rules[0]: line 5, column 12: a require_approval rule needs \"approvers\""},
      {R"({"id": "a", "effect": "permit", "prompt": {"keywords": ["  "]}})",
       "rules[0].prompt.keywords[0]: line 5, column 68: a keyword must contain"},
      {R"({"id": "a", "effect": "permit", "prompt": {}})",
       "rules[0].prompt: line 5, column 54: prompt needs keywords or patterns"},
      {R"({"id": "a", "effect": "permit", "prompt": {"regex": ["x"]}})",
       "rules[0].prompt.regex: line 5, column 55: unknown key 'regex'"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "gt": "5"}]})",
       "rules[0].when[0].gt: line 5, column 78: expected a number, got a string"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n"}]})",
       "rules[0].when[0]: line 5, column 53: a comparison needs exactly one of"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "eq": 1, "ne": 2}]})",
       "a comparison needs exactly one of"},
      {R"({"id": "a", "effect": "permit", "when": [{"eq": 1}]})",
       "a comparison needs \"attribute\""},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "in": [1, "x"]}]})",
       "rules[0].when[0].in[1]: line 5, column 82: all values of \"in\" must have the same type"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "in": []}]})",
       "\"in\" needs at least one value"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "matches": "[a-"}]})",
       "rules[0].when[0].matches: line 5, column 83: invalid RE2 pattern"},
      {R"({"id": "a", "effect": "permit", "when": [{"attribute": "n", "eq": null}]})",
       "expected a string, number or boolean, got null"},
      {R"({"id": "a", "effect": "permit", "when": []})",
       "rules[0].when: line 5, column 52: must not be an empty list"},
      {R"({"id": "a", "effect": "permit", "id": "b"})",
       "rules[0].id: line 5, column 44: duplicate key 'id'"},
      {R"({"id": "a", "effect": "permit"}, {"id": "a", "effect": "forbid"})",
       "rules[1].id: line 5, column 52: duplicate rule id 'a'"},
      {R"("permit")", "rules[0]: line 5, column 12: expected an object, got a string"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Error(WithRule(c.rule)), HasSubstr(c.expected)) << c.rule;
  }
}

TEST(PolicyParseTest, TopLevelAndProfileMistakes) {
  EXPECT_THAT(Error("[1]"),
              HasSubstr("document: line 1, column 1: expected a policy object, got an array"));
  EXPECT_THAT(Error("{\"rules\": []}"), HasSubstr("a policy needs \"version\": 1"));
  EXPECT_THAT(Error("{\"version\": 2, \"rules\": []}"),
              HasSubstr("version: line 1, column 13: \"version\" must be 1"));
  EXPECT_THAT(Error("{\"version\": 1}"), HasSubstr("a policy needs \"rules\""));
  EXPECT_THAT(Error("{\"version\": 1, \"rules\": [], \"rulez\": []}"),
              HasSubstr("rulez: line 1, column 29: unknown key 'rulez' (did you mean 'rules'?)"));
  EXPECT_THAT(
      Error(
          R"({"version": 1, "rules": [], "mask_profiles": [{"name": "p", "entities": ["EMAIL", "SSN"]}]})"),
      HasSubstr("mask_profiles[0].entities[1]: line 1, column 83: unknown entity 'SSN'"));
  EXPECT_THAT(
      Error(R"({"version": 1, "rules": [], "mask_profiles": [{"name": "p", "entities": "some"}]})"),
      HasSubstr("entities must be \"all\" or a list"));
  EXPECT_THAT(
      Error(
          R"({"version": 1, "rules": [], "mask_profiles": [{"name": "p", "entities": "all", "style": "blur"}]})"),
      HasSubstr("mask_profiles[0].style: line 1, column 89: unknown style 'blur'"));
  EXPECT_THAT(
      Error(
          R"({"version": 1, "rules": [], "mask_profiles": [{"name": "p", "entities": "all"}, {"name": "p", "entities": "all"}]})"),
      HasSubstr("mask_profiles[1].name: line 1, column 90: duplicate mask profile name 'p'"));
  EXPECT_THAT(Error(R"({"version": 1, "rules": [], "mask_profiles": [{"entities": "all"}]})"),
              HasSubstr("a mask profile needs a \"name\""));
  EXPECT_THAT(Error(R"({"version": 1, "rules": [], "defaults": {"mask_profile": "none"}})"),
              HasSubstr("defaults.mask_profile: line 1, column 58: unknown mask profile 'none'"));
  EXPECT_THAT(Error(R"({"version": 1, "rules": [], "defaults": {"ttl": "1m"}})"),
              HasSubstr("defaults.ttl: line 1, column 42: unknown key 'ttl'"));
  EXPECT_THAT(Error(R"({"version": 1, "version": 1, "rules": []})"),
              HasSubstr("version: line 1, column 16: duplicate key"));
}

TEST(PolicyParseTest, InvalidJsonIsItsOwnReason) {
  EXPECT_EQ(Reason("{\"version\": 1,"), "invalid_json");
  EXPECT_EQ(Reason(""), "invalid_json");
  EXPECT_EQ(Reason("{\"version\": 1, \"rules\": [}"), "invalid_json");
}

TEST(PolicyParseTest, SyntaxErrorsSayWhere) {
  EXPECT_THAT(Error("{\"version\": 1,\n \"rules\": [\n  {\"id\": \"x\",, }\n]}"),
              HasSubstr("document: line 3, column 14: not valid JSON ("));
  EXPECT_THAT(Error("{\"version\": 1,\n \"rules\": []\n \"defaults\": {}}"),
              HasSubstr("document: line 3, column 2: not valid JSON ("));
}

TEST(PolicyParseTest, EmptyRulesDenyEverything) {
  absl::StatusOr<std::shared_ptr<const Policy>> p =
      Policy::Create(R"({"version": 1, "rules": []})");
  ASSERT_TRUE(p.ok());
  Decision d = (*p)->Evaluate(PolicyRequest{.subject = "alice"});
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, "no_permit");
}

TEST(PolicyParseTest, ExplicitVersionIsKept) {
  absl::StatusOr<std::shared_ptr<const Policy>> p =
      Policy::Create(R"({"version": 1, "rules": []})", {.version = "release-42"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->version(), "release-42");
}

}  // namespace
}  // namespace jitguard
