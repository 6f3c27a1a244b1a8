// GrantIssuer + GrantVerifier: every algorithm round-trips; the verifier refuses replays,
// revocations, expiry, out-of-scope use, typ confusion both ways, wrong keys and issuers; single
// use holds across threads, processes (Redis) and an outage fails closed.
#include "jitguard/grant.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"
#include "lib/token/jws.h"
#include "tests/cpp/grant/keys.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard {
namespace {

using ::jitguard::testing::GenerateKey;
using ::jitguard::testing::PemPair;
using ::jitguard::testing::RedisServer;
using ::jitguard::testing::SharedRedisServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const std::string kSecret = "0123456789abcdef0123456789abcdef-grant-secret";

const PemPair& P256() {
  static const PemPair* k = new PemPair(GenerateKey("EC", "P-256"));
  return *k;
}
const PemPair& Ed25519() {
  static const PemPair* k = new PemPair(GenerateKey("ED25519"));
  return *k;
}

enum class Alg { kES256, kEdDSA, kHS256 };

GrantKey IssuerKey(Alg alg) {
  switch (alg) {
    case Alg::kES256:
      return GrantKey::Pem(P256().private_pem);
    case Alg::kEdDSA:
      return GrantKey::Pem(Ed25519().private_pem);
    case Alg::kHS256:
      break;
  }
  return GrantKey::Secret(SecretBytes(kSecret));
}

GrantKey VerifierKey(Alg alg) {
  switch (alg) {
    case Alg::kES256:
      return GrantKey::Pem(P256().public_pem);
    case Alg::kEdDSA:
      return GrantKey::Pem(Ed25519().public_pem);
    case Alg::kHS256:
      break;
  }
  return GrantKey::Secret(SecretBytes(kSecret));
}

GrantRequest Request() {
  return GrantRequest{.subject = "alice",
                      .datasets = {"hr", "finance"},
                      .operations = {"infer"},
                      .model = "gpt-x",
                      .ttl = absl::Seconds(60),
                      .request_id = "req-1",
                      .approval_id = ""};
}

std::string HeaderJson(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return parts.size() == 3 ? base::Base64UrlDecodeStrict(parts[0]).value_or("") : "";
}

std::string PayloadJson(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return parts.size() == 3 ? base::Base64UrlDecodeStrict(parts[1]).value_or("") : "";
}

class RecordingSink : public AuditSink {
 public:
  absl::Status Write(const AuditEvent& event) override {
    base::MutexLock lock(&mu_);
    events_.push_back(event);
    return fail_ ? absl::UnavailableError("sink down") : absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string_view Name() const override { return "recording"; }
  std::vector<AuditEvent> events() {
    base::MutexLock lock(&mu_);
    return events_;
  }
  void set_fail(bool f) {
    base::MutexLock lock(&mu_);
    fail_ = f;
  }

 private:
  base::Mutex mu_;
  std::vector<AuditEvent> events_;
  bool fail_ = false;
};

// Every string an audit event carries, for "no token in the audit" checks.
std::string EventText(const AuditEvent& e) {
  std::string out = absl::StrCat(e.type, "|", e.subject, "|", e.request_id, "|", e.model, "|",
                                 e.dataset, "|", e.operation, "|", e.decision);
  for (const auto& [k, v] : e.fields) {
    absl::StrAppend(&out, "|", k, "=", v.string_value());
    for (const std::string& s : v.string_list()) absl::StrAppend(&out, ",", s);
  }
  return out;
}

std::string FieldString(const AuditEvent& e, std::string_view name) {
  for (const auto& [k, v] : e.fields) {
    if (k == name && v.kind() == AuditValue::Kind::kString) return v.string_value();
  }
  return "";
}

class GrantAlgTest : public ::testing::TestWithParam<Alg> {
 protected:
  std::shared_ptr<const GrantIssuer> issuer_ = *GrantIssuer::Create(IssuerKey(GetParam()));
  std::shared_ptr<const GrantVerifier> verifier_ = *GrantVerifier::Create(VerifierKey(GetParam()));
};

TEST_P(GrantAlgTest, IssueThenVerifyOnce) {
  absl::StatusOr<IssuedGrant> ig = issuer_->Issue(Request(), kNow);
  ASSERT_TRUE(ig.ok()) << ig.status();
  EXPECT_EQ(ig->id.size(), 32u);
  EXPECT_EQ(ig->expires_at, kNow + absl::Seconds(60));
  const std::string header = HeaderJson(ig->token);
  EXPECT_THAT(header, HasSubstr("\"typ\":\"jitguard-grant+jwt\""));
  EXPECT_THAT(header,
              HasSubstr(absl::StrCat("\"alg\":\"", base::AsAbsl(issuer_->Algorithm()), "\"")));
  const std::string payload = PayloadJson(ig->token);
  EXPECT_THAT(payload, HasSubstr(absl::StrCat("\"jti\":\"", ig->id, "\"")));
  EXPECT_THAT(payload, HasSubstr("\"datasets\":[\"hr\",\"finance\"]"));
  EXPECT_THAT(payload, Not(HasSubstr("aud")));
  EXPECT_THAT(payload, Not(HasSubstr("approval_id")));  // none given

  absl::StatusOr<Grant> g =
      verifier_->Verify(ig->token, {.dataset = "hr", .operation = "infer", .model = "gpt-x"},
                        kNow + absl::Seconds(1));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->id, ig->id);
  EXPECT_EQ(g->issuer, "jitguard");
  EXPECT_EQ(g->subject, "alice");
  EXPECT_THAT(g->datasets, ElementsAre("hr", "finance"));
  EXPECT_THAT(g->operations, ElementsAre("infer"));
  EXPECT_EQ(g->model, "gpt-x");
  EXPECT_EQ(g->request_id, "req-1");
  EXPECT_EQ(g->issued_at, kNow);
  EXPECT_EQ(g->expires_at, ig->expires_at);

