// JwksKeySource (the fetching KeySource) against real servers on loopback: `openssl s_server -WWW`
// with a certificate made for the test (HTTPS), and `python3 -m http.server` (plain HTTP, loopback
// only). Refresh timing runs on an injected clock where the test drives it (RefreshThread::kCaller);
// the background-thread tests use the real clock with short intervals. The network is real; only
// name resolution is injected where a test needs a name that resolves (or hangs) on demand.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
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

// The keys, fetched first when there are none (WaitForKeys) or they are due (Poll): what a caller
// of a kCaller source does per use.
absl::StatusOr<KeySnapshot> Get(JwksKeySource& f) {
  if (f.version() == 0) {
    if (absl::Status s = f.WaitForKeys(absl::ZeroDuration()); !s.ok()) return s;
  } else {
    f.Poll();
  }
  return *f.Current();
}

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

class JwksSourceTest : public ::testing::Test {
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

  JwksFetchOptions Options(std::string url) {
    JwksFetchOptions o;
    o.url = std::move(url);
    o.ca_file = good_cert_->cert_file;
    o.clock = clock_.Fn();
    o.timeout = absl::Seconds(5);
    o.refresh_thread = RefreshThread::kCaller;
    return o;
  }

  std::shared_ptr<JwksKeySource> Make(JwksFetchOptions o) {
    absl::StatusOr<std::shared_ptr<JwksKeySource>> f = JwksKeySource::Create(std::move(o));
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

std::string* JwksSourceTest::certs_dir_ = nullptr;
TestCertificate* JwksSourceTest::good_cert_ = nullptr;
TestCertificate* JwksSourceTest::other_cert_ = nullptr;
Signer* JwksSourceTest::k1_ = nullptr;
Signer* JwksSourceTest::k2_ = nullptr;

TEST_F(JwksSourceTest, FirstFetchOverHttpsFeedsAVerifier) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string jwks = JwksOf({k1_});
  ASSERT_TRUE(server->Publish("jwks.json", jwks).ok());
  std::shared_ptr<JwksKeySource> f = Make(Options(server->Url("jwks.json")));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Current()->version, 0u);  // Create fetches nothing
  absl::StatusOr<KeySnapshot> keys = Get(*f);
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
  ASSERT_TRUE(Get(*f).ok());
  f->Poll();
  EXPECT_EQ(f->fetches(), 1u);
  // "localhost" is a name on the certificate too (SNI + host name check).
  JwksFetchOptions by_name =
      Options(absl::StrCat("https://localhost:", server->port(), "/jwks.json"));
  std::shared_ptr<JwksKeySource> named = Make(by_name);
  ASSERT_NE(named, nullptr);
  EXPECT_TRUE(Get(*named).ok()) << named->last_error();
}

TEST_F(JwksSourceTest, UnknownKidRefreshPicksUpARotationAndIsRateLimited) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.min_refresh_interval = absl::Seconds(30);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(Get(*f).ok());
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v =
      TokenVerifier::Create(testing::BaseOptions(f->Current()->jwks));
  ASSERT_TRUE(v.ok());
  const std::string token = k2_->Mint(Claims());
  EXPECT_EQ(ErrorReason((*v)->Verify(token, testing::Now()).status()), "unknown_key");

  // The provider rotates k2 in; within 30 s of the last fetch the unknown-kid refresh is refused.
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_, k2_})).ok());
  clock_.t += absl::Seconds(10);
  EXPECT_FALSE(f->RefreshForUnknownKey());
  EXPECT_EQ(f->fetches(), 1u);
  clock_.t += absl::Seconds(21);
  EXPECT_TRUE(f->RefreshForUnknownKey());
  EXPECT_EQ(f->fetches(), 2u);
  KeySnapshot keys = *f->Current();
  EXPECT_EQ(keys.version, 2u);
  ASSERT_TRUE((*v)->UpdateKeys(keys.jwks).ok());
  EXPECT_TRUE((*v)->Verify(token, testing::Now()).ok());

  // A flood of made-up kids: one fetch per interval, and an unchanged JWKS is no new version.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(f->RefreshForUnknownKey());
  EXPECT_EQ(f->fetches(), 2u);
  clock_.t += absl::Seconds(31);
  EXPECT_FALSE(f->RefreshForUnknownKey());
  EXPECT_EQ(f->fetches(), 3u);
  EXPECT_EQ(f->Current()->version, 2u);
  // Refresh() is not rate-limited.
  EXPECT_FALSE(f->Refresh());
  EXPECT_EQ(f->fetches(), 4u);
}

