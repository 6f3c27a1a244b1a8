// guarded_server: an OpenAI-compatible /v1/chat/completions server whose every request goes through
// jitguard. A stand-in model streams its answer as Server-Sent Events; jitguard admits the request
// (token -> policy -> approval -> single-use grant), the stand-in data store checks the grant once,
// and the answer is masked chunk by chunk on its way to the client (a value split across two events
// is still caught). Every step lands in the audit log.
//
//   guarded_server --config jitguard.json [--host 127.0.0.1] [--port 8080] [--port-file FILE]
//                  [--no-tcp-nodelay] [--replay FILE [--replay-chunk N]]
//
// --replay FILE (tests only): the stand-in model's upstream response is FILE's bytes (raw SSE for a
// streaming request, a JSON body otherwise), masked as a real model server's would be and written
// to the guard N bytes at a time. --no-tcp-nodelay exists for bench/compare/guarded_server_latency.py.
//
// Endpoints:
//   POST /v1/chat/completions   Authorization: Bearer <token>; X-Jitguard-Dataset; optional
//                               X-Jitguard-Approval: <ticket id>. 401 bad token, 403 denied,
//                               202 {"status":"approval_required","ticket":{...}}, 200 (SSE when
//                               "stream": true, else JSON).
//   POST /v1/approvals/<id>     Authorization: Bearer <approver token>; {"approve": true|false,
//                               "comment": "..."}; 200 with the ticket's state.
//   GET  /metrics               Prometheus counters.
//   GET  /healthz               "ok".
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "examples/guarded_server/server.h"
#include "jitguard/guard.h"
#include "jitguard/status.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: guarded_server --config jitguard.json [--host 127.0.0.1] [--port 8080] "
               "[--port-file FILE] [--no-tcp-nodelay] [--replay FILE [--replay-chunk N]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config, host = "127.0.0.1", port_file;
  int port = 8080;
  bool nodelay = true;
  guarded_server::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--config" && (v = value())) {
      config = v;
    } else if (arg == "--host" && (v = value())) {
      host = v;
    } else if (arg == "--port" && (v = value())) {
      port = std::atoi(v);
    } else if (arg == "--port-file" && (v = value())) {
      port_file = v;
    } else if (arg == "--no-tcp-nodelay") {
      nodelay = false;
    } else if (arg == "--replay" && (v = value())) {
      std::ifstream in(v, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "guarded_server: cannot read --replay file\n");
        return 1;
      }
      options.replay.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      options.has_replay = true;
    } else if (arg == "--replay-chunk" && (v = value())) {
      options.replay_chunk = static_cast<size_t>(std::atol(v));
    } else {
      return Usage();
    }
  }
  if (config.empty()) return Usage();
  absl::StatusOr<std::shared_ptr<jitguard::Guard>> guard = jitguard::Guard::FromConfigFile(config);
  if (!guard.ok()) {
    std::fprintf(stderr, "guarded_server: %s (reason: %s)\n",
                 std::string(guard.status().message()).c_str(),
                 jitguard::ErrorReason(guard.status()).c_str());
    return 1;
  }
  httplib::Server server;
  // Small responses otherwise wait for the peer's delayed ACK (Nagle): ~40 ms per request.
  server.set_tcp_nodelay(nodelay);
  server.set_payload_max_length(8u << 20);  // the bytes on the wire; the decoded body has its own cap
  guarded_server::Register(server, *guard, std::move(options));
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "guarded_server: cannot listen on %s\n", host.c_str());
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file) << port << "\n";
  }
  std::fprintf(stderr, "guarded_server: listening on http://%s:%d\n", host.c_str(), port);
  bool ok = server.listen_after_bind();
  (void)(*guard)->Close();
  return ok ? 0 : 1;
}
