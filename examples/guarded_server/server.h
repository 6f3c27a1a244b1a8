// The guarded server's routes, usable in-process (the smoke test runs them on a loopback port).
#ifndef JITGUARD_EXAMPLES_GUARDED_SERVER_SERVER_H_
#define JITGUARD_EXAMPLES_GUARDED_SERVER_SERVER_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/guard.h"

namespace guarded_server {

// Test-only knobs of the stand-in model.
struct Options {
  // When set, the stand-in model's whole upstream response is these bytes (raw SSE for a streaming
  // request, a JSON body otherwise), replayed through the guard as a real model server's would be:
  // hostile upstream output can be replayed through the real server (main.cc's --replay FILE).
  std::string replay;
  bool has_replay = false;
  size_t replay_chunk = 0;  // bytes per Write of the replayed response; 0 = one Write
};

// Adds POST /v1/chat/completions, POST /v1/approvals/<id>, GET /metrics and GET /healthz to
// `server`, all going through `guard`.
void Register(httplib::Server& server, std::shared_ptr<jitguard::Guard> guard,
              Options options = {});

// The stand-in model's answer to `prompt`, in the chunks it streams (PII included on purpose).
std::vector<std::string> StandInAnswer(std::string_view prompt);

}  // namespace guarded_server

#endif  // JITGUARD_EXAMPLES_GUARDED_SERVER_SERVER_H_