TEST_F(JwksSourceTest, PeriodicRefreshAfterRefreshInterval) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.refresh_interval = absl::Seconds(60);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(Get(*f).ok());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  clock_.t += absl::Seconds(59);
  f->Poll();
  EXPECT_EQ(f->fetches(), 1u);
  clock_.t += absl::Seconds(1);
  f->Poll();
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current()->jwks, JwksOf({k2_}));
}

TEST_F(JwksSourceTest, ServerDownKeepsTheLastGoodKeys) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string jwks = JwksOf({k1_});
  ASSERT_TRUE(server->Publish("jwks.json", jwks).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.refresh_interval = absl::Seconds(60);
  o.min_refresh_interval = absl::Seconds(5);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(Get(*f).ok());

  server->Stop();
  clock_.t += absl::Seconds(120);  // due for a periodic refresh, which fails
  f->Poll();
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->last_error(), "connection failed");
  absl::StatusOr<KeySnapshot> keys = Get(*f);  // still due, but rate-limited: no fetch
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, jwks);
  EXPECT_EQ(f->fetches(), 2u);
  clock_.t += absl::Seconds(5);
  f->Poll();  // failing fetches are retried at most once per min_refresh_interval
  EXPECT_EQ(f->fetches(), 3u);
  EXPECT_EQ(f->Current()->jwks, jwks);

  // A JSON answer that is not a JWKS is a failed fetch too.
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(server->Publish("jwks.json", R"({"issuer":"x"})").ok());
  clock_.t += absl::Seconds(5);
  f->Poll();
  EXPECT_EQ(f->last_error(), "the response is not a JWKS");
  EXPECT_EQ(f->Current()->jwks, jwks);

  // Recovery.
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  clock_.t += absl::Seconds(5);
  f->Poll();
  EXPECT_EQ(f->last_error(), "");
  EXPECT_EQ(f->Current()->jwks, JwksOf({k2_}));
}

TEST_F(JwksSourceTest, FailsClosedWhenThereNeverWereKeys) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  const std::string url = server->Url("jwks.json?tenant=secret-query-value");
  server->Stop();
  std::shared_ptr<JwksKeySource> f = Make(Options(url));
  ASSERT_NE(f, nullptr);
  absl::StatusOr<KeySnapshot> keys = Get(*f);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(ErrorReason(keys.status()), "jwks_unavailable");
  EXPECT_EQ(GetErrorDomain(keys.status()), ErrorDomain::kToken);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(keys.status().message(), HasSubstr("connection failed"));
  EXPECT_THAT(keys.status().message(), Not(HasSubstr("secret-query-value")));
  EXPECT_THAT(keys.status().message(), Not(HasSubstr("127.0.0.1")));
  // Every use retries (there is nothing to serve), each a failure.
  EXPECT_FALSE(Get(*f).ok());
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current()->version, 0u);

  // A server that answers 404 is no better.
  std::unique_ptr<FileServer> http = StartHttp();
  ASSERT_NE(http, nullptr);
  std::shared_ptr<JwksKeySource> missing = Make(Options(http->Url("missing.json?secret-query")));
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(ErrorReason(Get(*missing).status()), "jwks_unavailable");
  EXPECT_EQ(missing->last_error(), "HTTP 404");
}

