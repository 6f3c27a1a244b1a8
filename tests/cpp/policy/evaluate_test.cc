// Semantics of Evaluate: each rule of the issue, fail-closed typing, grant lifetime and profile
// selection, approvals, and the explain trace.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/policy.h"

namespace jitguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kIssuePolicy[] = R"({"version": 1,
 "defaults": {"max_grant_ttl": "15m", "mask_profile": "standard"},
 "mask_profiles": [{"name": "standard", "entities": ["EMAIL", "US_SSN"], "style": "label"},
                   {"name": "strict", "entities": "all", "style": "redact"}],
 "rules": [
  {"id": "ds", "effect": "permit", "groups": ["data-scientist"], "models": ["llama-*"],
   "datasets": ["sales", "support-*"], "operations": ["infer"], "max_grant_ttl": "10m"},
  {"id": "no-params", "effect": "forbid", "operations": ["update_params"], "message": "parameters are read-only"},
  {"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export", "download"],
   "patterns": ["(?i)all\\s+customer\\s+records"]}, "approvers": ["security-leads"]},
  {"id": "huge", "effect": "forbid", "when": [{"attribute": "max_tokens", "gt": 100000}]}]})";

std::shared_ptr<const Policy> Load(std::string_view json) {
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(json);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

PolicyRequest DataScientist() {
  return PolicyRequest{.subject = "alice",
                       .groups = {"staff", "data-scientist"},
                       .model = "llama-3-8b",
                       .dataset = "support-tickets",
                       .operation = "infer"};
}

TEST(PolicyEvaluateTest, PermitWithTtlAndProfile) {
  auto p = Load(kIssuePolicy);
  Decision d = p->Evaluate(DataScientist());
  EXPECT_EQ(d.effect, Effect::kPermit);
  EXPECT_EQ(EffectName(d.effect), "permit");
  EXPECT_EQ(d.reason, "permitted");
  EXPECT_THAT(d.rules, ElementsAre("ds"));
  EXPECT_THAT(d.reasons, ElementsAre("permit rule 'ds' matched"));
  EXPECT_EQ(d.grant_ttl, 600);
  EXPECT_EQ(d.mask_profile, "standard");
  EXPECT_THAT(d.approvers, IsEmpty());
}

TEST(PolicyEvaluateTest, EachConditionMustHold) {
  auto p = Load(kIssuePolicy);
  PolicyRequest r = DataScientist();
  r.groups = {"staff"};
  EXPECT_EQ(p->Evaluate(r).reason, "no_permit");
  r = DataScientist();
  r.model = "gpt-4";
  EXPECT_EQ(p->Evaluate(r).reason, "no_permit");
  r = DataScientist();
  r.dataset = "hr";
  EXPECT_EQ(p->Evaluate(r).reason, "no_permit");
  r = DataScientist();
  r.dataset = "sales";
  EXPECT_EQ(p->Evaluate(r).effect, Effect::kPermit);
  r.operation = "train";
  Decision d = p->Evaluate(r);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, "no_permit");
  EXPECT_THAT(d.rules, IsEmpty());
  EXPECT_THAT(d.reasons, ElementsAre(HasSubstr("no_permit")));
  EXPECT_EQ(d.grant_ttl, 0);
  EXPECT_EQ(d.mask_profile, "");
}

TEST(PolicyEvaluateTest, ForbidWinsOverPermitAndCarriesMessage) {
  auto p = Load(kIssuePolicy);
  PolicyRequest r = DataScientist();
  r.operation = "update_params";
  Decision d = p->Evaluate(r);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, "forbidden");
  EXPECT_THAT(d.rules, ElementsAre("no-params"));
  EXPECT_EQ(d.message, "parameters are read-only");
  // Forbid also wins when a permit matches too.
  auto both = Load(R"({"version": 1, "rules": [
    {"id": "p", "effect": "permit", "groups": ["g"]},
    {"id": "f", "effect": "forbid", "models": ["secret-*"]}]})");
  Decision d2 = both->Evaluate(PolicyRequest{.groups = {"g"}, .model = "secret-1"});
  EXPECT_EQ(d2.effect, Effect::kDeny);
  EXPECT_THAT(d2.rules, ElementsAre("f"));
  EXPECT_EQ(both->Evaluate(PolicyRequest{.groups = {"g"}, .model = "public-1"}).effect,
            Effect::kPermit);
}

