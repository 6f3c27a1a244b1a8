// TokenVerifier: identity extraction, claim checks with the leeway, key selection, cache and
// rotation.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "tests/cpp/token/token_testing.h"

namespace jitguard::token {
namespace {

using ::jitguard::token::testing::BaseOptions;
using ::jitguard::token::testing::Claims;
using ::jitguard::token::testing::Keys;
using ::jitguard::token::testing::MakeSigner;
using ::jitguard::token::testing::Now;
using ::jitguard::token::testing::NowSec;
using ::jitguard::token::testing::Signer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::shared_ptr<TokenVerifier> MustCreate(TokenVerifierOptions options) {
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(std::move(options));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : nullptr;
}

std::string Reason(const absl::StatusOr<Identity>& r) { return ErrorReason(r.status()); }

class VerifierTest : public ::testing::Test {
 protected:
  Signer es_ = MakeSigner(Keys().p256, Algorithm::kES256, "es-1");
  Signer rs_ = MakeSigner(Keys().rsa, Algorithm::kRS256, "rs-1");

  std::string Jwks() const { return absl::StrCat("{\"keys\":[", es_.Jwk(), ",", rs_.Jwk(), "]}"); }

  absl::StatusOr<Identity> VerifyWith(TokenVerifierOptions o, const std::string& token,
                                      absl::Time now = Now()) {
    std::shared_ptr<TokenVerifier> v = MustCreate(std::move(o));
    if (!v) return absl::InternalError("no verifier");
    return v->Verify(token, now);
  }
  absl::StatusOr<Identity> VerifyDefault(const std::string& token, absl::Time now = Now()) {
    return VerifyWith(BaseOptions(Jwks()), token, now);
  }
};

TEST_F(VerifierTest, ValidTokenYieldsTheIdentity) {
  const std::string payload = Claims("alice", R"(,"groups":["eng","ml-admins"])");
  absl::StatusOr<Identity> id = VerifyDefault(es_.Mint(payload));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->subject, "alice");
  EXPECT_EQ(id->issuer, "https://idp.example");
  EXPECT_THAT(id->groups, ElementsAre("eng", "ml-admins"));
  EXPECT_EQ(id->expires_at, absl::FromUnixSeconds(NowSec() + 300));
  EXPECT_EQ(id->token_id, "id-alice");
  EXPECT_EQ(id->claims_json, payload);
  // The same through the RSA key.
  absl::StatusOr<Identity> rs = VerifyDefault(rs_.Mint(Claims("bob")));
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_EQ(rs->subject, "bob");
  EXPECT_THAT(rs->groups, IsEmpty());
}

TEST_F(VerifierTest, GroupsFromEveryClaimShape) {
  struct Case {
    std::string claim_path;
    std::string extra;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"groups", R"(,"groups":["a","b"])", {"a", "b"}},
      {"groups", R"(,"groups":"solo")", {"solo"}},
      {"roles", R"(,"roles":["r1"],"groups":["ignored"])", {"r1"}},
      {"realm_access.roles",
       R"(,"realm_access":{"roles":["kc-admin","kc-user"]})",
       {"kc-admin", "kc-user"}},
      {"cognito:groups", R"(,"cognito:groups":["pool-a"])", {"pool-a"}},
      {"https://example.com/groups", R"(,"https://example.com/groups":["auth0-g"])", {"auth0-g"}},
      {"a.b.c", R"(,"a":{"b":{"c":"deep"}})", {"deep"}},
      {"groups", "", {}},
      {"realm_access.roles", R"(,"realm_access":{"other":1})", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.claim_path + c.extra);
    TokenVerifierOptions o = BaseOptions(Jwks());
    o.groups_claim = c.claim_path;
    absl::StatusOr<Identity> id = VerifyWith(o, es_.Mint(Claims("alice", c.extra)));
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(id->groups, c.want);
  }
  for (const char* bad : {R"(,"groups":[1,2])", R"(,"groups":{"a":1})", R"(,"groups":true)"}) {
    EXPECT_EQ(Reason(VerifyDefault(es_.Mint(Claims("alice", bad)))), "claims") << bad;
  }
}

TEST_F(VerifierTest, TimeClaimsWithTheLeeway) {
  auto at = [&](const std::string& times) {
    return es_.Mint(absl::StrCat(R"({"iss":"https://idp.example","aud":"api://jitguard","sub":"a")",
                                 times, "}"));
  };
  const int64_t t = NowSec();
  // exp: valid until exp + leeway (60 s), exclusive.
  EXPECT_TRUE(VerifyDefault(at(absl::StrCat(",\"exp\":", t - 59))).ok());
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t - 60)))), "expired");
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t - 3600)))), "expired");
  // nbf: valid from nbf - leeway.
  EXPECT_TRUE(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"nbf\":", t + 60))).ok());
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"nbf\":", t + 61)))),
            "not_yet_valid");
  // iat not in the future (beyond the leeway).
  EXPECT_TRUE(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"iat\":", t + 60))).ok());
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"iat\":", t + 61)))),
            "not_yet_valid");
  // Fractional dates are numbers too.
  EXPECT_TRUE(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 10, ".5"))).ok());
  // exp is required by default; numeric dates must be numbers.
  EXPECT_EQ(Reason(VerifyDefault(at(""))), "claims");
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":\"", t + 600, "\"")))), "claims");
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"nbf\":true")))),
            "claims");
  EXPECT_EQ(Reason(VerifyDefault(at(absl::StrCat(",\"exp\":", t + 600, ",\"iat\":null")))),
            "claims");
  // A zero leeway is exact.
  TokenVerifierOptions strict = BaseOptions(Jwks());
  strict.leeway = absl::ZeroDuration();
  EXPECT_EQ(Reason(VerifyWith(strict, at(absl::StrCat(",\"exp\":", t)))), "expired");
  EXPECT_TRUE(VerifyWith(strict, at(absl::StrCat(",\"exp\":", t + 1))).ok());
  // exp optional: accepted, expires_at is infinite.
  TokenVerifierOptions optional = BaseOptions(Jwks());
  optional.expiry = ExpiryPolicy::kOptional;
  absl::StatusOr<Identity> no_exp = VerifyWith(optional, at(""));
  ASSERT_TRUE(no_exp.ok()) << no_exp.status();
  EXPECT_EQ(no_exp->expires_at, absl::InfiniteFuture());
  // Maximum lifetime.
  TokenVerifierOptions capped = BaseOptions(Jwks());
  capped.max_lifetime = absl::Hours(1);
  EXPECT_TRUE(VerifyWith(capped, at(absl::StrCat(",\"iat\":", t, ",\"exp\":", t + 3600))).ok());
  EXPECT_EQ(Reason(VerifyWith(capped, at(absl::StrCat(",\"iat\":", t, ",\"exp\":", t + 3601)))),
            "claims");
  EXPECT_EQ(Reason(VerifyWith(capped, at(absl::StrCat(",\"exp\":", t + 60)))), "claims");
}

