// The fetching KeySource (JwksKeySource): an identity provider's JWKS over HTTPS, refreshed in a
// background thread. See include/jitguard/token.h for the contract.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard {
namespace {

using base::Cat;

constexpr std::string_view kDiscoverySuffix = "/.well-known/openid-configuration";

absl::Status ConfigError(std::string_view reason, std::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, reason, message);
}

// The pieces of a URL that the HTTP client needs, from OSSL_HTTP_parse_url.
struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string path;  // with the query, if any
};

void FreeString(char* s) { OPENSSL_free(s); }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kProblem = "must be an https:// URL (http:// only for loopback)";
  if (!StartsWithNoCase(url, "https://") && !StartsWithNoCase(url, "http://")) {
    return ConfigError("bad_url", kProblem);
  }
  if (url.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string_view::npos) {
    return ConfigError("bad_url", "must not contain whitespace or control characters");
  }
  std::string text(url);
  int tls = 0;
  char *user = nullptr, *host = nullptr, *port = nullptr, *path = nullptr, *query = nullptr,
       *frag = nullptr;
  ERR_set_mark();
  int ok =
      OSSL_HTTP_parse_url(text.c_str(), &tls, &user, &host, &port, nullptr, &path, &query, &frag);
  ERR_pop_to_mark();
  Url out;
  bool has_user = user != nullptr && *user != '\0';
  if (ok) {
    out.tls = tls != 0;
    out.host = host;
    out.port = port;
    out.path = path;
    if (query != nullptr && *query != '\0') base::Append(&out.path, "?", query);
  }
  for (char* s : {user, host, port, path, query, frag}) FreeString(s);
  if (!ok || out.host.empty()) return ConfigError("bad_url", "not a valid http(s) URL");
  if (has_user) return ConfigError("bad_url", "must not carry user information (credentials)");
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (!out.tls) {
    bool loopback = strcasecmp(out.host.c_str(), "localhost") == 0 || out.host == "::1" ||
                    out.host.rfind("127.", 0) == 0;
    if (loopback && out.host.rfind("127.", 0) == 0) {
      // 127.x.y.z must be a literal address, not a name such as 127.example.com.
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(out.host.c_str());
      loopback = ip != nullptr;
      ASN1_OCTET_STRING_free(ip);
    }
    if (!loopback) return ConfigError("bad_url", kProblem);
  }
  return out;
}

bool IsIpLiteral(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}

// What one HTTP exchange needs in the bio_update_fn callback.
struct Connection {
  SSL_CTX* ctx = nullptr;
  std::string host;
  SSL* ssl = nullptr;  // our own reference, for the verify result
  BIO* top = nullptr;  // the SSL BIO pushed on the connection, if any
  ~Connection() { SSL_free(ssl); }
};

// OSSL_HTTP_bio_cb_t: on connect with TLS, pushes an SSL BIO (verifying the peer and its name) on
// top of the socket BIO. On disconnect the chain is left as it is: FetchDocument frees it.
BIO* UpdateBio(BIO* bio, void* arg, int connect, int detail) {
  auto* c = static_cast<Connection*>(arg);
  if (!connect || !detail) return bio;
  SSL* ssl = SSL_new(c->ctx);
  if (ssl == nullptr) return nullptr;
  bool ip = IsIpLiteral(c->host);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, c->host.c_str()) == 1
               : (SSL_set_tlsext_host_name(ssl, c->host.c_str()) == 1 &&
                  SSL_set1_host(ssl, c->host.c_str()) == 1);
  BIO* sbio = ok ? BIO_new(BIO_f_ssl()) : nullptr;
  if (sbio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  SSL_up_ref(ssl);
  SSL_free(c->ssl);
  c->ssl = ssl;
  BIO_set_ssl(sbio, ssl, BIO_CLOSE);
  c->top = BIO_push(sbio, bio);
  return c->top;
}

