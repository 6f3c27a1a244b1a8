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
  return mask::testing::DescribeFindings(m, text);
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

TEST(SecretsTest, AMemberNamedLikeAKeyWithSpacesOrQuotesAroundItsValue) {
  // A trailing newline, surrounding whitespace or literal quotes do not hide the value: the whole
  // member value is masked.
  for (const std::string value : {R"(Xk9mP2vL7qR4\n)", R"(\nXk9mP2vL7qR4)", R"(\r\nXk9mP2vL7qR4 )",
                                  R"(\"Xk9mP2vL7qR4\")", R"(\"\"Xk9mP2vL7qR4\"\")"}) {
    const std::string doc = R"({"password":")" + value + R"("})";
    absl::StatusOr<std::string> out = Default()->MaskJson(doc);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, R"({"password":"[API_KEY]"})") << value;
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


// ---- key-value secrets

constexpr std::string_view kAwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";  // 41: trimmed below

std::string AwsSecret() { return std::string(kAwsSecret.substr(0, 40)); }

// `text` with `value` replaced by `label`.
std::string Replaced(std::string text, std::string_view value, std::string_view label) {
  text.replace(text.find(value), value.size(), label);
  return text;
}

TEST(SecretsTest, AwsSecretAccessKeyAfterItsKeyName) {
  const std::string v = AwsSecret();
  for (const std::string& text : {
           "aws_secret_access_key = " + v,                  // ~/.aws/credentials
           "AWS_SECRET_ACCESS_KEY=" + v,                     // env
           "export AWS_SECRET_ACCESS_KEY=\"" + v + "\"",     // shell
           "AWS_SECRET_ACCESS_KEY='" + v + "'",
           "aws_secret_key=" + v,
           "  SecretAccessKey = \"" + v + "\"\n",             // HCL
           "secret_access_key := \"" + v + "\"",             // Go
           "'aws_secret' => '" + v + "',",                    // PHP
           "secret_access_key=" + v + "&region=eu",          // query string
           "--aws-secret-access-key=" + v,
       }) {
    EXPECT_EQ(Default()->Mask(text), Replaced(text, v, "[AWS_ACCESS_KEY]")) << text;
    EXPECT_EQ(Found(text), "AWS_ACCESS_KEY/aws_secret:" + v) << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), "cfg\n" + text + "\nend", 11);
  }
}

TEST(SecretsTest, AwsSecretNearMisses) {
  const std::string v = AwsSecret();
  for (const std::string& text : {
           "aws_secret_access_key = " + v.substr(0, 39),   // 39 characters
           "aws_secret_access_key = " + v + "Q",           // 41
           "aws_secret_access_key = " + std::string(40, 'A'),  // no entropy
           "aws_region = " + v,                            // another key
           "the aws_secret_access_key " + v,               // no separator
       }) {
    EXPECT_EQ(Found(text).find("aws_secret"), std::string::npos) << text;
  }
}

struct Assignment {
  std::string text;
  std::string value;
};

