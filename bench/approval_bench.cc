// Approvals: one ticket's whole life (request, decide, consume) per second, memory vs Redis in the
// same run, and RequestDigest throughput.
//
// The Redis benchmarks start a private redis-server (from PATH, or $JITGUARD_REDIS_SERVER) on a free
// loopback port, or use $JITGUARD_BENCH_REDIS_URL; when neither works they are skipped with a message.
//
//   build/<dir>/bench/jitguard_approval_bench --benchmark_min_time=0.5
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "jitguard/approval.h"

namespace jitguard {
namespace {

// ---- a private redis-server ---------------------------------------------------------------------

bool Ping(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    char buf[8] = {};
    ok = write(fd, "PING\r\n", 6) == 6 && read(fd, buf, 5) == 5 && std::strncmp(buf, "+PONG", 5) == 0;
  }
  close(fd);
  return ok;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class BenchRedis {
 public:
  static BenchRedis& Get() {
    static BenchRedis* r = new BenchRedis();
    return *r;
  }
  const std::string& url() const { return url_; }
  const std::string& why_not() const { return why_not_; }
  ~BenchRedis() { Stop(); }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  BenchRedis() {
    if (const char* url = getenv("JITGUARD_BENCH_REDIS_URL"); url != nullptr && *url != '\0') {
      url_ = url;
      return;
    }
    const char* bin = getenv("JITGUARD_REDIS_SERVER");
    const std::string binary = bin != nullptr && *bin != '\0' ? bin : "redis-server";
    const int port = FreePort();
    const std::string port_text = absl::StrCat(port);
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execlp(binary.c_str(), binary.c_str(), "--port", port_text.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", "/tmp", static_cast<char*>(nullptr));
      _exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (Ping(port)) {
        url_ = absl::StrCat("redis://127.0.0.1:", port, "/0");
        std::atexit([] { BenchRedis::Get().Stop(); });
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    Stop();
    why_not_ = "no redis-server could be started (install redis-server or set JITGUARD_BENCH_REDIS_URL)";
  }
  std::string url_;
  std::string why_not_;
  pid_t pid_ = -1;
};

// One approval's whole life: request, decide, consume.
void BM_ApprovalLifecycle(benchmark::State& state) {
  std::shared_ptr<ApprovalStore> store;
  if (state.range(0) == 0) {
    // Room for every ticket of the run (each stays live for its 5-minute deadlines).
    store = *NewMemoryApprovalStore({.common = {}, .capacity = size_t{1} << 23});
  } else {
    if (BenchRedis::Get().url().empty()) {
      state.SkipWithError(BenchRedis::Get().why_not().c_str());
      return;
    }
    store = *NewRedisApprovalStore({.url = BenchRedis::Get().url()});
  }
  const std::string digest = RequestDigest("alice", "gpt-x", "hr", "export", "prompt");
  const ApprovalRequest request{.subject = "alice",
                                .request_digest = digest,
                                .reason = "bench",
                                .approver_groups = {"security"},
                                .ttl = absl::Minutes(5),
                                .min_approvals = 1,
                                .access_window = absl::Minutes(5)};
  const ApprovalVote vote{.approver = "bob", .groups = {"security"}, .verdict = Verdict::kApprove,
                          .comment = ""};
  int64_t failures = 0;
  for (auto _ : state) {
    const absl::Time now = absl::Now();
    absl::StatusOr<ApprovalTicket> t = store->Request(request, now);
    if (!t.ok() || !store->Decide(t->id, vote, now).ok() || !store->Consume(t->id, digest, now).ok()) {
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
