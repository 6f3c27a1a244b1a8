// Each step of the Guard's request path (lib/guard/steps.h) on its own, with the real components it
// takes (an HS256 verifier, a compiled policy, the memory approval store, a grant issuer, a
// Masker) and a callback audit sink that keeps the events; plus the one audit-event builder and
// the one place MaskerOptions are made.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/approval.h"
#include "jitguard/audit.h"
#include "jitguard/grant.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"
#include "lib/guard/config.h"
#include "lib/guard/event.h"
#include "lib/guard/maskers.h"
#include "lib/guard/metrics.h"
#include "lib/guard/steps.h"

namespace jitguard::guard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-steps-test";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

constexpr char kPolicy[] = R"({
  "version": 1,
  "mask_profiles": [{"name": "strict", "entities": ["EMAIL"], "style": "redact"}],
  "rules": [
    {"id": "no-training", "effect": "forbid", "groups": ["contractors"], "operations": ["fine_tune"],
     "message": "contractors may not train"},
    {"id": "export", "effect": "require_approval", "prompt": {"keywords": ["export"]},
     "approvers": ["security-leads"], "max_grant_ttl": "60s"},
    {"id": "ds", "effect": "permit", "groups": ["data-scientists", "contractors"],
     "operations": ["infer", "fine_tune"], "max_grant_ttl": "2m", "mask_profile": "strict"}
  ]})";

std::string Token(std::string_view sub, std::string_view extra_claims = "") {
  std::string header = base::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","kid":"k1"})");
  const int64_t t = absl::ToUnixSeconds(kNow);
  std::string payload = base::Base64UrlEncode(
      std::string(R"({"iss":"https://idp.test","aud":"inference","sub":")") + std::string(sub) +
      R"(","groups":["data-scientists"],"iat":)" + std::to_string(t) +
      ",\"exp\":" + std::to_string(t + 600) + std::string(extra_claims) + "}");
  std::string input = header + "." + payload;
  return input + "." + base::Base64UrlEncode(base::Hmac(kSecret, input));
}

class StepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TokenVerifierOptions vo;
    vo.key_source = KeySource::Hmac({HmacKey{SecretBytes(kSecret), "HS256", "k1"}});
    vo.issuers = {"https://idp.test"};
    vo.audiences = {"inference"};
    absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(vo);
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = *v;
    absl::StatusOr<std::unique_ptr<PolicyStore>> p = PolicyStore::Create(kPolicy);
    ASSERT_TRUE(p.ok()) << p.status();
    policy_ = *std::move(p);
    absl::StatusOr<std::shared_ptr<ApprovalStore>> a = NewMemoryApprovalStore();
    ASSERT_TRUE(a.ok());
    approvals_ = *a;
    absl::StatusOr<std::shared_ptr<const GrantIssuer>> g = GrantIssuer::Create(
        GrantKey::Secret(SecretBytes("grant-secret-0123456789abcdef0123456789")),
        GrantIssuerOptions{.issuer = "steps-test"});
    ASSERT_TRUE(g.ok()) << g.status();
    issuer_ = *g;
    absl::StatusOr<std::shared_ptr<const Masker>> m = Masker::Create(MaskerOptions());
    ASSERT_TRUE(m.ok());
    masker_ = *m;
    absl::StatusOr<std::unique_ptr<AuditSink>> sink =
        NewCallbackSink([this](const AuditEvent& e) -> absl::Status {
          if (fail_audit_) {
            return MakeError(absl::StatusCode::kUnavailable, ErrorDomain::kAudit, "write_failed",
                             "the test's sink is down");
          }
          events_.push_back(e);
          return absl::OkStatus();
        });
    ASSERT_TRUE(sink.ok());
    sink_ = *std::move(sink);
  }

  EventLog Log() {
    return EventLog(sink_.get(),
                    RequestScope{.request_id = "req-1", .model = "m", .dataset = "claims",
                                 .operation = "infer"},
                    kNow);
  }

  AdmitRequest Request(std::string prompt = "hello") {
    AdmitRequest r;
    r.bearer_token = Token("alice");
    r.model = "m";
    r.dataset = "claims";
    r.prompt = std::move(prompt);
    return r;
  }

  Identity Alice() { return *verifier_->Verify(Token("alice"), kNow); }

  // The extra field `name` of `e`, or null.
  static const AuditValue* Field(const AuditEvent& e, std::string_view name) {
    for (const auto& [n, v] : e.fields) {
      if (n == name) return &v;
    }
    return nullptr;
  }

  std::shared_ptr<TokenVerifier> verifier_;
  std::unique_ptr<PolicyStore> policy_;
  std::shared_ptr<ApprovalStore> approvals_;
  std::shared_ptr<const GrantIssuer> issuer_;
  std::shared_ptr<const Masker> masker_;
  std::unique_ptr<AuditSink> sink_;
  std::vector<AuditEvent> events_;
  bool fail_audit_ = false;
  Metrics metrics_;
};