TEST(SecretsTest, GenericAssignmentsMaskTheValueOnly) {
  const std::vector<Assignment> cases = {
      {"password=Tr0uB4d0r&3", "Tr0uB4d0r"},  // '&' ends a bare value
      {"DB_PASSWORD=S3cr3tP@ssw0rd!", "S3cr3tP@ssw0rd!"},
      {"db_password = \"k9#Lm2$vQx7\"", "k9#Lm2$vQx7"},
      {"passwd='hX8!pq2Zr'", "hX8!pq2Zr"},
      {"pwd=Zq8xW2mK9p", "Zq8xW2mK9p"},
      {"client_secret = 7fG2kL9mQ4xR8tV1", "7fG2kL9mQ4xR8tV1"},
      {"CLIENT_SECRET=7fG2kL9mQ4xR8tV1zz", "7fG2kL9mQ4xR8tV1zz"},
      {"api_key=9b2f7c1e4a8d6f3b", "9b2f7c1e4a8d6f3b"},
      {"apikey=Ab3dE6gH9jK2mN5p", "Ab3dE6gH9jK2mN5p"},
      {"--x-api-key=Qw3rTy6uI9oP2aS5", "Qw3rTy6uI9oP2aS5"},
      {"token=Zx81Nv4Ty7Pw0Rk3", "Zx81Nv4Ty7Pw0Rk3"},
      {"access_token=Zx81Nv4Ty7Pw0Rk3Jq", "Zx81Nv4Ty7Pw0Rk3Jq"},
      {"auth_token => 'Zx81Nv4Ty7Pw0Rk3Jq'", "Zx81Nv4Ty7Pw0Rk3Jq"},
      // A shell line inside a JSON string, its quotes escaped.
      {R"({"cmd": "export DB_PASSWORD=\"Hq7Lp2Xr9Wm4\" && run"})", "Hq7Lp2Xr9Wm4"},
      {"https://api.example.com/v1?user=bob&token=Zx81Nv4Ty7Pw0Rk3", "Zx81Nv4Ty7Pw0Rk3"},
      {"secret := 'mQ4xR8tV1z7fG2kL'", "mQ4xR8tV1z7fG2kL"},
      {"$password = \"Hq7-Lp2_Xr9\";", "Hq7-Lp2_Xr9"},
      {"dbPassword=Hq7Lp2Xr9Wm4", "Hq7Lp2Xr9Wm4"},
      {"PASSWORD=Tr0ub4dor3x.", "Tr0ub4dor3x"},  // a sentence's '.'
  };
  for (const Assignment& c : cases) {
    EXPECT_EQ(Default()->Mask(c.text), Replaced(c.text, c.value, "[API_KEY]")) << c.text;
    EXPECT_EQ(Found(c.text), "API_KEY/secret_assignment:" + c.value) << c.text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), "x " + c.text + " y", 11);
  }
}

TEST(SecretsTest, GenericAssignmentHardNegatives) {
  for (std::string_view text : {
           "password=<password>", "password=${PASSWORD}", "password=$PASSWORD",
           "password=***", "password=********", "password=changeme", "password=xxxxxxxx",
           "password=null", "password=true", "password=false", "password: required",
           "password: optional", "password=password", "the password is required",
           "Password: see the vault", "token=abc", "token=aaaaaaaaaaaa", "token=abcdefgh",
           "token: Authorization", "secret=your_secret_here", "api_key=YOUR-API-KEY",
           "password={{ db_password }}", "password=%(password)s", "PWD=/home/alice/projects",
           "password=os.environ[\"DB\"]", "tokens=Zx81Nv4Ty7Pw0Rk3", "token_type=Bearer12345",
           "request_id=100001 method=GET status=200", "monkey=Zx81Nv4Ty7Pw0Rk3",
           "password=[API_KEY]", "token=[REDACTED]", "password = getPassword()",
           "token = self.token", "secret=config.db.secret", "password:",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
}

TEST(SecretsTest, KeyColonValueInFreeText) {
  // YAML, HTTP headers, JSON or a Python dict quoted in a model's prose, log lines: ':' separates
  // the key from the value. The value alone is masked.
  const std::string aws = AwsSecret();
  const std::string pw = "S3cr3tP@ssw0rd!";
  const std::string tok = "Zx81Nv4Ty7Pw0Rk3";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"password: " + pw + "\n", "API_KEY/secret_assignment:" + pw},
      {"db:\n  user: app\n  password: " + pw + "\n", "API_KEY/secret_assignment:" + pw},
      {"aws_secret_access_key: " + aws, "AWS_ACCESS_KEY/aws_secret:" + aws},
      {"  api_key: '" + tok + "'\n", "API_KEY/secret_assignment:" + tok},
      {"secret:" + tok + " and more", "API_KEY/secret_assignment:" + tok},
      {"password:\t\t" + pw, "API_KEY/secret_assignment:" + pw},
      {"X-Api-Key: " + tok + "\r\n", "API_KEY/secret_assignment:" + tok},
      {R"(Use {"user": "bob", "password": ")" + pw + R"("} to log in.)",
       "API_KEY/secret_assignment:" + pw},
      {R"(args: {\"token\": \")" + tok + R"(\"})", "API_KEY/secret_assignment:" + tok},
      {"config = {'token': '" + tok + "'}", "API_KEY/secret_assignment:" + tok},
      {"level=info msg=login clientSecret: " + tok, "API_KEY/secret_assignment:" + tok},
      {"password: \"9correct horse battery\"", "API_KEY/secret_assignment:9correct horse battery"},
      {"AccountKey: " + Cycle(kAlnum, 80, 1) + "+/" + Cycle(kAlnum, 4, 2) + "==",
       "API_KEY/azure_storage:" + Cycle(kAlnum, 80, 1) + "+/" + Cycle(kAlnum, 4, 2) + "=="},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(Found(text), want) << text;
    EXPECT_EQ(Default()->Mask(text).find(want.substr(want.find(':') + 1)), std::string::npos)
        << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text + " x", 11);
  }
  // A finding before the ':' does not hide the value after it: the key is the value's context.
  EXPECT_EQ(Found("password=21.2token: " + tok),
            "API_KEY/secret_assignment:21.2token: API_KEY/secret_assignment:" + tok);
}

