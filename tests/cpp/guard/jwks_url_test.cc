// Guard with `tokens.jwks_url`: the keys come from a real HTTPS server on loopback
// (`openssl s_server -WWW` with a certificate made for the test, trusted through tokens.ca_file);
// the rest of the Guard is the real thing (policy, grants, audit file).
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/guard.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"
#include "lib/base/strings.h"
#include "tests/cpp/testing/https_server.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kSecret1[] = "0123456789abcdef0123456789abcdef-k1-test-only";
constexpr char kSecret2[] = "fedcba9876543210fedcba9876543210-k2-rotated";

constexpr char kPolicy[] = R"({"version": 1,
  "rules": [{"id": "ds", "effect": "permit", "groups": ["data-scientists"],
             "datasets": ["claims"], "operations": ["infer"]}]})";

std::string OctKey(std::string_view kid, std::string_view secret) {
  return base::Cat(R"({"kty":"oct","kid":")", kid, R"(","alg":"HS256","k":")",
                   base::Base64UrlEncode(secret), "\"}");
}

std::string Token(std::string_view kid, std::string_view secret) {
  std::string header =
      base::Base64UrlEncode(base::Cat(R"({"alg":"HS256","typ":"JWT","kid":")", kid, "\"}"));
  int64_t t = absl::ToUnixSeconds(kNow);
  std::string payload = base::Base64UrlEncode(
      base::Cat(R"({"iss":"https://idp.test","aud":"inference","sub":"alice",)",
                R"("groups":["data-scientists"],"iat":)", t, R"(,"exp":)", t + 600, "}"));
  std::string input = base::Cat(header, ".", payload);
  return base::Cat(input, ".", base::Base64UrlEncode(base::Hmac(secret, input)));
}

class GuardJwksUrlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("jitguard-guard-certs-");
    ASSERT_TRUE(dir.ok());
    absl::StatusOr<testing::TestCertificate> cert =
        testing::MakeSelfSignedCertificate(*dir, "idp", {"127.0.0.1"});
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = new testing::TestCertificate(*cert);
    certs_dir_ = new std::string(*dir);
  }

  static void TearDownTestSuite() {
    std::error_code ignored;
    if (certs_dir_ != nullptr) std::filesystem::remove_all(*certs_dir_, ignored);
  }

  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  void SetUp() override {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("guard_jwks_url_test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    std::ofstream(dir_ + "/policy.json") << kPolicy;
    absl::StatusOr<std::unique_ptr<testing::FileServer>> server =
        testing::FileServer::Start(testing::FileServer::Kind::kHttps, *cert_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(Publish({OctKey("k1", kSecret1)}).ok());
  }

  absl::Status Publish(const std::vector<std::string>& keys) {
    std::string jwks = "{\"keys\":[";
    for (size_t i = 0; i < keys.size(); ++i) base::Append(&jwks, i ? "," : "", keys[i]);
    return server_->Publish("jwks.json", jwks + "]}");
  }

  // A config whose tokens section is {"jwks_url": <url>, <extra>, issuer, audience}.
  std::string Config(const std::string& url, const std::string& extra = "") {
    return base::Cat(R"({"tokens": {"jwks_url": ")", url, "\", ", extra, extra.empty() ? "" : ", ",
                     R"("issuer": "https://idp.test", "audience": "inference"},
      "policy": {"file": "policy.json"},
      "grants": {"signing_key": "grant-secret-0123456789abcdef0123456789"},
      "audit": {"file": "audit.jsonl", "fsync": "never"}})");
  }
  std::string CaFile() { return base::Cat("\"ca_file\": \"", cert_->cert_file, "\""); }

  AdmitRequest Request(std::string token) {
    AdmitRequest r;
    r.bearer_token = std::move(token);
    r.model = "support-llm";
    r.dataset = "claims";
    return r;
  }

  static testing::TestCertificate* cert_;
  static std::string* certs_dir_;
  std::string dir_;
  std::unique_ptr<testing::FileServer> server_;
};

testing::TestCertificate* GuardJwksUrlTest::cert_ = nullptr;
std::string* GuardJwksUrlTest::certs_dir_ = nullptr;

