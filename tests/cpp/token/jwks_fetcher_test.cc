// JwksFetcher against real servers on loopback: `openssl s_server -WWW` with a certificate made for
// the test (HTTPS), and `python3 -m http.server` (plain HTTP, loopback only). Refresh timing runs
// on an injected clock; the network is real.
#include "lib/token/jwks_fetcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "tests/cpp/testing/https_server.h"
#include "tests/cpp/token/token_testing.h"

namespace jitguard::token {
namespace {

using ::jitguard::testing::FileServer;
using ::jitguard::testing::MakeSelfSignedCertificate;
using ::jitguard::testing::MakeTempDir;
using ::jitguard::testing::TestCertificate;
using testing::Claims;
using ::testing::HasSubstr;
using testing::MakeSigner;
using ::testing::Not;
using testing::Signer;

// A clock the test moves by hand.
struct FakeClock {
  absl::Time t = absl::FromUnixSeconds(1000);
  std::function<absl::Time()> Fn() {
    return [this] { return t; };
  }
};

std::string JwksOf(const std::vector<const Signer*>& signers) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < signers.size(); ++i)
    absl::StrAppend(&out, i ? "," : "", signers[i]->Jwk());
  return out + "]}";
}

class JwksFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> dir = MakeTempDir("jitguard-certs-");
    ASSERT_TRUE(dir.ok());
    certs_dir_ = new std::string(*dir);
    absl::StatusOr<TestCertificate> good =
        MakeSelfSignedCertificate(*dir, "loopback", {"127.0.0.1", "localhost"});
    ASSERT_TRUE(good.ok()) << good.status();
    absl::StatusOr<TestCertificate> other =
        MakeSelfSignedCertificate(*dir, "other", {"other.example"});
    ASSERT_TRUE(other.ok()) << other.status();
    good_cert_ = new TestCertificate(*good);
    other_cert_ = new TestCertificate(*other);
    k1_ = new Signer(MakeSigner(testing::Keys().p256, Algorithm::kES256, "k1"));
    k2_ = new Signer(MakeSigner(testing::GeneratePrivatePem("P-256"), Algorithm::kES256, "k2"));
  }

  static void TearDownTestSuite() {
    std::error_code ignored;
    if (certs_dir_ != nullptr) std::filesystem::remove_all(*certs_dir_, ignored);
  }

  std::unique_ptr<FileServer> StartHttps(const TestCertificate& cert) {
    absl::StatusOr<std::unique_ptr<FileServer>> s =
        FileServer::Start(FileServer::Kind::kHttps, cert);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::unique_ptr<FileServer> StartHttp() {
    absl::StatusOr<std::unique_ptr<FileServer>> s = FileServer::Start(FileServer::Kind::kHttp);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  JwksFetcherOptions Options(std::string url) {
    JwksFetcherOptions o;
    o.url = std::move(url);
    o.ca_file = good_cert_->cert_file;
    o.clock = clock_.Fn();
    o.timeout = absl::Seconds(5);
    return o;
  }

  std::unique_ptr<JwksFetcher> Make(JwksFetcherOptions o) {
    absl::StatusOr<std::unique_ptr<JwksFetcher>> f = JwksFetcher::Create(std::move(o));
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *std::move(f) : nullptr;
  }

  static std::string* certs_dir_;
  static TestCertificate* good_cert_;
  static TestCertificate* other_cert_;
  static Signer* k1_;
  static Signer* k2_;
  FakeClock clock_;
};

std::string* JwksFetcherTest::certs_dir_ = nullptr;
TestCertificate* JwksFetcherTest::good_cert_ = nullptr;
TestCertificate* JwksFetcherTest::other_cert_ = nullptr;
Signer* JwksFetcherTest::k1_ = nullptr;
Signer* JwksFetcherTest::k2_ = nullptr;

TEST_F(JwksFetcherTest, FirstFetchOverHttpsFeedsAVerifier) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string jwks = JwksOf({k1_});
  ASSERT_TRUE(server->Publish("jwks.json", jwks).ok());
  std::unique_ptr<JwksFetcher> f = Make(Options(server->Url("jwks.json")));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Current().version, 0u);  // Create fetches nothing
  absl::StatusOr<JwksFetcher::Keys> keys = f->Get();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, jwks);
  EXPECT_EQ(keys->version, 1u);
  EXPECT_EQ(f->fetches(), 1u);
  EXPECT_EQ(f->last_error(), "");
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v =
      TokenVerifier::Create(testing::BaseOptions(keys->jwks));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->Verify(k1_->Mint(Claims()), testing::Now()).ok());
  // Fresh keys are served from memory.
  ASSERT_TRUE(f->Get().ok());
  f->Poll();
  EXPECT_EQ(f->fetches(), 1u);
  // "localhost" is a name on the certificate too (SNI + host name check).
  JwksFetcherOptions by_name =
      Options(absl::StrCat("https://localhost:", server->port(), "/jwks.json"));
  std::unique_ptr<JwksFetcher> named = Make(by_name);
  ASSERT_NE(named, nullptr);
  EXPECT_TRUE(named->Get().ok()) << named->last_error();
}