TEST(SecretsTest, KeyColonValueNearMisses) {
  for (const std::string text : {
           "Password: see the vault entry for this one", "token: 12345678", "token: 2024-01-01",
           "Secret: ${DB_PASSWORD}", "password: changeme1", "password: xxxxxxxx1",
           "password: <your-password-1>", "secret: os.environ[\"DB_PASSWORD\"]",
           "token: self.token_value", "token::value9abcdef", "api_key:=",
           "secret://host9/path", "time: 12:30:45", "Key: 0a1b2c3d", "token:\n  - 9x",
           "the secret: 42 apples", "password: getPassword9()",
       }) {
    EXPECT_EQ(Found(text), "") << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  }
}

TEST(SecretsTest, KeyColonValueRedTeamShapes) {
  // Found by a red-team pass through the real servers (each left the value raw before).
  const std::string v = "Xk9mP2vL7qR4";
  // Curly double quotes fold to two apostrophes: a doubled quote opens and closes the value.
  for (const std::string& text : {"password: \u201c" + v + "\u201d", "password=\u201c" + v + "\u201d",
                                 "\u201cpassword\u201d: " + v, "password: ''" + v + "''"}) {
    EXPECT_EQ(Default()->Mask(text).find(v), std::string::npos) << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  }
  // Spaces inside the quotes before the value.
  for (const std::string& text : {"password: \" " + v + "\"", R"({"password": "  )" + v + R"("})",
                                 "password=\" " + v + "\""}) {
    EXPECT_EQ(Found(text), "API_KEY/secret_assignment:" + v) << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  }
  // A run of zero-width spaces (about 1 KiB and more) between the key and the value: the stream
  // keeps the folded context, so it masks what one-shot masks.
  for (size_t zw : {size_t{338}, size_t{339}, size_t{2000}}) {
    std::string text = "password: ";
    for (size_t i = 0; i < zw; ++i) text += "\u200b";
    text += v + " and more";
    EXPECT_EQ(Default()->Mask(text).find(v), std::string::npos) << zw;
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{4096}}) {
      std::unique_ptr<MaskStream> st = Default()->NewStream();
      std::string got;
      for (size_t i = 0; i < text.size(); i += chunk) st->Write(text.substr(i, chunk), &got);
      got += st->Finish();
      EXPECT_EQ(got, Default()->Mask(text)) << zw << " " << chunk;
    }
  }
}

