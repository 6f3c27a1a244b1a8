// What the Guard adds per request, against its own parts measured in the same run:
//   BM_VerifyTokenOnly   the token check alone (the floor: every request pays it)
//   BM_Admit             token -> policy -> grant -> three audit records (file sink, no fsync)
//   BM_MaskStreamOnly    a 16 KiB answer in 64-byte chunks through a bare MaskStream
//   BM_ResponseGuard     the same through Guard::NewResponse (+ the inference.response record)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"

namespace jitguard {
namespace {

constexpr char kSecret[] = "bench-idp-secret-0123456789abcdef0123456789";

std::string Token() {
  long now = static_cast<long>(absl::ToUnixSeconds(absl::Now()));
  std::string input =
      base::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","kid":"k"})") + "." +
      base::Base64UrlEncode(R"({"iss":"https://idp","aud":"inference","sub":"alice",)"
                            R"("groups":["data-scientists"],"iat":)" +
                            std::to_string(now) + ",\"exp\":" + std::to_string(now + 3600) + "}");
  return input + "." + base::Base64UrlEncode(base::Hmac(kSecret, input));
}

std::string Jwks() {
  return R"({"keys":[{"kty":"oct","kid":"k","alg":"HS256","k":")" + base::Base64UrlEncode(kSecret) +
         "\"}]}";
}

std::shared_ptr<Guard> MakeGuard() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/jitguard_guard_bench.XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  std::string config =
      R"({"tokens": {"jwks": )" + Jwks() + R"(, "issuer": "https://idp", "audience": "inference"},
    "policy": {"document": {"version": 1,
      "mask_profiles": [{"name": "standard", "entities": "all", "style": "label"}],
      "defaults": {"mask_profile": "standard"},
      "rules": [{"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export", "download"]},
                 "approvers": ["leads"]},
                {"id": "ds", "effect": "permit", "groups": ["data-scientists"], "datasets": ["claims"]}]}},
    "grants": {"signing_key": "bench-grant-secret-0123456789abcdef0123"},
    "audit": {"file": "audit.jsonl", "hmac_key": "bench-audit-key-0123456789abcdef", "fsync": "never"}})";
  std::remove((dir + "/audit.jsonl").c_str());
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(config, dir);
  if (!g.ok()) std::abort();
  return *g;
}

void BM_VerifyTokenOnly(benchmark::State& state) {
  TokenVerifierOptions options;
  options.jwks = Jwks();
  options.issuers = {"https://idp"};
  options.audiences = {"inference"};
  std::shared_ptr<TokenVerifier> v = *TokenVerifier::Create(options);
  std::string token = Token();
  for (auto _ : state) {
    absl::StatusOr<Identity> id = v->Verify(token, absl::Now());
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_VerifyTokenOnly);

void BM_Admit(benchmark::State& state) {
  std::shared_ptr<Guard> g = MakeGuard();
  AdmitRequest req;
  req.bearer_token = Token();
  req.model = "support-llm";
  req.dataset = "claims";
  req.prompt = "Summarize the last three tickets of customer 4411 and draft a polite reply.";
  for (auto _ : state) {
    absl::StatusOr<Admission> adm = g->Admit(req, absl::Now());
    if (!adm.ok()) state.SkipWithError("admit failed");
    benchmark::DoNotOptimize(adm);
  }
  (void)g->Close();
}
BENCHMARK(BM_Admit);

std::string Answer() {
  std::string text;
  while (text.size() < 16 * 1024) {
    text +=
        "The customer Dana Whitfield (dana.whitfield@example.com, +1 415 555 0134) asked about the "
        "refund "
        "of order 88123; the agent confirmed it and closed the ticket. ";
  }
  return text;
}

void BM_MaskStreamOnly(benchmark::State& state) {
  std::shared_ptr<const Masker> m = *Masker::Create({});
  std::string text = Answer();
  for (auto _ : state) {
    std::unique_ptr<MaskStream> s = m->NewStream();
    size_t out = 0;
    for (size_t i = 0; i < text.size(); i += 64)
      out += s->Write(std::string_view(text).substr(i, 64)).size();
    out += s->Finish().size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_MaskStreamOnly);

void BM_ResponseGuard(benchmark::State& state) {
  std::shared_ptr<Guard> g = MakeGuard();
  AdmitRequest req;
  req.bearer_token = Token();
  req.model = "support-llm";
  req.dataset = "claims";
  Admission adm = *g->Admit(req, absl::Now());
  std::string text = Answer();
  for (auto _ : state) {
    std::unique_ptr<ResponseGuard> rg = *g->NewResponse(adm, ResponseFormat::kText);
    size_t out = 0;
    for (size_t i = 0; i < text.size(); i += 64)
      out += (*rg->Write(std::string_view(text).substr(i, 64))).size();
    out += (*rg->Finish(absl::Now())).size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  (void)g->Close();
}
BENCHMARK(BM_ResponseGuard);

}  // namespace
}  // namespace jitguard
BENCHMARK_MAIN();
