// The attack suite: one test per known class of JWT attack, each through the public verifier. Every
// rejection is also checked not to echo the token (or any long piece of it) in its message.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
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
using ::jitguard::token::testing::PublicPemOf;
using ::jitguard::token::testing::Signer;

std::string B64(std::string_view s) { return base::Base64UrlEncode(s); }

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(
        BaseOptions(absl::StrCat("{\"keys\":[", es_.Jwk(), ",", rs_.Jwk(), "]}")));
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = *v;
  }

  // The rejection reason; also checks the message does not echo the token.
  std::string Reject(const std::string& token) {
    absl::StatusOr<Identity> r = verifier_->Verify(token, Now());
    EXPECT_FALSE(r.ok()) << "accepted an attack token";
    if (r.ok()) return "";
    const std::string message(r.status().message());
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      for (size_t i = 0; i + 8 <= part.size(); i += 4) {
        EXPECT_EQ(message.find(std::string(part.substr(i, 8))), std::string::npos)
            << "message echoes the token: " << message;
      }
    }
    EXPECT_EQ(GetErrorDomain(r.status()), ErrorDomain::kToken);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
    return ErrorReason(r.status());
  }

  Signer es_ = MakeSigner(Keys().p256, Algorithm::kES256, "es-1");
  Signer rs_ = MakeSigner(Keys().rsa, Algorithm::kRS256, "rs-1");
  std::shared_ptr<TokenVerifier> verifier_;
};

TEST_F(AttackTest, AlgNoneInAnyCase) {
  const std::string payload = B64(Claims("admin"));
  for (const char* alg : {"none", "None", "NONE", "nOnE", "none ", " none"}) {
    for (const char* kid : {"", ",\"kid\":\"rs-1\""}) {
      const std::string header = B64(absl::StrCat("{\"alg\":\"", alg, "\"", kid, "}"));
      EXPECT_EQ(Reject(absl::StrCat(header, ".", payload, ".")), "malformed");
      EXPECT_EQ(Reject(absl::StrCat(header, ".", payload, ".", B64("sig"))), "algorithm") << alg;
    }
  }
  // A valid token whose header is swapped for alg none keeps its signature: still rejected.
  const std::string good = es_.Mint(Claims());
  const std::string swapped =
      absl::StrCat(B64(R"({"alg":"none","kid":"es-1"})"), good.substr(good.find('.')));
  EXPECT_EQ(Reject(swapped), "algorithm");
}

TEST_F(AttackTest, AlgConfusionPublicKeyAsHmacSecret) {
  // The classic: sign HS256 with the RSA (or EC) public key bytes as the secret, in every form an
  // attacker could guess the verifier uses.
  const std::string rsa_pem = PublicPemOf(Keys().rsa);
  const std::string ec_pem = PublicPemOf(Keys().p256);
  for (const std::string& secret : {rsa_pem, ec_pem, rs_.Jwk(), es_.Jwk(),
                                    std::string(rsa_pem.substr(0, rsa_pem.size() - 1))}) {
    absl::StatusOr<JwsKey> hmac = JwsKey::FromSecret(secret);
    ASSERT_TRUE(hmac.ok());
    for (const char* kid : {"rs-1", "es-1", ""}) {
      for (Algorithm alg : {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512}) {
        Signer forger{*hmac, alg, kid};
        const std::string reason = Reject(forger.Mint(Claims("admin")));
        EXPECT_TRUE(reason == "algorithm" || reason == "unknown_key") << reason;
      }
    }
  }
  // RS -> ES / EdDSA / PS confusion with the kid of the RSA key: the signature never verifies.
  Signer es_as_rs{es_.key, Algorithm::kES256, "rs-1"};
  EXPECT_EQ(Reject(es_as_rs.Mint(Claims())), "algorithm");
}

TEST_F(AttackTest, KidIsAnOpaqueKeyNeverAPath) {
  for (const char* kid : {"../../../../dev/null", "/etc/passwd", "' OR '1'='1", "es-1/../rs-1",
                          "es-1\\u0000", "ES-1", "es-1 ", "http://attacker/jwks.json", ""}) {
    Signer s = es_;
    s.kid = kid;
    const std::string token =
        s.MintRaw(absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid, "\"}"), Claims());
    const std::string reason =
        Reject(token.substr(0, token.rfind('.')) + "." + B64(std::string(64, '\x01')));
    EXPECT_TRUE(reason == "unknown_key" || reason == "bad_signature") << kid << " " << reason;
  }
  // kid must be a string.
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":["es-1"]})", Claims())), "malformed");
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":{"$ne":null}})", Claims())), "malformed");
}