TEST_F(JwksSourceTest, OversizeResponsesAreRefused) {
  const std::string big = absl::StrCat(R"({"keys":[],"pad":")", std::string(4096, 'x'), "\"}");
  // s_server sends no Content-Length: the body is counted as it arrives.
  std::unique_ptr<FileServer> https = StartHttps(*good_cert_);
  ASSERT_NE(https, nullptr);
  ASSERT_TRUE(https->Publish("big.json", big).ok());
  JwksFetchOptions o = Options(https->Url("big.json"));
  o.max_bytes = 1024;
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(ErrorReason(Get(*f).status()), "jwks_unavailable");
  EXPECT_EQ(f->last_error(), "response larger than 1024 bytes");
  // With the limit raised the same document is accepted.
  o.max_bytes = 8192;
  std::shared_ptr<JwksKeySource> roomy = Make(o);
  ASSERT_NE(roomy, nullptr);
  EXPECT_TRUE(Get(*roomy).ok()) << roomy->last_error();

  // http.server sends Content-Length: OpenSSL refuses before reading the body.
  std::unique_ptr<FileServer> http = StartHttp();
  ASSERT_NE(http, nullptr);
  ASSERT_TRUE(http->Publish("big.json", big).ok());
  JwksFetchOptions p = Options(http->Url("big.json"));
  p.max_bytes = 1024;
  std::shared_ptr<JwksKeySource> g = Make(p);
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(Get(*g).ok());
  EXPECT_EQ(g->last_error(), "response larger than 1024 bytes");
}

TEST_F(JwksSourceTest, UntrustedOrMisnamedCertificatesAreRefused) {
  // Self-signed and not in the system store: without ca_file it is not trusted.
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.ca_file = "";
  std::shared_ptr<JwksKeySource> untrusted = Make(o);
  ASSERT_NE(untrusted, nullptr);
  EXPECT_EQ(ErrorReason(Get(*untrusted).status()), "jwks_unavailable");
  EXPECT_THAT(untrusted->last_error(), HasSubstr("certificate verify failed"));
  // Trusting another certificate does not help either.
  o.ca_file = other_cert_->cert_file;
  std::shared_ptr<JwksKeySource> wrong_anchor = Make(o);
  ASSERT_NE(wrong_anchor, nullptr);
  EXPECT_FALSE(Get(*wrong_anchor).ok());
  EXPECT_THAT(wrong_anchor->last_error(), HasSubstr("certificate verify failed"));

  // A trusted certificate for another name (other.example served at 127.0.0.1): refused.
  std::unique_ptr<FileServer> impostor = StartHttps(*other_cert_);
  ASSERT_NE(impostor, nullptr);
  ASSERT_TRUE(impostor->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions p = Options(impostor->Url("jwks.json"));
  p.ca_file = other_cert_->cert_file;
  std::shared_ptr<JwksKeySource> misnamed = Make(p);
  ASSERT_NE(misnamed, nullptr);
  EXPECT_FALSE(Get(*misnamed).ok());
  EXPECT_EQ(misnamed->last_error(), "certificate verify failed: IP address mismatch");
  EXPECT_EQ(misnamed->Current()->version, 0u);

  // An unreadable CA file is a configuration error.
  JwksFetchOptions q = Options(server->Url("jwks.json"));
  q.ca_file = *certs_dir_ + "/nonexistent.pem";
  EXPECT_EQ(ErrorReason(JwksKeySource::Create(q).status()), "bad_ca_file");
}

TEST_F(JwksSourceTest, TransportRulesAtConfigTime) {
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
  JwksFetchOptions o;
  o.url = "http://idp.example/jwks.json";
  EXPECT_EQ(ErrorReason(JwksKeySource::Create(o).status()), "bad_url");
  o.url = "";
  EXPECT_EQ(ErrorReason(JwksKeySource::Create(o).status()), "bad_value");  // neither url nor issuer
  o.url = "https://idp.example/jwks.json";
  o.issuer = "https://idp.example";
  EXPECT_EQ(ErrorReason(JwksKeySource::Create(o).status()), "bad_value");  // both
  o.issuer = "";
  o.timeout = absl::ZeroDuration();
  EXPECT_EQ(ErrorReason(JwksKeySource::Create(o).status()), "bad_value");
}

TEST_F(JwksSourceTest, PlainHttpOnLoopbackWithAQueryAndNoRedirects) {
  std::unique_ptr<FileServer> server = StartHttp();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  ASSERT_TRUE(server->Publish("sub/jwks.json", JwksOf({k2_})).ok());
  std::shared_ptr<JwksKeySource> f = Make(Options(server->Url("jwks.json?v=1")));
  ASSERT_NE(f, nullptr);
  absl::StatusOr<KeySnapshot> keys = Get(*f);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, JwksOf({k1_}));
  // http.server answers "/sub" with a redirect to "/sub/": never followed.
  std::shared_ptr<JwksKeySource> redirected = Make(Options(server->Url("sub")));
  ASSERT_NE(redirected, nullptr);
  EXPECT_FALSE(Get(*redirected).ok());
  EXPECT_EQ(redirected->last_error(), "redirects are not followed");
  // Not JSON at all.
  ASSERT_TRUE(server->Publish("page.html", "<html></html>").ok());
  std::shared_ptr<JwksKeySource> html = Make(Options(server->Url("page.html")));
  ASSERT_NE(html, nullptr);
  EXPECT_FALSE(Get(*html).ok());
  EXPECT_EQ(html->last_error(), "the response is not a JWKS");
}