TEST(SecretsTest, AKeyInsideTheFindingBeforeStillNamesTheValueAfterIt) {
  // The first value runs to the backtick that opens the second one: its "password:" is the second
  // value's left context. One-shot checks for a value after "key: " where a finding ends inside a
  // span, as a stream does where it resumes (the mask fuzzer found them differing).
  const std::string text = "password:`S3cr3tP@ss1 password:`Xk9mP2vL7qR4` end";
  MaskerOptions with_terms;
  with_terms.terms.push_back({.name = "TERM", .terms = {"acme"}});  // spans split at whitespace only
  for (const std::shared_ptr<const Masker>& m : {Default(), *Masker::Create(with_terms)}) {
    EXPECT_EQ(Found(text, *m),
              "API_KEY/secret_assignment:S3cr3tP@ss1 password: API_KEY/secret_assignment:Xk9mP2vL7qR4");
    mask::testing::ExpectStreamEqualsOneShot(*m, text, 11);
  }
}

TEST(SecretsTest, WhatAKeyNamesWithoutBeingTheSecret) {
  // Whole dates and versions, lower-case paths, the next field after an empty value, a field of
  // an ARN.
  for (const std::string text : {
           "Token: 2024-01-01T12:00:00Z", "password: 2024-01-01T12:30:45Z", "token: v2.3.1-rc1",
           "token: 10.4.2+build7", "secret: /run/secrets/db_password",
           "secret: /etc/app/secret_2.key", "password= username=alice_smith9",
           "secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
       }) {
    EXPECT_EQ(Found(text), "") << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  }
  // ... but a secret that only starts like one of those is still a secret (a second red-team
  // pass), and so are URLs (a webhook or a credential URL is one) and names in capitals.
  for (const std::string text : {
           "password: S3cr3t:Pa55w0rd", "password: Xk9mPvL=7qR4", "token: alice:Xk9mP2vL7qR4",
           "INFO:root:password: Xk9mP2vL7qR4", "config/password: Xk9mP2vL7qR4",
           "password: /Xk9mP2vL7qR4", "password: 1.2-Xk9mP2vL7qR4", "password: v2.0-Xk9mP2vL7qR4",
           "password: 2024-01-01_Xk9mP2vL7qR4", "api_key: postgres://u:Xk9mP2vL7qR4@h/db",
           "token: https://hooks.acme.io/services/T0A1/B2C3/Xk9mP2vL7qR4",
           "password: CORRECT_HORSE_BATTERY_STAPLE", "secret_key: SECRET_KEY_ENV_VAR",
           R"({"password": "\"Xk9mP2vL7qR4\""})",
       }) {
    EXPECT_NE(Found(text), "") << text;
    mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  }
}

TEST(SecretsTest, KeyColonValueWhoseFirstWordHoldsNoTrigger) {
  // ':' is not a trigger (it would cost clean prose 23-32%): a value is found where its first word
  // holds one of the built-ins' trigger bytes (a digit, '_', '-', '@', 'A', 'J'). An all-letter
  // value is left standing, in one-shot and in a stream alike (docs/masking.md).
  EXPECT_EQ(Found("password: XkqZpLmWvRtYbNcQ"), "");
  mask::testing::ExpectStreamEqualsOneShot(*Default(), "password: XkqZpLmWvRtYbNcQ 9", 11);
  EXPECT_EQ(Found("password: XkqZpLmW_vRtYbNcQ"), "API_KEY/secret_assignment:XkqZpLmW_vRtYbNcQ");
}

TEST(SecretsTest, KeyColonValueThroughAFoldedColon) {
  // A fullwidth colon (U+FF1A) and an ideographic space (U+3000) read as ':' and ' '.
  const std::string text = "password\xEF\xBC\x9A\xE3\x80\x80S3cr3tP@ssw0rd! ok";
  EXPECT_EQ(Default()->Mask(text), "password\xEF\xBC\x9A\xE3\x80\x80[API_KEY] ok");
  mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
  const std::string later = "password\xEF\xBC\x9A S3cr3tP@ssw0rd! ok";
  EXPECT_EQ(Default()->Mask(later), "password\xEF\xBC\x9A [API_KEY] ok");
  mask::testing::ExpectStreamEqualsOneShot(*Default(), later, 11);
}