TEST_F(AttackTest, EmbeddedKeyHeadersAreNeverUsed) {
  // The attacker signs with their own key and points at it in every header the spec offers.
  Signer attacker = MakeSigner(testing::GeneratePrivatePem("P-256"), Algorithm::kES256, "es-1");
  const std::string jwk = attacker.Jwk();
  for (const std::string& extra :
       {absl::StrCat(",\"jwk\":", jwk), std::string(",\"jku\":\"https://attacker.example/jwks\""),
        std::string(",\"x5u\":\"https://attacker.example/cert.pem\""),
        std::string(",\"x5c\":[\"MIIBszCCAVmgAwIBAgIU\"]")}) {
    EXPECT_EQ(Reject(attacker.Mint(Claims("admin"), extra)), "bad_signature") << extra;
    Signer no_kid = attacker;
    no_kid.kid = "attacker";
    EXPECT_EQ(Reject(no_kid.Mint(Claims("admin"), extra)), "unknown_key") << extra;
  }
}

TEST_F(AttackTest, EcdsaSignatureEncodings) {
  const std::string good = es_.Mint(Claims());
  const size_t dot = good.rfind('.');
  const std::string input = good.substr(0, dot);
  const std::string sig = *base::Base64UrlDecodeStrict(good.substr(dot + 1));
  ASSERT_EQ(sig.size(), 64u);
  ASSERT_TRUE(verifier_->Verify(good, Now()).ok());
  auto with_sig = [&](const std::string& s) { return absl::StrCat(input, ".", B64(s)); };
  // Over-long signatures (Wycheproof 379/385 class: extra bytes after r||s).
  EXPECT_EQ(Reject(with_sig(sig + std::string(1, '\0'))), "bad_signature");
  EXPECT_EQ(Reject(with_sig(sig + sig)), "bad_signature");
  EXPECT_EQ(Reject(with_sig(std::string(1, '\0') + sig)), "bad_signature");
  // Truncated.
  EXPECT_EQ(Reject(with_sig(sig.substr(0, 63))), "bad_signature");
  // r or s zero, or at/above the group order.
  EXPECT_EQ(Reject(with_sig(std::string(32, '\0') + sig.substr(32))), "bad_signature");
  EXPECT_EQ(Reject(with_sig(sig.substr(0, 32) + std::string(32, '\0'))), "bad_signature");
  EXPECT_EQ(Reject(with_sig(std::string(32, '\xff') + sig.substr(32))), "bad_signature");
  // DER instead of raw r||s.
  std::string der = "\x30\x44\x02\x20" + sig.substr(0, 32) + "\x02\x20" + sig.substr(32);
  EXPECT_EQ(Reject(with_sig(der)), "bad_signature");
  // The ECDSA malleability twin (n - s) is a different valid-looking signature that must still be
  // verified by the curve math: it verifies mathematically, which is fine for JWS (no uniqueness
  // claim), but flipping one bit never does.
  std::string flipped = sig;
  flipped[10] ^= 0x40;
  EXPECT_EQ(Reject(with_sig(flipped)), "bad_signature");
}