// A short description of the failure in OpenSSL's error queue (and clears it): never the URL,
// the server's reason phrase or any other text the peer chose.
std::string DescribeFailure(const Connection& c, size_t max_bytes) {
  std::string out;
  if (c.ssl != nullptr) {
    long verify = SSL_get_verify_result(c.ssl);
    if (verify != X509_V_OK) {
      out = Cat("certificate verify failed: ", X509_verify_cert_error_string(verify));
    }
  }
  const char* data = nullptr;
  int flags = 0;
  unsigned long e;
  while (out.empty() && (e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
    if (lib == ERR_LIB_HTTP &&
        (reason == HTTP_R_RECEIVED_ERROR || reason == HTTP_R_STATUS_CODE_UNSUPPORTED)) {
      std::string_view d = (flags & ERR_TXT_STRING) != 0 && data != nullptr ? data : "";
      if (d.substr(0, 5) == "code=") {
        std::string_view code = d.substr(5, 3);
        bool digits = code.size() == 3;
        for (char ch : code) digits = digits && ch >= '0' && ch <= '9';
        if (digits) out = Cat("HTTP ", code);
      }
      if (out.empty()) out = "unexpected HTTP status";
    } else if (lib == ERR_LIB_HTTP && reason == HTTP_R_MAX_RESP_LEN_EXCEEDED) {
      out = Cat("response larger than ", max_bytes, " bytes");
    } else if (lib == ERR_LIB_HTTP && reason == HTTP_R_REDIRECTION_NOT_ENABLED) {
      out = "redirects are not followed";
    } else if ((lib == ERR_LIB_HTTP && reason == HTTP_R_RETRY_TIMEOUT) ||
               (lib == ERR_LIB_BIO && reason == BIO_R_CONNECT_TIMEOUT) ||
               (lib == ERR_LIB_BIO && reason == BIO_R_TRANSFER_TIMEOUT)) {
      out = "timed out";
    } else if (lib == ERR_LIB_BIO &&
               (reason == BIO_R_CONNECT_ERROR || reason == BIO_R_LOOKUP_RETURNED_NOTHING ||
                reason == BIO_R_NBIO_CONNECT_ERROR)) {
      out = "connection failed";
    } else if (lib == ERR_LIB_SSL) {
      const char* r = ERR_reason_error_string(e);
      out = Cat("TLS error: ", r != nullptr ? r : "unknown");
    }
  }
  ERR_clear_error();
  return out.empty() ? "connection failed" : out;
}

absl::Time SteadyNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch()));
}

using ConfValues = STACK_OF(CONF_VALUE);

struct HeadersDeleter {
  void operator()(ConfValues* h) const { sk_CONF_VALUE_pop_free(h, X509V3_conf_free); }
};


// The system resolver: getaddrinfo, the addresses in its order as numeric strings.
absl::StatusOr<std::vector<std::string>> SystemResolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return absl::UnavailableError("the host name does not resolve");
  }
  std::vector<std::string> out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof(text), nullptr, 0,
                    NI_NUMERICHOST) == 0 &&
        std::find(out.begin(), out.end(), text) == out.end()) {
      out.emplace_back(text);
    }
  }
  freeaddrinfo(result);
  if (out.empty()) return absl::UnavailableError("the host name does not resolve");
  return out;
}

