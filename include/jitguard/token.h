// Token verification: OIDC/JWT access tokens (JWS compact serialization) checked against keys from
// a JWKS or PEM files, with issuer/audience/time claim checks, the caller's identity (subject,
// groups) as the result, and a verified-token cache.
//
// Security model: the key decides the algorithm, never the token. Keys come only from the
// configured JWKS/PEMs (the `jku`, `x5u`, `jwk` and `x5c` headers are never used); `kid` is an
// opaque map key; a key's `alg` pins it and without one the key type admits only its own family
// (RSA: RS*/PS*, EC: the ES* of its curve, OKP: EdDSA, oct: HS*); `none` is never accepted. Input
// is strict (size cap before decoding, canonical base64url, JSON objects without duplicate members,
// `crit` refused, JWE and nested tokens refused).
//
// Every rejection is an absl::Status of ErrorDomain::kToken whose stable reason
// (jitguard::ErrorReason) is one of: "malformed", "too_large", "bad_signature", "unknown_key",
// "algorithm", "crit", "expired", "not_yet_valid", "issuer", "audience", "claims", "typ". Messages
// never contain the token or key material.
//
// Keys come from a KeySource (a small interface, as LevelDB's Env): a static JWKS, PEM public keys,
// HMAC secrets, or a JWKS fetched from the identity provider (a JWKS URL or an OIDC discovery URL)
// and refreshed in a background thread, as Envoy's jwt_authn remote_jwks does. A TokenVerifier
// given a source installs each new key set the source publishes and, when a token names a key the
// set lacks, asks the source once for fresher keys (see KeySource::RefreshForUnknownKey).
//
// Thread-safety: a TokenVerifier is safe to share between threads: Verify may run on many threads
// at once while another thread calls UpdateKeys (the key set is swapped atomically; a bad update
// changes nothing). Keys are parsed once, at Create/UpdateKeys or when the source publishes a new
// set, never per call. Every KeySource is safe to share between threads.
#ifndef JITGUARD_TOKEN_H_
#define JITGUARD_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/export.h"
#include "jitguard/secret.h"

namespace jitguard {

// Who is calling, as the identity provider asserted it in a verified token.
struct JITGUARD_EXPORT Identity {
  std::string subject;              // `sub`
  std::string issuer;               // `iss`
  std::vector<std::string> groups;  // from TokenVerifierOptions::groups_claim; empty when absent
  absl::Time expires_at = absl::InfiniteFuture();  // `exp` (InfiniteFuture only if exp is optional)
  std::string token_id;                            // `jti`, or "" when absent
  std::string claims_json;  // every claim: the payload, a JSON object (as sent)
};

// A PEM public key (SubjectPublicKeyInfo) to verify with, besides or instead of a JWKS.
struct JITGUARD_EXPORT PemKey {
  std::string pem;
  std::string alg;  // pins the key to one algorithm ("RS256"); "" admits the key type's family
  std::string kid;  // matched against the token's kid; "" = a key without kid (see Verify)
};

// An HMAC (HS256/384/512) shared secret to verify with; at least 32 bytes.
struct JITGUARD_EXPORT HmacKey {
  SecretBytes secret;
  std::string alg;  // "HS256"...; "" admits every HS* the secret is long enough for
  std::string kid;
};

// The keys a KeySource holds at one moment. Immutable once published.
struct JITGUARD_EXPORT KeySnapshot {
  std::string jwks;  // a JWKS document ({"keys":[...]}); "" when the source has none
  std::vector<PemKey> pem_keys;
  std::vector<HmacKey> hmac_keys;
  uint64_t version = 0;  // 0 = no keys yet; grows whenever the keys change
};

// Where a TokenVerifier's keys come from. Implementations are thread-safe; the built-in ones come
// from the factories below. A user implementation (e.g. keys from a secrets manager) needs only
// Name, Current and version; RefreshForUnknownKey and last_error have sensible defaults.
class JITGUARD_EXPORT KeySource {
 public:
  virtual ~KeySource() = default;