TEST_F(JwksSourceTest, OidcDiscoveryByIssuerAndByUrl) {
  std::unique_ptr<FileServer> server = StartHttp();
  ASSERT_NE(server, nullptr);
  const std::string issuer = absl::StrCat("http://127.0.0.1:", server->port());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":")", issuer, R"(","jwks_uri":")",
                                         server->Url("jwks.json"), "\"}"))
                  .ok());
  JwksFetchOptions by_issuer = Options("");
  by_issuer.issuer = issuer + "/";
  std::shared_ptr<JwksKeySource> f = Make(by_issuer);
  ASSERT_NE(f, nullptr);
  absl::StatusOr<KeySnapshot> keys = Get(*f);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->jwks, JwksOf({k1_}));
  std::shared_ptr<JwksKeySource> by_url =
      Make(Options(server->Url(".well-known/openid-configuration")));
  ASSERT_NE(by_url, nullptr);
  EXPECT_TRUE(Get(*by_url).ok()) << by_url->last_error();

  // A discovery document naming another issuer, or a jwks_uri off loopback over http: refused.
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":"https://someone-else.example","jwks_uri":")",
                                         server->Url("jwks.json"), "\"}"))
                  .ok());
  std::shared_ptr<JwksKeySource> impostor = Make(by_issuer);
  ASSERT_NE(impostor, nullptr);
  EXPECT_FALSE(Get(*impostor).ok());
  EXPECT_EQ(impostor->last_error(), "the discovery document names another issuer");
  ASSERT_TRUE(server
                  ->Publish(".well-known/openid-configuration",
                            absl::StrCat(R"({"issuer":")", issuer,
                                         R"(","jwks_uri":"http://idp.example/jwks.json"})"))
                  .ok());
  std::shared_ptr<JwksKeySource> downgrade = Make(by_issuer);
  ASSERT_NE(downgrade, nullptr);
  EXPECT_FALSE(Get(*downgrade).ok());
  EXPECT_THAT(downgrade->last_error(), HasSubstr("jwks_uri"));
}

TEST_F(JwksSourceTest, AServerThatNeverAnswersTimesOut) {
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
  JwksFetchOptions o =
      Options(absl::StrCat("https://127.0.0.1:", ntohs(addr.sin_port), "/jwks.json"));
  o.timeout = absl::Seconds(1);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_EQ(ErrorReason(Get(*f).status()), "jwks_unavailable");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_EQ(f->last_error(), "timed out");
  close(fd);
}

