// jitguard::Guard on the real components: HS256 access tokens signed here, the compiled policy, a
// real memory replay cache and approval store, and the hash-chained audit file, read back and
// verified.
#include "jitguard/guard.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test-only";
constexpr char kEmail[] = "dana.whitfield@example.com";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

constexpr char kPolicy[] = R"({
  "version": 1,
  "defaults": {"max_grant_ttl": "5m", "mask_profile": "standard"},
  "mask_profiles": [{"name": "standard", "entities": "all", "style": "label"},
                    {"name": "strict", "entities": "all", "style": "redact"}],
  "rules": [
    {"id": "no-training", "effect": "forbid", "groups": ["contractors"], "operations": ["fine_tune"],
     "message": "contractors may not train on customer data"},
    {"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export"]},
     "approvers": ["security-leads"], "max_grant_ttl": "60s"},
    {"id": "ds", "effect": "permit", "groups": ["data-scientists"], "datasets": ["claims", "tickets"],
     "operations": ["infer"], "max_grant_ttl": "2m"},
    {"id": "contractors", "effect": "permit", "groups": ["contractors"], "datasets": ["tickets"],
     "operations": ["infer", "fine_tune"], "mask_profile": "strict"}
  ]})";

std::string SignedToken(std::string_view kid, std::string_view secret, std::string_view sub,
                        std::string_view groups_json, absl::Time now = kNow,
                        std::string_view aud = "inference") {
  std::string header = base::Base64UrlEncode("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" +
                                             std::string(kid) + "\"}");
  int64_t t = absl::ToUnixSeconds(now);
  std::string payload = "{\"iss\":\"https://idp.test\",\"aud\":\"" + std::string(aud) +
                        "\",\"sub\":\"" + std::string(sub) +
                        "\",\"groups\":" + std::string(groups_json) +
                        ",\"iat\":" + std::to_string(t) + ",\"exp\":" + std::to_string(t + 600) +
                        ",\"sid\":\"sess-1\"}";
  std::string input = header + "." + base::Base64UrlEncode(payload);
  return input + "." + base::Base64UrlEncode(base::Hmac(secret, input));
}

std::string Token(std::string_view sub, std::string_view groups_json, absl::Time now = kNow,
                  std::string_view aud = "inference") {
  return SignedToken("k1", kSecret, sub, groups_json, now, aud);
}

std::string OctKey(std::string_view kid, std::string_view secret) {
  return R"({"kty":"oct","kid":")" + std::string(kid) + R"(","alg":"HS256","k":")" +
         base::Base64UrlEncode(secret) + "\"}";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view text) { std::ofstream(path) << text; }

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("guard_test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    WriteFile(dir_ + "/policy.json", kPolicy);
    WriteFile(dir_ + "/audit.key", "audit-key-0123456789abcdef0123456789\n");
    config_ = ConfigJson();
  }

  std::string ConfigJson(std::string_view extra_audit = "") {
    std::string jwks = R"({"keys":[{"kty":"oct","kid":"k1","alg":"HS256","k":")" +
                       base::Base64UrlEncode(kSecret) + "\"}]}";
    return R"({"tokens": {"jwks": )" + jwks +
           R"(, "issuer": "https://idp.test", "audience": "inference"},
      "policy": {"file": "policy.json"},
      "grants": {"signing_key": "grant-secret-0123456789abcdef0123456789", "issuer": "jitguard-test"},
      "approvals": {"backend": "memory", "ttl": 600},
      "audit": {"file": "audit.jsonl", "hmac_key_file": "audit.key", "fsync": "never")" +
           std::string(extra_audit) + R"(}})";
  }

  std::shared_ptr<Guard> Make() {
    absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(config_, dir_);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *g : nullptr;
  }

  AdmitRequest Request(std::string token, std::string dataset = "claims",
                       std::string prompt = "hello") {
    AdmitRequest r;
    r.bearer_token = std::move(token);
    r.model = "support-llm";
    r.dataset = std::move(dataset);
    r.prompt = std::move(prompt);
    return r;
  }

  std::string Log() { return ReadFile(dir_ + "/audit.jsonl"); }

  std::string dir_;
  std::string config_;
};

