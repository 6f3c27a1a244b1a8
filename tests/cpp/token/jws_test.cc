// The internal JWS layer: strict parsing, admission, sign/verify round trips for every algorithm.
#include "lib/token/jws.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"
#include "tests/cpp/token/test_keys.h"

namespace jitguard::token {
namespace {

using ::jitguard::token::testing::Keys;
using ::jitguard::token::testing::PublicPemOf;

struct AlgCase {
  Algorithm alg;
  std::string pem;  // private PEM; empty for HMAC
};

std::vector<AlgCase> AllAlgorithms() {
  const auto& k = Keys();
  return {{Algorithm::kRS256, k.rsa},     {Algorithm::kRS384, k.rsa},  {Algorithm::kRS512, k.rsa},
          {Algorithm::kPS256, k.rsa},     {Algorithm::kPS384, k.rsa},  {Algorithm::kPS512, k.rsa},
          {Algorithm::kES256, k.p256},    {Algorithm::kES384, k.p384}, {Algorithm::kES512, k.p521},
          {Algorithm::kEdDSA, k.ed25519}, {Algorithm::kHS256, ""},     {Algorithm::kHS384, ""},
          {Algorithm::kHS512, ""}};
}

TEST(JwsTest, AlgorithmNamesAreExactAndNoneIsNeverOne) {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    const auto alg = static_cast<Algorithm>(i);
    EXPECT_EQ(AlgorithmFromName(AlgorithmName(alg)), alg);
  }
  for (const char* name : {"none", "None", "NONE", "nOnE", "rs256", "Rs256", "ES256K", "HS1", "",
                           "EDDSA", "RS256 ", "ES521"}) {
    EXPECT_FALSE(AlgorithmFromName(name).has_value()) << name;
  }
}

TEST(JwsTest, SignThenVerifyEveryAlgorithm) {
  for (const AlgCase& c : AllAlgorithms()) {
    SCOPED_TRACE(AlgorithmName(c.alg));
    absl::StatusOr<JwsKey> priv =
        c.pem.empty() ? JwsKey::FromSecret(Keys().hmac) : JwsKey::FromPem(c.pem, KeyPart::kPrivate);
    ASSERT_TRUE(priv.ok()) << priv.status();
    absl::StatusOr<JwsKey> pub =
        c.pem.empty() ? priv : JwsKey::FromPem(PublicPemOf(c.pem), KeyPart::kPublic);
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_EQ(priv->fingerprint(), pub->fingerprint());
    absl::StatusOr<std::string> token =
        SignCompact(*priv, c.alg, MakeHeaderJson(c.alg, "k1", "JWT"), R"({"sub":"alice"})");
    ASSERT_TRUE(token.ok()) << token.status();
    absl::StatusOr<ParsedJws> parsed = ParseCompactJws(*token);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->alg, c.alg);
    EXPECT_EQ(parsed->kid, "k1");
    EXPECT_EQ(parsed->typ, "JWT");
    EXPECT_EQ(parsed->payload, R"({"sub":"alice"})");
    EXPECT_TRUE(Verify(*pub, c.alg, parsed->signing_input, parsed->signature).ok());
    if (c.alg == Algorithm::kES256) {
      EXPECT_EQ(parsed->signature.size(), 64u);
    }
    if (c.alg == Algorithm::kES512) {
      EXPECT_EQ(parsed->signature.size(), 132u);
    }
    // One flipped bit anywhere in the signature or the input fails.
    std::string sig = parsed->signature;
    sig[sig.size() / 2] ^= 0x01;
    EXPECT_EQ(ErrorReason(Verify(*pub, c.alg, parsed->signing_input, sig)), "bad_signature");
    std::string input(parsed->signing_input);
    input[3] ^= 0x01;
    EXPECT_EQ(ErrorReason(Verify(*pub, c.alg, input, parsed->signature)), "bad_signature");
  }
}