// Runs `resolver` on a helper thread and waits for it until `deadline`. A resolver still running
// then is abandoned (its thread finishes on its own and drops the shared state).
absl::StatusOr<std::vector<std::string>> ResolveBy(const HostResolver& resolver,
                                                   const std::string& host, absl::Time deadline) {
  struct Shared {
    std::mutex mu;
    std::condition_variable done_cv;
    bool done = false;
    absl::StatusOr<std::vector<std::string>> result = absl::UnknownError("");
  };
  auto shared = std::make_shared<Shared>();
  try {
    std::thread([shared, resolver, host] {
      absl::StatusOr<std::vector<std::string>> r = resolver(host);
      std::lock_guard lock(shared->mu);
      shared->result = std::move(r);
      shared->done = true;
      shared->done_cv.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    return absl::UnavailableError("cannot start the resolver thread");
  }
  std::unique_lock lock(shared->mu);
  const auto until =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(deadline - absl::Now());
  if (!shared->done_cv.wait_until(lock, until, [&] { return shared->done; })) {
    return absl::DeadlineExceededError("timed out");
  }
  if (!shared->result.ok()) return absl::UnavailableError("the host name does not resolve");
  if (shared->result->empty()) return absl::UnavailableError("the host name does not resolve");
  return *std::move(shared->result);
}

// A BIO_ADDR for a numeric address and port; null when `address` is not numeric.
BIO_ADDR* NumericAddress(const std::string& address, int port) {
  BIO_ADDR* out = BIO_ADDR_new();
  if (out == nullptr) return nullptr;
  in_addr v4{};
  in6_addr v6{};
  const auto p = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    ok = BIO_ADDR_rawmake(out, AF_INET, &v4, sizeof(v4), p) == 1;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    ok = BIO_ADDR_rawmake(out, AF_INET6, &v6, sizeof(v6), p) == 1;
  }
  if (!ok) {
    BIO_ADDR_free(out);
    return nullptr;
  }
  return out;
}

struct BioAddrDeleter {
  void operator()(BIO_ADDR* a) const { BIO_ADDR_free(a); }
};

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

class JwksKeySourceImpl final : public JwksKeySource {
 public:
  JwksKeySourceImpl(JwksFetchOptions options, std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx)
      : options_(std::move(options)), ctx_(std::move(ctx)) {
    if (!options_.issuer.empty()) {
      expected_issuer_ = options_.issuer;
      discovery_url_ = Cat(options_.issuer, kDiscoverySuffix);
    } else {
      std::string_view u = options_.url;
      while (!u.empty() && u.back() == '/') u.remove_suffix(1);
      if (u.size() >= kDiscoverySuffix.size() &&
          u.substr(u.size() - kDiscoverySuffix.size()) == kDiscoverySuffix) {
        discovery_url_ = options_.url;
      }
    }
    if (options_.resolver == nullptr) options_.resolver = SystemResolve;
    snapshot_ = std::make_shared<const KeySnapshot>();
  }

  ~JwksKeySourceImpl() override {
    {
      base::MutexLock lock(&mu_);
      stop_ = true;
    }
    // The thread may be inside a fetch: that ends by its deadline (options_.timeout per document).
    if (thread_.joinable()) thread_.join();
  }

  void StartThread() { thread_ = std::thread([this] { Run(); }); }

  std::string Name() const override { return "jwks_url"; }

  std::shared_ptr<const KeySnapshot> Current() const override {
    base::MutexLock lock(&mu_);
    return snapshot_;
  }

  uint64_t version() const override { return published_version_.load(std::memory_order_acquire); }

  bool RefreshForUnknownKey() override {
    if (options_.refresh_thread == RefreshThread::kCaller) {
      return DoRefresh(options_.min_refresh_interval);
    }
    base::MutexLock lock(&mu_);
    const uint64_t version = snapshot_->version;
    if (!fetching_ && !kick_) {
      const absl::Time now = Clock();
      if (last_attempt_.has_value() && now - *last_attempt_ < options_.min_refresh_interval) {
        return false;
      }
      kick_ = true;  // the background thread fetches; this request waits for it (bounded)
    }
    // The fetch in flight or about to start: wait for its end (a fetch in flight started after
    // the keys this request saw, or it would not be fetching: unknown keys are asked after Verify).
    const uint64_t generation = generation_;
    mu_.AwaitWithTimeout(
        [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return generation_ != generation || stop_; },
        options_.unknown_key_wait);
    return snapshot_->version != version;
  }

  std::string last_error() const override {
    base::MutexLock lock(&mu_);
    return last_error_;
  }

  absl::Status WaitForKeys(absl::Duration timeout) override {
    if (options_.refresh_thread == RefreshThread::kCaller && version() == 0) {
      DoRefresh(absl::ZeroDuration());
    }
    base::MutexLock lock(&mu_);
    // The first attempt's end (success or failure) or keys, whichever comes first.
    mu_.AwaitWithTimeout(
        [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return snapshot_->version != 0 || (generation_ != 0 && !fetching_);
        },
        timeout);
    if (snapshot_->version != 0) return absl::OkStatus();
    return MakeError(absl::StatusCode::kUnavailable, ErrorDomain::kToken, "jwks_unavailable",
                     Cat("the JWKS could not be fetched (",
                         last_error_.empty() ? "timed out" : last_error_, ")"));
  }

  bool Refresh() override { return DoRefresh(absl::ZeroDuration()); }

  void Poll() override {
    // The common case, fresh keys, takes no lock.
    const absl::Time now = Clock();
    if (absl::ToUnixNanos(now) < fresh_until_ns_.load(std::memory_order_acquire)) return;
    {
      base::MutexLock lock(&mu_);
      if (fetching_) return;
      if (fetched_at_.has_value() && now - *fetched_at_ < options_.refresh_interval) return;
    }
    // No keys yet, or stale: a failing source is retried at most once per min_refresh_interval.
    DoRefresh(options_.min_refresh_interval);
  }

  uint64_t fetches() const override {
    base::MutexLock lock(&mu_);
    return fetches_;
  }

 private:
  absl::Time Clock() const { return options_.clock != nullptr ? options_.clock() : SteadyNow(); }

  // The background thread: sleeps until the keys are due (or an unknown key asks for a refresh, or
  // the source is destroyed), then fetches.
  void Run() {
    while (true) {
      {
        base::MutexLock lock(&mu_);
        while (true) {
          if (stop_) return;
          const absl::Time now = Clock();
          if (!fetching_ && (kick_ || now >= NextDueLocked())) break;
          // Woken early by an unknown key or the destructor; at least every refresh_interval.
          const absl::Duration wait = std::min(
              std::max(NextDueLocked() - now, absl::Milliseconds(10)), options_.refresh_interval);
          mu_.AwaitWithTimeout([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || kick_; },
                               wait);
        }
        BeginFetchLocked();
      }
      FinishFetch(FetchJwks());
    }
  }

  // When the background thread fetches next: at once without any attempt; after a failure (or with
  // no keys) one retry interval after the last attempt (min_refresh_interval, but no later than a
  // periodic refresh would come and no sooner than a second: a source that is down is not
  // hammered); else when the keys turn stale.
  absl::Time NextDueLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!last_attempt_.has_value()) return absl::InfinitePast();
    if (!last_error_.empty() || !fetched_at_.has_value()) {
      const absl::Duration retry =
          std::max(std::min(options_.min_refresh_interval, options_.refresh_interval),
                   absl::Seconds(1));
      return *last_attempt_ + retry;
    }
    return *fetched_at_ + options_.refresh_interval;
  }

  void BeginFetchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    fetching_ = true;
    kick_ = false;
    last_attempt_ = Clock();
  }

  void FinishFetch(absl::StatusOr<std::string> text) {
    base::MutexLock lock(&mu_);
    fetching_ = false;
    ++generation_;
    if (!text.ok()) {
      last_error_ = std::string(text.status().message());
      return;
    }
    fetched_at_ = Clock();
    fresh_until_ns_.store(absl::ToUnixNanos(*fetched_at_ + options_.refresh_interval),
                          std::memory_order_release);
    last_error_.clear();
    if (*text == snapshot_->jwks) return;
    auto next = std::make_shared<KeySnapshot>();
    next->jwks = *std::move(text);
    next->version = snapshot_->version + 1;
    snapshot_ = std::move(next);
    published_version_.store(snapshot_->version, std::memory_order_release);
  }

  // A fetch on the calling thread, or a wait for the one in flight. True when the keys changed.
  bool DoRefresh(absl::Duration min_interval) {
    uint64_t version = 0;
    {
      base::MutexLock lock(&mu_);
      version = snapshot_->version;
      if (fetching_) {
        const uint64_t generation = generation_;
        mu_.Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !fetching_ || generation_ != generation;
        });
        return snapshot_->version != version;
      }
      if (min_interval > absl::ZeroDuration() && last_attempt_.has_value() &&
          Clock() - *last_attempt_ < min_interval) {
        return false;
      }
      BeginFetchLocked();
    }
    FinishFetch(FetchJwks());
    base::MutexLock lock(&mu_);
    return snapshot_->version != version;
  }

  // One fetch of the JWKS (through the discovery document when configured); no lock held.
  absl::StatusOr<std::string> FetchJwks();
  absl::StatusOr<std::string> FetchDocument(const std::string& url);
  // A connected (non-blocking) BIO to host:port by `deadline`: the name resolved within it, then
  // each address tried in turn.
  absl::StatusOr<BIO*> Connect(const std::string& host, const std::string& port, time_t deadline);

  JwksFetchOptions options_;
  std::string discovery_url_;  // "" = options_.url is the JWKS itself
  std::string expected_issuer_;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
  std::thread thread_;

  mutable base::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool kick_ ABSL_GUARDED_BY(mu_) = false;  // an unknown key asked the background thread to fetch
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetch attempts
  std::shared_ptr<const KeySnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> fetched_at_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> last_attempt_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
  // Lock-free mirrors for the per-request checks: the version, and the clock reading (Unix ns)
  // until which the keys are fresh (0 = no keys yet).
  std::atomic<uint64_t> published_version_{0};
  std::atomic<int64_t> fresh_until_ns_{0};
};

