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

// Adds POST /v1/chat/completions, POST /v1/approvals/<id>, GET /metrics and GET /healthz to
// `server`, all going through `guard`.
void Register(httplib::Server& server, std::shared_ptr<jitguard::Guard> guard);

// The stand-in model's answer to `prompt`, in the chunks it streams (PII included on purpose).
std::vector<std::string> StandInAnswer(std::string_view prompt);

}  // namespace guarded_server

#endif  // JITGUARD_EXAMPLES_GUARDED_SERVER_SERVER_H_