TEST_F(GuardJwksUrlTest, GuardFromJsonWithJwksUrlAdmitsAToken) {
  absl::StatusOr<std::shared_ptr<Guard>> g =
      Guard::FromConfigJson(Config(server_->Url("jwks.json"), CaFile()), dir_);
  ASSERT_TRUE(g.ok()) << g.status();
  absl::StatusOr<Admission> adm = (*g)->Admit(Request(Token("k1", kSecret1)), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  EXPECT_EQ(adm->identity.subject, "alice");
  EXPECT_FALSE(adm->grant.empty());
  // A token of a key the provider never published stays unknown.
  EXPECT_EQ(ErrorReason((*g)->Admit(Request(Token("k9", kSecret2)), kNow).status()), "unknown_key");
}

TEST_F(GuardJwksUrlTest, ATokenOfARotatedKeyIsAdmittedAfterTheUnknownKidRefresh) {
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(
      Config(server_->Url("jwks.json"), CaFile() + R"(, "min_refresh_interval": 0)"), dir_);
  ASSERT_TRUE(g.ok()) << g.status();
  const std::string token = Token("k2", kSecret2);
  // Not published yet: fetched, still unknown.
  EXPECT_EQ(ErrorReason((*g)->Admit(Request(token), kNow).status()), "unknown_key");
  // The provider rotates k2 in; the next k2 token makes the Guard fetch and admit it.
  ASSERT_TRUE(Publish({OctKey("k1", kSecret1), OctKey("k2", kSecret2)}).ok());
  absl::StatusOr<Admission> adm = (*g)->Admit(Request(token), kNow);
  ASSERT_TRUE(adm.ok()) << adm.status();
  // The server is gone now: both keys stay in use.
  server_->Stop();
  EXPECT_TRUE((*g)->Admit(Request(token), kNow).ok());
  EXPECT_TRUE((*g)->Admit(Request(Token("k1", kSecret1)), kNow).ok());
  EXPECT_EQ(ErrorReason((*g)->Admit(Request(Token("k9", kSecret2)), kNow).status()), "unknown_key");
  EXPECT_THAT((*g)->MetricsText(),
              HasSubstr("jitguard_token_rejections_total{reason=\"unknown_key\"} 2"));
}

TEST_F(GuardJwksUrlTest, ConcurrentRequestsWithARotatedKeyAreAllAdmitted) {
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(
      Config(server_->Url("jwks.json"), CaFile() + R"(, "min_refresh_interval": 0)"), dir_);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(Publish({OctKey("k1", kSecret1), OctKey("k2", kSecret2)}).ok());
  const std::string token = Token("k2", kSecret2);
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = (*g)->Admit(Request(token), kNow).status();
    });
  }
  for (std::thread& t : threads) t.join();
  // Each thread either fetched the new set itself or waited for a fetch in flight, then verified
  // again once the new keys were installed.
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
}

TEST_F(GuardJwksUrlTest, TheUnknownKidRefreshIsRateLimited) {
  // min_refresh_interval defaults to 30 s: the first unknown kid after the start fetches nothing
  // (the start was the last fetch), so a key published meanwhile waits for the interval.
  absl::StatusOr<std::shared_ptr<Guard>> g =
      Guard::FromConfigJson(Config(server_->Url("jwks.json"), CaFile()), dir_);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(Publish({OctKey("k1", kSecret1), OctKey("k2", kSecret2)}).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ErrorReason((*g)->Admit(Request(Token("k2", kSecret2)), kNow).status()),
              "unknown_key");
  }
  // UpdateKeys still works by hand.
  ASSERT_TRUE((*g)->UpdateKeys(base::Cat("{\"keys\":[", OctKey("k2", kSecret2), "]}")).ok());
  EXPECT_TRUE((*g)->Admit(Request(Token("k2", kSecret2)), kNow).ok());
}