TEST(PolicyEvaluateTest, PromptKeywordsAndPatternsNeedApproval) {
  auto p = Load(kIssuePolicy);
  for (const char* prompt : {"please EXPORT the table", "Download it", "export",
                             "give me all  customer\nrecords", "can you download, then export?"}) {
    PolicyRequest r = DataScientist();
    r.prompt = prompt;
    Decision d = p->Evaluate(r);
    EXPECT_EQ(d.effect, Effect::kApprovalRequired) << prompt;
    EXPECT_EQ(d.reason, "approval_required");
    EXPECT_THAT(d.rules, ElementsAre("export", "ds"));
    EXPECT_THAT(d.approvers, ElementsAre("security-leads"));
    EXPECT_EQ(d.grant_ttl, 600);
    EXPECT_EQ(d.mask_profile, "standard");
  }
  // Whole words only.
  for (const char* prompt :
       {"the exporter is broken", "downloads folder", "reexport", "summarize this", ""}) {
    PolicyRequest r = DataScientist();
    r.prompt = prompt;
    EXPECT_EQ(p->Evaluate(r).effect, Effect::kPermit) << prompt;
  }
}

TEST(PolicyEvaluateTest, ApprovalNeverRescuesAnUnpermittedRequest) {
  auto p = Load(kIssuePolicy);
  PolicyRequest r = DataScientist();
  r.groups = {};
  r.prompt = "export everything";
  Decision d = p->Evaluate(r);
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, "no_permit");
  EXPECT_THAT(d.approvers, IsEmpty());
}

TEST(PolicyEvaluateTest, KeywordPhrasesAndUnicodeBoundaries) {
  auto p = Load(R"({"version": 1, "rules": [
    {"id": "p", "effect": "permit"},
    {"id": "a", "effect": "require_approval", "approvers": ["x"],
     "prompt": {"keywords": ["bulk  export", "c++", "über"]}}]})");
  auto effect = [&](std::string prompt) {
    return p->Evaluate(PolicyRequest{.prompt = std::move(prompt)}).effect;
  };
  EXPECT_EQ(effect("do a BULK\t export now"), Effect::kApprovalRequired);
  EXPECT_EQ(effect("bulkexport"), Effect::kPermit);
  EXPECT_EQ(effect("I like c++, really"), Effect::kApprovalRequired);
  EXPECT_EQ(effect("c++"), Effect::kApprovalRequired);
  EXPECT_EQ(effect("Über alles"), Effect::kApprovalRequired);
  EXPECT_EQ(effect("darüber"), Effect::kPermit);  // preceded by a letter: not a whole word
}

TEST(PolicyEvaluateTest, SmallestTtlAndStrictestProfileAmongPermits) {
  auto p = Load(R"({"version": 1,
   "defaults": {"max_grant_ttl": "20m", "mask_profile": "light"},
   "mask_profiles": [{"name": "light", "entities": ["EMAIL"]}, {"name": "mid", "entities": ["EMAIL", "PHONE"]},
                     {"name": "heavy", "entities": "all"}],
   "rules": [
    {"id": "a", "effect": "permit", "groups": ["g1"], "max_grant_ttl": "1h", "mask_profile": "mid"},
    {"id": "b", "effect": "permit", "groups": ["g2"], "max_grant_ttl": "5m", "mask_profile": "light"},
    {"id": "c", "effect": "permit", "groups": ["g3"]},
    {"id": "r", "effect": "require_approval", "groups": ["g4"], "approvers": ["x", "y"], "mask_profile": "heavy",
     "max_grant_ttl": "2m"},
    {"id": "r2", "effect": "require_approval", "groups": ["g5"], "approvers": ["y", "z"]}]})");
  auto eval = [&](std::vector<std::string> groups) {
    return p->Evaluate(PolicyRequest{.groups = std::move(groups)});
  };
  Decision d = eval({"g1"});
  EXPECT_EQ(d.grant_ttl, 3600);
  EXPECT_EQ(d.mask_profile, "mid");
  d = eval({"g1", "g2"});
  EXPECT_EQ(d.grant_ttl, 300);
  EXPECT_EQ(d.mask_profile, "mid");
  EXPECT_THAT(d.rules, ElementsAre("a", "b"));
  d = eval({"g3"});  // defaults apply
  EXPECT_EQ(d.grant_ttl, 1200);
  EXPECT_EQ(d.mask_profile, "light");
  d = eval({"g1", "g3"});
  EXPECT_EQ(d.grant_ttl, 1200);
  d = eval({"g1", "g4", "g5"});
  EXPECT_EQ(d.effect, Effect::kApprovalRequired);
  EXPECT_THAT(d.approvers, ElementsAre("x", "y", "z"));  // union, first-seen order
  EXPECT_THAT(d.rules, ElementsAre("r", "r2", "a"));
  EXPECT_EQ(d.grant_ttl, 120);
  EXPECT_EQ(d.mask_profile, "heavy");
}