TEST(SecretsTest, ADedicatedDetectorKeepsItsValue) {
  // A JWT, a vendor key or an AWS key id after "token=" keeps its own entity and rule.
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
      "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  EXPECT_EQ(Found("access_token=" + jwt), "JWT/jwt:" + jwt);
  const std::string ghp = "ghp_" + Cycle(kAlnum, 36);
  EXPECT_EQ(Found("GITHUB_TOKEN=" + ghp), "API_KEY/github:" + ghp);
  EXPECT_EQ(Found("aws_key=AKIAIOSFODNN7EXAMPLE"), "AWS_ACCESS_KEY/aws:AKIAIOSFODNN7EXAMPLE");
}

TEST(SecretsTest, AzureClientSecretAfterAKeyName) {
  // gitleaks' azure-ad-client-secret shape: 3 of [A-Za-z0-9_~.], a digit, "Q~", 31-34 more.
  for (const std::string& v : {"abc8Q~" + Cycle(kAlnum, 27) + "_~.-", "x.Y7Q~" + Cycle(kAlnum, 31, 6),
                               "Ab_1Q~" + Cycle(kAlnum, 34, 2)}) {
    for (const std::string& text :
         {"AZURE_CLIENT_SECRET=" + v, "client_secret = " + v, "clientSecret='" + v + "'"}) {
      EXPECT_EQ(Found(text), "API_KEY/azure:" + v) << text;
      mask::testing::ExpectStreamEqualsOneShot(*Default(), text + "\n", 11);
    }
  }
}

TEST(SecretsTest, AzureStorageAccountKey) {
  const std::string key = Cycle(kAlnum, 80, 1) + "+/" + Cycle(kAlnum, 4, 2) + "==";
  ASSERT_EQ(key.size(), 88u);
  const std::string conn = "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=" + key +
                           ";EndpointSuffix=core.windows.net";
  EXPECT_EQ(Found(conn), "API_KEY/azure_storage:" + key);
  EXPECT_EQ(Default()->Mask(conn), Replaced(conn, key, "[API_KEY]"));
  mask::testing::ExpectStreamEqualsOneShot(*Default(), conn, 11);
  EXPECT_EQ(Found("AccountKey=" + key.substr(0, 86) + "=;"), "");  // one '=' short
  EXPECT_EQ(Found("AccountKey: " + key), "API_KEY/azure_storage:" + key);
}

TEST(SecretsTest, KeyValueInsideAJsonStringThroughMaskJson) {
  const std::string doc = R"({"env":["AWS_SECRET_ACCESS_KEY=)" + AwsSecret() +
                          R"(","DB_PASSWORD=S3cr3tP@ssw0rd!","password=changeme"]})";
  absl::StatusOr<std::string> out = Default()->MaskJson(doc);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            R"({"env":["AWS_SECRET_ACCESS_KEY=[AWS_ACCESS_KEY]","DB_PASSWORD=[API_KEY]","password=changeme"]})");
}


TEST(SecretsTest, EveryStyleReplacesTheValueOnly) {
  const std::string text = "DB_PASSWORD=S3cr3tP@ssw0rd! next";
  auto with = [](MaskStyle style) {
    MaskerOptions o;
    o.style = style;
    o.hash_key = SecretBytes("key-one-0123456789");
    return *Masker::Create(std::move(o));
  };
  EXPECT_EQ(with(MaskStyle::kRedact)->Mask(text), "DB_PASSWORD=*************** next");
  EXPECT_EQ(with(MaskStyle::kPartial)->Mask(text), "DB_PASSWORD=***********0rd! next");
  const std::string hashed = with(MaskStyle::kHash)->Mask(text);
  EXPECT_EQ(hashed.rfind("DB_PASSWORD=[API_KEY:", 0), 0u) << hashed;
  for (MaskStyle style : {MaskStyle::kRedact, MaskStyle::kPartial, MaskStyle::kHash}) {
    mask::testing::ExpectStreamEqualsOneShot(*with(style), "a " + text + " b", 11);
  }
}