TEST_F(VerifierTest, IssuerAudienceSubjectAndRequiredClaims) {
  auto with = [&](const std::string& body) { return es_.Mint(body); };
  const std::string exp = absl::StrCat(",\"exp\":", NowSec() + 60);
  EXPECT_EQ(Reason(VerifyDefault(with(absl::StrCat(
                R"({"iss":"https://evil.example","aud":"api://jitguard","sub":"a")", exp, "}")))),
            "issuer");
  EXPECT_EQ(Reason(VerifyDefault(with(absl::StrCat(
                R"({"iss":"https://IDP.example","aud":"api://jitguard","sub":"a")", exp, "}")))),
            "issuer");
  EXPECT_EQ(
      Reason(VerifyDefault(with(absl::StrCat(R"({"aud":"api://jitguard","sub":"a")", exp, "}")))),
      "issuer");
  EXPECT_EQ(Reason(VerifyDefault(with(absl::StrCat(
                R"({"iss":["https://idp.example"],"aud":"api://jitguard","sub":"a")", exp, "}")))),
            "issuer");
  // aud: string or array intersecting the configured list.
  EXPECT_TRUE(
      VerifyDefault(
          with(absl::StrCat(
              R"({"iss":"https://idp.example","aud":["x","api://jitguard"],"sub":"a")", exp, "}")))
          .ok());
  EXPECT_EQ(Reason(VerifyDefault(with(absl::StrCat(
                R"({"iss":"https://idp.example","aud":["x","y"],"sub":"a")", exp, "}")))),
            "audience");
  EXPECT_EQ(Reason(VerifyDefault(with(
                absl::StrCat(R"({"iss":"https://idp.example","aud":[],"sub":"a")", exp, "}")))),
            "audience");
  EXPECT_EQ(Reason(VerifyDefault(
                with(absl::StrCat(R"({"iss":"https://idp.example","sub":"a")", exp, "}")))),
            "audience");
  EXPECT_EQ(Reason(VerifyDefault(with(
                absl::StrCat(R"({"iss":"https://idp.example","aud":[1],"sub":"a")", exp, "}")))),
            "claims");
  // azp / client_id stand in for a missing aud only when allowed.
  const std::string cognito = with(absl::StrCat(
      R"({"iss":"https://idp.example","client_id":"api://jitguard","sub":"a")", exp, "}"));
  const std::string azp = with(
      absl::StrCat(R"({"iss":"https://idp.example","azp":"api://jitguard","sub":"a")", exp, "}"));
  EXPECT_EQ(Reason(VerifyDefault(cognito)), "audience");
  TokenVerifierOptions alt = BaseOptions(Jwks());
  alt.audience_policy = AudiencePolicy::kAudOrAuthorizedParty;
  EXPECT_TRUE(VerifyWith(alt, cognito).ok());
  EXPECT_TRUE(VerifyWith(alt, azp).ok());
  // ...but never override an aud that is present and wrong.
  EXPECT_EQ(
      Reason(VerifyWith(
          alt, with(absl::StrCat(
                   R"({"iss":"https://idp.example","aud":"other","azp":"api://jitguard","sub":"a")",
                   exp, "}")))),
      "audience");
  // Subject.
  EXPECT_EQ(Reason(VerifyDefault(with(
                absl::StrCat(R"({"iss":"https://idp.example","aud":"api://jitguard")", exp, "}")))),
            "claims");
  EXPECT_EQ(Reason(VerifyDefault(with(absl::StrCat(
                R"({"iss":"https://idp.example","aud":"api://jitguard","sub":42)", exp, "}")))),
            "claims");
  // Required claims.
  TokenVerifierOptions req = BaseOptions(Jwks());
  req.required_claims = {"scope"};
  EXPECT_EQ(Reason(VerifyWith(req, es_.Mint(Claims()))), "claims");
  EXPECT_TRUE(VerifyWith(req, es_.Mint(Claims("a", R"(,"scope":"read")"))).ok());
}

TEST_F(VerifierTest, TypCheck) {
  TokenVerifierOptions o = BaseOptions(Jwks());
  o.typ = {"at+jwt"};
  EXPECT_TRUE(VerifyWith(o, es_.Mint(Claims(), R"(,"typ":"at+jwt")")).ok());
  EXPECT_TRUE(VerifyWith(o, es_.Mint(Claims(), R"(,"typ":"application/AT+JWT")")).ok());
  EXPECT_EQ(Reason(VerifyWith(o, es_.Mint(Claims(), R"(,"typ":"JWT")"))), "typ");
  EXPECT_EQ(Reason(VerifyWith(o, es_.Mint(Claims()))), "typ");
  // Without a typ list any typ passes.
  EXPECT_TRUE(VerifyDefault(es_.Mint(Claims(), R"(,"typ":"whatever")")).ok());
}

TEST_F(VerifierTest, KeySelection) {
  // kid picks the key; a kid nobody has is unknown_key.
  Signer es_other_kid = es_;
  es_other_kid.kid = "nope";
  EXPECT_EQ(Reason(VerifyDefault(es_other_kid.Mint(Claims()))), "unknown_key");
  // No kid: accepted only when exactly one key admits the algorithm.
  Signer es_no_kid = es_;
  es_no_kid.kid = "";
  EXPECT_TRUE(VerifyDefault(es_no_kid.Mint(Claims())).ok());
  Signer rs_no_kid = rs_;
  rs_no_kid.kid = "";
  EXPECT_TRUE(VerifyDefault(rs_no_kid.Mint(Claims())).ok());
  Signer second_p256 = MakeSigner(testing::GeneratePrivatePem("P-256"), Algorithm::kES256, "es-2");
  const std::string two_ec = absl::StrCat("{\"keys\":[", es_.Jwk(), ",", second_p256.Jwk(), "]}");
  EXPECT_EQ(Reason(VerifyWith(BaseOptions(two_ec), es_no_kid.Mint(Claims()))), "unknown_key");
  EXPECT_TRUE(VerifyWith(BaseOptions(two_ec), second_p256.Mint(Claims())).ok());
  // A PEM key without kid serves tokens whose kid the JWKS does not know.
  TokenVerifierOptions pem;
  pem.issuers = {"https://idp.example"};
  pem.audiences = {"api://jitguard"};
  pem.pem_keys.push_back({testing::PublicPemOf(Keys().p256), "ES256", ""});
  EXPECT_TRUE(VerifyWith(pem, es_.Mint(Claims())).ok());
  EXPECT_TRUE(VerifyWith(pem, es_no_kid.Mint(Claims())).ok());
  // The algorithm allowlist narrows.
  TokenVerifierOptions only_es = BaseOptions(Jwks());
  only_es.algorithms = {"ES256"};
  EXPECT_TRUE(VerifyWith(only_es, es_.Mint(Claims())).ok());
  EXPECT_EQ(Reason(VerifyWith(only_es, rs_.Mint(Claims()))), "algorithm");
  // PS256 with the same RSA key is admitted (no alg pin in the JWK) unless pinned.
  Signer ps = rs_;
  ps.alg = Algorithm::kPS256;
  EXPECT_TRUE(VerifyDefault(ps.Mint(Claims())).ok());
  TokenVerifierOptions pinned;
  pinned.issuers = {"https://idp.example"};
  pinned.audiences = {"api://jitguard"};
  pinned.pem_keys.push_back({testing::PublicPemOf(Keys().rsa), "RS256", "rs-1"});
  EXPECT_EQ(Reason(VerifyWith(pinned, ps.Mint(Claims()))), "algorithm");
  EXPECT_TRUE(VerifyWith(pinned, rs_.Mint(Claims())).ok());
}

TEST_F(VerifierTest, CreateRefusesUnusableOptions) {
  auto reason = [](TokenVerifierOptions o) {
    return ErrorReason(TokenVerifier::Create(std::move(o)).status());
  };
  TokenVerifierOptions o = BaseOptions(Jwks());
  o.issuers.clear();
  EXPECT_EQ(reason(o), "config");
  o = BaseOptions(Jwks());
  o.audiences.clear();
  EXPECT_EQ(reason(o), "config");
  o.audience_policy = AudiencePolicy::kNotChecked;
  EXPECT_EQ(reason(o), "");
  o = BaseOptions(Jwks());
  o.algorithms = {"none"};
  EXPECT_EQ(reason(o), "config");
  EXPECT_EQ(reason(BaseOptions("not json")), "bad_key");
  EXPECT_EQ(reason(BaseOptions(R"({"keys":[]})")), "bad_key");
  EXPECT_EQ(reason(BaseOptions(R"({"keys":[{"kty":"oct","k":""}]})")), "bad_key");
  o = BaseOptions(Jwks());
  o.hmac_keys.push_back({SecretBytes(std::string(32, 's')), "HS256", "h"});
  EXPECT_EQ(reason(o), "bad_key");  // HMAC secrets never mix with public keys
  // Bad keys inside a JWKS are reported, the good ones used.
  o = BaseOptions(absl::StrCat(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},)",
                               R"({"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},)", es_.Jwk(),
                               "]}"));
  std::shared_ptr<TokenVerifier> v = MustCreate(o);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->key_count(), 1u);
  EXPECT_EQ(v->key_problems().size(), 2u);
  EXPECT_THAT(v->key_ids(), ElementsAre("es-1"));
}

TEST_F(VerifierTest, CacheHitsRecheckTimeAndDieWithTheirKey) {
  std::shared_ptr<TokenVerifier> v = MustCreate(BaseOptions(Jwks()));
  const std::string es_token = es_.Mint(Claims("alice"));
  const std::string rs_token = rs_.Mint(Claims("bob"));
  absl::StatusOr<std::shared_ptr<const Identity>> first = v->VerifyShared(es_token, Now());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(v->VerifyShared(rs_token, Now()).ok());
  EXPECT_EQ(v->cache_entries(), 2u);
  absl::StatusOr<std::shared_ptr<const Identity>> again = v->VerifyShared(es_token, Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get()) << "second verification should be a cache hit";
  // A hit still checks exp against now with the leeway.
  EXPECT_TRUE(v->Verify(es_token, Now() + absl::Seconds(300 + 59)).ok());
  EXPECT_EQ(ErrorReason(v->Verify(es_token, Now() + absl::Seconds(300 + 60)).status()), "expired");
  // ... and iat against a clock that went backwards.
  EXPECT_EQ(ErrorReason(v->Verify(es_token, Now() - absl::Seconds(100)).status()), "not_yet_valid");
  // A bad update changes nothing.
  EXPECT_FALSE(v->UpdateKeys("{").ok());
  EXPECT_FALSE(v->UpdateKeys(R"({"keys":[]})").ok());
  EXPECT_FALSE(v->UpdateKeys(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})").ok());
  EXPECT_EQ(v->key_count(), 2u);
  EXPECT_EQ(v->cache_entries(), 2u);
  // Rotation to the EC key only: the RSA token's entry goes, the EC one stays and still hits.
  ASSERT_TRUE(v->UpdateKeys(es_.Jwks()).ok());
  EXPECT_EQ(v->key_count(), 1u);
  EXPECT_EQ(v->cache_entries(), 1u);
  absl::StatusOr<std::shared_ptr<const Identity>> kept = v->VerifyShared(es_token, Now());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->get(), first->get());
  EXPECT_EQ(ErrorReason(v->Verify(rs_token, Now()).status()), "unknown_key");
  // Tokens without exp are never cached.
  TokenVerifierOptions optional = BaseOptions(Jwks());
  optional.expiry = ExpiryPolicy::kOptional;
  std::shared_ptr<TokenVerifier> v2 = MustCreate(optional);
  const std::string no_exp =
      es_.Mint(R"({"iss":"https://idp.example","aud":"api://jitguard","sub":"a"})");
  ASSERT_TRUE(v2->Verify(no_exp, Now()).ok());
  EXPECT_EQ(v2->cache_entries(), 0u);
  // A failed verification is never cached.
  std::string forged = es_token;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(v2->Verify(forged, Now()).ok());
  EXPECT_EQ(v2->cache_entries(), 0u);
}

TEST_F(VerifierTest, CacheIsBounded) {
  TokenVerifierOptions o = BaseOptions(Jwks());
  o.cache_size = 32;
  std::shared_ptr<TokenVerifier> v = MustCreate(o);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(v->Verify(es_.Mint(Claims(absl::StrCat("user", i))), Now()).ok());
  }
  EXPECT_LE(v->cache_entries(), 32u);
  EXPECT_GT(v->cache_entries(), 0u);
  o.cache_size = 0;
  std::shared_ptr<TokenVerifier> off = MustCreate(o);
  ASSERT_TRUE(off->Verify(es_.Mint(Claims()), Now()).ok());
  EXPECT_EQ(off->cache_entries(), 0u);
}

// The RFC 7515 Appendix A examples: issuer "joe", exp 1300819380, no aud, no sub.
constexpr int64_t kRfc7515Exp = 1300819380;

TokenVerifierOptions Rfc7515Options(std::string jwks) {
  TokenVerifierOptions o;
  o.jwks = std::move(jwks);
  o.issuers = {"joe"};
  o.audience_policy = AudiencePolicy::kNotChecked;
  o.subject = SubjectPolicy::kOptional;
  return o;
}

// `jws` with the middle byte of its decoded signature flipped, re-encoded canonically.
std::string FlipSignatureByte(const std::string& jws) {
  const size_t dot = jws.rfind('.');
  std::optional<std::string> sig = base::Base64UrlDecodeStrict(jws.substr(dot + 1));
  EXPECT_TRUE(sig.has_value() && !sig->empty());
  if (!sig.has_value() || sig->empty()) return jws;
  (*sig)[sig->size() / 2] ^= 0x01;
  return absl::StrCat(jws.substr(0, dot + 1), base::Base64UrlEncode(*sig));
}

// RFC 7515 Appendix A.1 (HS256) and A.3 (ES256) with a clock injected around their exp, and A.5
// (unsecured) rejected.
TEST(RfcExamplesTest, Rfc7515AppendixA) {
  const std::string a1 =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string a3 =
      "eyJhbGciOiJFUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ."
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  const std::string a5 =
      "eyJhbGciOiJub25lIn0."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ.";
  const absl::Time exp = absl::FromUnixSeconds(kRfc7515Exp);
  TokenVerifierOptions hmac = Rfc7515Options(
      R"({"keys":[{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]})");
  hmac.typ = {"JWT"};  // A.1 says typ JWT
  std::shared_ptr<TokenVerifier> hs = MustCreate(hmac);
  absl::StatusOr<Identity> id = hs->Verify(a1, exp - absl::Hours(1));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->issuer, "joe");
  EXPECT_EQ(id->expires_at, exp);
  EXPECT_THAT(id->claims_json, ::testing::HasSubstr("\"http://example.com/is_root\":true"));
  EXPECT_EQ(ErrorReason(hs->Verify(a1, exp + absl::Seconds(60)).status()), "expired");
  EXPECT_EQ(ErrorReason(hs->Verify(a5, exp - absl::Hours(1)).status()), "malformed");

  std::shared_ptr<TokenVerifier> es = MustCreate(Rfc7515Options(
      R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})"));  // A.3 has no typ
  EXPECT_TRUE(es->Verify(a3, exp - absl::Seconds(1)).ok());
  EXPECT_TRUE(es->Verify(a3, exp + absl::Seconds(59)).ok());
  EXPECT_EQ(ErrorReason(es->Verify(a3, exp + absl::Seconds(60)).status()), "expired");
  EXPECT_EQ(ErrorReason(es->Verify(a5, exp - absl::Hours(1)).status()), "malformed");
}

// RFC 7515 Appendix A.2 (RS256, a 2048-bit RSA key): the JWK's n and e and the complete JWS as
// published, through the public Verify with a clock injected around exp.
TEST(RfcExamplesTest, Rfc7515AppendixA2) {
  const std::string a2 =
      "eyJhbGciOiJSUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ."
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
      "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
      "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
      "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
      "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
      "p0igcN_IoypGlUPQGe77Rw";
  const std::string jwks = R"({"keys":[{"kty":"RSA","n":")"
                           "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
                           "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
                           "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
                           "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
                           "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
                           "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
                           R"(","e":"AQAB"}]})";
  const absl::Time exp = absl::FromUnixSeconds(kRfc7515Exp);
  std::shared_ptr<TokenVerifier> rs = MustCreate(Rfc7515Options(jwks));  // A.2 has no typ
  ASSERT_NE(rs, nullptr);
  absl::StatusOr<Identity> id = rs->Verify(a2, exp - absl::Hours(1));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->issuer, "joe");
  EXPECT_EQ(id->expires_at, exp);
  EXPECT_THAT(id->claims_json, ::testing::HasSubstr("\"http://example.com/is_root\":true"));
  EXPECT_TRUE(rs->Verify(a2, exp + absl::Seconds(59)).ok());
  EXPECT_EQ(ErrorReason(rs->Verify(a2, exp + absl::Seconds(60)).status()), "expired");
  // One flipped signature byte (checked by a fresh verifier, so no cache entry can answer).
  std::shared_ptr<TokenVerifier> fresh = MustCreate(Rfc7515Options(jwks));
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(ErrorReason(fresh->Verify(FlipSignatureByte(a2), exp - absl::Hours(1)).status()),
            "bad_signature");
  EXPECT_EQ(ErrorReason(fresh->VerifyJws(FlipSignatureByte(a2)).status()), "bad_signature");
}

// RFC 7515 Appendix A.4 (ES512, P-521): the payload is the octets "Payload", not a JWT, so it goes
// through the public VerifyJws (no claim checks); the JWK's x and y and the JWS as published.
TEST(RfcExamplesTest, Rfc7515AppendixA4) {
  const std::string a4 =
      "eyJhbGciOiJFUzUxMiJ9."
      "UGF5bG9hZA."
      "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq"
      "wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp"
      "EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
  std::shared_ptr<TokenVerifier> es = MustCreate(Rfc7515Options(
      R"({"keys":[{"kty":"EC","crv":"P-521",)"
      R"("x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",)"
      R"("y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}]})"));
  ASSERT_NE(es, nullptr);
  absl::StatusOr<std::string> payload = es->VerifyJws(a4);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(*payload, "Payload");
  EXPECT_EQ(ErrorReason(es->VerifyJws(FlipSignatureByte(a4)).status()), "bad_signature");
  // Not a JWT: the full token path refuses its payload.
  EXPECT_EQ(ErrorReason(es->Verify(a4, absl::FromUnixSeconds(kRfc7515Exp)).status()), "malformed");
}

}  // namespace
}  // namespace jitguard::token