TEST(PolicyEvaluateTest, WithoutDefaultProfileTheStrictestApplies) {
  auto p = Load(R"({"version": 1,
   "mask_profiles": [{"name": "light", "entities": ["EMAIL"]}, {"name": "heavy", "entities": "all"}],
   "rules": [{"id": "a", "effect": "permit"}]})");
  Decision d = p->Evaluate(PolicyRequest{});
  EXPECT_EQ(d.mask_profile, "heavy");
  EXPECT_EQ(d.grant_ttl, 900);  // built-in default 15m
}

TEST(PolicyEvaluateTest, SubjectsAndGlobsEverywhere) {
  auto p = Load(R"({"version": 1, "rules": [
    {"id": "a", "effect": "permit", "subjects": ["alice", "bob"], "models": ["gpt-?", "claude-*"],
     "datasets": ["*"], "operations": ["infer", "embed*"]}]})");
  EXPECT_EQ(p->Evaluate(PolicyRequest{.subject = "bob", .model = "gpt-4", .operation = "embed_v2"})
                .effect,
            Effect::kPermit);
  EXPECT_EQ(
      p->Evaluate(PolicyRequest{.subject = "carol", .model = "gpt-4", .operation = "infer"}).effect,
      Effect::kDeny);
  EXPECT_EQ(p->Evaluate(PolicyRequest{.subject = "alice", .model = "gpt-40", .operation = "infer"})
                .effect,
            Effect::kDeny);
  EXPECT_EQ(
      p->Evaluate(PolicyRequest{.subject = "alice", .model = "claude-3", .operation = "infer"})
          .effect,
      Effect::kPermit);
}

constexpr char kWhenPolicy[] = R"({"version": 1, "rules": [
  {"id": "p", "effect": "permit", "when": [{"attribute": "tier", "in": ["gold", "silver"]},
                                           {"attribute": "max_tokens", "le": 4096}]},
  {"id": "big", "effect": "forbid", "when": [{"attribute": "max_tokens", "gt": 100000}]},
  {"id": "ext", "effect": "require_approval", "approvers": ["sec"],
   "when": [{"attribute": "external", "eq": true}]}]})";

