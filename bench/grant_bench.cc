// Grants: issue/verify per second per algorithm, and what the Redis round trip adds (memory vs
// Redis replay cache, measured in the same run). Approvals: bench/approval_bench.cc.
//
// The Redis benchmarks use testing::BenchmarkRedisUrl(): a private redis-server (from PATH, or
// $JITGUARD_REDIS_SERVER) on a free loopback port, or $JITGUARD_BENCH_REDIS_URL; when neither works
// they are skipped with a message.
//
//   build/<dir>/bench/jitguard_grant_bench --benchmark_min_time=0.5

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "jitguard/grant.h"
#include "jitguard/replay.h"
#include "tests/cpp/testing/keys.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard {
namespace {

// ---- keys
// -----------------------------------------------------------------------------------------

GrantKey KeyFor(int alg) {
  static const std::string es = ::jitguard::testing::GeneratePrivatePem("P-256");
  static const std::string ed = ::jitguard::testing::GeneratePrivatePem("Ed25519");
  switch (alg) {
    case 0:
      return GrantKey::Pem(es);
    case 1:
      return GrantKey::Pem(ed);
    default:
      return GrantKey::Secret(SecretBytes("0123456789abcdef0123456789abcdef-bench"));
  }
}

const char* AlgName(int alg) { return alg == 0 ? "ES256" : alg == 1 ? "EdDSA" : "HS256"; }

GrantRequest Request() {
  return GrantRequest{.subject = "alice",
                      .datasets = {"hr"},
                      .operations = {"infer"},
                      .model = "gpt-x",
                      .ttl = absl::Seconds(60),
                      .request_id = "req-1",
                      .approval_id = ""};
}

// ---- benchmarks
// -----------------------------------------------------------------------------------

void BM_Issue(benchmark::State& state) {
  std::shared_ptr<const GrantIssuer> issuer =
      *GrantIssuer::Create(KeyFor(static_cast<int>(state.range(0))));
  const GrantRequest request = Request();
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    absl::StatusOr<IssuedGrant> g = issuer->Issue(request, now);
    benchmark::DoNotOptimize(g);
  }
  state.SetLabel(AlgName(static_cast<int>(state.range(0))));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Issue)->Arg(0)->Arg(1)->Arg(2);

// Verify = parse + signature + claims + MarkUsed. Tokens are single use, so they are minted in
// batches outside the timed region.
void VerifyLoop(benchmark::State& state, int alg, std::shared_ptr<ReplayCache> cache) {
  std::shared_ptr<const GrantIssuer> issuer = *GrantIssuer::Create(KeyFor(alg));
  std::shared_ptr<const GrantVerifier> verifier =
      *GrantVerifier::Create(KeyFor(alg), {.replay_cache = std::move(cache)});
  const GrantRequest request = Request();
  const GrantScope scope = {.dataset = "hr", .operation = "infer", .model = "gpt-x"};
  std::vector<std::string> tokens;
  size_t next = 0;
  int64_t failures = 0;
  for (auto _ : state) {
    if (next == tokens.size()) {
      state.PauseTiming();
      tokens.clear();
      const absl::Time now = absl::Now();
      for (int i = 0; i < 2000; ++i) tokens.push_back(issuer->Issue(request, now)->token);
      next = 0;
      state.ResumeTiming();
    }
    absl::StatusOr<Grant> g = verifier->Verify(tokens[next++], scope, absl::Now());
    if (!g.ok()) ++failures;
    benchmark::DoNotOptimize(g);
  }
  if (failures > 0) state.SkipWithError("verification failed");
  state.SetItemsProcessed(state.iterations());
}

void BM_Verify_Memory(benchmark::State& state) {
  const int alg = static_cast<int>(state.range(0));
  VerifyLoop(state, alg, *NewMemoryReplayCache());
  state.SetLabel(absl::StrCat(AlgName(alg), " memory"));
}
BENCHMARK(BM_Verify_Memory)->Arg(0)->Arg(1)->Arg(2);

void BM_Verify_Redis(benchmark::State& state) {
  const int alg = static_cast<int>(state.range(0));
  const absl::StatusOr<std::string> url = testing::BenchmarkRedisUrl();
  if (!url.ok()) {
    state.SkipWithError(std::string(url.status().message()).c_str());
    return;
  }
  VerifyLoop(state, alg, *NewRedisReplayCache({.url = *url}));
  state.SetLabel(absl::StrCat(AlgName(alg), " redis"));
}
BENCHMARK(BM_Verify_Redis)->Arg(0)->Arg(1)->Arg(2);

// The replay cache alone: one MarkUsed per iteration (fresh ids).
void BM_MarkUsed(benchmark::State& state) {
  std::shared_ptr<ReplayCache> cache;
  if (state.range(0) == 0) {
    cache = *NewMemoryReplayCache();
  } else {
    const absl::StatusOr<std::string> url = testing::BenchmarkRedisUrl();
    if (!url.ok()) {
      state.SkipWithError(std::string(url.status().message()).c_str());
      return;
    }
    static std::shared_ptr<ReplayCache> shared = *NewRedisReplayCache({.url = *url});
    cache = shared;
  }
  static std::atomic<int64_t> counter{0};
  const std::string prefix = absl::StrCat("bench-", getpid(), "-", state.thread_index(), "-");
  const absl::Time now = absl::Now();
  int64_t failures = 0;
  for (auto _ : state) {
    const std::string id = absl::StrCat(prefix, counter.fetch_add(1, std::memory_order_relaxed));
    if (!cache->MarkUsed(id, now + absl::Seconds(60), now).ok()) ++failures;
  }
  if (failures > 0) state.SkipWithError("MarkUsed failed");
  state.SetLabel(state.range(0) == 0 ? "memory" : "redis");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MarkUsed)->Arg(0)->Arg(1)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace jitguard

BENCHMARK_MAIN();
