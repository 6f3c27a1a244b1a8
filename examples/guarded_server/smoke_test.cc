// End-to-end check of the guarded server (registered with CTest): the real routes on a loopback
// port, a real HTTP client, HS256 access tokens signed here, the whole jitguard path behind them.
// Prints one line per check; exits non-zero on the first failure.
#include <httplib.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "examples/guarded_server/server.h"
#include "jitguard/guard.h"

namespace {

constexpr char kSecret[] = "smoke-test-idp-secret-0123456789abcdef";

std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string Token(std::string_view sub, std::string_view groups_json) {
  long now = static_cast<long>(std::time(nullptr));
  std::string input =
      Base64Url(R"({"alg":"HS256","typ":"JWT","kid":"idp"})") + "." +
      Base64Url("{\"iss\":\"https://idp.smoke\",\"aud\":\"inference\",\"sub\":\"" +
                std::string(sub) + "\",\"groups\":" + std::string(groups_json) +
                ",\"iat\":" + std::to_string(now) + ",\"exp\":" + std::to_string(now + 300) + "}");
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + Base64Url(std::string_view(reinterpret_cast<char*>(mac), len));
}

int failures = 0;

void Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

std::string Body(std::string_view prompt, bool stream) {
  return std::string(R"({"model": "support-llm", "stream": )") + (stream ? "true" : "false") +
         R"(, "messages": [{"role": "user", "content": ")" + std::string(prompt) + "\"}]}";
}

// The value of "id" inside {"ticket":{"id":"..."}}.
std::string TicketId(const std::string& body) {
  size_t at = body.find("\"ticket\":{\"id\":\"");
  if (at == std::string::npos) return "";
  at += 16;
  return body.substr(at, body.find('"', at) - at);
}

}  // namespace

int main() {
  char dir_template[] = "/tmp/guarded_server_smoke.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  std::string dir = dir_template;
  std::ofstream(dir + "/policy.json") << R"({"version": 1,
    "mask_profiles": [{"name": "standard", "entities": "all", "style": "label"}],
    "defaults": {"mask_profile": "standard"},
    "rules": [
      {"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export"]},
       "approvers": ["security-leads"]},
      {"id": "ds", "effect": "permit", "groups": ["data-scientists"], "datasets": ["claims"]}]})";
  std::string config =
      R"({"tokens": {"jwks": {"keys": [{"kty": "oct", "kid": "idp", "alg": "HS256", "k": ")" +
      Base64Url(kSecret) + R"("}]}, "issuer": "https://idp.smoke", "audience": "inference"},
      "policy": {"file": "policy.json"},
      "grants": {"signing_key": "smoke-grant-secret-0123456789abcdef0123"},
      "audit": {"file": "audit.jsonl", "hmac_key": "smoke-audit-key-0123456789abcdef", "fsync": "never"}})";
  absl::StatusOr<std::shared_ptr<jitguard::Guard>> guard =
      jitguard::Guard::FromConfigJson(config, dir);
  if (!guard.ok()) {
    std::fprintf(stderr, "guard: %s\n", guard.status().ToString().c_str());
    return 1;
  }
  httplib::Server server;
  guarded_server::Register(server, *guard);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  httplib::Headers alice = {{"Authorization", "Bearer " + Token("alice", R"(["data-scientists"])")},
                            {"X-Jitguard-Dataset", "claims"}};

  auto r = client.Post("/v1/chat/completions", alice, Body("Summarize ticket 4411", true),
                       "application/json");
  Check(r && r->status == 200, "permitted streaming request: 200");
  if (r) {
    Check(r->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0,
          "answer is an SSE stream");
    Check(r->body.find("dana.whit") == std::string::npos,
          "the email split across two events never reaches the client");
    Check(r->body.find("[EMAIL]") != std::string::npos &&
              r->body.find("[PHONE]") != std::string::npos,
          "email and phone masked");
    Check(r->body.find("data: [DONE]") != std::string::npos, "stream ends with [DONE]");
  }
  r = client.Post("/v1/chat/completions", alice, Body("Summarize ticket 4411", false),
                  "application/json");
  Check(r && r->status == 200 && r->body.find("[EMAIL]") != std::string::npos &&
            r->body.find("example.com") == std::string::npos,
        "permitted JSON request: 200, masked");

  r = client.Post("/v1/chat/completions", Body("hi", false), "application/json");
  Check(r && r->status == 401, "no token: 401");
  httplib::Headers bob = {{"Authorization", "Bearer " + Token("bob", R"(["contractors"])")},
                          {"X-Jitguard-Dataset", "claims"}};
  r = client.Post("/v1/chat/completions", bob, Body("hi", false), "application/json");
  Check(r && r->status == 403 && r->body.find("\"code\":\"no_permit\"") != std::string::npos,
        "denied: 403 no_permit");

  r = client.Post("/v1/chat/completions", alice, Body("Export all customer emails", false),
                  "application/json");
  Check(r && r->status == 202, "risky prompt: 202 approval_required");
  std::string ticket = r ? TicketId(r->body) : "";
  Check(ticket.size() == 32, "ticket id returned");
  httplib::Headers alice_retry = alice;
  alice_retry.emplace("X-Jitguard-Approval", ticket);
  r = client.Post("/v1/approvals/" + ticket,
                  {{"Authorization", alice.find("Authorization")->second}}, R"({"approve": true})",
                  "application/json");
  Check(r && r->status == 403 && r->body.find("self_approval") != std::string::npos,
        "self approval refused");
  r = client.Post("/v1/approvals/" + ticket,
                  {{"Authorization", "Bearer " + Token("carol", R"(["security-leads"])")}},
                  R"({"approve": true, "comment": "ok"})", "application/json");
  Check(r && r->status == 200 && r->body.find("\"approved\"") != std::string::npos,
        "security lead approves");
  r = client.Post("/v1/chat/completions", alice_retry, Body("Export all customer emails", false),
                  "application/json");
  Check(r && r->status == 200 && r->body.find("corp.example") == std::string::npos,
        "retry with the ticket: 200, masked");
  r = client.Post("/v1/chat/completions", alice_retry, Body("Export all customer emails", false),
                  "application/json");
  Check(r && r->status == 403 && r->body.find("already_consumed") != std::string::npos,
        "ticket used twice: 403");

  r = client.Get("/metrics");
  Check(r && r->status == 200 &&
            r->body.find("jitguard_decisions_total{effect=\"permit\"} 2") != std::string::npos,
        "metrics count the decisions");

  server.stop();
  thread.join();
  Check((*guard)->Close().ok(), "audit log closed");
  std::ifstream log(dir + "/audit.jsonl");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  Check(text.find("dana.whitfield") == std::string::npos &&
            text.find("\"inference.response\"") != std::string::npos,
        "audit log holds the masked responses only");
  std::printf("%s\n",
              failures ? "guarded_server smoke test FAILED" : "guarded_server smoke test passed");
  return failures ? 1 : 0;
}