// Polls `admitted` until it holds or 20 s pass (the background refresh runs on its own time).
bool Eventually(const std::function<bool()>& admitted) {
  const absl::Time end = absl::Now() + absl::Seconds(20);
  while (!admitted()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

TEST_F(GuardJwksUrlTest, PeriodicRefreshInTheBackgroundAndTheLastGoodKeysWhenTheServerIsDown) {
  absl::StatusOr<std::shared_ptr<Guard>> g = Guard::FromConfigJson(
      Config(server_->Url("jwks.json"),
             CaFile() + R"(, "refresh_interval": 0.2, "min_refresh_interval": 30)"),
      dir_);
  ASSERT_TRUE(g.ok()) << g.status();
  // The provider replaces k1 by k2: the background thread fetches the new set after
  // refresh_interval, without a request asking (the unknown-kid refresh is rate-limited to 30 s,
  // so only the periodic refresh can bring k2 in).
  ASSERT_TRUE(Publish({OctKey("k2", kSecret2)}).ok());
  EXPECT_TRUE(Eventually([&] { return (*g)->Admit(Request(Token("k2", kSecret2)), kNow).ok(); }));
  EXPECT_EQ(ErrorReason((*g)->Admit(Request(Token("k1", kSecret1)), kNow).status()), "unknown_key");
  // The server goes down: refreshes fail, the last good keys stay.
  server_->Stop();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE((*g)->Admit(Request(Token("k2", kSecret2)), kNow).ok());
  // A JWKS without a usable key is not installed either.
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(
      server_->Publish("jwks.json", R"({"keys":[{"kty":"oct","kid":"k3","k":"AA"}]})").ok());
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE((*g)->Admit(Request(Token("k2", kSecret2)), kNow).ok());
}

TEST_F(GuardJwksUrlTest, ConfigErrorsNameTheKey) {
  auto error = [&](const std::string& config) {
    return Guard::FromConfigJson(config, dir_).status();
  };
  // Plain http off loopback: refused at config time, before any fetch.
  absl::Status s = error(Config("http://idp.example/jwks.json?tenant=secret-query"));
  EXPECT_EQ(ErrorReason(s), "bad_url");
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kConfig);
  EXPECT_THAT(std::string(s.message()), StartsWith("tokens.jwks_url: "));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("secret-query")));
  EXPECT_EQ(ErrorReason(error(Config("ftp://127.0.0.1/jwks.json"))), "bad_url");
  // Fail closed: no Guard without keys. The reason says why; no URL in the message.
  server_->Stop();
  s = error(Config(server_->Url("jwks.json?tenant=secret-query"), CaFile()));
  EXPECT_EQ(ErrorReason(s), "jwks_unavailable");
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kConfig);
  EXPECT_EQ(std::string(s.message()),
            "tokens.jwks_url: the JWKS could not be fetched (connection failed)");
  ASSERT_TRUE(server_->Restart().ok());
  // Without the CA file the test certificate is not trusted.
  s = error(Config(server_->Url("jwks.json")));
  EXPECT_EQ(ErrorReason(s), "jwks_unavailable");
  EXPECT_THAT(std::string(s.message()), HasSubstr("certificate verify failed"));
  EXPECT_EQ(ErrorReason(error(Config(server_->Url("jwks.json"), R"("ca_file": "missing.pem")"))),
            "unreadable_file");
  EXPECT_THAT(
      std::string(
          error(Config(server_->Url("jwks.json"), R"("ca_file": "missing.pem")")).message()),
      StartsWith("tokens.ca_file: "));
  // Option values.
  for (const char* bad : {R"("refresh_interval": 0)", R"("min_refresh_interval": -1)",
                          R"("timeout": "5")", R"("max_bytes": 10)", R"("max_bytes": 2048.5)"}) {
    s = error(Config(server_->Url("jwks.json"), CaFile() + ", " + bad));
    EXPECT_EQ(ErrorReason(s), "bad_value") << bad;
    std::string key(bad + 1, std::string_view(bad + 1).find('"'));
    EXPECT_THAT(std::string(s.message()), StartsWith("tokens." + key + ": ")) << bad;
  }
  // The fetcher's options belong to jwks_url; jwks_url excludes the other sources.
  std::string inline_jwks = R"({"tokens": {"jwks": {"keys": []}, "refresh_interval": 60, )"
                            R"("issuer": "https://idp.test", "audience": "inference"},
      "policy": {"file": "policy.json"}, "grants": {"signing_key": "grant-secret-0123456789abcdef"},
      "audit": {"file": "audit.jsonl"}})";
  s = error(inline_jwks);
  EXPECT_EQ(ErrorReason(s), "conflicting_keys");
  EXPECT_THAT(std::string(s.message()), StartsWith("tokens.refresh_interval: "));
  std::string both = Config(server_->Url("jwks.json"), R"("jwks_file": "jwks.json")");
  EXPECT_EQ(ErrorReason(error(both)), "conflicting_keys");
  // One key source: jwks_url and GuardOptions::key_source are not combined.
  GuardOptions options;
  options.key_source = KeySource::StaticJwks(base::Cat("{\"keys\":[", OctKey("k1", kSecret1), "]}"));
  s = Guard::FromConfigJson(Config(server_->Url("jwks.json"), CaFile()), dir_, options).status();
  EXPECT_EQ(ErrorReason(s), "conflicting_keys");
  EXPECT_THAT(std::string(s.message()), StartsWith("tokens.jwks_url: "));
}

}  // namespace
}  // namespace jitguard