TEST_F(GuardTest, PermitIssuesASingleUseGrantAndAuditsMasked) {
  std::shared_ptr<Guard> g = Make();
  ASSERT_NE(g, nullptr);
  absl::StatusOr<Admission> adm = g->Admit(
      Request(Token("alice", R"(["data-scientists"])"), "claims", std::string("mail ") + kEmail),
      kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_EQ(adm->identity.subject, "alice");
  EXPECT_EQ(adm->decision.effect, Effect::kPermit);
  EXPECT_EQ(adm->decision.rules, std::vector<std::string>{"ds"});
  EXPECT_EQ(adm->mask_profile, "standard");
  EXPECT_EQ(adm->session_id, "sess-1");
  EXPECT_EQ(adm->request_id.size(), 32u);
  EXPECT_EQ(adm->grant_expires_at, kNow + absl::Minutes(2));

  EXPECT_TRUE(g->VerifyGrant(adm->grant, "claims", "infer", kNow).ok());
  absl::Status replay = g->VerifyGrant(adm->grant, "claims", "infer", kNow);
  EXPECT_EQ(ErrorReason(replay), "replayed");

  absl::StatusOr<std::string> prompt = g->MaskPrompt(*adm, std::string("x ") + kEmail);
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(*prompt, "x [EMAIL]");

  absl::StatusOr<std::unique_ptr<ResponseGuard>> rg = g->NewResponse(*adm, ResponseFormat::kText);
  ASSERT_TRUE(rg.ok());
  std::string out;
  for (std::string_view chunk :
       {"write to dana.whit", "field@example.com or ", "+1 415 555 0134."}) {
    absl::StatusOr<std::string> o = (*rg)->Write(chunk);
    ASSERT_TRUE(o.ok());
    out += *o;
  }
  absl::StatusOr<std::string> tail = (*rg)->Finish(kNow);
  ASSERT_TRUE(tail.ok()) << tail.status();
  out += *tail;
  EXPECT_EQ(out, "write to [EMAIL] or [PHONE].");
  EXPECT_EQ((*rg)->counts().at("EMAIL"), 1u);
  ASSERT_TRUE(g->Close().ok());

  std::string log = Log();
  EXPECT_THAT(log, Not(HasSubstr(kEmail)));
  EXPECT_THAT(log, HasSubstr("\"type\":\"policy.decision\""));
  EXPECT_THAT(log, HasSubstr("\"type\":\"grant.issued\""));
  EXPECT_THAT(log, HasSubstr("\"type\":\"grant.verified\""));
  EXPECT_THAT(log, HasSubstr("\"type\":\"grant.rejected\""));
  EXPECT_THAT(log, HasSubstr("\"response\":\"write to [EMAIL] or [PHONE].\""));
  EXPECT_THAT(log, HasSubstr("\"findings\":{\"EMAIL\":1,\"PHONE\":1}"));
  absl::StatusOr<AuditVerifyResult> v =
      VerifyAuditLog(dir_ + "/audit.jsonl", SecretBytes("audit-key-0123456789abcdef0123456789"));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->records, 6u);
}

TEST_F(GuardTest, GrantIsScopedToTheRequest) {
  std::shared_ptr<Guard> g = Make();
  absl::StatusOr<Admission> adm = g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
  ASSERT_TRUE(adm.ok());
  EXPECT_EQ(ErrorReason(g->VerifyGrant(adm->grant, "tickets", "infer", kNow)), "scope");
  EXPECT_EQ(ErrorReason(g->VerifyGrant(adm->grant, "claims", "fine_tune", kNow)), "scope");
  EXPECT_EQ(ErrorReason(g->VerifyGrant(adm->grant, "claims", "infer", kNow + absl::Minutes(10))),
            "expired");
}

