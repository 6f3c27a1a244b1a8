// Secrets (issue 14, item 3): the API_KEY rules taken from gitleaks' default configuration
// (Databricks, DigitalOcean, Vault, Grafana, Postman, Linear, New Relic, Doppler, age), each from
// its documented pattern: positives, near misses, every separator style around it, inside JSON
// through MaskJson, and streams equal to one-shot at 1..11-byte chunks.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/stream_check.h"

namespace jitguard {
namespace {

const std::shared_ptr<const Masker>& Default() {
  static const std::shared_ptr<const Masker> m = *Masker::Create({});
  return m;
}

// "ENTITY/rule:value" for each finding, space-separated.
std::string Found(std::string_view text, const Masker& m = *Default()) {
  std::string out;
  for (const Finding& f : m.Find(text)) {
    if (!out.empty()) out += ' ';
    out += f.entity + "/" + f.rule + ":" + std::string(text.substr(f.start, f.end - f.start));
  }
  return out;
}

// `n` bytes cycling through `alphabet`, starting at offset `at` (deterministic test bodies).
std::string Cycle(std::string_view alphabet, size_t n, size_t at = 0) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[(at + i * 7) % alphabet.size()];
  return out;
}

constexpr std::string_view kLowerHex = "0123456789abcdef";
constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kLowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kBech32Upper = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

struct Case {
  std::string value;
  std::string rule;
};

// One valid value per new rule, from its documented pattern.
std::vector<Case> Positives() {
  return {
      {"dapi" + Cycle(kLowerHex, 32), "databricks"},
      {"dapi" + Cycle(kLowerHex, 32, 3) + "-2", "databricks"},
      {"dop_v1_" + Cycle(kLowerHex, 64), "digitalocean"},
      {"doo_v1_" + Cycle(kLowerHex, 64, 5), "digitalocean"},
      {"dor_v1_" + Cycle(kLowerHex, 64, 9), "digitalocean"},
      {"hvs." + Cycle(kAlnum, 60) + "_-" + Cycle(kAlnum, 40, 4), "vault"},
      {"hvb." + Cycle(kAlnum, 150, 2), "vault"},
      {"glc_" + Cycle(kAlnum, 40) + "+/" + Cycle(kAlnum, 20, 3) + "==", "grafana"},
      {"glsa_" + Cycle(kAlnum, 32) + "_" + Cycle(kLowerHex, 8, 1), "grafana"},
      {"PMAK-" + Cycle(kLowerHex, 24) + "-" + Cycle(kLowerHex, 34, 2), "postman"},
      {"lin_api_" + Cycle(kAlnum, 40), "linear"},
      {"NRAK-" + Cycle(kLowerAlnum, 27), "newrelic"},
      {"dp.pt." + Cycle(kAlnum, 43), "doppler"},
      {"AGE-SECRET-KEY-1" + Cycle(kBech32Upper, 58), "age"},
  };
}

TEST(SecretsTest, EachDocumentedPatternIsMaskedWhole) {
  for (const Case& c : Positives()) {
    EXPECT_EQ(Found(c.value), "API_KEY/" + c.rule + ":" + c.value) << c.value;
    EXPECT_EQ(Default()->Mask("key " + c.value + " here"), "key [API_KEY] here") << c.value;
  }
}

TEST(SecretsTest, EverySeparatorStyleAroundAValue) {
  for (const Case& c : Positives()) {
    for (const std::string& text :
         {"TOKEN=" + c.value, "token: " + c.value, "\"token\": \"" + c.value + "\"",
          "token='" + c.value + "'", "export TOKEN=\"" + c.value + "\"\n", "(" + c.value + ")",
          "`" + c.value + "`", "a," + c.value + ",b", c.value}) {
      std::string want = text;
      want.replace(text.find(c.value), c.value.size(), "[API_KEY]");
      EXPECT_EQ(Default()->Mask(text), want) << text;
    }
  }
}

TEST(SecretsTest, InsideJsonThroughMaskJson) {
  for (const Case& c : Positives()) {
    const std::string doc = R"({"cfg":{"token":")" + c.value + R"(","n":1}})";
    absl::StatusOr<std::string> out = Default()->MaskJson(doc);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, R"({"cfg":{"token":"[API_KEY]","n":1}})") << c.value;
  }
}

TEST(SecretsTest, StreamsEqualOneShot) {
  std::string text = "config:\n";
  for (const Case& c : Positives()) text += "  key: " + c.value + "\n  k2=\"" + c.value + "\"\n";
  text += "near: dapi" + Cycle(kLowerHex, 31) + " NRAK-short hvs.short PMAK-abc end";
  mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  mask::testing::ExpectStreamEqualsOneShot(*mask::testing::EveryEntityMasker(), text, 11);
}

