// Test helpers for tests that need real servers (redis-server, postgres) on loopback, and for
// locating test data. Not part of the library.
#ifndef JITGUARD_TESTS_CPP_TESTING_PROCESS_H_
#define JITGUARD_TESTS_CPP_TESTING_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jitguard::testing {

// Absolute path of `relative` inside the source tree (e.g. "tests/data/corpus.txt").
std::string SourcePath(const std::string& relative);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
absl::StatusOr<int> PickFreeLoopbackPort();

// A fresh empty directory under $TMPDIR (or /tmp), removed by the caller if it wants to.
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

// True when a TCP connection to 127.0.0.1:port succeeds within `timeout`.
bool WaitForPort(int port, absl::Duration timeout);

// A child process started with fork/exec; stopped (SIGTERM, then SIGKILL after a grace period) when
// the object dies or Stop() is called. Move-only.
class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with the given arguments; stdout/stderr go to `log_path`
  // when it is not empty.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_path = "");
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Sends `signal` and reaps the child; returns its wait status.
  int Stop(int signal = 15 /* SIGTERM */);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_TESTING_PROCESS_H_