TEST_F(GuardTest, DenialsCarryReasonRulesAndMessage) {
  std::shared_ptr<Guard> g = Make();
  AdmitRequest r = Request(Token("bob", R"(["contractors"])"), "tickets");
  r.operation = "fine_tune";
  Refusal refusal;
  absl::StatusOr<Admission> adm = g->Admit(r, kNow, &refusal);
  ASSERT_FALSE(adm.ok());
  EXPECT_EQ(adm.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(GetErrorDomain(adm.status()), ErrorDomain::kAccess);
  EXPECT_EQ(ErrorReason(adm.status()), "forbidden");
  EXPECT_EQ(adm.status().message(), "contractors may not train on customer data");
  EXPECT_EQ(refusal.decision.rules, std::vector<std::string>{"no-training"});

  adm = g->Admit(Request(Token("bob", R"(["contractors"])"), "claims"), kNow, &refusal);
  EXPECT_EQ(ErrorReason(adm.status()), "no_permit");
  EXPECT_THAT(g->MetricsText(), HasSubstr("jitguard_decisions_total{effect=\"deny\"} 2\n"));
}

TEST_F(GuardTest, PermittedModelsListsWhatThePolicyDoesNotDeny) {
  std::shared_ptr<Guard> g = Make();
  const std::vector<std::string> models = {"support-llm", "support-pro", "other"};
  absl::StatusOr<std::vector<std::string>> listed =
      g->PermittedModels(Token("alice", R"(["data-scientists"])"), "claims", "infer", models, kNow);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, models);
  // Contractors may not use claims (no permit): nothing listed; on tickets everything.
  listed = g->PermittedModels(Token("bob", R"(["contractors"])"), "claims", "infer", models, kNow);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  listed = g->PermittedModels(Token("bob", R"(["contractors"])"), "tickets", "infer", models, kNow);
  EXPECT_EQ(*listed, models);
  // A bad token is refused (and audited) as in Admit; the listing itself writes nothing.
  listed = g->PermittedModels("not-a-token", "claims", "infer", models, kNow);
  EXPECT_EQ(GetErrorDomain(listed.status()), ErrorDomain::kToken);
  EXPECT_EQ(ErrorReason(listed.status()), "malformed");
  ASSERT_TRUE(g->Close().ok());
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("\"reason\":\"malformed\""));
  EXPECT_THAT(log, Not(HasSubstr("policy.decision")));
}

