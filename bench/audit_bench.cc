// Audit sink and verification throughput.
//
//   build/<dir>/bench/jitguard_audit_bench [--benchmark_filter=...]
//
// Records are ~200 bytes of canonical JSON before the chain members (prev and hash add 149 bytes).
// The Postgres benchmark starts a throwaway PostgreSQL on loopback (fsync off, as in the tests); it
// is skipped with a message when PostgreSQL is not installed.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "jitguard/audit.h"
// The bench reuses the test helper that starts a real PostgreSQL (not part of the library).
#include "tests/cpp/testing/postgres_server.h"

namespace jitguard {
namespace {

const char kKey[] = "benchmark hmac key of 32 bytes!!";

AuditEvent Event(int64_t i) {
  AuditEvent e;
  e.type = "inference.request";
  e.time = absl::FromUnixMicros(1'800'000'000'000'000 + i);
  e.session_id = "sess-7f3a9c";
  e.subject = "u-8841";
  e.model = "llama-3";
  e.dataset = "claims";
  e.Set("gen_ai.usage.input_tokens", 42);
  return e;
}

std::string TempDir() {
  std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/jg-audit-bench-", getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

void BM_FileSink(benchmark::State& state) {
  auto fsync = static_cast<FsyncPolicy>(state.range(0));
  bool hmac = state.range(1) != 0;
  bool mask = state.range(2) != 0;
  std::string dir = TempDir();
  std::string path = dir + "/audit.log";
  FileAuditSinkOptions o;
  if (hmac) o.hmac_key = SecretBytes(kKey);
  o.fsync = fsync;
  o.masking = mask ? AuditMasking::kOn : AuditMasking::kOff;
  auto sink = FileAuditSink::Open(path, o);
  if (!sink.ok()) {
    state.SkipWithError(std::string(sink.status().message()).c_str());
    return;
  }
  AuditEvent e = Event(0);
  auto line = CanonicalAuditRecord(e, 1);
  int64_t n = 0;
  for (auto _ : state) {
    e.session_id.back() = static_cast<char>('0' + n % 10);
    if (!(*sink)->Write(e).ok()) state.SkipWithError("write failed");
    ++n;
  }
  if (!(*sink)->Close().ok()) state.SkipWithError("close failed");
  state.SetItemsProcessed(n);
  state.SetBytesProcessed(static_cast<int64_t>(std::filesystem::file_size(path)));
  state.counters["record_bytes"] = static_cast<double>(line.ok() ? line->size() : 0);
  std::filesystem::remove_all(dir);
}
// args: fsync (0 always, 1 batch, 2 never), hmac, mask
BENCHMARK(BM_FileSink)
    ->ArgNames({"fsync", "hmac", "mask"})
    ->Args({2, 0, 0})
    ->Args({2, 1, 0})
    ->Args({1, 0, 0})
    ->Args({1, 1, 0})
    ->Args({1, 1, 1})
    ->Args({0, 0, 0})
    ->Args({0, 1, 0})
    ->UseRealTime();

void BM_AsyncFileSink(benchmark::State& state) {
  std::string dir = TempDir();
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes(kKey);
  o.fsync = FsyncPolicy::kBatch;
  o.masking = AuditMasking::kOff;
  auto file = FileAuditSink::Open(dir + "/audit.log", o);
  if (!file.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  auto sink = AsyncAuditSink::Create(std::shared_ptr<AuditSink>(*std::move(file)));
  AuditEvent e = Event(0);
  int64_t n = 0;
  for (auto _ : state) {
    if (!(*sink)->Write(e).ok()) state.SkipWithError("write failed");
    ++n;
  }
  if (!(*sink)->Close().ok()) state.SkipWithError("close failed");  // drains the queue: counted
  state.SetItemsProcessed(n);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AsyncFileSink)->UseRealTime();

void BM_Verify(benchmark::State& state) {
  bool hmac = state.range(0) != 0;
  constexpr int kRecords = 1'000'000;
  std::string dir = TempDir();
  std::string path = dir + "/verify.log";
  FileAuditSinkOptions o;
  if (hmac) o.hmac_key = SecretBytes(kKey);
  o.fsync = FsyncPolicy::kNever;
  o.masking = AuditMasking::kOff;
  {
    auto sink = FileAuditSink::Open(path, o);
    for (int i = 0; i < kRecords; ++i) (void)(*sink)->Write(Event(i));
    (void)(*sink)->Close();
  }
  for (auto _ : state) {
    auto r = VerifyAuditLog(path, o.hmac_key);
    if (!r.ok() || !r->ok || r->records != kRecords) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(std::filesystem::file_size(path)));
  std::filesystem::remove_all(dir);
}
// Verification hashes on up to 4 threads: the CPU column counts every thread of the process.
BENCHMARK(BM_Verify)
    ->ArgNames({"hmac"})
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// Started on first use; stopped (and its temp dir removed) when the program exits.
testing::PostgresServer* Postgres() {
  static const std::unique_ptr<testing::PostgresServer> server = [] {
    auto s = testing::PostgresServer::Start();
    return s.ok() ? *std::move(s) : nullptr;
  }();
  return server.get();
}

void BM_PostgresSink(benchmark::State& state) {
  testing::PostgresServer* server = Postgres();
  if (server == nullptr) {
    state.SkipWithError("PostgreSQL could not be started; skipping the Postgres benchmark");
    return;
  }
  PostgresAuditSinkOptions o;
  o.table = absl::StrCat("bench_", state.range(0));
  o.writer_id = absl::StrCat("bench-", getpid(), "-", state.threads(), "-", state.range(0), "-",
                             absl::ToUnixNanos(absl::Now()));
  o.hmac_key = SecretBytes(kKey);
  o.batch_records = static_cast<size_t>(state.range(0));
  o.masking = AuditMasking::kOff;
  auto sink = PostgresAuditSink::Open(server->dsn(), o);
  if (!sink.ok()) {
    state.SkipWithError(std::string(sink.status().message()).c_str());
    return;
  }
  AuditEvent e = Event(0);
  int64_t n = 0;
  for (auto _ : state) {
    if (!(*sink)->Write(e).ok()) state.SkipWithError("write failed");
    ++n;
  }
  if (!(*sink)->Close().ok()) state.SkipWithError("close failed");
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_PostgresSink)->ArgNames({"batch"})->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace jitguard

BENCHMARK_MAIN();
