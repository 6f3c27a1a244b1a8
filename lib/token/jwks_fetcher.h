// JwksFetcher: an identity provider's JWKS fetched over HTTPS, for the Guard's `tokens.jwks_url`
// (internal to the library; the Python package has its own JwksClient with the same semantics).
//
// The transport is OpenSSL 3's HTTP client (OSSL_HTTP_open / OSSL_HTTP_set1_request /
// OSSL_HTTP_exchange) with a TLS BIO pushed by its bio_update_fn: the server certificate is
// verified against the system trust store (plus an optional CA file) and must name the URL's host.
// https:// only (plain http:// only to loopback hosts, for tests and sidecars); redirects are
// never followed; responses above max_bytes are refused; connect, handshake and read share one
// deadline (`timeout`). DNS resolution is the system resolver's and is not bounded by it.
//
// Refresh semantics (as the Python JwksClient): Get() fetches when there is no JWKS yet or it is
// older than refresh_interval; Poll() refreshes a stale JWKS unless another thread is already
// fetching; RefreshForUnknownKid() fetches at most once per min_refresh_interval. Concurrent
// refreshes collapse into one fetch (later callers wait for it). A failed fetch keeps the last
// good JWKS and records why in last_error(). Error texts never contain the URL's query, tokens or
// key material.
//
// Thread-safety: a JwksFetcher is safe to share between threads.
#ifndef JITGUARD_LIB_TOKEN_JWKS_FETCHER_H_
#define JITGUARD_LIB_TOKEN_JWKS_FETCHER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/mutex.h"

namespace jitguard::token {

struct JwksFetcherOptions {
  // The JWKS URL, or an OIDC discovery document URL (ending in /.well-known/openid-configuration)
  // whose jwks_uri is then fetched. Exactly one of url and issuer.
  std::string url;
  // Instead of url: <issuer>/.well-known/openid-configuration, which must name this issuer.
  std::string issuer;
  // A fetched JWKS older than this is refreshed on the next use (Get / Poll).
  absl::Duration refresh_interval = absl::Hours(1);
  // At most one unknown-kid refresh per this interval: a flood of made-up kids costs one fetch.
  absl::Duration min_refresh_interval = absl::Seconds(30);
  // Connect + TLS handshake + response, per document; whole seconds (rounded up), at least 1.
  absl::Duration timeout = absl::Seconds(5);
  // Largest response accepted, in bytes (the discovery document and the JWKS each).
  size_t max_bytes = size_t{1} << 20;
  // PEM file of extra trust anchors, besides the system store; "" = the system store only.
  std::string ca_file;
  // A monotonic clock for the refresh intervals; null = std::chrono::steady_clock. Tests inject
  // one.
  std::function<absl::Time()> clock = nullptr;
};

// Checks a JWKS / discovery URL: http(s) with a host, https unless the host is loopback, no
// user-info. Errors: ErrorDomain::kConfig "bad_url" (the message names no part of the URL).
absl::Status CheckJwksUrl(std::string_view url);

class JwksFetcher {
 public:
  // Validates the options (kConfig "bad_url", "bad_value", "bad_ca_file") and prepares the TLS
  // context. Fetches nothing.
  static absl::StatusOr<std::unique_ptr<JwksFetcher>> Create(JwksFetcherOptions options);
  ~JwksFetcher();
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // A JWKS and its version (incremented whenever the fetched text changes; 0 = none yet).
  struct Keys {
    std::string jwks;
    uint64_t version = 0;
  };

  // The current JWKS, fetched first when there is none yet or it is due a refresh. Errors:
  // ErrorDomain::kToken kUnavailable "jwks_unavailable" when no JWKS was ever fetched.
  absl::StatusOr<Keys> Get();
  // The current JWKS without fetching (version 0 and "" when none).
  Keys Current() const;
  // Current().version without taking the lock (for a cheap "anything new?" check per request).
  uint64_t version() const { return published_version_.load(std::memory_order_acquire); }
  // Refreshes in the calling thread when the JWKS is older than refresh_interval (at most once per
  // min_refresh_interval while fetches fail); returns at once when it is fresh or another thread is
  // fetching.
  void Poll();
  // Fetches now, or waits for the fetch in flight. True when the JWKS changed.
  bool Refresh();
  // The refresh for a token naming an unknown kid: rate-limited (min_refresh_interval) and shared.
  // True when the JWKS changed.
  bool RefreshForUnknownKid();

  // Why the last fetch failed; "" after a success.
  std::string last_error() const;
  // Fetch attempts of the JWKS document (for tests and metrics).
  uint64_t fetches() const;

 private:
  struct Tls;
  JwksFetcher(JwksFetcherOptions options, std::unique_ptr<Tls> tls);
  absl::Time Clock() const;
  bool DoRefresh(absl::Duration min_interval);
  // One fetch of the JWKS (through the discovery document when configured); no lock held.
  absl::StatusOr<std::string> FetchJwks();
  absl::StatusOr<std::string> FetchDocument(const std::string& url);

  const JwksFetcherOptions options_;
  std::string discovery_url_;  // "" = options_.url is the JWKS itself
  std::string expected_issuer_;
  std::unique_ptr<Tls> tls_;

  mutable base::Mutex mu_;
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetch attempts
  std::string jwks_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Time> fetched_at_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> last_attempt_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
  // Lock-free mirrors for the per-request checks: version_, and the clock reading (Unix ns) until
  // which the JWKS is fresh (fetched_at_ + refresh_interval; 0 = no JWKS yet).
  std::atomic<uint64_t> published_version_{0};
  std::atomic<int64_t> fresh_until_ns_{0};
};

}  // namespace jitguard::token

#endif  // JITGUARD_LIB_TOKEN_JWKS_FETCHER_H_
