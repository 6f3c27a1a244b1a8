#include "tests/cpp/testing/postgres_server.h"

#include <glob.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/cpp/testing/process.h"

namespace jitguard::testing {
namespace {

// Runs argv (as the postgres user when `as_postgres`), waits, returns the exit status.
int Run(std::vector<std::string> argv, bool as_postgres, const std::string& log) {
  if (as_postgres) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "a", stdout);
    if (f != nullptr) dup2(1, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

void RemoveTree(const std::string& dir) {
  if (dir.size() > 5) Run({"rm", "-rf", dir}, false, "/dev/null");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  glob_t g;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) != 0 || g.gl_pathc == 0) {
    globfree(&g);
    return absl::NotFoundError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres)");
  }
  std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  globfree(&g);
  std::sort(found.begin(), found.end());
  server->bin_dir_ = found.back().substr(0, found.back().size() - std::string("/postgres").size());

  absl::StatusOr<std::string> dir = MakeTempDir("jitguard-pg-");
  if (!dir.ok()) return dir.status();
  server->dir_ = *dir;
  server->as_postgres_user_ = geteuid() == 0;
  if (server->as_postgres_user_) {
    struct passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return absl::NotFoundError("no `postgres` user to run the server as");
    if (chown(server->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError("chown of the PostgreSQL temp dir failed");
    }
  }
  chmod(server->dir_.c_str(), 0700);
  std::string data = server->dir_ + "/data";
  std::string log = server->dir_ + "/setup.log";
  if (Run({server->bin_dir_ + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
           "-E", "UTF8", "--locale=C"},
          server->as_postgres_user_, "/dev/null") != 0) {
    return absl::InternalError("initdb failed");
  }
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  std::string options = absl::StrCat("-p ", server->port_, " -k ", server->dir_,
                                     " -c listen_addresses=127.0.0.1 -c fsync=off"
                                     " -c synchronous_commit=off -c full_page_writes=off");
  std::string pglog = server->dir_ + "/postgres.log";
  if (Run({server->bin_dir_ + "/pg_ctl", "start", "-D", data, "-w", "-t", "60", "-o", options, "-l",
           pglog},
          server->as_postgres_user_, "/dev/null") != 0) {
    return absl::InternalError(absl::StrCat("PostgreSQL did not start: ", Tail(pglog)));
  }
  server->running_ = true;
  if (!WaitForPort(server->port_, absl::Seconds(30))) {
    return absl::InternalError(absl::StrCat("PostgreSQL is not listening: ", Tail(pglog)));
  }
  return server;
}

PostgresServer::~PostgresServer() {
  if (running_) {
    Run({bin_dir_ + "/pg_ctl", "stop", "-D", dir_ + "/data", "-m", "immediate", "-w"},
        as_postgres_user_, "/dev/null");
  }
  RemoveTree(dir_);
}

std::string PostgresServer::dsn() const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=postgres");
}

}  // namespace jitguard::testing