absl::StatusOr<BIO*> JwksKeySourceImpl::Connect(const std::string& host, const std::string& port,
                                                time_t deadline) {
  std::vector<std::string> addresses;
  if (IsIpLiteral(host)) {
    addresses.push_back(host);
  } else {
    absl::StatusOr<std::vector<std::string>> resolved =
        ResolveBy(options_.resolver, host, absl::FromTimeT(deadline));
    if (!resolved.ok()) return absl::UnavailableError(resolved.status().message());
    addresses = *std::move(resolved);
  }
  const int port_number = std::atoi(port.c_str());
  std::string why = "connection failed";
  // The connection is made here rather than by OSSL_HTTP_open, whose BIO_do_connect_retry keeps
  // retrying a refused connection until the deadline: a server that is down fails at once. No
  // proxy: the fetch goes where the URL says (OpenSSL would read http(s)_proxy otherwise).
  for (const std::string& address : addresses) {
    std::unique_ptr<BIO_ADDR, BioAddrDeleter> addr(NumericAddress(address, port_number));
    if (addr == nullptr) continue;  // a resolver's answer that is not an address
    BIO* cbio = BIO_new(BIO_s_connect());
    if (cbio == nullptr) return absl::UnavailableError("out of memory");
    (void)BIO_set_conn_address(cbio, addr.get());
    (void)BIO_set_nbio(cbio, 1);
    ERR_clear_error();
    while (true) {
      if (BIO_do_connect(cbio) > 0) return cbio;
      if (!BIO_should_retry(cbio) || BIO_wait(cbio, deadline, 100) <= 0) break;
    }
    Connection none;
    why = DescribeFailure(none, options_.max_bytes);
    BIO_free_all(cbio);
    if (time(nullptr) >= deadline) return absl::UnavailableError("timed out");
  }
  return absl::UnavailableError(why);
}