TEST(PolicyEvaluateTest, WhenComparisons) {
  auto p = Load(kWhenPolicy);
  auto eval = [&](std::map<std::string, AttributeValue, std::less<>> attrs) {
    return p->Evaluate(PolicyRequest{.attributes = std::move(attrs)});
  };
  EXPECT_EQ(eval({{"tier", std::string("gold")}, {"max_tokens", 100.0}}).effect, Effect::kPermit);
  EXPECT_EQ(eval({{"tier", std::string("bronze")}, {"max_tokens", 100.0}}).effect, Effect::kDeny);
  EXPECT_EQ(eval({{"tier", std::string("gold")}, {"max_tokens", 5000.0}}).effect, Effect::kDeny);
  EXPECT_EQ(eval({{"tier", std::string("gold")}}).effect,
            Effect::kDeny);  // absent -> comparison false
  EXPECT_EQ(eval({{"tier", std::string("gold")}, {"max_tokens", 10.0}, {"external", true}}).effect,
            Effect::kApprovalRequired);
  EXPECT_EQ(eval({{"tier", std::string("gold")}, {"max_tokens", 10.0}, {"external", false}}).effect,
            Effect::kPermit);
  // A list attribute is "in" when every element is.
  EXPECT_EQ(
      eval({{"tier", std::vector<AttributeScalar>{std::string("gold"), std::string("silver")}},
            {"max_tokens", 1.0}})
          .effect,
      Effect::kPermit);
  EXPECT_EQ(eval({{"tier", std::vector<AttributeScalar>{std::string("gold"), std::string("lead")}},
                  {"max_tokens", 1.0}})
                .effect,
            Effect::kDeny);
  EXPECT_EQ(eval({{"tier", std::vector<AttributeScalar>{}}, {"max_tokens", 1.0}}).effect,
            Effect::kDeny);
  Decision forbidden = eval({{"tier", std::string("gold")}, {"max_tokens", 200000.0}});
  EXPECT_EQ(forbidden.reason, "forbidden");
  EXPECT_THAT(forbidden.rules, ElementsAre("big"));
}

TEST(PolicyEvaluateTest, OtherOperators) {
  auto p = Load(R"({"version": 1, "rules": [
    {"id": "p", "effect": "permit", "when": [{"attribute": "region", "ne": "cn"}, {"attribute": "n", "ge": 1},
      {"attribute": "n", "lt": 10}, {"attribute": "ticket", "matches": "INC-[0-9]+"}, {"attribute": "score", "gt": 0.5}]}]})");
  auto eval = [&](std::string region, double n, std::string ticket, double score) {
    return p
        ->Evaluate(PolicyRequest{
            .attributes = {{"region", region}, {"n", n}, {"ticket", ticket}, {"score", score}}})
        .effect;
  };
  EXPECT_EQ(eval("eu", 1, "INC-42", 0.6), Effect::kPermit);
  EXPECT_EQ(eval("cn", 1, "INC-42", 0.6), Effect::kDeny);
  EXPECT_EQ(eval("eu", 0, "INC-42", 0.6), Effect::kDeny);
  EXPECT_EQ(eval("eu", 10, "INC-42", 0.6), Effect::kDeny);
  EXPECT_EQ(eval("eu", 9.5, "INC-42", 0.6), Effect::kPermit);
  EXPECT_EQ(eval("eu", 1, "see INC-42", 0.6), Effect::kDeny);  // matches is a whole-value match
  EXPECT_EQ(eval("eu", 1, "INC-42", 0.5), Effect::kDeny);
}

