#include "tests/cpp/testing/https_server.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace jitguard::testing {
namespace {

bool IsIpLiteral(const std::string& name) {
  return name.find_first_not_of("0123456789.:") == std::string::npos;
}

}  // namespace

absl::Status RunCommand(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot start ", argv[0]));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError("waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " failed (log: ", log_path, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TestCertificate> MakeSelfSignedCertificate(const std::string& dir,
                                                          const std::string& stem,
                                                          const std::vector<std::string>& names) {
  if (names.empty()) return absl::InvalidArgumentError("no names");
  std::vector<std::string> sans;
  for (const std::string& n : names)
    sans.push_back(absl::StrCat(IsIpLiteral(n) ? "IP:" : "DNS:", n));
  TestCertificate cert{absl::StrCat(dir, "/", stem, ".crt"), absl::StrCat(dir, "/", stem, ".key")};
  absl::Status s =
      RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-days", "1", "-subj", absl::StrCat("/CN=", names.front()), "-addext",
                  absl::StrCat("subjectAltName=", absl::StrJoin(sans, ",")), "-keyout",
                  cert.key_file, "-out", cert.cert_file},
                 absl::StrCat(dir, "/", stem, ".log"));
  if (!s.ok()) return s;
  return cert;
}

absl::StatusOr<std::unique_ptr<FileServer>> FileServer::Start(
    Kind kind, const std::optional<TestCertificate>& cert) {
  if (kind == Kind::kHttps && !cert.has_value()) {
    return absl::InvalidArgumentError("an HTTPS server needs a certificate");
  }
  absl::Status last = absl::UnavailableError("the server did not start");
  // The free port may be taken between picking and binding: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::string> dir = MakeTempDir("jitguard-www-");
    if (!dir.ok()) return dir.status();
    absl::StatusOr<int> port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<FileServer> server(new FileServer(kind, cert, *dir, *port));
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

FileServer::~FileServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string FileServer::Url(std::string_view path) const {
  return absl::StrCat(kind_ == Kind::kHttps ? "https" : "http", "://127.0.0.1:", port_, "/",
                      absl::string_view(path.data(), path.size()));
}

absl::Status FileServer::Publish(const std::string& name, std::string_view contents) const {
  const std::string path = absl::StrCat(dir_, "/", name);
  const std::string tmp = absl::StrCat(path, ".tmp");
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) return absl::InternalError("cannot write the file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return absl::InternalError("rename failed");
  return absl::OkStatus();
}

absl::Status FileServer::Launch() {
  std::vector<std::string> argv;
  if (kind_ == Kind::kHttps) {
    // s_server -WWW serves paths relative to its working directory; the temp dir name needs no
    // quoting (mkdtemp: letters and digits).
    argv = {"sh", "-c",
            absl::StrCat("cd '", dir_, "' && exec openssl s_server -quiet -WWW -accept 127.0.0.1:",
                         port_, " -cert '", cert_->cert_file, "' -key '", cert_->key_file, "'")};
  } else {
    argv = {"python3",   "-m",          "http.server", "--bind",
            "127.0.0.1", "--directory", dir_,          absl::StrCat(port_)};
  }
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv, absl::StrCat(dir_, "/server.log"));
  if (!child.ok()) return child.status();
  process_.emplace(*std::move(child));
  if (!WaitForPort(port_, absl::Seconds(10))) {
    process_.reset();
    return absl::UnavailableError(
        absl::StrCat("the server did not listen on port ", port_, " (log: ", dir_, "/server.log)"));
  }
  return absl::OkStatus();
}

void FileServer::Stop() { process_.reset(); }

absl::Status FileServer::Restart() {
  Stop();
  return Launch();
}

}  // namespace jitguard::testing
