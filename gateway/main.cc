// jitguard-gateway: the guard in front of an unmodified OpenAI-compatible model server.
//
//   jitguard-gateway --config jitguard.json --upstream URL --listen HOST:PORT
//                    [--upstream-key-file FILE] [--upstream-ca-file FILE] [--dataset NAME]
//                    [--connect-timeout S] [--first-byte-timeout S] [--idle-timeout S]
//                    [--shutdown-grace S] [--max-request-bytes N] [--max-response-bytes N]
//                    [--threads N] [--workers N] [--port-file FILE] [--no-access-log]
//
// The upstream's service credential comes from --upstream-key-file or, without it, from the
// environment variable JITGUARD_UPSTREAM_KEY (then removed from the environment). It is sent to the
// upstream only, as `Authorization: Bearer ...`; the callers' tokens never are.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "gateway/server.h"
#include "gateway/upstream_url.h"

namespace {

int Usage(const char* why) {
  if (why != nullptr) std::fprintf(stderr, "jitguard-gateway: error: %s\n", why);
  std::fprintf(stderr,
               "usage: jitguard-gateway --config jitguard.json --upstream URL --listen HOST:PORT\n"
               "         [--upstream-key-file FILE] [--upstream-ca-file FILE] [--dataset NAME]\n"
               "         [--connect-timeout S] [--first-byte-timeout S] [--idle-timeout S]\n"
               "         [--shutdown-grace S] [--max-request-bytes N] [--max-response-bytes N]\n"
               "         [--threads N] [--workers N] [--port-file FILE] [--no-access-log]\n"
               "The upstream credential: --upstream-key-file, else $JITGUARD_UPSTREAM_KEY.\n");
  return 2;
}

bool ParseSeconds(std::string_view v, absl::Duration* out) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || ptr != v.data() + v.size() || !(d > 0) || d > 86400) return false;
  *out = absl::Seconds(d);
  return true;
}

template <class T>
bool ParseCount(std::string_view v, T* out, T max) {
  unsigned long long n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n == 0 || n > static_cast<unsigned long long>(max)) return false;
  *out = static_cast<T>(n);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  jitguard_gateway::Options opts;
  std::string upstream, listen = "127.0.0.1:8080", key_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage(nullptr) == 2 ? 0 : 0;
    if (arg == "--no-access-log") {
      opts.access_log = false;
      continue;
    }
    std::string_view value;
    if (size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage((std::string(arg) + ": needs a value").c_str());
    }
    bool ok = true;
    if (arg == "--config") {
      opts.config_path = value;
    } else if (arg == "--upstream") {
      upstream = value;
    } else if (arg == "--listen") {
      listen = value;
    } else if (arg == "--upstream-key-file") {
      key_file = value;
    } else if (arg == "--upstream-ca-file") {
      opts.ca_file = value;
    } else if (arg == "--dataset") {
      opts.dataset = value;
    } else if (arg == "--port-file") {
      opts.port_file = value;
    } else if (arg == "--connect-timeout") {
      ok = ParseSeconds(value, &opts.connect_timeout);
    } else if (arg == "--first-byte-timeout") {
      ok = ParseSeconds(value, &opts.first_byte_timeout);
    } else if (arg == "--idle-timeout") {
      ok = ParseSeconds(value, &opts.idle_timeout);
    } else if (arg == "--shutdown-grace") {
      ok = ParseSeconds(value, &opts.shutdown_grace);
    } else if (arg == "--max-request-bytes") {
      ok = ParseCount<size_t>(value, &opts.max_request_bytes, size_t{1} << 32);
    } else if (arg == "--max-response-bytes") {
      ok = ParseCount<size_t>(value, &opts.max_response_bytes, size_t{1} << 34);
    } else if (arg == "--threads") {
      ok = ParseCount<int>(value, &opts.io_threads, 256);
    } else if (arg == "--workers") {
      ok = ParseCount<int>(value, &opts.workers, 1024);
    } else {
      return Usage((std::string("unknown option ") + std::string(arg)).c_str());
    }
    if (!ok) return Usage((std::string(arg) + ": bad value").c_str());
  }
  if (opts.config_path.empty()) return Usage("--config is required");
  if (upstream.empty()) return Usage("--upstream is required");
  absl::StatusOr<jitguard_gateway::UpstreamUrl> url = jitguard_gateway::ParseUpstreamUrl(upstream);
  if (!url.ok()) return Usage(std::string(url.status().message()).c_str());
  opts.upstream = *url;
  absl::StatusOr<jitguard_gateway::ListenAddress> addr = jitguard_gateway::ParseListen(listen);
  if (!addr.ok()) return Usage(std::string(addr.status().message()).c_str());
  opts.listen = *addr;

  if (!key_file.empty()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) return Usage("--upstream-key-file: cannot read the file");
    std::stringstream ss;
    ss << in.rdbuf();
    opts.credential = std::string(absl::StripAsciiWhitespace(ss.str()));
    if (opts.credential.empty()) return Usage("--upstream-key-file: the file is empty");
  } else if (const char* env = std::getenv("JITGUARD_UPSTREAM_KEY"); env != nullptr) {
    opts.credential = std::string(absl::StripAsciiWhitespace(env));
    unsetenv("JITGUARD_UPSTREAM_KEY");
  }
  if (opts.credential.empty()) {
    std::fprintf(stderr,
                 "jitguard-gateway: warning: no upstream credential (--upstream-key-file or "
                 "JITGUARD_UPSTREAM_KEY); requests go to the upstream without Authorization\n");
  }
  if (opts.credential.find_first_of("\r\n") != std::string::npos) {
    return Usage("the upstream credential contains a line break");
  }
  return jitguard_gateway::Run(opts);
}