TEST_F(JwksSourceTest, ConcurrentRefreshesShareOneFetch) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.min_refresh_interval = absl::Seconds(30);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(Get(*f).ok());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_, k2_})).ok());
  clock_.t += absl::Seconds(31);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      f->RefreshForUnknownKey();
    });
  }
  for (std::thread& t : threads) t.join();
  // Whoever came while the fetch ran waited for it; whoever came after it was rate-limited.
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current()->version, 2u);
}

// Polls `done` until it holds or `limit` passes (real time; for the background-thread tests).
bool Eventually(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(20)) {
  const absl::Time end = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

TEST_F(JwksSourceTest, TheBackgroundThreadRefreshesWithoutARequest) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.refresh_thread = RefreshThread::kBackground;
  o.clock = nullptr;
  o.refresh_interval = absl::Milliseconds(200);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Name(), "jwks_url");
  // The thread fetches at once; WaitForKeys only waits for it.
  ASSERT_TRUE(f->WaitForKeys(absl::Seconds(20)).ok()) << f->last_error();
  EXPECT_EQ(f->Current()->jwks, JwksOf({k1_}));
  // The provider rotates: nobody asks, the thread picks it up after refresh_interval.
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  EXPECT_TRUE(Eventually([&] { return f->Current()->jwks == JwksOf({k2_}); }));
  EXPECT_GE(f->fetches(), 2u);
  EXPECT_EQ(f->version(), f->Current()->version);

  // The server goes down: the thread keeps trying (at most once a second while failing) and the
  // last good keys stay.
  server->Stop();
  const uint64_t before = f->fetches();
  // (A fetch cut by the Stop itself may fail otherwise; the ones after it find nobody listening.)
  EXPECT_TRUE(Eventually([&] {
    return f->fetches() >= before + 2 && f->last_error() == "connection failed";
  }));
  EXPECT_EQ(f->Current()->jwks, JwksOf({k2_}));
  // Back up with k1 again: recovered without a request.
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  EXPECT_TRUE(Eventually([&] { return f->Current()->jwks == JwksOf({k1_}); }));
  EXPECT_TRUE(Eventually([&] { return f->last_error().empty(); }));
}

TEST_F(JwksSourceTest, UnknownKeyRefreshesRunOnTheBackgroundThreadRateLimitedAndShared) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.refresh_thread = RefreshThread::kBackground;  // the injected clock decides the rate limit
  o.min_refresh_interval = absl::Seconds(30);
  o.unknown_key_wait = absl::Seconds(20);
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WaitForKeys(absl::Seconds(20)).ok()) << f->last_error();
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_, k2_})).ok());
  // Within 30 s of the first fetch: refused at once, no fetch.
  clock_.t += absl::Seconds(10);
  EXPECT_FALSE(f->RefreshForUnknownKey());
  EXPECT_EQ(f->fetches(), 1u);

  // After it: many requests at once share the one fetch the background thread makes.
  clock_.t += absl::Seconds(21);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> changed{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (f->RefreshForUnknownKey()) changed.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(f->fetches(), 2u);
  EXPECT_EQ(f->Current()->jwks, JwksOf({k1_, k2_}));
  EXPECT_GE(changed.load(), 1);
  // A verifier on this source admits the rotated key.
  TokenVerifierOptions vo = testing::BaseOptions("");
  vo.key_source = f;
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(vo);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->Verify(k2_->Mint(Claims()), testing::Now()).ok());
}