TEST_F(JwksFetcherTest, UnknownKidRefreshPicksUpARotationAndIsRateLimited) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetcherOptions o = Options(server->Url("jwks.json"));
  o.min_refresh_interval = absl::Seconds(30);
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Get().ok());
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v =
      TokenVerifier::Create(testing::BaseOptions(f->Current().jwks));
  ASSERT_TRUE(v.ok());
  const std::string token = k2_->Mint(Claims());
  EXPECT_EQ(ErrorReason((*v)->Verify(token, testing::Now()).status()), "unknown_key");

  // The provider rotates k2 in; within 30 s of the last fetch the unknown-kid refresh is refused.
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_, k2_})).ok());
  clock_.t += absl::Seconds(10);
  EXPECT_FALSE(f->RefreshForUnknownKid());
  EXPECT_EQ(f->fetches(), 1u);
  clock_.t += absl::Seconds(21);
  EXPECT_TRUE(f->RefreshForUnknownKid());
  EXPECT_EQ(f->fetches(), 2u);
  JwksFetcher::Keys keys = f->Current();
  EXPECT_EQ(keys.version, 2u);
  ASSERT_TRUE((*v)->UpdateKeys(keys.jwks).ok());
  EXPECT_TRUE((*v)->Verify(token, testing::Now()).ok());

  // A flood of made-up kids: one fetch per interval, and an unchanged JWKS is no new version.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(f->RefreshForUnknownKid());
  EXPECT_EQ(f->fetches(), 2u);
  clock_.t += absl::Seconds(31);
  EXPECT_FALSE(f->RefreshForUnknownKid());
  EXPECT_EQ(f->fetches(), 3u);
  EXPECT_EQ(f->Current().version, 2u);
  // Refresh() is not rate-limited.
  EXPECT_FALSE(f->Refresh());
  EXPECT_EQ(f->fetches(), 4u);
}

TEST_F(JwksFetcherTest, PeriodicRefreshAfterRefreshInterval) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetcherOptions o = Options(server->Url("jwks.json"));
  o.refresh_interval = absl::Seconds(60);
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Get().ok());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  clock_.t += absl::Seconds(59);
  f->Poll();
  EXPECT_EQ(f->fetches(), 1u);
  clock_.t += absl::Seconds(1);
  f->Poll();
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current().jwks, JwksOf({k2_}));
}