TEST(JwsTest, KeyDecidesTheAlgorithm) {
  absl::StatusOr<JwsKey> rsa = JwsKey::FromPem(PublicPemOf(Keys().rsa), KeyPart::kPublic);
  absl::StatusOr<JwsKey> p256 = JwsKey::FromPem(PublicPemOf(Keys().p256), KeyPart::kPublic);
  absl::StatusOr<JwsKey> ed = JwsKey::FromPem(PublicPemOf(Keys().ed25519), KeyPart::kPublic);
  absl::StatusOr<JwsKey> oct = JwsKey::FromSecret(std::string(48, 'k'));
  absl::StatusOr<JwsKey> pinned =
      JwsKey::FromPem(PublicPemOf(Keys().rsa), KeyPart::kPublic, Algorithm::kPS256);
  ASSERT_TRUE(rsa.ok() && p256.ok() && ed.ok() && oct.ok() && pinned.ok());
  EXPECT_TRUE(rsa->Admits(Algorithm::kRS256));
  EXPECT_TRUE(rsa->Admits(Algorithm::kPS512));
  EXPECT_FALSE(rsa->Admits(Algorithm::kHS256));
  EXPECT_FALSE(rsa->Admits(Algorithm::kES256));
  EXPECT_TRUE(p256->Admits(Algorithm::kES256));
  EXPECT_FALSE(p256->Admits(Algorithm::kES384));
  EXPECT_FALSE(p256->Admits(Algorithm::kHS256));
  EXPECT_TRUE(ed->Admits(Algorithm::kEdDSA));
  EXPECT_FALSE(ed->Admits(Algorithm::kES256));
  EXPECT_TRUE(oct->Admits(Algorithm::kHS256));
  EXPECT_TRUE(oct->Admits(Algorithm::kHS384));
  EXPECT_FALSE(oct->Admits(Algorithm::kHS512));  // 48-byte secret is shorter than SHA-512
  EXPECT_TRUE(pinned->Admits(Algorithm::kPS256));
  EXPECT_FALSE(pinned->Admits(Algorithm::kRS256));
  EXPECT_FALSE(pinned->Admits(Algorithm::kPS384));
  EXPECT_EQ(ErrorReason(Verify(*rsa, Algorithm::kHS256, "a.b", std::string(32, 'x'))), "algorithm");
}

TEST(JwsTest, KeyImportRefusesWeakOrWrongKeys) {
  EXPECT_EQ(ErrorReason(JwsKey::FromSecret("").status()), "bad_key");
  EXPECT_EQ(ErrorReason(JwsKey::FromSecret(std::string(31, 'k')).status()), "bad_key");
  EXPECT_FALSE(JwsKey::FromSecret(std::string(32, 'k'), Algorithm::kHS384).ok());
  EXPECT_FALSE(JwsKey::FromSecret(std::string(64, 'k'), Algorithm::kES256).ok());
  EXPECT_FALSE(JwsKey::FromPem(testing::PublicPemOf(testing::GeneratePrivatePem("RSA", 1024)),
                               KeyPart::kPublic)
                   .ok());
  EXPECT_FALSE(JwsKey::FromPem(PublicPemOf(Keys().p256), KeyPart::kPublic, Algorithm::kES384).ok());
  EXPECT_FALSE(JwsKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                               KeyPart::kPublic)
                   .ok());
  // A public key cannot sign.
  absl::StatusOr<JwsKey> pub = JwsKey::FromPem(PublicPemOf(Keys().p256), KeyPart::kPublic);
  ASSERT_TRUE(pub.ok());
  EXPECT_FALSE(Sign(*pub, Algorithm::kES256, "x").ok());
}

TEST(JwsTest, PublicJwkRoundTrips) {
  for (const std::string* pem :
       {&Keys().rsa, &Keys().p256, &Keys().p384, &Keys().p521, &Keys().ed25519}) {
    absl::StatusOr<JwsKey> priv = JwsKey::FromPem(*pem, KeyPart::kPrivate, std::nullopt, "kid-1");
    ASSERT_TRUE(priv.ok()) << priv.status();
    absl::StatusOr<std::string> jwk = priv->PublicJwk();
    ASSERT_TRUE(jwk.ok());
    EXPECT_THAT(*jwk, ::testing::Not(::testing::HasSubstr("\"d\"")));
    absl::StatusOr<JwsKey> back = JwsKey::FromJwkJson(*jwk);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->fingerprint(), priv->fingerprint());
    EXPECT_EQ(back->kid(), "kid-1");
    EXPECT_FALSE(back->has_private());
  }
}