TEST_F(AttackTest, EncodingTricks) {
  // Six '~' (0x7e) always hold one aligned 3-byte group, which encodes as "fn5-": the token is
  // certain to contain a URL-safe-only character, whatever the random ECDSA signature turns out to
  // be.
  const std::string good = es_.Mint(Claims("alice", R"(,"pad":"~~~~~~")"));
  ASSERT_TRUE(verifier_->Verify(good, Now()).ok());
  ASSERT_NE(good.find_first_of("-_"), std::string::npos);
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  for (int i = 0; i < 3; ++i) {
    for (const char* junk : {"=", "==", " ", "\n", "+", "/", "%3D"}) {
      std::vector<std::string> p = parts;
      p[i] += junk;
      EXPECT_EQ(Reject(absl::StrJoin(p, ".")), "malformed") << i << junk;
    }
    std::vector<std::string> p = parts;
    p[i].insert(p[i].size() / 2, " ");
    EXPECT_EQ(Reject(absl::StrJoin(p, ".")), "malformed");
  }
  // Standard base64 alphabet instead of URL-safe.
  EXPECT_EQ(Reject(absl::StrReplaceAll(good, {{"-", "+"}, {"_", "/"}})), "malformed");
  // Non-canonical trailing bits (same bytes, different encoding) in the payload.
  std::string p1 = parts[1];
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (p1.size() % 4 != 0) {
    const size_t v = alphabet.find(p1.back());
    p1.back() = alphabet[v | 1];
    if (p1 != parts[1]) {
      EXPECT_EQ(Reject(absl::StrCat(parts[0], ".", p1, ".", parts[2])), "malformed");
    }
  }
  // Leading/trailing whitespace around the whole token, and a trailing dot.
  EXPECT_EQ(Reject(" " + good), "malformed");
  EXPECT_EQ(Reject(good + "\n"), "malformed");
  EXPECT_EQ(Reject(good + "."), "malformed");
  EXPECT_EQ(Reject(""), "malformed");
  EXPECT_EQ(Reject(".."), "malformed");
}

TEST_F(AttackTest, DuplicateMembersAnywhere) {
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":"es-1","kid":"rs-1"})", Claims())),
            "malformed");
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"RS256","alg":"ES256","kid":"es-1"})", Claims())),
            "malformed");
  const std::string dup_sub = absl::StrCat(
      R"({"iss":"https://idp.example","aud":"api://jitguard","sub":"alice","sub":"admin","exp":)",
      NowSec() + 60, "}");
  EXPECT_EQ(Reject(es_.Mint(dup_sub)), "malformed");
  // Escaped spelling of the same name is the same name.
  const std::string escaped = absl::StrCat(
      R"({"iss":"https://idp.example","aud":"api://jitguard","sub":"alice","s\u0075b":"admin","exp":)",
      NowSec() + 60, "}");
  EXPECT_EQ(Reject(es_.Mint(escaped)), "malformed");
  EXPECT_EQ(Reject(es_.Mint(Claims("a", R"(,"realm_access":{"roles":["x"],"roles":["admin"]})"))),
            "malformed");
}

TEST_F(AttackTest, CritJweNestedAndUnencodedPayloads) {
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"crit":["exp"],"exp":1)")), "crit");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"crit":["b64"],"b64":true)")), "crit");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"crit":"x")")), "crit");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"crit":[])")), "crit");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"b64":false,"crit":["b64"])")), "malformed");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"zip":"DEF")")), "malformed");
  // A JWE (five parts) and a JWS whose payload is another token.
  EXPECT_EQ(Reject(absl::StrCat(B64(R"({"alg":"RSA-OAEP","enc":"A256GCM"})"), ".a.b.c.d")),
            "malformed");
  EXPECT_EQ(Reject(es_.Mint(Claims(), R"(,"enc":"A256GCM")")), "malformed");
  const std::string inner = es_.Mint(Claims("admin"));
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":"es-1","cty":"JWT"})", inner)), "malformed");
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":"es-1"})", inner)), "malformed");
  // Header or payload that are JSON but not objects.
  EXPECT_EQ(Reject(es_.MintRaw(R"(["alg","ES256"])", Claims())), "malformed");
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":"es-1"})", R"("sub")")), "malformed");
  EXPECT_EQ(Reject(es_.MintRaw(R"({"alg":"ES256","kid":"es-1"})", "null")), "malformed");
}

TEST_F(AttackTest, HugeTokensAreRefusedBeforeDecoding) {
  const std::string big_payload =
      Claims("a", absl::StrCat(",\"pad\":\"", std::string(20000, 'x'), "\""));
  EXPECT_EQ(Reject(es_.Mint(big_payload)), "too_large");
  // Garbage that would be malformed is too_large first: nothing is decoded.
  EXPECT_EQ(Reject(std::string(16 * 1024 + 1, '!')), "too_large");
  EXPECT_EQ(Reject(std::string(1 << 20, '.')), "too_large");
  // Exactly at the cap is decoded (and here, malformed).
  EXPECT_EQ(Reject(std::string(16 * 1024, '!')), "malformed");
  // A deeply nested payload within the cap is handled without crashing.
  std::string nested =
      Claims("a", absl::StrCat(",\"n\":", std::string(3000, '['), std::string(3000, ']')));
  absl::StatusOr<Identity> r = verifier_->Verify(es_.Mint(nested), Now());
  EXPECT_TRUE(r.ok() || ErrorReason(r.status()) == "malformed");
}

