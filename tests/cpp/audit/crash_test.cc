// Crash test: a writer process is SIGKILLed at random moments, over and over. With fsync "always"
// every record whose Write returned OK (the child reports each one, with its checkpoint, through a
// pipe) must come back, and the log must verify, torn tails and rotations included.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

const char kKey[] = "crash test key, thirty-two bytes";

[[noreturn]] void RunWriter(const std::string& path, int fd) {
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes(kKey);
  o.fsync = FsyncPolicy::kAlways;
  o.masking = AuditMasking::kOff;
  o.max_file_bytes = 16 * 1024;  // rotate often, so kills land inside rotations too
  auto sink = FileAuditSink::Open(path, o);
  if (!sink.ok()) _exit(3);
  for (int i = 0;; ++i) {
    AuditEvent e = audit_test::MakeEvent(i);
    e.Set("response", std::string(static_cast<size_t>(50 + i % 400), 'x'));
    if (!(*sink)->Write(e).ok()) _exit(4);
    std::string ack = (*sink)->Checkpoint().ToString() + "\n";
    if (write(fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) _exit(5);
  }
}

TEST(CrashTest, EveryAcknowledgedRecordSurvivesSigkill) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-crash-");
  ASSERT_TRUE(dir.ok());
  const std::string path = *dir + "/audit.log";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 40000);
  AuditCheckpoint acked;
  acked.head = std::string(64, '0');
  constexpr int kKills = 25;
  int torn = 0;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunWriter(path, fds[1]);
    }
    close(fds[1]);
    absl::SleepFor(absl::Microseconds(5000 + delay_us(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own with " << WEXITSTATUS(status);
    // The last complete ack line is the newest acknowledged checkpoint.
    std::string acks;
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) acks.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    std::vector<std::string> lines = absl::StrSplit(acks, '\n', absl::SkipEmpty());
    if (!acks.empty() && acks.back() != '\n' && !lines.empty()) lines.pop_back();
    if (!lines.empty()) {
      auto cp = AuditCheckpoint::Parse(lines.back());
      ASSERT_TRUE(cp.ok()) << lines.back();
      ASSERT_GE(cp->records, acked.records);
      acked = *cp;
    }
    auto r = VerifyAuditLog(path, SecretBytes(kKey), acked);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->ok) << "round " << round << ": " << r->reason << " at " << r->first_bad;
    ASSERT_GE(r->records, acked.records);
    if (r->torn_tail) ++torn;
  }
  EXPECT_GT(acked.records, 0u);
  // After the last kill the log reopens (repairing any torn tail) and keeps verifying.
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes(kKey);
  o.masking = AuditMasking::kOff;
  auto sink = FileAuditSink::Open(path, o);
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Write(audit_test::MakeEvent(0)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  auto r = VerifyAuditLog(path, SecretBytes(kKey), acked);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_FALSE(r->torn_tail);
  RecordProperty("torn_tails_seen", torn);
  std::filesystem::remove_all(*dir);
}

}  // namespace
}  // namespace jitguard