  // For diagnostics and error messages: "static_jwks", "pem", "hmac", "jwks_url", ...
  virtual std::string Name() const = 0;
  // The keys now (version 0 and no keys when the source has none yet). Never blocks on I/O.
  virtual std::shared_ptr<const KeySnapshot> Current() const = 0;
  // Current()->version, cheap enough to read on every request (no lock, no copy).
  virtual uint64_t version() const = 0;
  // A token named a key the current set lacks: a fetching source refreshes (rate-limited, one
  // fetch shared by every caller) and waits for it a bounded time; a static source has nothing
  // newer. True when the keys changed meanwhile (the caller then verifies once more).
  virtual bool RefreshForUnknownKey() { return false; }
  // Why the last refresh failed; "" when it succeeded or the source does not fetch. Never the URL's
  // query, a token or key material.
  virtual std::string last_error() const { return ""; }

  // A fixed JWKS document (parsed by the verifier; a bad one fails TokenVerifier::Create).
  static std::shared_ptr<KeySource> StaticJwks(std::string jwks);
  // Fixed PEM public keys (SubjectPublicKeyInfo).
  static std::shared_ptr<KeySource> Pem(std::vector<PemKey> keys);
  // Fixed HMAC secrets.
  static std::shared_ptr<KeySource> Hmac(std::vector<HmacKey> keys);

 protected:
  KeySource() = default;
};

// Resolves a host name to numeric addresses ("192.0.2.1", "::1"); errors when it cannot. May
// block: the fetch runs it on a helper thread and stops waiting at the fetch's deadline, so a
// resolver that hangs does not hold a fetch past its timeout.
using HostResolver =
    std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)>;

// Who runs the periodic refresh of a fetching KeySource.
enum class RefreshThread {
  kBackground,  // a thread the source owns: refreshes after refresh_interval, retries a failure
                // after min_refresh_interval, runs unknown-key refreshes; requests never fetch
  kCaller,      // no thread: Poll() refreshes when due, on the thread that calls it, and an
                // unknown-key refresh runs on the requesting thread (tests, single-threaded tools)
};

struct JITGUARD_EXPORT JwksFetchOptions {
  // The JWKS URL, or an OIDC discovery document URL (ending in /.well-known/openid-configuration)
  // whose jwks_uri is then fetched. Exactly one of url and issuer.
  std::string url;
  // Instead of url: <issuer>/.well-known/openid-configuration, which must name this issuer.
  std::string issuer;
  // Keys older than this are fetched again. Shorter: rotations seen sooner, more fetches.
  absl::Duration refresh_interval = absl::Hours(1);
  // At most one unknown-key refresh per this interval (a flood of made-up kids costs one fetch);
  // also the retry delay after a failed fetch. Shorter: rotations seen sooner, more load on the IdP.
  absl::Duration min_refresh_interval = absl::Seconds(30);
  // Name resolution + connect + TLS handshake + response, per document; whole seconds (rounded
  // up), at least 1, at most an hour.
  absl::Duration timeout = absl::Seconds(5);
  // How long a request that named an unknown key waits for the refresh it triggered. Zero: it
  // does not wait (rejected as unknown_key; later requests see the new keys). Longer than the
  // fetch takes costs nothing.
  absl::Duration unknown_key_wait = absl::Seconds(5);
  // Largest response accepted, in bytes (the discovery document and the JWKS each).
  size_t max_bytes = size_t{1} << 20;
  // PEM file of extra trust anchors, besides the system store; "" = the system store only.
  std::string ca_file;
  // See RefreshThread. kBackground is what a server wants.
  RefreshThread refresh_thread = RefreshThread::kBackground;
  // A monotonic clock for the refresh decisions; null = std::chrono::steady_clock. For tests (the
  // background thread still sleeps in real time).
  std::function<absl::Time()> clock = nullptr;
  // Name resolution; null = the system resolver (getaddrinfo). Either way bounded by `timeout`.
  HostResolver resolver = nullptr;
};