TEST_F(JwksFetcherTest, ServerDownKeepsTheLastGoodKeys) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string jwks = JwksOf({k1_});
  ASSERT_TRUE(server->Publish("jwks.json", jwks).ok());
  JwksFetcherOptions o = Options(server->Url("jwks.json"));
  o.refresh_interval = absl::Seconds(60);
  o.min_refresh_interval = absl::Seconds(5);
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Get().ok());

  server->Stop();
  clock_.t += absl::Seconds(120);  // due for a periodic refresh, which fails
  f->Poll();
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->last_error(), "connection failed");
  absl::StatusOr<JwksFetcher::Keys> keys = f->Get();  // still due, but rate-limited: no fetch
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, jwks);
  EXPECT_EQ(f->fetches(), 2u);
  clock_.t += absl::Seconds(5);
  f->Poll();  // failing fetches are retried at most once per min_refresh_interval
  EXPECT_EQ(f->fetches(), 3u);
  EXPECT_EQ(f->Current().jwks, jwks);

  // A JSON answer that is not a JWKS is a failed fetch too.
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(server->Publish("jwks.json", R"({"issuer":"x"})").ok());
  clock_.t += absl::Seconds(5);
  f->Poll();
  EXPECT_EQ(f->last_error(), "the response is not a JWKS");
  EXPECT_EQ(f->Current().jwks, jwks);

  // Recovery.
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  clock_.t += absl::Seconds(5);
  f->Poll();
  EXPECT_EQ(f->last_error(), "");
  EXPECT_EQ(f->Current().jwks, JwksOf({k2_}));
}

TEST_F(JwksFetcherTest, FailsClosedWhenThereNeverWereKeys) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string url = server->Url("jwks.json?tenant=secret-query-value");
  server->Stop();
  std::unique_ptr<JwksFetcher> f = Make(Options(url));
  ASSERT_NE(f, nullptr);
  absl::StatusOr<JwksFetcher::Keys> keys = f->Get();
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(ErrorReason(keys.status()), "jwks_unavailable");
  EXPECT_EQ(GetErrorDomain(keys.status()), ErrorDomain::kToken);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(keys.status().message(), HasSubstr("connection failed"));
  EXPECT_THAT(keys.status().message(), Not(HasSubstr("secret-query-value")));
  EXPECT_THAT(keys.status().message(), Not(HasSubstr("127.0.0.1")));
  // Every use retries (there is nothing to serve), each a failure.
  EXPECT_FALSE(f->Get().ok());
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current().version, 0u);

  // A server that answers 404 is no better.
  std::unique_ptr<FileServer> http = StartHttp();
  ASSERT_NE(http, nullptr);
  std::unique_ptr<JwksFetcher> missing = Make(Options(http->Url("missing.json?secret-query")));
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(ErrorReason(missing->Get().status()), "jwks_unavailable");
  EXPECT_EQ(missing->last_error(), "HTTP 404");
}

TEST_F(JwksFetcherTest, OversizeResponsesAreRefused) {
  const std::string big = absl::StrCat(R"({"keys":[],"pad":")", std::string(4096, 'x'), "\"}");
  // s_server sends no Content-Length: the body is counted as it arrives.
  std::unique_ptr<FileServer> https = StartHttps(*good_cert_);
  ASSERT_NE(https, nullptr);
  ASSERT_TRUE(https->Publish("big.json", big).ok());
  JwksFetcherOptions o = Options(https->Url("big.json"));
  o.max_bytes = 1024;
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(ErrorReason(f->Get().status()), "jwks_unavailable");
  EXPECT_EQ(f->last_error(), "response larger than 1024 bytes");
  // With the limit raised the same document is accepted.
  o.max_bytes = 8192;
  std::unique_ptr<JwksFetcher> roomy = Make(o);
  ASSERT_NE(roomy, nullptr);
  EXPECT_TRUE(roomy->Get().ok()) << roomy->last_error();

  // http.server sends Content-Length: OpenSSL refuses before reading the body.
  std::unique_ptr<FileServer> http = StartHttp();
  ASSERT_NE(http, nullptr);
  ASSERT_TRUE(http->Publish("big.json", big).ok());
  JwksFetcherOptions p = Options(http->Url("big.json"));
  p.max_bytes = 1024;
  std::unique_ptr<JwksFetcher> g = Make(p);
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(g->Get().ok());
  EXPECT_EQ(g->last_error(), "response larger than 1024 bytes");
}