TEST(JwsTest, ParserIsStrict) {
  absl::StatusOr<JwsKey> key = JwsKey::FromSecret(Keys().hmac, Algorithm::kHS256);
  ASSERT_TRUE(key.ok());
  auto make = [&](std::string_view header, std::string_view payload) {
    const std::string input = MakeSigningInput(header, payload);
    return input + "." + base::Base64UrlEncode(*Sign(*key, Algorithm::kHS256, input));
  };
  auto reason = [](std::string_view token, JwsParseOptions options = {}) {
    return ErrorReason(ParseCompactJws(token, options).status());
  };
  auto sized = [](size_t n) {
    JwsParseOptions o;
    o.max_size = n;
    return o;
  };
  auto any = [] {
    JwsParseOptions o;
    o.payload = PayloadFormat::kAny;
    return o;
  };
  auto crit_x = [] {
    JwsParseOptions o;
    o.understood_crit = {"x"};
    return o;
  };
  const std::string good = make(R"({"alg":"HS256"})", R"({"a":1})");
  EXPECT_EQ(reason(good), "");
  EXPECT_EQ(reason(good + ".x.y"), "malformed");                    // five parts (JWE shape)
  EXPECT_EQ(reason(good.substr(0, good.rfind('.'))), "malformed");  // two parts
  EXPECT_EQ(reason(good + "="), "malformed");                       // padding
  EXPECT_EQ(reason(" " + good), "malformed");                       // whitespace
  EXPECT_EQ(reason(good, sized(good.size() - 1)), "too_large");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","alg":"none"})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256"})", R"({"sub":"a","sub":"b"})")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256"})", R"({"a":{"x":1,"x":2}})")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"none"})", "{}")), "algorithm");
  EXPECT_EQ(reason(make(R"({"alg":"nOnE"})", "{}")), "algorithm");
  EXPECT_EQ(reason(make(R"({"alg":["HS256"]})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"([1])", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256"})", "[]")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256"})", "not json")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256"})", "not json"), any()), "");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","cty":"jwt"})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","enc":"A128GCM"})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","b64":false,"crit":["b64"]})", "{}")), "malformed");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","crit":["exp"],"exp":1})", "{}")), "crit");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","crit":[]})", "{}")), "crit");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","crit":["alg"]})", "{}")), "crit");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","crit":["x"],"x":1})", "{}"), crit_x()), "");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","crit":["x"]})", "{}"), crit_x()), "crit");
  EXPECT_EQ(reason(make(R"({"alg":"HS256","kid":7})", "{}")), "malformed");
  EXPECT_EQ(reason(good.substr(0, good.rfind('.') + 1)), "malformed");  // empty signature
}

TEST(JwsTest, SignCompactRefusesAHeaderNamingAnotherAlgorithm) {
  absl::StatusOr<JwsKey> key = JwsKey::FromSecret(Keys().hmac);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(ErrorReason(SignCompact(*key, Algorithm::kHS256, R"({"alg":"HS512"})", "{}").status()),
            "algorithm");
}

}  // namespace
}  // namespace jitguard::token

namespace jitguard::token {
namespace {

// HMAC contexts are reused per thread: interleaving keys, repeating the same verification and a
// forged tag right after a good one must all give the right answer.
TEST(JwsTest, HmacContextReuseKeepsKeysApart) {
  absl::StatusOr<JwsKey> a = JwsKey::FromSecret(std::string(48, 'a'));
  absl::StatusOr<JwsKey> b = JwsKey::FromSecret(std::string(48, 'b'));
  absl::StatusOr<JwsKey> a_again = JwsKey::FromSecret(std::string(48, 'a'));
  ASSERT_TRUE(a.ok() && b.ok() && a_again.ok());
  for (Algorithm alg :
       {Algorithm::kHS256, Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS256}) {
    const std::string input = "header.payload";
    absl::StatusOr<std::string> tag_a = Sign(*a, alg, input);
    absl::StatusOr<std::string> tag_b = Sign(*b, alg, input);
    ASSERT_TRUE(tag_a.ok() && tag_b.ok());
    EXPECT_EQ(*tag_a, base::Hmac(std::string(48, 'a'), input,
                                 alg == Algorithm::kHS256 ? EVP_sha256() : EVP_sha384()));
    EXPECT_NE(*tag_a, *tag_b);
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(Verify(*a, alg, input, *tag_a).ok());
      EXPECT_TRUE(Verify(*a_again, alg, input, *tag_a).ok());
      EXPECT_FALSE(Verify(*b, alg, input, *tag_a).ok());
      EXPECT_TRUE(Verify(*b, alg, input, *tag_b).ok());
      EXPECT_FALSE(Verify(*a, alg, input, *tag_b).ok());
      std::string forged = *tag_a;
      forged[0] ^= 1;
      EXPECT_FALSE(Verify(*a, alg, input, forged).ok());
      EXPECT_FALSE(Verify(*a, alg, input + "x", *tag_a).ok());
    }
  }
}

}  // namespace
}  // namespace jitguard::token