TEST_F(GuardTest, StrictProfileForContractors) {
  std::shared_ptr<Guard> g = Make();
  absl::StatusOr<Admission> adm =
      g->Admit(Request(Token("bob", R"(["contractors"])"), "tickets"), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_EQ(adm->mask_profile, "strict");
  absl::StatusOr<std::string> masked = g->MaskPrompt(*adm, "a@example.com");
  EXPECT_EQ(*masked, "*************");
}

TEST_F(GuardTest, BadTokensAreRejectedCountedAndAudited) {
  std::shared_ptr<Guard> g = Make();
  absl::StatusOr<Admission> adm = g->Admit(Request("not-a-token"), kNow);
  EXPECT_EQ(GetErrorDomain(adm.status()), ErrorDomain::kToken);
  EXPECT_EQ(ErrorReason(adm.status()), "malformed");
  adm = g->Admit(Request(Token("alice", R"(["data-scientists"])", kNow - absl::Hours(2))), kNow);
  EXPECT_EQ(ErrorReason(adm.status()), "expired");
  adm = g->Admit(Request(Token("alice", "[]", kNow, "billing")), kNow);
  EXPECT_EQ(ErrorReason(adm.status()), "audience");
  std::string metrics = g->MetricsText();
  EXPECT_THAT(metrics, HasSubstr("jitguard_token_rejections_total{reason=\"expired\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE jitguard_token_rejections_total counter\n"));
  EXPECT_THAT(metrics, HasSubstr("jitguard_audit_queue_depth 0\n"));
  ASSERT_TRUE(g->Close().ok());
  std::string log = Log();
  EXPECT_THAT(log, HasSubstr("\"reason\":\"malformed\""));
  EXPECT_THAT(log, HasSubstr("\"reason\":\"audience\""));
}

TEST_F(GuardTest, ApprovalFlow) {
  std::shared_ptr<Guard> g = Make();
  std::string alice = Token("alice", R"(["data-scientists"])");
  AdmitRequest r = Request(alice, "claims", "export every customer email");
  Refusal refusal;
  absl::StatusOr<Admission> adm = g->Admit(r, kNow, &refusal);
  ASSERT_FALSE(adm.ok());
  EXPECT_EQ(ErrorReason(adm.status()), "approval_required");
  EXPECT_EQ(refusal.decision.approvers, std::vector<std::string>{"security-leads"});
  ASSERT_EQ(refusal.ticket_id.size(), 32u);
  std::string ticket = refusal.ticket_id;

  r.approval = ticket;
  EXPECT_EQ(ErrorReason(g->Admit(r, kNow).status()), "not_approved");
  absl::StatusOr<std::string> state =
      g->Decide(Token("alice", R"(["security-leads"])"), ticket, Verdict::kApprove, "", kNow);
  EXPECT_EQ(ErrorReason(state.status()), "self_approval");
  state = g->Decide(Token("dave", R"(["data-scientists"])"), ticket, Verdict::kApprove, "", kNow);
  EXPECT_EQ(ErrorReason(state.status()), "not_an_approver");
  state = g->Decide("bogus", ticket, Verdict::kApprove, "", kNow);
  EXPECT_EQ(GetErrorDomain(state.status()), ErrorDomain::kToken);
  state = g->Decide(Token("carol", R"(["security-leads"])"), ticket, Verdict::kApprove, "ok once",
                    kNow);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, "approved");

  AdmitRequest other = r;
  other.prompt = "export everything";
  EXPECT_EQ(ErrorReason(g->Admit(other, kNow).status()), "digest_mismatch");
  adm = g->Admit(r, kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_EQ(adm->approval_ticket, ticket);
  EXPECT_EQ(adm->grant_expires_at, kNow + absl::Seconds(60));
  EXPECT_EQ(ErrorReason(g->Admit(r, kNow).status()), "already_consumed");
  ASSERT_TRUE(g->Close().ok());
  std::string log = Log();
  EXPECT_THAT(log, HasSubstr("\"type\":\"approval.requested\""));
  EXPECT_THAT(log, HasSubstr("\"type\":\"approval.decided\""));
  EXPECT_THAT(log, HasSubstr("\"type\":\"approval.consumed\""));
}

std::string Event(std::string_view content) {
  return "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
         std::string(content) + "\"},\"finish_reason\":null}]}\n\n";
}

TEST_F(GuardTest, SseResponseCatchesAnEmailSplitAcrossTwoEvents) {
  std::shared_ptr<Guard> g = Make();
  absl::StatusOr<Admission> adm = g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
  ASSERT_TRUE(adm.ok());
  absl::StatusOr<std::unique_ptr<ResponseGuard>> rg = g->NewResponse(*adm, ResponseFormat::kSse);
  ASSERT_TRUE(rg.ok());
  std::string raw = Event("mail dana.whit") + Event("field@example.com now") + "data: [DONE]\n\n";
  std::string out;
  // Byte by byte: the worst possible cutting.
  for (char c : raw) {
    absl::StatusOr<std::string> o = (*rg)->Write(std::string_view(&c, 1));
    ASSERT_TRUE(o.ok()) << o.status();
    out += *o;
  }
  absl::StatusOr<std::string> tail = (*rg)->Finish(kNow);
  ASSERT_TRUE(tail.ok());
  out += *tail;
  EXPECT_THAT(out, Not(HasSubstr("dana.whit")));
  EXPECT_THAT(out, HasSubstr("[EMAIL]"));
  EXPECT_THAT(out, HasSubstr("data: [DONE]"));
  ASSERT_TRUE(g->Close().ok());
  EXPECT_THAT(Log(), HasSubstr("\"response\":\"mail [EMAIL] now\""));
  EXPECT_THAT(g->MetricsText(), HasSubstr("jitguard_findings_total{entity=\"EMAIL\"} 1\n"));
}

// The audit record is built from what the client was sent (the masker's transcript), so it says the
// same for every SSE framing: CR, LF and CRLF line ends (the old second parser saw only "\n\n").
TEST_F(GuardTest, AuditTextEqualsTheWireForCrLfAndCrFraming) {
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    std::shared_ptr<Guard> g = Make();
    absl::StatusOr<Admission> adm =
        g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
    ASSERT_TRUE(adm.ok());
    auto rg = *g->NewResponse(*adm, ResponseFormat::kSse);
    std::string raw;
    for (char c : Event("mail dana.whit") + Event("field@example.com now") + "data: [DONE]\n\n") {
      if (c == '\n') {
        raw += eol;
      } else {
        raw.push_back(c);
      }
    }
    std::string out = *rg->Write(raw);
    out += *rg->Finish(kNow);
    // What a client shows: the concatenated delta contents of the events it received.
    std::string shown;
    for (size_t at = out.find("\"content\":\""); at != std::string::npos;
         at = out.find("\"content\":\"", at + 1)) {
      const size_t start = at + 11;
      shown += out.substr(start, out.find('"', start) - start);
    }
    EXPECT_EQ(shown, "mail [EMAIL] now") << eol.size();
    ASSERT_TRUE(g->Close().ok());
    EXPECT_THAT(Log(), HasSubstr("\"response\":\"" + shown + "\"")) << eol.size();
    std::filesystem::remove(dir_ + "/audit.jsonl");
  }
}