TEST(PolicyEvaluateTest, WrongTypesFailClosed) {
  auto p = Load(kWhenPolicy);
  // A string where the forbid expects a number: the forbid matches, and the reason says why.
  Decision d = p->Evaluate(PolicyRequest{
      .attributes = {{"tier", std::string("gold")}, {"max_tokens", std::string("lots")}}});
  EXPECT_EQ(d.effect, Effect::kDeny);
  EXPECT_EQ(d.reason, "forbidden");
  EXPECT_THAT(d.rules, ElementsAre("big"));
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_THAT(d.reasons[0], HasSubstr("failing closed"));
  EXPECT_THAT(d.reasons[0],
              HasSubstr("attribute 'max_tokens' has the wrong type (gt needs number, got string)"));
  // The permit does not match on a wrong type either, and the no_permit reasons say so.
  Decision d2 = p->Evaluate(PolicyRequest{.attributes = {{"tier", 3.0}, {"max_tokens", 10.0}}});
  EXPECT_EQ(d2.reason, "no_permit");
  EXPECT_THAT(d2.reasons, ElementsAre(HasSubstr("no_permit"),
                                      HasSubstr("permit rule 'p' not applied (failing closed: "
                                                "attribute 'tier' has the wrong type")));
  // require_approval also fails closed: a string "true" is not a boolean.
  Decision d3 = p->Evaluate(PolicyRequest{.attributes = {{"tier", std::string("gold")},
                                                         {"max_tokens", 10.0},
                                                         {"external", std::string("no")}}});
  EXPECT_EQ(d3.effect, Effect::kApprovalRequired);
  EXPECT_THAT(d3.reasons[0], HasSubstr("failing closed"));
  // null and NaN are wrong types too.
  EXPECT_EQ(p->Evaluate(PolicyRequest{.attributes = {{"tier", std::string("gold")},
                                                     {"max_tokens", AttributeNull{}}}})
                .reason,
            "forbidden");
  EXPECT_EQ(p->Evaluate(PolicyRequest{.attributes = {{"tier", std::string("gold")},
                                                     {"max_tokens", std::nan("")}}})
                .reason,
            "forbidden");
  // A list where a scalar is expected.
  EXPECT_EQ(
      p->Evaluate(PolicyRequest{.attributes = {{"tier", std::string("gold")},
                                               {"max_tokens", std::vector<AttributeScalar>{1.0}}}})
          .reason,
      "forbidden");
  // A wrong-typed condition does not force a forbid whose other conditions fail.
  auto q = Load(R"({"version": 1, "rules": [{"id": "p", "effect": "permit"},
    {"id": "f", "effect": "forbid", "models": ["m1"], "when": [{"attribute": "n", "gt": 1}]}]})");
  Decision d4 = q->Evaluate(PolicyRequest{.model = "m2", .attributes = {{"n", std::string("x")}}});
  EXPECT_EQ(d4.effect, Effect::kPermit);
  EXPECT_EQ(
      q->Evaluate(PolicyRequest{.model = "m1", .attributes = {{"n", std::string("x")}}}).effect,
      Effect::kDeny);
}

TEST(PolicyEvaluateTest, ExplainTracesEveryConditionOfEveryRule) {
  auto p = Load(kIssuePolicy);
  PolicyRequest r = DataScientist();
  r.prompt = "export the sales table";
  r.attributes = {{"max_tokens", std::string("many")}};
  Explanation e = p->Explain(r);
  Decision d = p->Evaluate(r);
  EXPECT_EQ(e.decision.effect, d.effect);
  EXPECT_EQ(e.decision.rules, d.rules);
  EXPECT_EQ(e.decision.reasons, d.reasons);
  EXPECT_EQ(d.reason, "forbidden");
  ASSERT_EQ(e.rules.size(), 4u);
  EXPECT_EQ(e.rules[0].id, "ds");
  EXPECT_TRUE(e.rules[0].matched);
  ASSERT_EQ(e.rules[0].conditions.size(), 4u);
  EXPECT_EQ(e.rules[0].conditions[0].condition, "models");
  EXPECT_EQ(e.rules[0].conditions[0].detail, "model 'llama-3-8b' matches 'llama-*'");
  EXPECT_EQ(e.rules[0].conditions[1].detail, "dataset 'support-tickets' matches 'support-*'");
  EXPECT_EQ(e.rules[0].conditions[3].condition, "groups");
  EXPECT_EQ(e.rules[0].conditions[3].detail, "member of 'data-scientist'");
  EXPECT_FALSE(e.rules[1].matched);
  EXPECT_EQ(e.rules[1].conditions[0].outcome, ConditionOutcome::kNotMatched);
  EXPECT_EQ(e.rules[1].conditions[0].detail, "operation 'infer' matches none of the 1 patterns");
  EXPECT_TRUE(e.rules[2].matched);
  EXPECT_EQ(e.rules[2].conditions[0].condition, "prompt");
  EXPECT_EQ(e.rules[2].conditions[0].outcome, ConditionOutcome::kMatched);
  EXPECT_TRUE(e.rules[3].matched);
  EXPECT_EQ(e.rules[3].conditions[0].condition, "when[0]");
  EXPECT_EQ(e.rules[3].conditions[0].outcome, ConditionOutcome::kUnevaluable);
  EXPECT_EQ(ConditionOutcomeName(e.rules[3].conditions[0].outcome), "unevaluable");
}

}  // namespace
}  // namespace jitguard
