// A real PostgreSQL server for tests: initdb in a fresh temp dir, `postgres` on a free loopback
// port, stopped and removed when the object dies. PostgreSQL refuses to run as root, so when the
// test runs as root the server runs as the `postgres` user (runuser) and the data dir is handed to
// that user.
#ifndef JITGUARD_TESTS_CPP_TESTING_POSTGRES_SERVER_H_
#define JITGUARD_TESTS_CPP_TESTING_POSTGRES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace jitguard::testing {

class PostgresServer {
 public:
  // Starts a server and waits until it accepts connections. Errors when PostgreSQL is not
  // installed (/usr/lib/postgresql/*/bin) or does not come up (the message holds its log's tail).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // libpq connection string for the superuser `postgres`, database `postgres`.
  std::string dsn() const;

 private:
  PostgresServer() = default;
  std::string bin_dir_;
  std::string dir_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
};

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_TESTING_POSTGRES_SERVER_H_