// A response cut short (the client went away): the held start of a value is neither sent nor
// recorded, and the record says what was sent and that it was aborted.
TEST_F(GuardTest, AbortDropsTheHeldTextFromTheRecord) {
  for (ResponseFormat format : {ResponseFormat::kText, ResponseFormat::kSse}) {
    std::shared_ptr<Guard> g = Make();
    absl::StatusOr<Admission> adm =
        g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
    ASSERT_TRUE(adm.ok());
    auto rg = *g->NewResponse(*adm, format);
    const std::string sent = format == ResponseFormat::kText
                                 ? *rg->Write("write to dana.whit")
                                 : *rg->Write(Event("write to dana.whit"));
    EXPECT_THAT(sent, Not(HasSubstr("dana")));
    ASSERT_TRUE(rg->Abort(kNow).ok());
    EXPECT_TRUE(rg->finished());
    EXPECT_EQ(*rg->Finish(kNow), "");
    ASSERT_TRUE(g->Close().ok());
    const std::string log = Log();
    EXPECT_THAT(log, Not(HasSubstr("dana")));
    EXPECT_THAT(log, HasSubstr("\"decision\":\"aborted\""));
    EXPECT_THAT(log, HasSubstr("\"response\":\"write to \""));
    std::filesystem::remove(dir_ + "/audit.jsonl");
  }
}

TEST_F(GuardTest, SseThatIsNotJsonIsMaskedAsText) {
  std::shared_ptr<Guard> g = Make();
  absl::StatusOr<Admission> adm = g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
  ASSERT_TRUE(adm.ok());
  absl::StatusOr<std::unique_ptr<ResponseGuard>> rg = g->NewResponse(*adm, ResponseFormat::kSse);
  absl::StatusOr<std::string> o = (*rg)->Write(std::string("data: {oops ") + kEmail + "\n\n");
  ASSERT_TRUE(o.ok());
  absl::StatusOr<std::string> tail = (*rg)->Finish(kNow);
  ASSERT_TRUE(tail.ok());
  EXPECT_THAT(*o + *tail, Not(HasSubstr(kEmail)));
  EXPECT_THAT(*o + *tail, HasSubstr("[EMAIL]"));
}

TEST_F(GuardTest, ReloadPolicyKeepsTheOldOneWhenTheNewOneIsBad) {
  std::shared_ptr<Guard> g = Make();
  AdmitRequest r = Request(Token("bob", R"(["contractors"])"), "claims");
  EXPECT_EQ(ErrorReason(g->Admit(r, kNow).status()), "no_permit");
  std::string policy = kPolicy;
  policy.replace(policy.find(R"("datasets": ["tickets"])"), 23,
                 R"("datasets": ["tickets", "claims"])");
  WriteFile(dir_ + "/policy.json", policy);
  ASSERT_TRUE(g->ReloadPolicy().ok());
  EXPECT_TRUE(g->Admit(r, kNow).ok());
  WriteFile(dir_ + "/policy.json", R"({"version": 1, "rules": [{"id": "x", "effect": "maybe"}]})");
  EXPECT_FALSE(g->ReloadPolicy().ok());
  EXPECT_TRUE(g->Admit(r, kNow).ok());
}

TEST_F(GuardTest, AsyncAuditSink) {
  config_ = ConfigJson(R"(, "async": true, "queue_size": 16)");
  std::shared_ptr<Guard> g = Make();
  ASSERT_NE(g, nullptr);
  ASSERT_TRUE(g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow).ok());
  EXPECT_THAT(g->MetricsText(), HasSubstr("jitguard_audit_queue_depth "));
  ASSERT_TRUE(g->Close().ok());
  EXPECT_THAT(Log(), HasSubstr("\"type\":\"inference.request\""));
}

struct BadConfig {
  std::string from, to;  // replace `from` in the good config by `to`
  std::string key;       // the key the error must name
};

class GuardConfigTest : public GuardTest, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(GuardConfigTest, NamesTheKey) {
  const BadConfig& p = GetParam();
  size_t at = config_.find(p.from);
  ASSERT_NE(at, std::string::npos) << p.from;
  config_.replace(at, p.from.size(), p.to);
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(config_, dir_);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(std::string(g.status().message()).rfind(p.key + ":", 0), 0u) << g.status();
  EXPECT_THAT(std::string(g.status().message()), Not(HasSubstr("grant-secret")));
}

