// Approvals: one ticket's whole life (request, decide, consume) per second, memory vs Redis in the
// same run, and RequestDigest throughput.
//
// The Redis benchmarks use testing::BenchmarkRedisUrl(): a private redis-server (from PATH, or
// $JITGUARD_REDIS_SERVER) on a free loopback port, or $JITGUARD_BENCH_REDIS_URL; when neither works
// they are skipped with a message.
//
//   build/<dir>/bench/jitguard_approval_bench --benchmark_min_time=0.5
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "jitguard/approval.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard {
namespace {

// One approval's whole life: request, decide, consume.
void BM_ApprovalLifecycle(benchmark::State& state) {
  std::shared_ptr<ApprovalStore> store;
  if (state.range(0) == 0) {
    // Room for every ticket of the run (each stays live for its 5-minute deadlines).
    store = *NewMemoryApprovalStore({.common = {}, .capacity = size_t{1} << 23});
  } else {
    const absl::StatusOr<std::string> url = testing::BenchmarkRedisUrl();
    if (!url.ok()) {
      state.SkipWithError(std::string(url.status().message()).c_str());
      return;
    }
    store = *NewRedisApprovalStore({.url = *url});
  }
  const std::string digest = RequestDigest("alice", "gpt-x", "hr", "export", "prompt");
  const ApprovalRequest request{.subject = "alice",
                                .request_digest = digest,
                                .reason = "bench",
                                .approver_groups = {"security"},
                                .ttl = absl::Minutes(5),
                                .min_approvals = 1,
                                .access_window = absl::Minutes(5)};
  const ApprovalVote vote{
      .approver = "bob", .groups = {"security"}, .verdict = Verdict::kApprove, .comment = ""};
  int64_t failures = 0;
  for (auto _ : state) {
    const absl::Time now = absl::Now();
    absl::StatusOr<ApprovalTicket> t = store->Request(request, now);
    if (!t.ok() || !store->Decide(t->id, vote, now).ok() ||
        !store->Consume(t->id, digest, now).ok()) {
      ++failures;
    }
  }
  if (failures > 0) state.SkipWithError("approval lifecycle failed");
  state.SetLabel(state.range(0) == 0 ? "memory" : "redis");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApprovalLifecycle)->Arg(0)->Arg(1);

void BM_RequestDigest(benchmark::State& state) {
  const std::string prompt(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(RequestDigest("alice", "gpt-x", "hr", "infer", prompt));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RequestDigest)->Arg(256)->Arg(16 << 10);

}  // namespace
}  // namespace jitguard

BENCHMARK_MAIN();