TEST_F(StepsTest, AuthenticateReturnsTheIdentityOrRecordsTheRejection) {
  EventLog log = Log();
  absl::StatusOr<Identity> id = Authenticate(*verifier_, Token("alice"), log, metrics_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->subject, "alice");
  EXPECT_TRUE(events_.empty());  // success is recorded by the later steps

  absl::StatusOr<Identity> bad = Authenticate(*verifier_, "not-a-token", log, metrics_);
  EXPECT_EQ(ErrorReason(bad.status()), "malformed");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, "token.rejected");
  EXPECT_EQ(events_[0].request_id, "req-1");
  EXPECT_EQ(events_[0].time, kNow);
  ASSERT_NE(Field(events_[0], "reason"), nullptr);
  EXPECT_EQ(Field(events_[0], "reason")->string_value(), "malformed");
  EXPECT_EQ(metrics_.Value(Counter::kTokenRejections, "malformed"), 1u);

  // Nothing goes on without its record: a failing sink is the step's error.
  fail_audit_ = true;
  EXPECT_EQ(ErrorReason(Authenticate(*verifier_, "x.y.z", log, metrics_).status()),
            "write_failed");
}

TEST_F(StepsTest, SessionOfPrefersTheCallerThenSidThenJtiThenTheRequest) {
  Identity id;
  EXPECT_EQ(SessionOf("mine", id, "req"), "mine");
  EXPECT_EQ(SessionOf("", id, "req"), "req");
  id.token_id = "jti-1";
  EXPECT_EQ(SessionOf("", id, "req"), "jti-1");
  id.claims_json = R"({"sid":"sess-9"})";
  EXPECT_EQ(SessionOf("", id, "req"), "sess-9");
}

TEST_F(StepsTest, AuthorizeRecordsTheDecisionWithTheMaskedPrompt) {
  EventLog log = Log();
  log.Identify(Alice(), "sess");
  Refusal refusal;
  absl::StatusOr<Decision> d = Authorize(*policy_, Alice(), Request("mail a@example.com"), *masker_,
                                         log, metrics_, &refusal);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->effect, Effect::kPermit);
  ASSERT_EQ(events_.size(), 1u);
  const AuditEvent& e = events_[0];
  EXPECT_EQ(e.type, "policy.decision");
  EXPECT_EQ(e.decision, "permit");
  EXPECT_EQ(e.subject, "alice");
  EXPECT_EQ(e.session_id, "sess");
  EXPECT_THAT(e.rules, ElementsAre("ds"));
  EXPECT_EQ(Field(e, "prompt")->string_value(), "mail [EMAIL]");
  EXPECT_EQ(metrics_.Value(Counter::kDecisions, "permit"), 1u);

  // A deny: kPermissionDenied with the rule's message, the decision in the refusal.
  Identity contractor = Alice();
  contractor.groups = {"contractors"};
  AdmitRequest train = Request();
  train.operation = "fine_tune";
  absl::StatusOr<Decision> denied =
      Authorize(*policy_, contractor, train, *masker_, log, metrics_, &refusal);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(denied.status()), "forbidden");
  EXPECT_EQ(denied.status().message(), "contractors may not train");
  EXPECT_THAT(refusal.decision.rules, ElementsAre("no-training"));
  EXPECT_EQ(events_.back().decision, "deny");
}

