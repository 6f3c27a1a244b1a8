// jitguard-gateway's server: an event-driven OpenAI-compatible reverse proxy (Boost.Beast/Asio).
//
// Threads: `io_threads` threads run one io_context; every connection is a C++20 coroutine on its own
// strand (no thread per connection). Guard::Admit, the prompt masking and the audit-writing
// ResponseGuard::Finish may block on Redis, PostgreSQL or an fsync, so they run on a bounded worker
// pool (`workers` threads) and the connection's coroutine waits for them without holding an io
// thread. Response chunks are masked inline (CPU only, bounded by the chunk size).
#ifndef JITGUARD_GATEWAY_SERVER_H_
#define JITGUARD_GATEWAY_SERVER_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "gateway/upstream_url.h"

namespace jitguard_gateway {

struct Options {
  std::string config_path;
  UpstreamUrl upstream;
  ListenAddress listen;
  std::string credential;  // the upstream's service credential; never logged or returned
  std::string ca_file;     // extra CA certificates for an https:// upstream
  std::string dataset;     // the dataset when a request names none (X-Jitguard-Dataset)
  std::string port_file;   // written with the bound port once listening
  int io_threads = 2;
  int workers = 4;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration first_byte_timeout = absl::Seconds(120);
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(30);
  size_t max_request_bytes = size_t{8} << 20;
  size_t max_response_bytes = size_t{64} << 20;
  bool access_log = true;
};

// Serves until SIGTERM/SIGINT (open streams get `shutdown_grace` to finish). SIGHUP reloads the
// policy. Returns the process exit code.
int Run(const Options& options);

}  // namespace jitguard_gateway

#endif  // JITGUARD_GATEWAY_SERVER_H_