TEST_F(JwksSourceTest, ARequestNeedNotWaitForTheRefreshItTriggers) {
  std::unique_ptr<FileServer> server = StartHttps(*good_cert_);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  JwksFetchOptions o = Options(server->Url("jwks.json"));
  o.refresh_thread = RefreshThread::kBackground;
  o.min_refresh_interval = absl::ZeroDuration();
  o.unknown_key_wait = absl::ZeroDuration();
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->WaitForKeys(absl::Seconds(20)).ok()) << f->last_error();
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k2_})).ok());
  TokenVerifierOptions vo = testing::BaseOptions("");
  vo.key_source = f;
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(vo);
  ASSERT_TRUE(v.ok()) << v.status();
  // The first k2 token starts the refresh and is not held for it; a later one finds the new keys.
  const std::string token = k2_->Mint(Claims());
  absl::Status first = (*v)->Verify(token, testing::Now()).status();
  EXPECT_TRUE(first.ok() || ErrorReason(first) == "unknown_key") << first;
  EXPECT_TRUE(Eventually([&] { return f->Current()->jwks == JwksOf({k2_}); }));
  EXPECT_TRUE((*v)->Verify(token, testing::Now()).ok());
}

TEST_F(JwksSourceTest, NameResolutionIsInsideTheTimeout) {
  // A certificate for a made-up name, a resolver that maps it to the loopback server.
  absl::StatusOr<TestCertificate> cert =
      MakeSelfSignedCertificate(*certs_dir_, "named", {"idp.jitguard.test"});
  ASSERT_TRUE(cert.ok()) << cert.status();
  std::unique_ptr<FileServer> server = StartHttps(*cert);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Publish("jwks.json", JwksOf({k1_})).ok());
  const std::string url = absl::StrCat("https://idp.jitguard.test:", server->port(), "/jwks.json");
  JwksFetchOptions o = Options(url);
  o.ca_file = cert->cert_file;
  std::vector<std::string> asked;
  o.resolver = [&asked](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    asked.push_back(host);
    return std::vector<std::string>{"not-an-address", "127.0.0.1"};
  };
  std::shared_ptr<JwksKeySource> f = Make(o);
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(Get(*f).ok()) << f->last_error();
  EXPECT_EQ(asked, std::vector<std::string>{"idp.jitguard.test"});

  // A name that does not resolve.
  o.resolver = [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    return absl::NotFoundError("NXDOMAIN");
  };
  std::shared_ptr<JwksKeySource> nx = Make(o);
  ASSERT_NE(nx, nullptr);
  EXPECT_EQ(ErrorReason(Get(*nx).status()), "jwks_unavailable");
  EXPECT_EQ(nx->last_error(), "the host name does not resolve");

  // A resolver that hangs (a DNS server that never answers): the fetch gives up at its deadline.
  // The resolver is released when the test ends so its abandoned thread finishes.
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  o.resolver = [released](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    released.wait();
    return std::vector<std::string>{"127.0.0.1"};
  };
  o.timeout = absl::Seconds(1);
  std::shared_ptr<JwksKeySource> hung = Make(o);
  ASSERT_NE(hung, nullptr);
  const absl::Time start = absl::Now();
  absl::Status s = Get(*hung).status();
  const absl::Duration took = absl::Now() - start;
  release->set_value();
  EXPECT_EQ(ErrorReason(s), "jwks_unavailable");
  EXPECT_EQ(hung->last_error(), "timed out");
  EXPECT_LT(took, absl::Seconds(3));  // the 1 s timeout, not the resolver, ended it
}