  absl::Status again = verifier_->Verify(ig->token, {}, kNow + absl::Seconds(2)).status();
  EXPECT_EQ(ErrorReason(again), "replayed");
  EXPECT_EQ(again.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(GetErrorDomain(again), ErrorDomain::kGrant);
}

TEST_P(GrantAlgTest, EachGrantIsFresh) {
  absl::StatusOr<IssuedGrant> a = issuer_->Issue(Request(), kNow);
  absl::StatusOr<IssuedGrant> b = issuer_->Issue(Request(), kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->id, b->id);
  EXPECT_NE(a->token, b->token);
  EXPECT_TRUE(verifier_->Verify(a->token, {}, kNow).ok());
  EXPECT_TRUE(verifier_->Verify(b->token, {}, kNow).ok());
}

TEST_P(GrantAlgTest, TamperingBreaksTheSignature) {
  absl::StatusOr<IssuedGrant> ig = issuer_->Issue(Request(), kNow);
  ASSERT_TRUE(ig.ok());
  std::vector<std::string> parts = absl::StrSplit(ig->token, '.');
  // Widen the scope in the payload and keep the signature.
  std::string payload = PayloadJson(ig->token);
  absl::StrReplaceAll({{"\"finance\"", "\"payroll\""}}, &payload);
  const std::string forged =
      absl::StrCat(parts[0], ".", base::Base64UrlEncode(payload), ".", parts[2]);
  EXPECT_EQ(ErrorReason(verifier_->Verify(forged, {}, kNow).status()), "bad_signature");
  // The original still works: a refused forgery does not spend the real grant.
  EXPECT_TRUE(verifier_->Verify(ig->token, {}, kNow).ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, GrantAlgTest,
                         ::testing::Values(Alg::kES256, Alg::kEdDSA, Alg::kHS256),
                         [](const ::testing::TestParamInfo<Alg>& info) {
                           return info.param == Alg::kES256   ? "ES256"
                                  : info.param == Alg::kEdDSA ? "EdDSA"
                                                              : "HS256";
                         });

class GrantTest : public ::testing::Test {
 protected:
  std::shared_ptr<const GrantIssuer> issuer_ = *GrantIssuer::Create(IssuerKey(Alg::kES256));
  std::shared_ptr<const GrantVerifier> verifier_ = *GrantVerifier::Create(VerifierKey(Alg::kES256));

  std::string Token(GrantRequest r = Request(), absl::Time now = kNow) {
    absl::StatusOr<IssuedGrant> ig = issuer_->Issue(r, now);
    EXPECT_TRUE(ig.ok()) << ig.status();
    return ig.ok() ? ig->token : "";
  }
  std::string Reason(const std::string& token, GrantScope scope = {}, absl::Time now = kNow) {
    return ErrorReason(verifier_->Verify(token, scope, now).status());
  }
};

TEST_F(GrantTest, ExpiryWithInjectedClock) {
  const std::string token = Token();
  // exp = kNow + 60 s, leeway 5 s.
  EXPECT_EQ(Reason(token, {}, kNow + absl::Seconds(65)), "expired");
  EXPECT_EQ(Reason(token, {}, kNow + absl::Hours(5)), "expired");
  EXPECT_EQ(verifier_->Verify(token, {}, kNow + absl::Seconds(65)).status().code(),
            absl::StatusCode::kUnauthenticated);
  // Expired attempts do not spend it: within the leeway it still verifies once.
  EXPECT_EQ(Reason(token, {}, kNow + absl::Seconds(64)), "");
}

TEST_F(GrantTest, IssuedInTheFutureIsRefused) {
  const std::string token = Token(Request(), kNow + absl::Minutes(5));
  EXPECT_EQ(Reason(token, {}, kNow), "not_yet_valid");
  EXPECT_EQ(Reason(token, {}, kNow + absl::Minutes(5) - absl::Seconds(5)), "");
}

TEST_F(GrantTest, ScopeIsEnforcedWithoutSpendingTheGrant) {
  const std::string token = Token();
  EXPECT_EQ(Reason(token, {.dataset = "payroll"}), "scope");
  EXPECT_EQ(Reason(token, {.dataset = ""}), "scope");
  EXPECT_EQ(Reason(token, {.operation = "export"}), "scope");
  EXPECT_EQ(Reason(token, {.model = "other-model"}), "scope");
  EXPECT_EQ(verifier_->Verify(token, {.operation = "export"}, kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reason(token, {.dataset = "finance", .operation = "infer", .model = "gpt-x"}), "");
  EXPECT_EQ(Reason(token, {.dataset = "finance"}), "replayed");
}

TEST_F(GrantTest, GrantWithoutModelAdmitsAnyModel) {
  GrantRequest r = Request();
  r.model.reset();
  const std::string token = Token(r);
  EXPECT_THAT(PayloadJson(token), Not(HasSubstr("model")));
  absl::StatusOr<Grant> g = verifier_->Verify(token, {.model = "anything"}, kNow);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->model.has_value());
}

TEST_F(GrantTest, RevokedGrantsAreRefused) {
  absl::StatusOr<IssuedGrant> ig = issuer_->Issue(Request(), kNow);
  ASSERT_TRUE(ig.ok());
  ASSERT_TRUE(verifier_->Revoke(ig->id, kNow).ok());
  EXPECT_EQ(Reason(ig->token), "revoked");
  EXPECT_EQ(ErrorReason(verifier_->Revoke("bad id", kNow)), "invalid_grant_id");
}

TEST_F(GrantTest, AccessTokenNeverPassesAsAGrant) {
  // Same key, same claims, a different typ (or none): still refused.
  token::JwsKey key = *token::JwsKey::FromPem(P256().private_pem, token::KeyPart::kPrivate);
  const std::string payload = PayloadJson(Token());
  for (std::optional<std::string_view> typ :
       {std::optional<std::string_view>("at+jwt"), std::optional<std::string_view>("JWT"),
        std::optional<std::string_view>(std::nullopt),
        std::optional<std::string_view>("jitguard-grant")}) {
    const std::string header = token::MakeHeaderJson(token::Algorithm::kES256, std::nullopt, typ);
    absl::StatusOr<std::string> forged =
        token::SignCompact(key, token::Algorithm::kES256, header, payload);
    ASSERT_TRUE(forged.ok());
    EXPECT_EQ(Reason(*forged), "typ") << header;
  }
  // The media-type spelling of the grant typ is accepted (RFC 7515 4.1.9).
  const std::string header = token::MakeHeaderJson(token::Algorithm::kES256, std::nullopt,
                                                   "application/JITGUARD-GRANT+JWT");
  EXPECT_EQ(
      Reason(*token::SignCompact(key, token::Algorithm::kES256, header, PayloadJson(Token()))), "");
}

TEST_F(GrantTest, GrantNeverPassesAsAnAccessToken) {
  TokenVerifierOptions options;
  options.pem_keys = {PemKey{.pem = P256().public_pem, .alg = "", .kid = ""}};
  options.issuers = {"jitguard"};
  options.audiences = {"inference-api"};
  options.typ = {"at+jwt"};
  std::shared_ptr<TokenVerifier> tokens = *TokenVerifier::Create(options);
  const std::string grant = Token();
  EXPECT_EQ(ErrorReason(tokens->Verify(grant, kNow).status()), "typ");
  // Even a token verifier that does not check typ refuses it: a grant has no audience.
  options.typ.clear();
  tokens = *TokenVerifier::Create(options);
  EXPECT_EQ(ErrorReason(tokens->Verify(grant, kNow).status()), "audience");
}

TEST_F(GrantTest, WrongKeysAndIssuersAreRefused) {
  const std::string token = Token();
  std::shared_ptr<const GrantVerifier> other_key =
      *GrantVerifier::Create(GrantKey::Pem(GenerateKey("EC", "P-256").public_pem));
  EXPECT_EQ(ErrorReason(other_key->Verify(token, {}, kNow).status()), "bad_signature");
  std::shared_ptr<const GrantVerifier> eddsa_only =
      *GrantVerifier::Create(VerifierKey(Alg::kEdDSA));
  EXPECT_EQ(ErrorReason(eddsa_only->Verify(token, {}, kNow).status()), "unknown_key");
  std::shared_ptr<const GrantVerifier> other_issuer =
      *GrantVerifier::Create(VerifierKey(Alg::kES256), {.issuer = "someone-else"});
  EXPECT_EQ(ErrorReason(other_issuer->Verify(token, {}, kNow).status()), "issuer");
  // None of these refusals spent the grant.
  EXPECT_EQ(Reason(token), "");
}

TEST_F(GrantTest, HmacSecretCannotVerifyAnAsymmetricGrantAndBack) {
  // Classic key confusion: an HS256 grant MACed with the public key's PEM text as the secret.
  token::JwsKey confused = *token::JwsKey::FromSecret(P256().public_pem, token::Algorithm::kHS256);
  const std::string payload = PayloadJson(Token());
  const std::string forged = *token::SignCompact(
      confused, token::Algorithm::kHS256,
      token::MakeHeaderJson(token::Algorithm::kHS256, std::nullopt, kGrantType), payload);
  EXPECT_EQ(Reason(forged), "unknown_key");
}

TEST_F(GrantTest, MalformedInputIsRefused) {
  EXPECT_EQ(Reason(""), "malformed");
  EXPECT_EQ(Reason("not a token"), "malformed");
  EXPECT_EQ(Reason("a.b"), "malformed");
  EXPECT_EQ(Reason(Token() + "."), "malformed");
  EXPECT_EQ(Reason(std::string(9000, 'a')), "too_large");
  const std::string none_header =
      base::Base64UrlEncode("{\"alg\":\"none\",\"typ\":\"jitguard-grant+jwt\"}");
  EXPECT_EQ(
      Reason(absl::StrCat(none_header, ".", base::Base64UrlEncode(PayloadJson(Token())), ".AAAA")),
      "algorithm");
}

TEST_F(GrantTest, ClaimsOfTheWrongShapeAreMalformed) {
  token::JwsKey key = *token::JwsKey::FromPem(P256().private_pem, token::KeyPart::kPrivate);
  const std::string header =
      token::MakeHeaderJson(token::Algorithm::kES256, std::nullopt, kGrantType);
  auto sign = [&](const std::string& payload) {
    return *token::SignCompact(key, token::Algorithm::kES256, header, payload);
  };
  const std::string base = R"("iss":"jitguard","iat":1800000000,"exp":1800000060)";
  EXPECT_EQ(
      Reason(sign(absl::StrCat("{", base, R"(,"jti":"a","datasets":[],"operations":["x"]})"))),
      "malformed");  // no sub
  EXPECT_EQ(
      Reason(sign(absl::StrCat("{", base, R"(,"sub":"s","datasets":[],"operations":["x"]})"))),
      "malformed");  // no jti
  EXPECT_EQ(Reason(sign(absl::StrCat(
                "{", base, R"(,"sub":"s","jti":"a","datasets":"hr","operations":["x"]})"))),
            "malformed");  // datasets not a list
  EXPECT_EQ(Reason(sign(absl::StrCat(
                "{", base, R"(,"sub":"s","jti":"a","datasets":[1],"operations":["x"]})"))),
            "malformed");
  EXPECT_EQ(Reason(sign(absl::StrCat(
                "{", base, R"(,"sub":"s","jti":"a","datasets":[],"operations":["x"],"model":7})"))),
            "malformed");
  EXPECT_EQ(
      Reason(sign(
          R"({"iss":"jitguard","exp":1800000060,"sub":"s","jti":"a","datasets":[],"operations":["x"]})")),
      "malformed");  // no iat
  EXPECT_EQ(
      Reason(sign(
          R"({"iat":1800000000,"exp":1800000060,"sub":"s","jti":"a","datasets":[],"operations":["x"]})")),
      "issuer");
  EXPECT_EQ(Reason(sign(absl::StrCat(
                "{", base, R"(,"sub":"s","jti":"bad id","datasets":[],"operations":["x"]})"))),
            "invalid_grant_id");
  // Well-formed, but minted for 2 hours: longer than the verifier's max_lifetime (1 h).
  EXPECT_EQ(
      Reason(sign(
          R"({"iss":"jitguard","iat":1800000000,"exp":1800007200,"sub":"s","jti":"a","datasets":[],"operations":["x"]})")),
      "lifetime");
}

TEST_F(GrantTest, IssueValidatesRequests) {
  auto reason = [&](GrantRequest r) { return ErrorReason(issuer_->Issue(r, kNow).status()); };
  GrantRequest r = Request();
  r.subject = "";
  EXPECT_EQ(reason(r), "invalid_request");
  r = Request();
  r.operations = {};
  EXPECT_EQ(reason(r), "invalid_request");
  r = Request();
  r.datasets = {""};
  EXPECT_EQ(reason(r), "invalid_request");
  r = Request();
  r.ttl = absl::ZeroDuration();
  EXPECT_EQ(reason(r), "invalid_request");
  r = Request();
  r.ttl = absl::Hours(2);
  EXPECT_EQ(reason(r), "invalid_request");
  r = Request();
  r.ttl = absl::Milliseconds(1500);  // rounded up to whole seconds
  absl::StatusOr<IssuedGrant> ig = issuer_->Issue(r, kNow);
  ASSERT_TRUE(ig.ok());
  EXPECT_EQ(ig->expires_at, kNow + absl::Seconds(2));
}

TEST_F(GrantTest, OnlyGrantKeysAreAccepted) {
  EXPECT_EQ(ErrorReason(GrantIssuer::Create(GrantKey::Secret(SecretBytes("short"))).status()),
            "bad_key");
  EXPECT_EQ(
      ErrorReason(
          GrantIssuer::Create(GrantKey::Pem(GenerateKey("EC", "P-384").private_pem)).status()),
      "bad_key");
  EXPECT_EQ(
      ErrorReason(GrantIssuer::Create(GrantKey::Pem(GenerateKey("RSA").private_pem)).status()),
      "bad_key");
  EXPECT_EQ(ErrorReason(GrantIssuer::Create(GrantKey::Pem(P256().public_pem)).status()), "bad_key");
  EXPECT_EQ(ErrorReason(GrantIssuer::Create(GrantKey::Pem("garbage")).status()), "bad_key");
  EXPECT_EQ(
      ErrorReason(
          GrantVerifier::Create(GrantKey::Pem(GenerateKey("EC", "P-384").public_pem)).status()),
      "bad_key");
  EXPECT_EQ(ErrorReason(GrantVerifier::Create(GrantKey::Jwks("{\"keys\":[]}")).status()),
            "bad_key");
  // A verifier may be given the private PEM: only its public half is used.
  EXPECT_TRUE(GrantVerifier::Create(GrantKey::Pem(P256().private_pem)).ok());
}

TEST_F(GrantTest, VerifiesWithAJwksAndTheKid) {
  std::shared_ptr<const GrantIssuer> issuer =
      *GrantIssuer::Create(IssuerKey(Alg::kEdDSA), {.key_id = "grant-2026"});
  token::JwsKey pub = *token::JwsKey::FromPem(Ed25519().public_pem, token::KeyPart::kPublic);
  std::string jwk = *pub.PublicJwk();
  jwk.insert(1, "\"kid\":\"grant-2026\",");
  std::string other =
      *token::JwsKey::FromPem(GenerateKey("ED25519").public_pem, token::KeyPart::kPublic)
           ->PublicJwk();
  other.insert(1, "\"kid\":\"old\",");
  std::shared_ptr<const GrantVerifier> verifier =
      *GrantVerifier::Create(GrantKey::Jwks(absl::StrCat("{\"keys\":[", other, ",", jwk, "]}")));
  absl::StatusOr<IssuedGrant> ig = issuer->Issue(Request(), kNow);
  ASSERT_TRUE(ig.ok());
  EXPECT_THAT(HeaderJson(ig->token), HasSubstr("\"kid\":\"grant-2026\""));
  EXPECT_TRUE(verifier->Verify(ig->token, {}, kNow).ok());
  // A grant naming a kid that is not in the set finds no key.
  std::shared_ptr<const GrantIssuer> unknown =
      *GrantIssuer::Create(IssuerKey(Alg::kEdDSA), {.key_id = "nope"});
  EXPECT_EQ(
      ErrorReason(verifier->Verify(unknown->Issue(Request(), kNow)->token, {}, kNow).status()),
      "unknown_key");
}

TEST_F(GrantTest, AuditRecordsEveryStepWithoutTheToken) {
  auto sink = std::make_shared<RecordingSink>();
  std::shared_ptr<const GrantIssuer> issuer =
      *GrantIssuer::Create(IssuerKey(Alg::kHS256), {.audit = sink});
  std::shared_ptr<const GrantVerifier> verifier =
      *GrantVerifier::Create(VerifierKey(Alg::kHS256), {.audit = sink});
  GrantRequest r = Request();
  r.approval_id = "0123456789abcdef0123456789abcdef";
  absl::StatusOr<IssuedGrant> ig = issuer->Issue(r, kNow);
  ASSERT_TRUE(ig.ok());
  ASSERT_FALSE(verifier->Verify(ig->token, {.dataset = "payroll"}, kNow).ok());
  ASSERT_TRUE(verifier->Verify(ig->token, {.dataset = "hr"}, kNow).ok());
  ASSERT_FALSE(verifier->Verify(ig->token, {}, kNow).ok());
  ASSERT_FALSE(verifier->Verify("garbage", {}, kNow).ok());
  ASSERT_TRUE(verifier->Revoke(ig->id, kNow).ok());

  std::vector<AuditEvent> events = sink->events();
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].type, audit_type::kGrantIssued);
  EXPECT_EQ(events[0].subject, "alice");
  EXPECT_EQ(FieldString(events[0], audit_field::kGrantId), ig->id);
  EXPECT_EQ(FieldString(events[0], audit_field::kTicketId), r.approval_id);
  EXPECT_EQ(events[1].type, audit_type::kGrantRejected);
  EXPECT_EQ(FieldString(events[1], audit_field::kReason), "scope");
  EXPECT_EQ(events[1].dataset, "payroll");
  EXPECT_EQ(events[2].type, audit_type::kGrantVerified);
  EXPECT_EQ(events[2].subject, "alice");
  EXPECT_EQ(FieldString(events[2], audit_field::kGrantId), ig->id);
  EXPECT_EQ(FieldString(events[3], audit_field::kReason), "replayed");
  EXPECT_EQ(FieldString(events[4], audit_field::kReason), "malformed");
  EXPECT_EQ(events[4].subject, "");  // nothing from an unverified token
  EXPECT_EQ(events[5].type, "grant.revoked");
  const std::vector<std::string> parts = absl::StrSplit(ig->token, '.');
  for (const AuditEvent& e : events) {
    const std::string text = EventText(e);
    EXPECT_THAT(text, Not(HasSubstr(parts[1]))) << e.type;
    EXPECT_THAT(text, Not(HasSubstr(parts[2]))) << e.type;
    EXPECT_THAT(text, Not(HasSubstr(kSecret))) << e.type;
  }
  // A failing sink fails issuance (no token handed out) and a successful verification.
  sink->set_fail(true);
  EXPECT_FALSE(issuer->Issue(r, kNow).ok());
}

// ---- single use across threads, processes and outages -------------------------------------------

enum class Cache { kMemory, kRedis };

std::shared_ptr<ReplayCache> MakeCache(Cache c) {
  if (c == Cache::kMemory) return *NewMemoryReplayCache();
  return *NewRedisReplayCache(
      {.url = SharedRedisServer().url(), .timeout = absl::Milliseconds(500)});
}

class GrantRaceTest : public ::testing::TestWithParam<Cache> {};

TEST_P(GrantRaceTest, EightThreadsVerifyingOneGrantExactlyOneWins) {
  std::shared_ptr<const GrantIssuer> issuer = *GrantIssuer::Create(IssuerKey(Alg::kEdDSA));
  std::shared_ptr<const GrantVerifier> verifier =
      *GrantVerifier::Create(VerifierKey(Alg::kEdDSA), {.replay_cache = MakeCache(GetParam())});
  constexpr int kThreads = 8;
  for (int round = 0; round < 20; ++round) {
    const std::string token = issuer->Issue(Request(), kNow)->token;
    std::atomic<int> wins{0}, replayed{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        absl::Status s = verifier->Verify(token, {.dataset = "hr"}, kNow).status();
        if (s.ok()) wins.fetch_add(1);
        if (ErrorReason(s) == "replayed") replayed.fetch_add(1);
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(replayed.load(), kThreads - 1) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Caches, GrantRaceTest, ::testing::Values(Cache::kMemory, Cache::kRedis),
                         [](const ::testing::TestParamInfo<Cache>& info) {
                           return info.param == Cache::kMemory ? "Memory" : "Redis";
                         });

TEST(GrantRedisTest, SecondProcessSeesTheGrantUsed) {
  std::shared_ptr<const GrantIssuer> issuer = *GrantIssuer::Create(IssuerKey(Alg::kES256));
  const std::string url = SharedRedisServer().url();
  const std::string token = issuer->Issue(Request(), kNow)->token;
  // The child (another replica) verifies first...
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::shared_ptr<ReplayCache>> cache = NewRedisReplayCache({.url = url});
    if (!cache.ok()) _exit(2);
    absl::StatusOr<std::shared_ptr<const GrantVerifier>> v =
        GrantVerifier::Create(VerifierKey(Alg::kES256), {.replay_cache = *cache});
    if (!v.ok()) _exit(3);
    _exit((*v)->Verify(token, {.dataset = "hr"}, kNow).ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // ...so this replica sees a replay.
  std::shared_ptr<const GrantVerifier> here =
      *GrantVerifier::Create(VerifierKey(Alg::kES256), {.replay_cache = MakeCache(Cache::kRedis)});
  EXPECT_EQ(ErrorReason(here->Verify(token, {.dataset = "hr"}, kNow).status()), "replayed");
  // Revocation is shared too.
  const IssuedGrant other = *issuer->Issue(Request(), kNow);
  ASSERT_TRUE(here->Revoke(other.id, kNow).ok());
  std::shared_ptr<const GrantVerifier> elsewhere =
      *GrantVerifier::Create(VerifierKey(Alg::kES256), {.replay_cache = MakeCache(Cache::kRedis)});
  EXPECT_EQ(ErrorReason(elsewhere->Verify(other.token, {}, kNow).status()), "revoked");
}

TEST(GrantRedisTest, RedisOutageFailsClosedThenRecovers) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<const GrantIssuer> issuer = *GrantIssuer::Create(IssuerKey(Alg::kHS256));
  std::shared_ptr<const GrantVerifier> verifier = *GrantVerifier::Create(
      VerifierKey(Alg::kHS256), {.replay_cache = *NewRedisReplayCache({.url = (*server)->url()})});
  ASSERT_TRUE(verifier->Verify(issuer->Issue(Request(), kNow)->token, {}, kNow).ok());

  (*server)->Stop();
  const std::string during = issuer->Issue(Request(), kNow)->token;
  absl::Status down = verifier->Verify(during, {}, kNow).status();
  EXPECT_EQ(ErrorReason(down), "replay_cache_unavailable");
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE((*server)->Restart().ok());
  // The grant refused during the outage was never marked used: it verifies now, once.
  EXPECT_TRUE(verifier->Verify(during, {}, kNow).ok());
  EXPECT_EQ(ErrorReason(verifier->Verify(during, {}, kNow).status()), "replayed");
}

}  // namespace
}  // namespace jitguard