TEST_F(StepsTest, ApproveFilesATicketThenConsumesItOnce) {
  EventLog log = Log();
  Refusal refusal;
  // A permit needs no approval.
  Decision permit;
  permit.effect = Effect::kPermit;
  absl::StatusOr<std::string> none =
      Approve(*approvals_, permit, Alice(), Request(), absl::Hours(1), log, metrics_, &refusal);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  EXPECT_TRUE(events_.empty());

  AdmitRequest req = Request("export the table");
  Refusal first;
  absl::StatusOr<Decision> d = Authorize(*policy_, Alice(), req, *masker_, log, metrics_, &first);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->effect, Effect::kApprovalRequired);
  events_.clear();
  absl::StatusOr<std::string> filed =
      Approve(*approvals_, *d, Alice(), req, absl::Hours(1), log, metrics_, &refusal);
  EXPECT_EQ(ErrorReason(filed.status()), "approval_required");
  EXPECT_EQ(filed.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_FALSE(refusal.ticket_id.empty());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, "approval.requested");
  EXPECT_EQ(Field(events_[0], "ticket_id")->string_value(), refusal.ticket_id);
  EXPECT_THAT(Field(events_[0], "approvers")->string_list(), ElementsAre("security-leads"));
  EXPECT_EQ(metrics_.Value(Counter::kApprovals, "requested"), 1u);

  // Not approved yet: refused, recorded with the store's reason.
  req.approval = refusal.ticket_id;
  absl::StatusOr<std::string> early =
      Approve(*approvals_, *d, Alice(), req, absl::Hours(1), log, metrics_, &refusal);
  EXPECT_FALSE(early.ok());
  EXPECT_EQ(events_.back().type, "approval.consumed");
  EXPECT_EQ(events_.back().decision, "refused");
  EXPECT_EQ(Field(events_.back(), "reason")->string_value(), ErrorReason(early.status()));

  ASSERT_TRUE(approvals_
                  ->Decide(refusal.ticket_id,
                           ApprovalVote{.approver = "sam", .groups = {"security-leads"}}, kNow)
                  .ok());
  absl::StatusOr<std::string> consumed =
      Approve(*approvals_, *d, Alice(), req, absl::Hours(1), log, metrics_, &refusal);
  ASSERT_TRUE(consumed.ok()) << consumed.status();
  EXPECT_EQ(*consumed, refusal.ticket_id);
  EXPECT_EQ(events_.back().decision, "consumed");
  EXPECT_EQ(metrics_.Value(Counter::kApprovals, "consumed"), 1u);
  // Once only.
  EXPECT_FALSE(Approve(*approvals_, *d, Alice(), req, absl::Hours(1), log, metrics_, &refusal).ok());
}

TEST_F(StepsTest, IssueGrantScopesTheGrantAndCapsItsLifetime) {
  EventLog log = Log();
  Decision d;
  d.effect = Effect::kPermit;
  d.rules = {"ds"};
  d.grant_ttl = 120;
  absl::StatusOr<IssuedGrant> g =
      IssueGrant(*issuer_, d, Alice(), Request(), "ticket-7", log, metrics_);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->expires_at, kNow + absl::Seconds(120));
  ASSERT_EQ(events_.size(), 1u);
  const AuditEvent& e = events_[0];
  EXPECT_EQ(e.type, "grant.issued");
  EXPECT_EQ(e.decision, "permit");
  // Fields in the builder's one order.
  ASSERT_EQ(e.fields.size(), 3u);
  EXPECT_EQ(e.fields[0].first, "grant_id");
  EXPECT_EQ(e.fields[0].second.string_value(), g->id);
  EXPECT_EQ(e.fields[1].first, "expires_at");
  EXPECT_EQ(e.fields[1].second.string_value(), "2027-01-15T08:02:00+00:00");
  EXPECT_EQ(e.fields[2].first, "ticket_id");
  EXPECT_EQ(metrics_.Value(Counter::kGrants, ""), 1u);

  // A day-long policy ttl is cut to the hour; none at all is one second.
  d.grant_ttl = 86400;
  EXPECT_EQ(IssueGrant(*issuer_, d, Alice(), Request(), "", log, metrics_)->expires_at,
            kNow + kMaxGrantTtl);
  d.grant_ttl = 0;
  EXPECT_EQ(IssueGrant(*issuer_, d, Alice(), Request(), "", log, metrics_)->expires_at,
            kNow + absl::Seconds(1));
}

