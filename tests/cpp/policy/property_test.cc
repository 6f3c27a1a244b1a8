// Property tests: on random policies with random requests, the indexed Evaluate agrees with a naive
// reference evaluator written here from the spec, and with Explain (which checks every rule).
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/policy.h"

namespace jitguard {
namespace {

// Reference glob matching, recursive and obviously right (ASCII values; no escapes used).
bool RefGlob(std::string_view p, std::string_view v) {
  if (p.empty()) return v.empty();
  if (p[0] == '*') return RefGlob(p.substr(1), v) || (!v.empty() && RefGlob(p, v.substr(1)));
  if (v.empty()) return false;
  if (p[0] == '?' || p[0] == v[0]) return RefGlob(p.substr(1), v.substr(1));
  return false;
}

struct RefRule {
  std::string id;
  std::string effect;
  std::vector<std::string> subjects, groups, models, datasets, operations, keywords;
};

bool RefWordIn(const std::string& prompt, const std::string& word) {
  // Keywords here are lowercase ASCII letters; prompts are lowercase words separated by spaces.
  size_t pos = 0;
  while ((pos = prompt.find(word, pos)) != std::string::npos) {
    const bool left = pos == 0 || prompt[pos - 1] == ' ';
    const bool right = pos + word.size() == prompt.size() || prompt[pos + word.size()] == ' ';
    if (left && right) return true;
    ++pos;
  }
  return false;
}

bool RefMatches(const RefRule& r, const PolicyRequest& q) {
  auto any_glob = [](const std::vector<std::string>& globs, const std::string& v) {
    return globs.empty() || std::any_of(globs.begin(), globs.end(),
                                        [&](const std::string& g) { return RefGlob(g, v); });
  };
  if (!r.subjects.empty() &&
      std::find(r.subjects.begin(), r.subjects.end(), q.subject) == r.subjects.end())
    return false;
  if (!r.groups.empty() &&
      std::none_of(r.groups.begin(), r.groups.end(), [&](const std::string& g) {
        return std::find(q.groups.begin(), q.groups.end(), g) != q.groups.end();
      })) {
    return false;
  }
  if (!any_glob(r.models, q.model) || !any_glob(r.datasets, q.dataset) ||
      !any_glob(r.operations, q.operation))
    return false;
  if (!r.keywords.empty() &&
      std::none_of(r.keywords.begin(), r.keywords.end(),
                   [&](const std::string& k) { return RefWordIn(q.prompt, k); })) {
    return false;
  }
  return true;
}

std::pair<std::string, std::vector<std::string>> RefDecide(const std::vector<RefRule>& rules,
                                                           const PolicyRequest& q) {
  std::vector<std::string> forbids, permits, approvals;
  for (const RefRule& r : rules) {
    if (!RefMatches(r, q)) continue;
    (r.effect == "forbid" ? forbids : r.effect == "permit" ? permits : approvals).push_back(r.id);
  }
  if (!forbids.empty()) return {"forbidden", forbids};
  if (permits.empty()) return {"no_permit", {}};
  if (!approvals.empty()) {
    approvals.insert(approvals.end(), permits.begin(), permits.end());
    return {"approval_required", approvals};
  }
  return {"permitted", permits};
}

std::string Quoted(const std::vector<std::string>& v) {
  return absl::StrCat("[\"", absl::StrJoin(v, "\", \""), "\"]");
}

class PolicyPropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(PolicyPropertyTest, IndexedEvaluateAgreesWithReferenceAndExplain) {
  std::mt19937 rng(GetParam());
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<std::string> words = {"alpha", "beta",   "gamma", "delta",
                                          "omega", "export", "dump",  "all"};
  auto value = [&](const std::string& prefix, int n) { return absl::StrCat(prefix, pick(n)); };
  auto glob = [&](const std::string& prefix, int n) {
    switch (pick(6)) {
      case 0:
        return absl::StrCat(prefix, "*");
      case 1:
        return absl::StrCat(prefix, "?");
      case 2:
        return std::string("*");
      case 3:
        return absl::StrCat("*", pick(n));
      default:
        return value(prefix, n);
    }
  };
  const int num_rules = 8 + pick(GetParam() % 3 == 0 ? 400 : 40);
  std::vector<RefRule> rules;
  std::string json = "{\"version\": 1, \"rules\": [";
  for (int i = 0; i < num_rules; ++i) {
    RefRule r;
    r.id = absl::StrCat("r", i);
    const int e = pick(10);
    r.effect = e < 6 ? "permit" : e < 8 ? "forbid" : "require_approval";
    auto maybe = [&](std::vector<std::string>* out, auto make) {
      if (pick(2) == 0) return;
      const int n = 1 + pick(3);
      for (int k = 0; k < n; ++k) out->push_back(make());
    };
    maybe(&r.subjects, [&] { return value("u", 12); });
    maybe(&r.groups, [&] { return value("g", 10); });
    maybe(&r.models, [&] { return glob("m", 15); });
    maybe(&r.datasets, [&] { return glob("d", 8); });
    maybe(&r.operations, [&] { return glob("op", 4); });
    if (pick(4) == 0) r.keywords.push_back(words[pick(words.size())]);
    absl::StrAppend(&json, i ? ", " : "", "{\"id\": \"", r.id, "\", \"effect\": \"", r.effect,
                    "\"");
    if (!r.subjects.empty()) absl::StrAppend(&json, ", \"subjects\": ", Quoted(r.subjects));
    if (!r.groups.empty()) absl::StrAppend(&json, ", \"groups\": ", Quoted(r.groups));
    if (!r.models.empty()) absl::StrAppend(&json, ", \"models\": ", Quoted(r.models));
    if (!r.datasets.empty()) absl::StrAppend(&json, ", \"datasets\": ", Quoted(r.datasets));
    if (!r.operations.empty()) absl::StrAppend(&json, ", \"operations\": ", Quoted(r.operations));
    if (!r.keywords.empty())
      absl::StrAppend(&json, ", \"prompt\": {\"keywords\": ", Quoted(r.keywords), "}");
    if (r.effect == "require_approval") absl::StrAppend(&json, ", \"approvers\": [\"sec\"]");
    json += "}";
    rules.push_back(std::move(r));
  }
  json += "]}";
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json);
  ASSERT_TRUE(policy.ok()) << policy.status();