absl::StatusOr<std::string> JwksKeySourceImpl::FetchJwks() {
  std::string jwks_url = options_.url;
  if (!discovery_url_.empty()) {
    absl::StatusOr<std::string> doc_text = FetchDocument(discovery_url_);
    if (!doc_text.ok()) return doc_text.status();
    simdjson::dom::parser parser;
    simdjson::dom::object doc;
    std::string_view uri;
    if (parser.parse(*doc_text).get(doc) != simdjson::SUCCESS ||
        doc["jwks_uri"].get(uri) != simdjson::SUCCESS) {
      return absl::UnavailableError("the discovery document has no jwks_uri");
    }
    if (!expected_issuer_.empty()) {
      std::string_view issuer;
      if (doc["issuer"].get(issuer) != simdjson::SUCCESS) issuer = "";
      while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
      if (issuer != expected_issuer_) {
        return absl::UnavailableError("the discovery document names another issuer");
      }
    }
    if (!CheckJwksUrl(uri).ok()) {
      return absl::UnavailableError(
          "the discovery document's jwks_uri is not an https:// URL (http:// only for loopback)");
    }
    jwks_url = std::string(uri);
  }
  {
    base::MutexLock lock(&mu_);
    ++fetches_;
  }
  absl::StatusOr<std::string> text = FetchDocument(jwks_url);
  if (!text.ok()) return text.status();
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  simdjson::dom::array keys;
  if (parser.parse(*text).get(doc) != simdjson::SUCCESS ||
      doc["keys"].get(keys) != simdjson::SUCCESS) {
    return absl::UnavailableError("the response is not a JWKS");
  }
  return text;
}