TEST(SecretsTest, NearMissesAreLeftAlone) {
  const std::vector<std::string> misses = {
      "dapi" + Cycle(kLowerHex, 31),                          // one short
      "dapi" + Cycle(kLowerHex, 33),                          // one long
      "dapi" + std::string(32, 'a'),                          // no digit
      "dapi" + Cycle("0123456789ABCDEF", 32),                 // upper-case hex
      "dop_v1_" + Cycle(kLowerHex, 63),                       // short
      "dox_v1_" + Cycle(kLowerHex, 64),                       // unknown kind
      "hvs." + Cycle(kAlnum, 89),                             // under 90
      "hvb." + Cycle(kAlnum, 137),                            // under 138
      "glc_" + Cycle(kAlnum, 31),                             // under 32
      "glsa_" + Cycle(kAlnum, 32) + "_" + "ghijklmn",         // not hex after '_'
      "glsa_" + Cycle(kAlnum, 31) + "_" + Cycle(kLowerHex, 9),  // '_' misplaced
      "PMAK-" + Cycle(kLowerHex, 58),                         // no '-' at 24
      "PMAK-" + Cycle(kLowerHex, 24) + "-" + Cycle(kLowerHex, 33),  // short
      "lin_api_" + Cycle(kAlnum, 39),
      "NRAK-" + Cycle(kLowerAlnum, 28),
      "dp.pt." + Cycle(kAlnum, 42),
      "AGE-SECRET-KEY-1" + Cycle(kBech32Upper, 57),
      "AGE-SECRET-KEY-1" + Cycle(kBech32Upper, 57) + "B",     // B is not bech32
      "abc8q~" + Cycle(kAlnum, 32),                           // lower-case q
      "the dapi docs", "dp.pt. is a prefix", "hvs.example", "PMAK-", "lin_api_key",
  };
  for (const std::string& m : misses) {
    EXPECT_EQ(Found(m), "") << m;
    EXPECT_EQ(Found("see " + m + " now"), "") << m;
  }
}

TEST(SecretsTest, InsideAWordIsNotAStart) {
  for (const Case& c : Positives()) {
    EXPECT_EQ(Found("x" + c.value).find("API_KEY/" + c.rule), std::string::npos) << c.value;
    EXPECT_EQ(Found("my_" + c.value).find("API_KEY/" + c.rule), std::string::npos) << c.value;
  }
}

// A GCP service-account key file: the PEM block sits inside one JSON string with its line breaks
// written as the two characters '\' 'n'. PRIVATE_KEY masks it whole in the raw text (one-shot and
// streamed) and in MaskJson, which unescapes the string first.
std::string ServiceAccountJson() {
  std::string body;
  for (int line = 0; line < 6; ++line) body += Cycle(kAlnum, 64, static_cast<size_t>(line)) + "\\n";
  return R"({"type": "service_account", "project_id": "demo-123", "private_key_id": ")" +
         Cycle(kLowerHex, 40) + R"(", "private_key": "-----BEGIN PRIVATE KEY-----\n)" + body +
         R"(-----END PRIVATE KEY-----\n", "client_email": "svc@demo-123.iam.gserviceaccount.com"})";
}

TEST(SecretsTest, ServiceAccountPrivateKeyInRawJsonText) {
  const std::string doc = ServiceAccountJson();
  const std::string out = Default()->Mask(doc);
  EXPECT_NE(out.find(R"("private_key": "[PRIVATE_KEY]\n", "client_email": "[EMAIL]")"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("BEGIN"), std::string::npos);
  EXPECT_EQ(out.find(Cycle(kAlnum, 64, 3)), std::string::npos);
  mask::testing::ExpectStreamEqualsOneShot(*Default(), doc, 11);
}

TEST(SecretsTest, ServiceAccountPrivateKeyThroughMaskJson) {
  absl::StatusOr<std::string> out = Default()->MaskJson(ServiceAccountJson());
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find(R"("private_key":"[PRIVATE_KEY]\n")"), std::string::npos) << *out;
  EXPECT_EQ(out->find("BEGIN"), std::string::npos);
  EXPECT_EQ(out->find(Cycle(kAlnum, 64, 3)), std::string::npos);
}

TEST(SecretsTest, ServiceAccountPrivateKeyCutBeforeItsEnd) {
  // A key file cut inside the block (a truncated paste): masked to the end of the text.
  std::string doc = ServiceAccountJson();
  doc.resize(doc.find("-----END"));
  const std::string out = Default()->Mask(doc);
  EXPECT_TRUE(out.size() >= 13 && out.compare(out.size() - 13, 13, "[PRIVATE_KEY]") == 0) << out;
  mask::testing::ExpectStreamEqualsOneShot(*Default(), doc, 11);
}

}  // namespace
}  // namespace jitguard