  int decided_by_rule = 0;
  for (int n = 0; n < 400; ++n) {
    PolicyRequest q;
    q.subject = value("u", 14);
    for (int k = pick(3); k > 0; --k) q.groups.push_back(value("g", 12));
    q.model = value("m", 17);
    q.dataset = value("d", 9);
    q.operation = value("op", 5);
    for (int k = pick(4); k > 0; --k)
      q.prompt += (q.prompt.empty() ? "" : " ") + words[pick(words.size())] + (pick(4) ? "" : "s");
    const Decision d = (*policy)->Evaluate(q);
    const auto [reason, ids] = RefDecide(rules, q);
    ASSERT_EQ(d.reason, reason) << "request " << n << " model " << q.model << "\n" << json;
    ASSERT_EQ(d.rules, ids);
    const Explanation e = (*policy)->Explain(q);
    ASSERT_EQ(e.decision.reason, d.reason);
    ASSERT_EQ(e.decision.rules, d.rules);
    ASSERT_EQ(e.decision.reasons, d.reasons);
    ASSERT_EQ(e.decision.grant_ttl, d.grant_ttl);
    if (!ids.empty()) ++decided_by_rule;
  }
  // The random space is dense enough that rules decide a good share of requests.
  EXPECT_GT(decided_by_rule, 5);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PolicyPropertyTest, ::testing::Range(1, 31));

TEST(PolicyScaleTest, ThousandsOfPromptRulesInOnePass) {
  // 3000 require_approval rules, each with its own keyword and pattern, plus one permit: a prompt
  // triggers exactly the rules whose words it contains.
  std::string json = "{\"version\": 1, \"rules\": [{\"id\": \"all\", \"effect\": \"permit\"}";
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&json, ", {\"id\": \"k", i,
                    "\", \"effect\": \"require_approval\", \"approvers\": [\"a", i % 7,
                    "\"], \"prompt\": {\"keywords\": [\"word", i, "\"], \"patterns\": [\"code-", i,
                    "-x\"]}}");
  }
  json += "]}";
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json);
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  Decision d = (*policy)->Evaluate(PolicyRequest{
      .prompt = "mention word17 and WORD2999, not word30000 nor xword5, code-1234-x"});
  EXPECT_EQ(d.effect, Effect::kApprovalRequired);
  EXPECT_THAT(d.rules, ::testing::ElementsAre("k17", "k1234", "k2999", "all"));
  EXPECT_THAT(d.approvers, ::testing::ElementsAre("a3", "a2"));
  EXPECT_EQ((*policy)->Evaluate(PolicyRequest{.prompt = std::string(16384, 'z')}).effect,
            Effect::kPermit);
}

}  // namespace
}  // namespace jitguard