absl::StatusOr<std::string> JwksKeySourceImpl::FetchDocument(const std::string& url) {
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return absl::UnavailableError("not an https:// URL");
  const int timeout_s = static_cast<int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(options_.timeout, absl::Seconds(1)))));
  const time_t deadline = time(nullptr) + timeout_s;

  ERR_clear_error();
  Connection conn;
  conn.ctx = ctx_.get();
  conn.host = parsed->host;
  std::unique_ptr<ConfValues, HeadersDeleter> headers(sk_CONF_VALUE_new_null());
  if (headers == nullptr) return absl::UnavailableError("out of memory");
  ConfValues* h = headers.get();
  X509V3_add_value("Accept", "application/json", &h);
  X509V3_add_value("User-Agent", "jitguard-jwks-client", &h);

  absl::StatusOr<BIO*> connected = Connect(parsed->host, parsed->port, deadline);
  if (!connected.ok()) return connected.status();
  BIO* cbio = *connected;
  OSSL_HTTP_REQ_CTX* rctx =
      OSSL_HTTP_open(parsed->host.c_str(), parsed->port.c_str(), nullptr, nullptr,
                     parsed->tls ? 1 : 0, cbio, nullptr, UpdateBio, &conn, 0, timeout_s);
  // The BIO chain is ours (we passed cbio): conn.top is the SSL BIO on top of it, if pushed.
  auto free_chain = [&] {
    BIO_free_all(conn.top != nullptr ? conn.top : cbio);
    conn.top = nullptr;
  };
  if (rctx == nullptr) {
    std::string why = DescribeFailure(conn, options_.max_bytes);
    free_chain();
    return absl::UnavailableError(why);
  }
  char* redirect = nullptr;
  BIO* resp = nullptr;
  if (OSSL_HTTP_set1_request(rctx, parsed->path.c_str(), headers.get(), nullptr, nullptr, nullptr,
                             0, options_.max_bytes, -1, 0) == 1) {
    resp = OSSL_HTTP_exchange(rctx, &redirect);
  }
  if (resp == nullptr) {
    std::string why = redirect != nullptr ? "redirects are not followed"
                                          : DescribeFailure(conn, options_.max_bytes);
    OPENSSL_free(redirect);
    ERR_clear_error();
    OSSL_HTTP_close(rctx, 0);
    free_chain();
    ERR_clear_error();
    return absl::UnavailableError(why);
  }
  // The body: Content-Length bytes when the server sent one (OpenSSL has already refused a length
  // above max_bytes), else up to the end of the connection. A cut-off JSON document fails to
  // parse, so an EOF without TLS close_notify is not trusted for more than that.
  const size_t expected = OSSL_HTTP_REQ_CTX_get_resp_len(rctx);
  std::string body;
  std::string error;
  char buf[16384];
  while (error.empty() && (expected == 0 || body.size() < expected)) {
    int n = BIO_read(resp, buf, sizeof(buf));
    if (n > 0) {
      body.append(buf, static_cast<size_t>(n));
      if (body.size() > options_.max_bytes) {
        error = Cat("response larger than ", options_.max_bytes, " bytes");
      }
      continue;
    }
    if (BIO_should_retry(resp)) {
      if (BIO_wait(resp, deadline, 100) <= 0) error = "timed out";
      continue;
    }
    unsigned long e = ERR_peek_last_error();
    bool eof =
        n == 0 || e == 0 ||
        (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (!eof) {
      error = DescribeFailure(conn, options_.max_bytes);
    } else if (expected != 0) {
      error = "the response was cut off";
    }
    break;
  }
  BIO_free_all(resp);
  ERR_clear_error();
  OSSL_HTTP_close(rctx, error.empty() ? 1 : 0);
  free_chain();
  ERR_clear_error();
  if (!error.empty()) return absl::UnavailableError(error);
  return body;
}



}  // namespace

absl::Status CheckJwksUrl(std::string_view url) { return ParseUrl(url).status(); }

absl::StatusOr<std::shared_ptr<JwksKeySource>> JwksKeySource::Create(JwksFetchOptions options) {
  if (options.url.empty() == options.issuer.empty()) {
    return ConfigError("bad_value", "give exactly one of url or issuer");
  }
  std::string checked = options.url;
  if (!options.issuer.empty()) {
    while (!options.issuer.empty() && options.issuer.back() == '/') options.issuer.pop_back();
    checked = Cat(options.issuer, kDiscoverySuffix);
  }
  if (absl::Status s = CheckJwksUrl(checked); !s.ok()) return s;
  if (!(options.refresh_interval > absl::ZeroDuration()) ||
      options.min_refresh_interval < absl::ZeroDuration() ||
      !(options.timeout > absl::ZeroDuration()) || options.timeout > absl::Hours(1) ||
      options.unknown_key_wait < absl::ZeroDuration() || options.max_bytes == 0) {
    return ConfigError("bad_value",
                       "refresh_interval and timeout must be positive (timeout at most an hour), "
                       "min_refresh_interval and unknown_key_wait not negative, max_bytes at "
                       "least 1");
  }
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    ERR_clear_error();
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kInternal, "internal",
                     "cannot create a TLS context");
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  // A system without a default store still works with ca_file; a missing store is no error here.
  if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) ERR_clear_error();
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return ConfigError("bad_ca_file", "cannot read trust anchors (PEM certificates) from the file");
  }
  const bool background = options.refresh_thread == RefreshThread::kBackground;
  auto source = std::make_shared<JwksKeySourceImpl>(std::move(options), std::move(ctx));
  if (background) {
    try {
      source->StartThread();
    } catch (const std::system_error&) {
      return MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kInternal, "internal",
                       "cannot start the JWKS refresh thread");
    }
  }
  return std::shared_ptr<JwksKeySource>(std::move(source));
}

}  // namespace jitguard
