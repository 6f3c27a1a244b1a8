// Grants: issue/verify per second per algorithm, and what the Redis round trip adds (memory vs Redis
// replay cache, measured in the same run). Approvals: bench/approval_bench.cc.
//
// The Redis benchmarks start a private redis-server (from PATH, or $JITGUARD_REDIS_SERVER) on a free
// loopback port, or use $JITGUARD_BENCH_REDIS_URL; when neither works they are skipped with a message.
//
//   build/<dir>/bench/jitguard_grant_bench --benchmark_min_time=0.5
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

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "jitguard/grant.h"
#include "jitguard/replay.h"

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

// ---- keys -----------------------------------------------------------------------------------------

std::string PrivatePem(const char* type, const char* group) {
  EVP_PKEY* key = group != nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, group)
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

GrantKey KeyFor(int alg) {
  static const std::string es = PrivatePem("EC", "P-256");
  static const std::string ed = PrivatePem("ED25519", nullptr);
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

// ---- benchmarks -----------------------------------------------------------------------------------

void BM_Issue(benchmark::State& state) {
  std::shared_ptr<const GrantIssuer> issuer = *GrantIssuer::Create(KeyFor(static_cast<int>(state.range(0))));
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
  if (BenchRedis::Get().url().empty()) {
    state.SkipWithError(BenchRedis::Get().why_not().c_str());
    return;
  }
  VerifyLoop(state, alg, *NewRedisReplayCache({.url = BenchRedis::Get().url()}));
  state.SetLabel(absl::StrCat(AlgName(alg), " redis"));
}
BENCHMARK(BM_Verify_Redis)->Arg(0)->Arg(1)->Arg(2);

// The replay cache alone: one MarkUsed per iteration (fresh ids).
void BM_MarkUsed(benchmark::State& state) {
  std::shared_ptr<ReplayCache> cache;
  if (state.range(0) == 0) {
    cache = *NewMemoryReplayCache();
  } else {
    if (BenchRedis::Get().url().empty()) {
      state.SkipWithError(BenchRedis::Get().why_not().c_str());
      return;
    }
    static std::shared_ptr<ReplayCache> shared =
        *NewRedisReplayCache({.url = BenchRedis::Get().url()});
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