// The JWKS of an identity provider, fetched over HTTPS with OpenSSL's HTTP client: the server
// certificate verified against the system trust store (plus ca_file) and its host name checked;
// plain http:// only to loopback; redirects never followed; responses above max_bytes refused;
// resolution, connect, handshake and read share one deadline (`timeout`). A failed fetch keeps the
// last good keys (last_error() says why). Error texts never contain the URL, tokens or key
// material.
class JITGUARD_EXPORT JwksKeySource : public KeySource {
 public:
  // Validates the options (ErrorDomain::kConfig "bad_url", "bad_value", "bad_ca_file") and, with
  // RefreshThread::kBackground, starts the refresh thread, which fetches at once. Does not wait
  // for the first fetch: see WaitForKeys.
  static absl::StatusOr<std::shared_ptr<JwksKeySource>> Create(JwksFetchOptions options);

  // Waits up to `timeout` for the first key set (kCaller: fetches it on this thread when there is
  // none). Errors: ErrorDomain::kToken kUnavailable "jwks_unavailable" naming why the last fetch
  // failed.
  virtual absl::Status WaitForKeys(absl::Duration timeout) = 0;
  // Fetches now, sharing a fetch already in flight (not rate-limited), on the calling thread. True
  // when the keys changed.
  virtual bool Refresh() = 0;
  // The periodic step: refreshes on this thread when the keys are due (no keys yet, or older than
  // refresh_interval; a failing source at most once per min_refresh_interval); returns at once when
  // they are fresh or another thread is fetching. The background thread runs exactly this.
  virtual void Poll() = 0;
  // Fetch attempts of the JWKS document so far (for tests and metrics).
  virtual uint64_t fetches() const = 0;
};

// Checks a JWKS / discovery URL: http(s) with a host, https unless the host is loopback, no
// user-info. Errors: ErrorDomain::kConfig "bad_url" (the message names no part of the URL).
JITGUARD_EXPORT absl::Status CheckJwksUrl(std::string_view url);

// Whether a token must carry `exp`.
enum class ExpiryPolicy { kRequired, kOptional };

// Whether a token must carry a string `sub` (the identity's subject).
enum class SubjectPolicy { kRequired, kOptional };

// Where the audience may come from.
enum class AudiencePolicy {
  kAud,                   // `aud` (string or array) must name one of `audiences`
  kAudOrAuthorizedParty,  // also accept `azp` or `client_id` in `audiences` when the token has no
                          // `aud` (providers such as Cognito send access tokens without `aud`)
  kNotChecked,            // no audience check at all (only for tokens from a private issuer)
};