TEST(SecretsTest, AllowlistedValueStays) {
  MaskerOptions o;
  o.allowlist = {"S3cr3tP@ssw0rd!"};
  auto m = *Masker::Create(std::move(o));
  EXPECT_EQ(m->Mask("DB_PASSWORD=S3cr3tP@ssw0rd!"), "DB_PASSWORD=S3cr3tP@ssw0rd!");
}

}  // namespace
}  // namespace jitguard

namespace jitguard {
namespace {

// A structured body has no '=' between a member's name and its value: a secret under its key name
// is masked whole by the walker (MaskJson, request bodies, non-streamed responses and the tool
// arguments in them), with the same value checks as `key="value"` in text.
TEST(SecretsTest, MemberNamesInStructuredBodies) {
  const Masker& m = *Default();
  const struct {
    const char* doc;
    const char* want;
  } cases[] = {
      {R"({"password":"Xk9mP2vL7qR4"})", R"({"password":"[API_KEY]"})"},
      {R"({"db":{"DB_PASSWORD":"Xk9mP2vL7qR4","port":5432}})",
       R"({"db":{"DB_PASSWORD":"[API_KEY]","port":5432}})"},
      {R"({"clientSecret":"Q2r8vT5wX1zB7nM4kL0p"})", R"({"clientSecret":"[API_KEY]"})"},
      {R"({"aws_secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9A3bLk2d"})",
       R"({"aws_secret_access_key":"[AWS_ACCESS_KEY]"})"},
      // Placeholders, short or low-entropy values, other names and array elements stay.
      {R"({"password":"changeme"})", R"({"password":"changeme"})"},
      {R"({"password":"${DB_PASSWORD}"})", R"({"password":"${DB_PASSWORD}"})"},
      {R"({"token":"abc"})", R"({"token":"abc"})"},
      {R"({"note":"Xk9mP2vL7qR4"})", R"({"note":"Xk9mP2vL7qR4"})"},
      {R"({"passwords":["Xk9mP2vL7qR4"]})", R"({"passwords":["Xk9mP2vL7qR4"]})"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> out = m.MaskJson(c.doc);
    ASSERT_TRUE(out.ok()) << c.doc;
    EXPECT_EQ(*out, c.want) << c.doc;
  }
  // A JWT under "token" keeps its own entity.
  absl::StatusOr<std::string> jwt = m.MaskJson(
      R"({"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmVfMTIzNDU2"})");
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(*jwt, R"({"token":"[JWT]"})");
  // Off with API_KEY.
  MaskerOptions o;
  o.entities = std::vector<std::string>{"EMAIL"};
  absl::StatusOr<std::string> off = (*Masker::Create(std::move(o)))->MaskJson(cases[0].doc);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, cases[0].doc);
}

TEST(SecretsTest, MemberNamesInToolArgumentsOfAResponse) {
  const std::string body =
      R"({"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1",)"
      R"("type":"function","function":{"name":"login","arguments":)"
      R"("{\"user\":\"bob\",\"password\":\"Xk9mP2vL7qR4\"}"}}]},"finish_reason":"tool_calls"}]})";
  auto s = Default()->NewResponseStream(ResponseFraming::kJson);
  absl::StatusOr<std::string> a = s->Write(body);
  ASSERT_TRUE(a.ok());
  absl::StatusOr<std::string> b = s->Finish();
  ASSERT_TRUE(b.ok());
  const std::string out = *a + *b;
  EXPECT_EQ(out.find("Xk9mP2vL7qR4"), std::string::npos) << out;
  EXPECT_NE(out.find("[API_KEY]"), std::string::npos) << out;
}

}  // namespace
}  // namespace jitguard