TEST_F(JwksFetcherTest, UntrustedOrMisnamedCertificatesAreRefused) {
  // Self-signed and not in the system store: without ca_file it is not trusted.
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetcherOptions o = Options(server->Url("jwks.json"));
  o.ca_file = "";
  std::unique_ptr<JwksFetcher> untrusted = Make(o);
  ASSERT_NE(untrusted, nullptr);
  EXPECT_EQ(ErrorReason(untrusted->Get().status()), "jwks_unavailable");
  EXPECT_THAT(untrusted->last_error(), HasSubstr("certificate verify failed"));
  // Trusting another certificate does not help either.
  o.ca_file = other_cert_->cert_file;
  std::unique_ptr<JwksFetcher> wrong_anchor = Make(o);
  ASSERT_NE(wrong_anchor, nullptr);
  EXPECT_FALSE(wrong_anchor->Get().ok());
  EXPECT_THAT(wrong_anchor->last_error(), HasSubstr("certificate verify failed"));

  // A trusted certificate for another name (other.example served at 127.0.0.1): refused.
  std::unique_ptr<FileServer> impostor = StartHttps(*other_cert_);
  ASSERT_NE(impostor, nullptr);
  ASSERT_TRUE(impostor->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetcherOptions p = Options(impostor->Url("jwks.json"));
  p.ca_file = other_cert_->cert_file;
  std::unique_ptr<JwksFetcher> misnamed = Make(p);
  ASSERT_NE(misnamed, nullptr);
  EXPECT_FALSE(misnamed->Get().ok());
  EXPECT_EQ(misnamed->last_error(), "certificate verify failed: IP address mismatch");
  EXPECT_EQ(misnamed->Current().version, 0u);

  // An unreadable CA file is a configuration error.
  JwksFetcherOptions q = Options(server->Url("jwks.json"));
  q.ca_file = *certs_dir_ + "/nonexistent.pem";
  EXPECT_EQ(ErrorReason(JwksFetcher::Create(q).status()), "bad_ca_file");
}

TEST_F(JwksFetcherTest, TransportRulesAtConfigTime) {
  EXPECT_TRUE(CheckJwksUrl("https://idp.example/.well-known/jwks.json").ok());
  EXPECT_TRUE(CheckJwksUrl("https://idp.example:8443/keys?appid=1").ok());
  EXPECT_TRUE(CheckJwksUrl("http://127.0.0.1:8080/jwks.json").ok());
  EXPECT_TRUE(CheckJwksUrl("http://localhost/jwks.json").ok());
  EXPECT_TRUE(CheckJwksUrl("http://[::1]:8080/jwks.json").ok());
  for (const char* bad :
       {"http://idp.example/jwks.json", "http://10.0.0.1/jwks.json", "http://127.example.com/j",
        "ftp://127.0.0.1/jwks.json", "idp.example/jwks.json", "https:///jwks.json",
        "https://user:pw@idp.example/jwks.json", "https://idp.example/a b", ""}) {
    absl::Status s = CheckJwksUrl(bad);
    EXPECT_EQ(ErrorReason(s), "bad_url") << bad;
    EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kConfig) << bad;
    EXPECT_THAT(s.message(), Not(HasSubstr("pw"))) << bad;
  }
  JwksFetcherOptions o;
  o.url = "http://idp.example/jwks.json";
  EXPECT_EQ(ErrorReason(JwksFetcher::Create(o).status()), "bad_url");
  o.url = "";
  EXPECT_EQ(ErrorReason(JwksFetcher::Create(o).status()), "bad_value");  // neither url nor issuer
  o.url = "https://idp.example/jwks.json";
  o.issuer = "https://idp.example";
  EXPECT_EQ(ErrorReason(JwksFetcher::Create(o).status()), "bad_value");  // both
  o.issuer = "";
  o.timeout = absl::ZeroDuration();
  EXPECT_EQ(ErrorReason(JwksFetcher::Create(o).status()), "bad_value");
}