struct JITGUARD_EXPORT TokenVerifierOptions {
  // A JWKS document ({"keys":[...]}). May be empty when `pem_keys`, `hmac_keys` or `key_source`
  // are given.
  std::string jwks;
  // Keys that change: whenever the source publishes a new set (version), it replaces the JWKS keys
  // (as UpdateKeys does; `pem_keys` and `hmac_keys` stay). A source without keys yet at Create is
  // no error when the other fields give some; else Create fails ("bad_key").
  std::shared_ptr<KeySource> key_source;
  // PEM public keys, in addition to the JWKS.
  std::vector<PemKey> pem_keys;
  // HMAC secrets, in addition to the JWKS. Never mix them with public keys for one issuer.
  std::vector<HmacKey> hmac_keys;
  // Accepted `iss` values (exact match). Required: at least one.
  std::vector<std::string> issuers;
  // Accepted audiences; at least one unless audience_policy is kNotChecked.
  std::vector<std::string> audiences;
  // Audience rule; kAud is the strict default.
  AudiencePolicy audience_policy = AudiencePolicy::kAud;
  // Allowed algorithms ("RS256", "ES256", ...); empty = whatever the keys admit. Narrows, never
  // widens.
  std::vector<std::string> algorithms;
  // Clock skew tolerated on exp/nbf/iat. Larger accepts more skewed clocks and slightly stale
  // tokens.
  absl::Duration leeway = absl::Seconds(60);
  // Claim holding the groups: a top-level name ("groups", "roles", "cognito:groups") or a dotted
  // path into nested objects ("realm_access.roles"); an array of strings or a single string.
  std::string groups_claim = "groups";
  // exp is required by default; tokens without exp are never cached.
  ExpiryPolicy expiry = ExpiryPolicy::kRequired;
  // When set, exp - iat may not exceed this (iat then required). Caps tokens minted far too long.
  std::optional<absl::Duration> max_lifetime;
  // `sub` is required by default: an identity without a subject is not an identity.
  SubjectPolicy subject = SubjectPolicy::kRequired;
  // Claims that must be present (any value), e.g. {"jti", "scope"}.
  std::vector<std::string> required_claims;
  // Accepted `typ` header values, compared case-insensitively, "application/" prefix ignored (e.g.
  // {"at+jwt"}). Empty = typ not checked.
  std::vector<std::string> typ;
  // Tokens longer than this are rejected ("too_large") before any decoding.
  size_t max_token_size = size_t{16} * 1024;
  // Verified tokens remembered (0 disables the cache). Each entry keeps a copy of the token.
  size_t cache_size = 16384;
};

// Checks bearer tokens. Create once, share, call Verify per request.
class JITGUARD_EXPORT TokenVerifier {
 public:
  // Builds a verifier; errors (reason "bad_key" or "config") for unusable options: no usable key,
  // no issuer, no audience (unless kNotChecked), an unknown algorithm name, an unparseable JWKS.
  static absl::StatusOr<std::shared_ptr<TokenVerifier>> Create(TokenVerifierOptions options);

  virtual ~TokenVerifier() = default;

  // Verifies `token` at time `now`: signature, then claims. Key selection: with a kid, the key of
  // that kid (if no key has it, the single kid-less configured key that admits the alg, if exactly
  // one); without a kid, the single key that admits the alg. A cache hit re-checks exp/nbf/iat
  // against `now` with the leeway.
  virtual absl::StatusOr<Identity> Verify(std::string_view token, absl::Time now) const = 0;

  // As Verify, sharing the cached Identity instead of copying it (the fastest form).
  virtual absl::StatusOr<std::shared_ptr<const Identity>> VerifyShared(std::string_view token,
                                                                       absl::Time now) const = 0;

  // Verifies only the JWS: strict parsing, key selection, algorithm admission and the signature; no
  // claim checks, and the payload may be any bytes. Returns the payload. For non-JWT JWS uses and
  // conformance suites; never the cache.
  virtual absl::StatusOr<std::string> VerifyJws(std::string_view jws) const = 0;

  // Replaces the JWKS keys (PEM and HMAC keys from the options stay) until the key source, if any,
  // publishes its next set. Atomic: verifications running meanwhile see either the old or the new
  // set. A document that does not parse or yields no usable
  // key changes nothing and returns the error. Cached tokens of keys that are gone are dropped.
  virtual absl::Status UpdateKeys(std::string_view jwks) = 0;

  // Number of usable keys now.
  virtual size_t key_count() const = 0;

  // The kids of the current keys (keys without kid are not listed).
  virtual std::vector<std::string> key_ids() const = 0;

  // One line per JWKS key that was skipped or refused at the last Create/UpdateKeys (index and
  // reason; never key material).
  virtual std::vector<std::string> key_problems() const = 0;

  // Entries in the verified-token cache now.
  virtual size_t cache_entries() const = 0;

 protected:
  TokenVerifier() = default;
};

}  // namespace jitguard

#endif  // JITGUARD_TOKEN_H_
