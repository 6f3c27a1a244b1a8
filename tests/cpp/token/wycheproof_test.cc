// Project Wycheproof conformance (vectors copied into tests/data/wycheproof/, Apache-2.0, see
// LICENSE there):
//  * json_web_signature_test.json: all 401 cases through the public TokenVerifier::VerifyJws path;
//  * json_web_key_test.json: every key set through JWKS import and the public verifier;
//  * ECDSA P1363, RSA PKCS#1 v1.5, RSA-PSS, Ed25519 and HMAC files through the signature layer.
// A verifier passes when it accepts every `valid` case, rejects every `invalid` one and does not
// crash on any. The few cases where jitguard's stricter rules reject a `valid` vector are listed by
// tcId with the rule that rejects them.
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/token/jws.h"
#include "simdjson.h"
#include "tests/cpp/testing/process.h"

namespace jitguard::token {
namespace {

simdjson::padded_string Load(const std::string& name) {
  simdjson::padded_string json;
  const std::string path = jitguard::testing::SourcePath("tests/data/wycheproof/" + name);
  EXPECT_EQ(simdjson::padded_string::load(path).get(json), simdjson::SUCCESS) << path;
  return json;
}

std::string Str(simdjson::dom::element el, std::string_view key) {
  std::string_view s;
  if (el[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

std::string Unhex(std::string_view hex) {
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

// Valid vectors that jitguard rejects on purpose, with the rule that rejects each.
const std::map<int64_t, std::string>& JwsExpectedRejections() {
  static const auto* m = new std::map<int64_t, std::string>{
      {372, "a '?' inside the header: not strict base64url (data/README.md)"},
      {373, "a '?' inside the payload: not strict base64url (data/README.md)"},
      {346, "key pinned to alg PS256, token uses PS384: a key's alg pins it (issue 4)"},
      {350, "key pinned to alg PS256, token uses PS384: a key's alg pins it (issue 4)"},
      {347,
       "key alg \"ES521\" is not a JWS algorithm: key refused at import (as json_web_key tc 19)"},
      {351,
       "key alg \"ES521\" is not a JWS algorithm: key refused at import (as json_web_key tc 19)"},
  };
  return *m;
}

// Invalid vectors that are byte-for-byte the same token as a valid one (the generator lost the
// padding it meant to add), so no verifier can reject them without also rejecting the valid case.
// jitguard treats them exactly like the valid twin; the test checks that they really are identical.
const std::map<int64_t, int64_t>& JwsContradictions() {
  static const auto* m = new std::map<int64_t, int64_t>{{367, 357}, {370, 357}};
  return *m;
}

TEST(WycheproofTest, JsonWebSignatureAll401ThroughThePublicVerifier) {
  simdjson::padded_string json = Load("json_web_signature_test.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  int total = 0, valid_accepted = 0, invalid_rejected = 0, named_rejections = 0, twins = 0;
  std::map<int64_t, std::string> jws_by_id;
  for (simdjson::dom::element group : doc["testGroups"].get_array()) {
    for (simdjson::dom::element test : group["tests"].get_array()) {
      jws_by_id[test["tcId"].get_int64()] = Str(test, "jws");
    }
  }
  for (simdjson::dom::element group : doc["testGroups"].get_array()) {
    // The verification key: the public key when the group has one, else the (symmetric) private.
    simdjson::dom::element key;
    if (group["public"].get(key) != simdjson::SUCCESS) key = group["private"];
    TokenVerifierOptions options;
    options.jwks = absl::StrCat("{\"keys\":[", simdjson::to_string(key), "]}");
    options.issuers = {"unused"};
    options.audience_policy = AudiencePolicy::kNotChecked;
    absl::StatusOr<std::shared_ptr<TokenVerifier>> verifier = TokenVerifier::Create(options);
    for (simdjson::dom::element test : group["tests"].get_array()) {
      ++total;
      const int64_t id = test["tcId"].get_int64();
      const std::string result = Str(test, "result");
      std::string jws = Str(test, "jws");
      if (jws.empty() && test["jws"].type() == simdjson::dom::element_type::OBJECT) {
        jws = simdjson::to_string(test["jws"]);
      }
      absl::StatusOr<std::string> payload = verifier.ok()
                                                ? (*verifier)->VerifyJws(jws)
                                                : absl::StatusOr<std::string>(verifier.status());
      SCOPED_TRACE(absl::StrCat("tcId ", id, " ", Str(test, "comment")));
      if (!payload.ok()) {
        EXPECT_NE(ErrorReason(payload.status()), "internal");
      }
      auto named = JwsExpectedRejections().find(id);
      auto twin = JwsContradictions().find(id);
      if (twin != JwsContradictions().end()) {
        EXPECT_EQ(result, "invalid");
        EXPECT_EQ(jws, jws_by_id[twin->second]) << "no longer identical to its valid twin";
        EXPECT_TRUE(payload.ok()) << "must be treated exactly like tcId " << twin->second;
        ++twins;
      } else if (named != JwsExpectedRejections().end()) {
        EXPECT_EQ(result, "valid");
        EXPECT_FALSE(payload.ok()) << named->second;
        ++named_rejections;
      } else if (result == "valid") {
        EXPECT_TRUE(payload.ok()) << payload.status();
        valid_accepted += payload.ok();
      } else {
        EXPECT_FALSE(payload.ok());
        invalid_rejected += !payload.ok();
      }
    }
  }
  EXPECT_EQ(total, 401);
  EXPECT_EQ(named_rejections, 6);
  EXPECT_EQ(valid_accepted, 46 - 6);
  EXPECT_EQ(invalid_rejected, 355 - 2);
  EXPECT_EQ(twins, 2);
  std::printf(
      "json_web_signature: %d cases: %d valid accepted, %d invalid rejected, %d valid "
      "rejected by name, %d invalid identical to a valid case\n",
      total, valid_accepted, invalid_rejected, named_rejections, twins);
}

TEST(WycheproofTest, JsonWebKeySetsThroughJwksImport) {
  simdjson::padded_string json = Load("json_web_key_test.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  int total = 0, passed = 0;
  for (simdjson::dom::element group : doc["testGroups"].get_array()) {
    simdjson::dom::element keys;
    if (group["public"].get(keys) != simdjson::SUCCESS) keys = group["private"];
    TokenVerifierOptions options;
    options.jwks = simdjson::to_string(keys);
    options.issuers = {"unused"};
    options.audience_policy = AudiencePolicy::kNotChecked;
    absl::StatusOr<std::shared_ptr<TokenVerifier>> verifier = TokenVerifier::Create(options);
    for (simdjson::dom::element test : group["tests"].get_array()) {
      ++total;
      const int64_t id = test["tcId"].get_int64();
      SCOPED_TRACE(absl::StrCat("tcId ", id, " ", Str(test, "comment")));
      const bool accepted = verifier.ok() && (*verifier)->VerifyJws(Str(test, "jws")).ok();
      const bool want = Str(test, "result") == "valid";
      EXPECT_EQ(accepted, want);
      passed += accepted == want;
    }
  }
  EXPECT_EQ(total, 26);
  std::printf("json_web_key: %d/%d cases as marked\n", passed, total);
}

struct SigFile {
  std::string name;
  Algorithm alg;
};

// Every case of a signature file through JwsKey + Verify. Returns {cases, valid accepted,
// invalid rejected}.
void RunSignatureFile(const SigFile& file) {
  simdjson::padded_string json = Load(file.name);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  int total = 0, valid = 0, invalid = 0, acceptable = 0;
  for (simdjson::dom::element group : doc["testGroups"].get_array()) {
    absl::StatusOr<JwsKey> key =
        JwsKey::FromPem(Str(group, "publicKeyPem"), KeyPart::kPublic, file.alg);
    ASSERT_TRUE(key.ok()) << file.name << ": " << key.status();
    for (simdjson::dom::element test : group["tests"].get_array()) {
      ++total;
      const std::string result = Str(test, "result");
      const absl::Status s =
          Verify(*key, file.alg, Unhex(Str(test, "msg")), Unhex(Str(test, "sig")));
      SCOPED_TRACE(absl::StrCat(file.name, " tcId ", test["tcId"].get_int64().value(), " ",
                                Str(test, "comment")));
      if (!s.ok()) {
        EXPECT_EQ(ErrorReason(s), "bad_signature");
      }
      if (result == "valid") {
        EXPECT_TRUE(s.ok()) << s;
        valid += s.ok();
      } else if (result == "invalid") {
        EXPECT_FALSE(s.ok());
        invalid += !s.ok();
      } else {
        ++acceptable;
      }
    }
  }
  std::printf("%s: %d cases: %d valid accepted, %d invalid rejected, %d acceptable\n",
              file.name.c_str(), total, valid, invalid, acceptable);
}

TEST(WycheproofTest, EcdsaP1363) {
  RunSignatureFile({"ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::kES256});
  RunSignatureFile({"ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::kES384});
  RunSignatureFile({"ecdsa_secp521r1_sha512_p1363_test.json", Algorithm::kES512});
}

TEST(WycheproofTest, RsaPkcs1) {
  RunSignatureFile({"rsa_signature_2048_sha256_test.json", Algorithm::kRS256});
  RunSignatureFile({"rsa_signature_2048_sha384_test.json", Algorithm::kRS384});
  RunSignatureFile({"rsa_signature_2048_sha512_test.json", Algorithm::kRS512});
  RunSignatureFile({"rsa_signature_3072_sha256_test.json", Algorithm::kRS256});
  RunSignatureFile({"rsa_signature_4096_sha512_test.json", Algorithm::kRS512});
}

TEST(WycheproofTest, RsaPss) {
  RunSignatureFile({"rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::kPS256});
  RunSignatureFile({"rsa_pss_2048_sha384_mgf1_48_test.json", Algorithm::kPS384});
  RunSignatureFile({"rsa_pss_4096_sha512_mgf1_64_test.json", Algorithm::kPS512});
}

TEST(WycheproofTest, Ed25519) { RunSignatureFile({"ed25519_test.json", Algorithm::kEdDSA}); }

// HMAC files: the JOSE profile is a full-length tag and a key at least as long as the hash. Groups
// in the profile run as marked; the others (truncated tags, short keys) must be refused outright.
void RunHmacFile(const std::string& name, Algorithm alg) {
  simdjson::padded_string json = Load(name);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  const int64_t hash_bits = static_cast<int64_t>(HashLength(alg) * 8);
  int in_profile = 0, out_of_profile = 0;
  for (simdjson::dom::element group : doc["testGroups"].get_array()) {
    const int64_t key_bits = group["keySize"].get_int64();
    const int64_t tag_bits = group["tagSize"].get_int64();
    const bool profile = tag_bits == hash_bits && key_bits >= hash_bits;
    for (simdjson::dom::element test : group["tests"].get_array()) {
      SCOPED_TRACE(absl::StrCat(name, " tcId ", test["tcId"].get_int64().value()));
      const std::string secret = Unhex(Str(test, "key"));
      absl::StatusOr<JwsKey> key = JwsKey::FromSecret(secret, alg);
      const bool accepted =
          key.ok() && Verify(*key, alg, Unhex(Str(test, "msg")), Unhex(Str(test, "tag"))).ok();
      if (profile) {
        ++in_profile;
        ASSERT_TRUE(key.ok());
        EXPECT_EQ(accepted, Str(test, "result") == "valid");
      } else {
        ++out_of_profile;
        EXPECT_FALSE(accepted) << "truncated tag or short key accepted";
      }
    }
  }
  std::printf("%s: %d cases in the JOSE profile as marked, %d outside it refused\n", name.c_str(),
              in_profile, out_of_profile);
}

TEST(WycheproofTest, Hmac) {
  RunHmacFile("hmac_sha256_test.json", Algorithm::kHS256);
  RunHmacFile("hmac_sha384_test.json", Algorithm::kHS384);
  RunHmacFile("hmac_sha512_test.json", Algorithm::kHS512);
}

}  // namespace
}  // namespace jitguard::token
