// A real redis-server for tests: started on a free loopback port in a fresh temp dir, with no
// persistence (--save "" --appendonly no), ready once it answers PING; stopped when the object
// dies. Stop() and Restart() (same port, empty data) let a test simulate an outage.
#ifndef JITGUARD_TESTS_CPP_TESTING_REDIS_SERVER_H_
#define JITGUARD_TESTS_CPP_TESTING_REDIS_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/cpp/testing/process.h"

namespace jitguard::testing {

class RedisServer {
 public:
  // Starts redis-server (from PATH, or $JITGUARD_REDIS_SERVER) and waits for PING.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://127.0.0.1:<port>/0
  std::string url() const;
  bool running() const { return process_.has_value(); }

  // Stops the server (SIGTERM, then SIGKILL); the port stays reserved for Restart().
  void Stop();
  // Starts a fresh server on the same port (its data is gone: nothing is persisted).
  absl::Status Restart();

  // Freezes the server (SIGSTOP): connections stay open but nothing is answered, as in a stall.
  void Pause();
  // Lets a paused server run again (SIGCONT).
  void Resume();

  // True when the server answers PING within `timeout`.
  bool Ping(absl::Duration timeout) const;

 private:
  RedisServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  absl::Status Launch();

  std::string dir_;
  int port_;
  std::optional<ChildProcess> process_;
};

// One server shared by a whole test program, started on first use and stopped at exit; aborts the
// program when redis-server cannot be started (the Redis suites are not optional).
RedisServer& SharedRedisServer();

// For benchmarks, which skip (rather than abort) without Redis: $JITGUARD_BENCH_REDIS_URL when set,
// else the URL of a server started on first use and kept for the life of the program; an error
// saying why when neither is possible.
absl::StatusOr<std::string> BenchmarkRedisUrl();

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_TESTING_REDIS_SERVER_H_