INSTANTIATE_TEST_SUITE_P(
    All, GuardConfigTest,
    ::testing::Values(
        BadConfig{R"("issuer": "https://idp.test", )", "", "tokens.issuer"},
        BadConfig{R"("audience": "inference")", R"("audience": "inference", "leeway": -3)",
                  "tokens.leeway"},
        BadConfig{R"("audience": "inference")", R"("audience": "inference", "colour": 1)",
                  "tokens.colour"},
        BadConfig{R"({"keys":[)", R"({"keyz":[)", "tokens.jwks"},
        BadConfig{"policy.json", "missing.json", "policy.file"},
        BadConfig{R"("signing_key": "grant-secret-0123456789abcdef0123456789")",
                  R"("signing_key": "short")", "grants.signing_key"},
        BadConfig{R"("issuer": "jitguard-test")",
                  R"("issuer": "jitguard-test", "replay": "memcached://x")", "grants.replay"},
        BadConfig{R"("backend": "memory")", R"("backend": "etcd")", "approvals.backend"},
        BadConfig{R"("backend": "memory")", R"("backend": "redis")", "approvals.url"},
        BadConfig{R"("fsync": "never")", R"("fsync": "sometimes")", "audit.fsync"},
        BadConfig{R"("fsync": "never")", R"("fsync": "never", "postgres": "dbname=x")", "audit"},
        BadConfig{R"("tokens": {)", R"("extra": {}, "tokens": {)", "extra"},
        BadConfig{R"("policy": {"file": "policy.json"},)", "", "policy"}));

TEST_F(GuardTest, AuditSinkGivenInCodeReceivesEveryStep) {
  auto seen = std::make_shared<std::vector<std::string>>();
  absl::StatusOr<std::unique_ptr<AuditSink>> sink = NewCallbackSink([seen](const AuditEvent& e) {
    seen->push_back(e.type);
    return absl::OkStatus();
  });
  ASSERT_TRUE(sink.ok());
  GuardOptions options;
  options.audit_sink = std::shared_ptr<AuditSink>(*std::move(sink));
  // The config names a file too: that is a conflict, not a silent choice.
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(config_, dir_, options);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(ErrorReason(g.status()), "conflicting_keys");
  EXPECT_EQ(std::string(g.status().message()).rfind("audit:", 0), 0u) << g.status();

  std::string config = config_;
  std::string file = R"("file": "audit.jsonl", )";
  config.replace(config.find(file), file.size(), "");
  g = Guard::FromConfigJson(config, dir_, options);
  ASSERT_TRUE(g.ok()) << g.status();
  absl::StatusOr<Admission> adm =
      (*g)->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_TRUE((*g)->VerifyGrant(adm->grant, "claims", "infer", kNow).ok());
  EXPECT_EQ(*seen, (std::vector<std::string>{"policy.decision", "grant.issued", "inference.request",
                                             "grant.verified"}));
  // Without an external sink the audit section is required.
  std::string no_audit = config.substr(0, config.rfind(',', config.find(R"("audit")"))) + "}";
  EXPECT_EQ(ErrorReason(Guard::FromConfigJson(no_audit, dir_).status()), "missing_key");
}

// A key source built in code (GuardOptions::key_source): asked once per unknown kid; its new keys
// are installed and the token verified again.
class RotatingSource final : public KeySource {
 public:
  explicit RotatingSource(std::string rotated) : rotated_(std::move(rotated)) {}
  std::string Name() const override { return "rotating"; }
  std::shared_ptr<const KeySnapshot> Current() const override {
    std::lock_guard lock(mu_);
    return keys_;
  }
  uint64_t version() const override { return Current()->version; }
  bool RefreshForUnknownKey() override {
    ++calls;
    if (!has_new_keys) return false;
    std::lock_guard lock(mu_);
    if (keys_->version != 0) return false;
    auto next = std::make_shared<KeySnapshot>();
    next->jwks = rotated_;
    next->version = 1;
    keys_ = std::move(next);
    return true;
  }
  int calls = 0;
  bool has_new_keys = false;

 private:
  const std::string rotated_;
  mutable std::mutex mu_;
  std::shared_ptr<const KeySnapshot> keys_ = std::make_shared<KeySnapshot>();
};

TEST_F(GuardTest, UnknownKeyAsksTheKeySourceOnceAndRetries) {
  const std::string rotated_secret = "fedcba9876543210fedcba9876543210-rotated";
  const std::string rotated =
      R"({"keys":[)" + OctKey("k1", kSecret) + "," + OctKey("k2", rotated_secret) + "]}";
  auto source = std::make_shared<RotatingSource>(rotated);
  GuardOptions options;
  options.key_source = source;
  absl::StatusOr<std::shared_ptr<Guard>> made = Guard::FromConfigJson(config_, dir_, options);
  ASSERT_TRUE(made.ok()) << made.status();
  std::shared_ptr<Guard> g = *made;
  std::string token = SignedToken("k2", rotated_secret, "alice", R"(["data-scientists"])");
  // The source has nothing new: the rejection stands.
  EXPECT_EQ(ErrorReason(g->Admit(Request(token), kNow).status()), "unknown_key");
  EXPECT_EQ(source->calls, 1);
  // A known key that fails its signature does not trigger a fetch.
  EXPECT_EQ(ErrorReason(
                g->Admit(Request(SignedToken("k1", rotated_secret, "alice", "[]")), kNow).status()),
            "bad_signature");
  EXPECT_EQ(source->calls, 1);
  source->has_new_keys = true;
  absl::StatusOr<Admission> adm = g->Admit(Request(token), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_EQ(source->calls, 2);
  EXPECT_TRUE(g->Admit(Request(token), kNow).ok());
  EXPECT_EQ(source->calls, 2);  // the keys stay
}

TEST_F(GuardTest, UpdateKeysRotatesAndABadJwksChangesNothing) {
  std::shared_ptr<Guard> g = Make();
  ASSERT_NE(g, nullptr);
  const std::string secret2 = "fedcba9876543210fedcba9876543210-rotated";
  std::string token2 = SignedToken("k2", secret2, "alice", R"(["data-scientists"])");
  EXPECT_EQ(ErrorReason(g->Admit(Request(token2), kNow).status()), "unknown_key");
  EXPECT_FALSE(g->UpdateKeys(R"({"keys": 7})").ok());
  EXPECT_TRUE(g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow).ok());
  ASSERT_TRUE(g->UpdateKeys(R"({"keys":[)" + OctKey("k2", secret2) + "]}").ok());
  EXPECT_TRUE(g->Admit(Request(token2), kNow).ok());
  EXPECT_EQ(ErrorReason(g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow).status()),
            "unknown_key");
}

TEST_F(GuardTest, GrantVerifierIsTheOneVerifyGrantUses) {
  std::shared_ptr<Guard> g = Make();
  ASSERT_NE(g, nullptr);
  absl::StatusOr<Admission> adm = g->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  absl::StatusOr<Grant> grant = g->grant_verifier()->Verify(
      adm->grant, GrantScope{.dataset = "claims", .operation = "infer"}, kNow);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->subject, "alice");
  EXPECT_EQ(grant->id, adm->grant_id);
  EXPECT_EQ(ErrorReason(g->VerifyGrant(adm->grant, "claims", "infer", kNow)), "replayed");
  ASSERT_TRUE(g->Flush().ok());
  EXPECT_THAT(Log(), HasSubstr("\"type\":\"grant.verified\""));
  EXPECT_THAT(Log(), HasSubstr("\"type\":\"grant.rejected\""));
}

TEST_F(GuardTest, ConfigFileAndInvalidJson) {
  WriteFile(dir_ + "/jitguard.json", config_);
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigFile(dir_ + "/jitguard.json");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE((*g)->Admit(Request(Token("alice", R"(["data-scientists"])")), kNow).ok());
  g = Guard::FromConfigJson("{nope", dir_);
  EXPECT_EQ(ErrorReason(g.status()), "invalid_json");
  g = Guard::FromConfigJson(
      "{\"tokens\": {\"issuer\": \"x\",\n  \"audience\": \"y\" \"jwks\": {}}}", dir_);
  EXPECT_EQ(ErrorReason(g.status()), "invalid_json");
  EXPECT_THAT(std::string(g.status().message()),
              HasSubstr("config: not valid JSON at line 2, column 19"));
  g = Guard::FromConfigFile(dir_ + "/absent.json");
  EXPECT_EQ(ErrorReason(g.status()), "unreadable_file");
}

}  // namespace
}  // namespace jitguard
