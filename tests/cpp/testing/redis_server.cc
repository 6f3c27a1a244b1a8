#include "tests/cpp/testing/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace jitguard::testing {
namespace {

std::string RedisBinary() {
  const char* env = getenv("JITGUARD_REDIS_SERVER");
  return env != nullptr && *env != '\0' ? env : "redis-server";
}

// One PING over a fresh connection; true on "+PONG".
bool PingOnce(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    constexpr char kPing[] = "PING\r\n";
    char buf[16] = {};
    if (write(fd, kPing, sizeof(kPing) - 1) == static_cast<ssize_t>(sizeof(kPing) - 1)) {
      const ssize_t n = read(fd, buf, sizeof(buf) - 1);
      ok = n >= 5 && std::strncmp(buf, "+PONG", 5) == 0;
    }
  }
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() {
  absl::Status last = absl::UnavailableError("redis-server did not start");
  // The free port may be taken between picking and binding: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::string> dir = MakeTempDir("jitguard-redis-");
    if (!dir.ok()) return dir.status();
    absl::StatusOr<int> port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<RedisServer> server(new RedisServer(*dir, *port));
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_, "/0"); }

absl::Status RedisServer::Launch() {
  const std::vector<std::string> argv = {RedisBinary(),
                                         "--port",
                                         absl::StrCat(port_),
                                         "--bind",
                                         "127.0.0.1",
                                         "--save",
                                         "",
                                         "--appendonly",
                                         "no",
                                         "--dir",
                                         dir_,
                                         "--daemonize",
                                         "no",
                                         "--loglevel",
                                         "warning"};
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv, absl::StrCat(dir_, "/redis.log"));
  if (!child.ok()) return child.status();
  process_.emplace(*std::move(child));
  if (!Ping(absl::Seconds(10))) {
    process_.reset();
    return absl::UnavailableError(absl::StrCat("redis-server did not answer PING on port ", port_,
                                               " (log: ", dir_, "/redis.log)"));
  }
  return absl::OkStatus();
}

bool RedisServer::Ping(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (PingOnce(port_)) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void RedisServer::Stop() {
  if (process_.has_value()) {
    Resume();  // a paused server cannot act on SIGTERM
    process_->Stop();
    process_.reset();
  }
}

void RedisServer::Pause() {
  if (process_.has_value()) kill(process_->pid(), SIGSTOP);
}

void RedisServer::Resume() {
  if (process_.has_value()) kill(process_->pid(), SIGCONT);
}

absl::Status RedisServer::Restart() {
  Stop();
  return Launch();
}

RedisServer& SharedRedisServer() {
  static std::unique_ptr<RedisServer> server = [] {
    absl::StatusOr<std::unique_ptr<RedisServer>> s = RedisServer::Start();
    if (!s.ok()) {
      fprintf(stderr, "cannot start redis-server: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    return *std::move(s);
  }();
  return *server;
}

absl::StatusOr<std::string> BenchmarkRedisUrl() {
  static const absl::StatusOr<std::string> url = []() -> absl::StatusOr<std::string> {
    if (const char* env = getenv("JITGUARD_BENCH_REDIS_URL"); env != nullptr && *env != '\0') {
      return std::string(env);
    }
    static absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    if (!server.ok()) {
      return absl::UnavailableError(
          "no redis-server could be started (install redis-server or set "
          "JITGUARD_BENCH_REDIS_URL)");
    }
    return (*server)->url();
  }();
  return url;
}

}  // namespace jitguard::testing