TEST_F(JwksFetcherTest, PlainHttpOnLoopbackWithAQueryAndNoRedirects) {
  std::unique_ptr<FileServer> server = StartHttp();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  ASSERT_TRUE(server->Publish("sub/jwks.json", JwksOf({k2_})).ok());
  std::unique_ptr<JwksFetcher> f = Make(Options(server->Url("jwks.json?v=1")));
  ASSERT_NE(f, nullptr);
  absl::StatusOr<JwksFetcher::Keys> keys = f->Get();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, JwksOf({k1_}));
  // http.server answers "/sub" with a redirect to "/sub/": never followed.
  std::unique_ptr<JwksFetcher> redirected = Make(Options(server->Url("sub")));
  ASSERT_NE(redirected, nullptr);
  EXPECT_FALSE(redirected->Get().ok());
  EXPECT_EQ(redirected->last_error(), "redirects are not followed");
  // Not JSON at all.
  ASSERT_TRUE(server->Publish("page.html", "<html></html>").ok());
  std::unique_ptr<JwksFetcher> html = Make(Options(server->Url("page.html")));
  ASSERT_NE(html, nullptr);
  EXPECT_FALSE(html->Get().ok());
  EXPECT_EQ(html->last_error(), "the response is not a JWKS");
}

TEST_F(JwksFetcherTest, OidcDiscoveryByIssuerAndByUrl) {
  std::unique_ptr<FileServer> server = StartHttp();
  ASSERT_NE(server, nullptr);
  const std::string issuer = absl::StrCat("http://127.0.0.1:", server->port());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":")", issuer, R"(","jwks_uri":")",
                                         server->Url("jwks.json"), "\"}"))
                  .ok());
  JwksFetcherOptions by_issuer = Options("");
  by_issuer.issuer = issuer + "/";
  std::unique_ptr<JwksFetcher> f = Make(by_issuer);
  ASSERT_NE(f, nullptr);
  absl::StatusOr<JwksFetcher::Keys> keys = f->Get();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, JwksOf({k1_}));
  std::unique_ptr<JwksFetcher> by_url =
      Make(Options(server->Url(".well-known/openid-configuration")));
  ASSERT_NE(by_url, nullptr);
  EXPECT_TRUE(by_url->Get().ok()) << by_url->last_error();

  // A discovery document naming another issuer, or a jwks_uri off loopback over http: refused.
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":"https://someone-else.example","jwks_uri":")",
                                         server->Url("jwks.json"), "\"}"))
                  .ok());
  std::unique_ptr<JwksFetcher> impostor = Make(by_issuer);
  ASSERT_NE(impostor, nullptr);
  EXPECT_FALSE(impostor->Get().ok());
  EXPECT_EQ(impostor->last_error(), "the discovery document names another issuer");
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":")", issuer,
                                         R"(","jwks_uri":"http://idp.example/jwks.json"})"))
                  .ok());
  std::unique_ptr<JwksFetcher> downgrade = Make(by_issuer);
  ASSERT_NE(downgrade, nullptr);
  EXPECT_FALSE(downgrade->Get().ok());
  EXPECT_THAT(downgrade->last_error(), HasSubstr("jwks_uri"));
}

TEST_F(JwksFetcherTest, AServerThatNeverAnswersTimesOut) {
  // A listening socket nobody accepts on: the connection is made (the kernel's backlog), the TLS
  // handshake never completes.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  JwksFetcherOptions o =
      Options(absl::StrCat("https://127.0.0.1:", ntohs(addr.sin_port), "/jwks.json"));
  o.timeout = absl::Seconds(1);
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorReason(f->Get().status()), "jwks_unavailable");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_EQ(f->last_error(), "timed out");
  close(fd);
}

TEST_F(JwksFetcherTest, ConcurrentRefreshesShareOneFetch) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetcherOptions o = Options(server->Url("jwks.json"));
  o.min_refresh_interval = absl::Seconds(30);
  std::unique_ptr<JwksFetcher> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->Get().ok());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_, k2_})).ok());
  clock_.t += absl::Seconds(31);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      f->RefreshForUnknownKid();
    });
  }
  for (std::thread& t : threads) t.join();
  // Whoever came while the fetch ran waited for it; whoever came after it was rate-limited.
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current().version, 2u);
}

}  // namespace
}  // namespace jitguard::token
