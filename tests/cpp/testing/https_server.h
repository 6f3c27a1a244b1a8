// Real web servers for the JWKS fetcher tests: `openssl s_server -WWW` (HTTPS, with a certificate
// made here by the openssl CLI) and `python3 -m http.server` (plain HTTP), each serving the files
// of a fresh temp directory on a free loopback port; stopped when the object dies.
#ifndef JITGUARD_TESTS_CPP_TESTING_HTTPS_SERVER_H_
#define JITGUARD_TESTS_CPP_TESTING_HTTPS_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/cpp/testing/process.h"

namespace jitguard::testing {

// Runs argv[0] (searched in PATH) to completion; an error unless it exits with status 0.
absl::Status RunCommand(const std::vector<std::string>& argv, const std::string& log_path = "");

// A self-signed P-256 certificate (valid for a day) and its key, as PEM files in `dir`.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

// Makes one with the openssl CLI for `names` (DNS names, or IP literals such as "127.0.0.1"), the
// first one also the subject CN. Files: <dir>/<stem>.crt and <dir>/<stem>.key.
absl::StatusOr<TestCertificate> MakeSelfSignedCertificate(const std::string& dir,
                                                          const std::string& stem,
                                                          const std::vector<std::string>& names);

class FileServer {
 public:
  enum class Kind {
    kHttps,  // openssl s_server -WWW with the given certificate (HTTP/1.0, no Content-Length)
    kHttp,   // python3 -m http.server (Content-Length; redirects "/dir" to "/dir/")
  };
  // Starts a server of `kind` on a free 127.0.0.1 port, serving a fresh empty directory.
  static absl::StatusOr<std::unique_ptr<FileServer>> Start(
      Kind kind, const std::optional<TestCertificate>& cert = std::nullopt);
  ~FileServer();
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // http(s)://127.0.0.1:<port>/<path>
  std::string Url(std::string_view path) const;
  // Writes <dir>/<name> atomically (write to a temporary file, then rename).
  absl::Status Publish(const std::string& name, std::string_view contents) const;

  // Stops the server (the port stays reserved for Restart) / starts it again on the same port.
  void Stop();
  absl::Status Restart();

 private:
  FileServer(Kind kind, std::optional<TestCertificate> cert, std::string dir, int port)
      : kind_(kind), cert_(std::move(cert)), dir_(std::move(dir)), port_(port) {}
  absl::Status Launch();

  Kind kind_;
  std::optional<TestCertificate> cert_;
  std::string dir_;
  int port_;
  std::optional<ChildProcess> process_;
};

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_TESTING_HTTPS_SERVER_H_