TEST_F(AttackTest, SignatureStrippingAndSplicing) {
  const std::string alice = es_.Mint(Claims("alice"));
  const std::string admin = es_.Mint(Claims("admin"));
  std::vector<std::string> a = absl::StrSplit(alice, '.');
  std::vector<std::string> b = absl::StrSplit(admin, '.');
  EXPECT_EQ(Reject(absl::StrCat(a[0], ".", b[1], ".", a[2])), "bad_signature");
  EXPECT_EQ(Reject(absl::StrCat(a[0], ".", a[1], ".")), "malformed");
  EXPECT_EQ(Reject(absl::StrCat(a[0], ".", a[1])), "malformed");
  // The RSA signature under the EC kid.
  const std::string rs = rs_.Mint(Claims("alice"));
  EXPECT_EQ(Reject(absl::StrCat(a[0], ".", a[1], ".", rs.substr(rs.rfind('.') + 1))),
            "bad_signature");
  // Cache poisoning attempt: a verified token, then the same token with a forged tail.
  ASSERT_TRUE(verifier_->Verify(alice, Now()).ok());
  std::string forged = alice;
  forged.back() = forged.back() == 'A' ? 'Q' : 'A';
  EXPECT_NE(Reject(forged), "");
}

// Verification on several threads while the key set rotates: tokens of the key that always stays
// always verify; tokens of the key that comes and goes either verify or are unknown_key, never
// anything else; nothing crashes or races (run under TSan with `make test-tsan`).
TEST(ConcurrencyTest, VerifyDuringRotation) {
  Signer stay = MakeSigner(Keys().p256, Algorithm::kES256, "stay");
  Signer come_go = MakeSigner(Keys().ed25519, Algorithm::kEdDSA, "come-go");
  const std::string both = absl::StrCat("{\"keys\":[", stay.Jwk(), ",", come_go.Jwk(), "]}");
  const std::string one = stay.Jwks();
  TokenVerifierOptions options = BaseOptions(both);
  options.cache_size = 64;
  std::shared_ptr<TokenVerifier> v = *TokenVerifier::Create(options);
  std::vector<std::string> stay_tokens, come_go_tokens;
  for (int i = 0; i < 16; ++i) {
    stay_tokens.push_back(stay.Mint(Claims(absl::StrCat("s", i))));
    come_go_tokens.push_back(come_go.Mint(Claims(absl::StrCat("c", i))));
  }
  std::atomic<bool> done{false};
  std::atomic<int> stay_failures{0}, unexpected{0}, verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !done.load() || i < 200; ++i) {
        const std::string& s = stay_tokens[(i + t) % stay_tokens.size()];
        absl::StatusOr<Identity> r = v->Verify(s, Now());
        if (!r.ok() || r->subject != absl::StrCat("s", (i + t) % stay_tokens.size()))
          ++stay_failures;
        absl::StatusOr<Identity> c = v->Verify(come_go_tokens[i % come_go_tokens.size()], Now());
        if (!c.ok() && ErrorReason(c.status()) != "unknown_key") ++unexpected;
        ++verified;
        if (i > 20000) break;
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(v->UpdateKeys(round % 2 == 0 ? one : both).ok());
    if (round % 10 == 0) {
      EXPECT_FALSE(v->UpdateKeys("{\"keys\":[{\"kty\":\"oct\",\"k\":\"\"}]}").ok());
    }
  }
  done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(stay_failures.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(verified.load(), 0);
  // The last update installed both keys: everything verifies again.
  EXPECT_TRUE(v->Verify(come_go_tokens[0], Now()).ok());
}

TEST(KeyImportTest, RocaKeysAreRefused) {
  // The modulus from Wycheproof json_web_key_test tcId 7 (ROCA fingerprint).
  const std::string jwk =
      R"({"kty":"RSA","e":"AQAB","n":"AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE"})";
  absl::StatusOr<JwsKey> key = JwsKey::FromJwkJson(jwk);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(std::string(key.status().message()), ::testing::HasSubstr("ROCA"));
  // A freshly generated key does not trip the check.
  EXPECT_TRUE(JwsKey::FromPem(PublicPemOf(Keys().rsa), KeyPart::kPublic).ok());
}

}  // namespace
}  // namespace jitguard::token