TEST_F(JwksSourceTest, StaticSourcesFeedAVerifier) {
  std::shared_ptr<KeySource> jwks = KeySource::StaticJwks(JwksOf({k1_}));
  EXPECT_EQ(jwks->Name(), "static_jwks");
  EXPECT_EQ(jwks->version(), 1u);
  EXPECT_FALSE(jwks->RefreshForUnknownKey());
  EXPECT_EQ(jwks->last_error(), "");
  TokenVerifierOptions o = testing::BaseOptions("");
  o.key_source = jwks;
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->Verify(k1_->Mint(Claims()), testing::Now()).ok());
  EXPECT_EQ(ErrorReason((*v)->Verify(k2_->Mint(Claims()), testing::Now()).status()),
            "unknown_key");

  std::shared_ptr<KeySource> pem =
      KeySource::Pem({PemKey{testing::PublicPemOf(testing::Keys().p256), "ES256", "k1"}});
  EXPECT_EQ(pem->Name(), "pem");
  o.key_source = pem;
  v = TokenVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->Verify(k1_->Mint(Claims()), testing::Now()).ok());

  std::shared_ptr<KeySource> hmac =
      KeySource::Hmac({HmacKey{SecretBytes(std::string(32, 's')), "HS256", "h"}});
  EXPECT_EQ(hmac->Name(), "hmac");
  o.key_source = hmac;
  v = TokenVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->key_ids(), std::vector<std::string>{"h"});

  // A source without keys and nothing else: no verifier.
  std::shared_ptr<KeySource> empty = KeySource::StaticJwks(R"({"keys":[]})");
  o.key_source = empty;
  EXPECT_FALSE(TokenVerifier::Create(o).ok());
}

// A source the test controls: what a user's own KeySource (e.g. keys from a secrets manager) is.
class ManualSource final : public KeySource {
 public:
  std::string Name() const override { return "manual"; }
  std::shared_ptr<const KeySnapshot> Current() const override {
    std::lock_guard lock(mu_);
    return keys_;
  }
  uint64_t version() const override { return version_.load(); }
  bool RefreshForUnknownKey() override {
    asked_.fetch_add(1);
    return false;
  }
  void Publish(std::string jwks) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<KeySnapshot>();
    next->jwks = std::move(jwks);
    next->version = keys_->version + 1;
    keys_ = next;
    version_.store(next->version);
  }
  int asked() const { return asked_.load(); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const KeySnapshot> keys_ = std::make_shared<KeySnapshot>();
  std::atomic<uint64_t> version_{0};
  std::atomic<int> asked_{0};
};

TEST_F(JwksSourceTest, AVerifierInstallsEachNewSetAndKeepsTheLastUsableOne) {
  auto source = std::make_shared<ManualSource>();
  // No keys yet from the source: the options' JWKS serves until it publishes.
  TokenVerifierOptions o = testing::BaseOptions(JwksOf({k1_}));
  o.key_source = source;
  absl::StatusOr<std::shared_ptr<TokenVerifier>> v = TokenVerifier::Create(o);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->Verify(k1_->Mint(Claims()), testing::Now()).ok());
  EXPECT_EQ(source->asked(), 0);
  EXPECT_FALSE((*v)->Verify(k2_->Mint(Claims()), testing::Now()).ok());
  EXPECT_EQ(source->asked(), 1);  // an unknown kid asks the source once
  source->Publish(JwksOf({k2_}));
  EXPECT_TRUE((*v)->Verify(k2_->Mint(Claims()), testing::Now()).ok());
  EXPECT_EQ(ErrorReason((*v)->Verify(k1_->Mint(Claims("bob")), testing::Now()).status()),
            "unknown_key");
  // A set without a usable key is not installed.
  source->Publish(R"({"keys":[{"kty":"oct","kid":"k3","k":"AA"}]})");
  EXPECT_TRUE((*v)->Verify(k2_->Mint(Claims("carol")), testing::Now()).ok());
  EXPECT_EQ((*v)->key_ids(), std::vector<std::string>{"k2"});
  // Many threads verifying while the source publishes: TSan checks the install path.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        (void)(*v)->Verify(k2_->Mint(Claims(absl::StrCat("u", i, "-", j))), testing::Now());
      }
    });
  }
  for (int j = 0; j < 20; ++j) source->Publish(j % 2 ? JwksOf({k2_}) : JwksOf({k1_, k2_}));
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE((*v)->Verify(k2_->Mint(Claims()), testing::Now()).ok());
}

}  // namespace
}  // namespace jitguard::token
