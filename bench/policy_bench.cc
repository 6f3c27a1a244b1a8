// Policy evaluation cost against rule count and prompt size.
//
//   jitguard_policy_bench --benchmark_filter=Evaluate
//
// Rules are a realistic RBAC mix: per-model permits for teams (10% with model globs), dataset lists
// with a shared glob, forbids on parameter updates, require_approval rules with prompt keywords and
// patterns (so the combined prompt matcher grows with the rule count), and attribute limits. The
// request is permitted by one rule; the prompt is ordinary text that triggers nothing, which is the
// worst case for the prompt scan (it reads every byte).
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "jitguard/policy.h"

namespace jitguard {
namespace {

std::string MakePolicy(int rules) {
  std::string json =
      R"({"version": 1, "defaults": {"max_grant_ttl": "15m", "mask_profile": "standard"},
    "mask_profiles": [{"name": "standard", "entities": ["EMAIL", "US_SSN"]}, {"name": "strict", "entities": "all"}],
    "rules": [{"id": "export", "effect": "require_approval", "approvers": ["security"],
               "prompt": {"keywords": ["export", "download"], "patterns": ["(?i)all\\s+customer\\s+records"]}})";
  for (int i = 0; i < rules - 1; ++i) {
    if (i % 20 == 19) {
      absl::StrAppend(&json, R"(, {"id": "forbid-)", i,
                      R"(", "effect": "forbid", "models": ["model-)", i,
                      R"("], "operations": ["update_params"]})");
    } else if (i % 25 == 24) {
      absl::StrAppend(&json, R"(, {"id": "approve-)", i,
                      R"(", "effect": "require_approval", "approvers": ["leads-)", i % 7,
                      R"("], "prompt": {"keywords": ["codeword)", i, R"(", "project )", i,
                      R"( plan"], "patterns": ["TICKET-)", i, R"(-[0-9]+"]}})");
    } else if (i % 33 == 32) {
      absl::StrAppend(&json, R"(, {"id": "limit-)", i,
                      R"(", "effect": "forbid", "groups": ["team-)", i % 50,
                      R"("], "when": [{"attribute": "max_tokens", "gt": )", 1000 + i, "}]}");
    } else if (i % 10 == 3) {
      absl::StrAppend(
          &json, R"(, {"id": "family-)", i, R"(", "effect": "permit", "groups": ["team-)", i % 50,
          R"("], "models": ["family-)", i, R"(-*"], "datasets": ["ds-)", i % 200,
          R"(", "shared-*"], "operations": ["infer", "embed"], "max_grant_ttl": "10m"})");
    } else {
      absl::StrAppend(&json, R"(, {"id": "team-)", i, R"(", "effect": "permit", "groups": ["team-)",
                      i % 50, R"("], "models": ["model-)", i, R"("], "datasets": ["ds-)", i % 200,
                      R"(", "shared-*"], "operations": ["infer", "embed"]})");
    }
  }
  json += "]}";
  return json;
}

std::string MakePrompt(size_t bytes) {
  static constexpr char kText[] =
      "Summarize the quarterly support tickets for the sales team and list the three most common "
      "complaints, with one example each. Keep the answer short and use plain language. ";
  std::string out;
  while (out.size() < bytes) out += kText;
  out.resize(bytes);
  return out;
}

// The permitted request: model-<k> for a k that is a plain team permit.
PolicyRequest MakeRequest(int rules, size_t prompt_bytes) {
  int k = rules / 2;
  while (k % 20 == 19 || k % 25 == 24 || k % 33 == 32 || k % 10 == 3) ++k;
  if (k >= rules - 1) k = 0;
  return PolicyRequest{.subject = "alice",
                       .groups = {"staff", absl::StrCat("team-", k % 50)},
                       .model = absl::StrCat("model-", k),
                       .dataset = "shared-eu",
                       .operation = "infer",
                       .prompt = MakePrompt(prompt_bytes),
                       .attributes = {{"max_tokens", 512.0}}};
}

void BM_Evaluate(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const size_t prompt = static_cast<size_t>(state.range(1));
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(MakePolicy(rules));
  if (!policy.ok()) {
    state.SkipWithError(std::string(policy.status().message()).c_str());
    return;
  }
  const PolicyRequest request = MakeRequest(rules, prompt);
  Decision check = (*policy)->Evaluate(request);
  if (check.effect != Effect::kPermit || check.rules.size() != 1) {
    state.SkipWithError("the benchmark request is not permitted by exactly one rule");
    return;
  }
  for (auto _ : state) {
    Decision d = (*policy)->Evaluate(request);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(prompt));
}
BENCHMARK(BM_Evaluate)
    ->ArgsProduct({{10, 100, 1000, 10000}, {0, 1024, 16384}})
    ->ArgNames({"rules", "prompt"});

// The same decision through a PolicyStore (the per-thread snapshot cache on the hot path).
void BM_StoreEvaluate(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<PolicyStore>> store = PolicyStore::Create(MakePolicy(100));
  if (!store.ok()) {
    state.SkipWithError("policy");
    return;
  }
  const PolicyRequest request = MakeRequest(100, 0);
  for (auto _ : state) {
    Decision d = (*store)->Evaluate(request);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreEvaluate)->ThreadRange(1, 2);

// A denial (no permit matches): the path an attacker probing the policy drives.
void BM_EvaluateDeny(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(MakePolicy(rules));
  if (!policy.ok()) {
    state.SkipWithError("policy");
    return;
  }
  PolicyRequest request = MakeRequest(rules, 0);
  request.model = "unknown-model";
  for (auto _ : state) {
    Decision d = (*policy)->Evaluate(request);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateDeny)->Arg(100)->Arg(10000)->ArgName("rules");

// Parse + validate + compile.
void BM_Create(benchmark::State& state) {
  const std::string json = MakePolicy(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(json);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
}
BENCHMARK(BM_Create)->Arg(100)->Arg(1000)->Arg(10000)->ArgName("rules")->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace jitguard

BENCHMARK_MAIN();