TEST_F(StepsTest, MaskRequestRecordsThePromptMaskedWithTheProfile) {
  EventLog log = Log();
  ASSERT_TRUE(MaskRequest(*masker_, "default", "write to a@example.com", log).ok());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, "inference.request");
  EXPECT_THAT(events_[0].fields[0], Pair("mask_profile", ::testing::_));
  EXPECT_EQ(Field(events_[0], "prompt")->string_value(), "write to [EMAIL]");
  fail_audit_ = true;
  EXPECT_EQ(ErrorReason(MaskRequest(*masker_, "default", "x", log)), "write_failed");
}

TEST_F(StepsTest, BuildEventWritesTypedFieldsInOneOrder) {
  FindingCounts counts{{"EMAIL", 2}};
  std::vector<std::string> approvers{"a"};
  RequestScope scope{.request_id = "r", .subject = "s", .groups = {"g"}, .ticket_id = "t-scope"};
  AuditEvent e = BuildEvent("x.y", scope,
                            {.decision = "d",
                             .mask_profile = "p",
                             .approver = "ap",
                             .approvers = &approvers,
                             .reason = "",
                             .response = "resp",
                             .findings = &counts},
                            kNow);
  EXPECT_EQ(e.type, "x.y");
  EXPECT_EQ(e.time, kNow);
  std::vector<std::string> names;
  for (const auto& [n, v] : e.fields) names.push_back(n);
  EXPECT_THAT(names, ElementsAre("mask_profile", "ticket_id", "approver", "approvers", "reason",
                                 "response", "findings"));
  EXPECT_EQ(Field(e, "ticket_id")->string_value(), "t-scope");  // from the scope
  EXPECT_EQ(Field(e, "findings")->members()[0].second.int_value(), 2);
  // The record the sinks write from it is valid.
  EXPECT_TRUE(CanonicalAuditRecord(e, 1).ok());
}

TEST_F(StepsTest, MaskerOptionsComeFromOnePlaceWithTheJsonKeys) {
  GuardConfig config;
  config.json_keys = {"patient_id"};
  config.terms = {TermList{.name = "PROJECT", .terms = {"bluebird"}}};
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const MaskProfile* strict = (*policy)->FindMaskProfile("strict");
  ASSERT_NE(strict, nullptr);
  absl::StatusOr<MaskerOptions> o = MaskerOptionsFor(config, strict);
  ASSERT_TRUE(o.ok()) << o.status();
  // Regression: ReloadPolicy used to build its options without json_keys.
  EXPECT_THAT(o->json_keys, ElementsAre("patient_id"));
  EXPECT_EQ(o->terms.size(), 1u);
  EXPECT_EQ(o->style, MaskStyle::kRedact);
  ASSERT_TRUE(o->entities.has_value());
  EXPECT_THAT(*o->entities, ElementsAre("EMAIL"));
  // The compiled profile masks JSON keys: what a reloaded policy's maskers do too.
  absl::StatusOr<std::shared_ptr<const Masker>> m = CompileMasker(config, strict);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::string> json = (*m)->MaskJson(R"({"patient_id":"12345"})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, Not(HasSubstr("12345")));
  EXPECT_TRUE(CheckProfiles(config, **policy).ok());

  // The cache: one Masker per (policy version, profile); unknown profiles are config errors.
  MaskerCache cache(std::make_shared<const GuardConfig>(config));
  absl::StatusOr<std::shared_ptr<const Masker>> a = cache.For(**policy, "strict");
  absl::StatusOr<std::shared_ptr<const Masker>> b = cache.For(**policy, "strict");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(ErrorReason(cache.For(**policy, "nope").status()), "unknown_profile");
  // A profile whose style does not parse fails the check that ReloadPolicy runs.
  absl::StatusOr<std::shared_ptr<const Policy>> bad = Policy::Create(R"({"version": 1,
    "mask_profiles": [{"name": "odd", "entities": "all", "style": "sparkle"}], "rules": []})");
  if (bad.ok()) {
    EXPECT_FALSE(CheckProfiles(config, **bad).ok());
  }
}

}  // namespace
}  // namespace jitguard::guard
