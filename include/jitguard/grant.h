// Just-in-time grants: for each permitted call, a short-lived signed token scoped to exactly the
// datasets and operations (and model) of that call, usable once. The model container then holds no
// long-lived secret: the data store behind it verifies the grant with a GrantVerifier.
//
// A grant is a compact JWS with header `typ: jitguard-grant+jwt` (explicit typing, RFC 8725 3.11:
// an access token never passes as a grant, and a grant carries no `aud`, so it never passes as an
// access token) and claims iss, sub, iat, exp, jti (128 random bits, hex), datasets, operations,
// model, request_id and approval_id (the ticket, when a human approved the call). Algorithms: ES256
// (P-256), EdDSA (Ed25519), HS256 (secret of at least 32 bytes). The JWS layer is the token
// component's (strict parsing, key-decides-algorithm).
//
// Verification errors carry ErrorDomain::kGrant and a stable reason:
//   malformed, too_large, crit, typ, algorithm, unknown_key, bad_signature (kUnauthenticated);
//   issuer, expired, not_yet_valid, lifetime (kUnauthenticated); scope (kPermissionDenied);
//   replayed, revoked (kPermissionDenied); replay_cache_unavailable (kUnavailable);
//   replay_cache_full (kResourceExhausted).
//
// Thread-safety: GrantIssuer and GrantVerifier are immutable after Create and safe to share between
// threads (std::shared_ptr<const ...>); the verifier's single-use state lives in its ReplayCache,
// which is thread-safe (and, in Redis, shared by every replica).
#ifndef JITGUARD_GRANT_H_
#define JITGUARD_GRANT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/export.h"
#include "jitguard/replay.h"
#include "jitguard/secret.h"

namespace jitguard {

class AuditSink;  // jitguard/audit.h

// The `typ` header of every grant.
inline constexpr std::string_view kGrantType = "jitguard-grant+jwt";

// Key material for grants, tagged with what it is.
struct JITGUARD_EXPORT GrantKey {
  enum class Kind {
    kPem,     // issuer: a PKCS#8/traditional private key; verifier: a public key ("PUBLIC KEY")
              // or a private key (its public half is used). P-256 -> ES256, Ed25519 -> EdDSA.
    kJwks,    // verifier only: {"keys":[...]} with EC P-256, OKP Ed25519 or oct keys
    kSecret,  // HS256 shared secret, at least 32 bytes
  };
  Kind kind = Kind::kSecret;
  SecretBytes material;

  static GrantKey Pem(std::string_view pem) { return {Kind::kPem, SecretBytes(pem)}; }
  static GrantKey Jwks(std::string_view json) { return {Kind::kJwks, SecretBytes(json)}; }
  static GrantKey Secret(SecretBytes secret) { return {Kind::kSecret, std::move(secret)}; }
};

// What one grant allows.
struct JITGUARD_EXPORT GrantRequest {
  std::string subject = {};                  // whose call (the verified identity's subject)
  std::vector<std::string> datasets = {};    // exactly the datasets of this call (may be empty)
  std::vector<std::string> operations = {};  // exactly the operations of this call (at least one)
  std::optional<std::string> model = {};     // nullopt: the grant does not restrict the model
  absl::Duration ttl = absl::Seconds(60);    // lifetime; at most GrantIssuerOptions::max_ttl
  std::string request_id = {};               // correlates with the audit trail; "" = none
  std::string approval_id = {};  // the approval ticket that allowed this call; "" = none
};

// A freshly minted grant.
struct JITGUARD_EXPORT IssuedGrant {
  std::string token = {};  // the compact JWS; a bearer credential: never log it
  std::string id = {};     // the jti (32 lowercase hex characters)
  absl::Time expires_at = {};
};

struct GrantIssuerOptions {
  std::string issuer = "jitguard";          // the `iss` claim
  std::string key_id = {};                  // the `kid` header; "" = none
  absl::Duration max_ttl = absl::Hours(1);  // longer requested lifetimes are refused
  // Receives grant.issued (grant id, subject, scope, expiry; never the token). Null: no audit. A
  // failing sink fails Issue (no token is returned).
  std::shared_ptr<AuditSink> audit = nullptr;
};

// Mints grants. Create fails with reason "bad_key" (ErrorDomain::kGrant) for a key that is not a
// P-256 or Ed25519 private key or an HMAC secret of at least 32 bytes, "invalid_options" otherwise.
class JITGUARD_EXPORT GrantIssuer {
 public:
  static absl::StatusOr<std::shared_ptr<const GrantIssuer>> Create(const GrantKey& key,
                                                                   GrantIssuerOptions options = {});
  virtual ~GrantIssuer();

  // Signs a grant valid from `now` for request.ttl (whole seconds, rounded up). Errors:
  // "invalid_request" (empty subject or operations, empty names, ttl out of range).
  virtual absl::StatusOr<IssuedGrant> Issue(const GrantRequest& request, absl::Time now) const = 0;

  // "ES256", "EdDSA" or "HS256".
  virtual std::string_view Algorithm() const = 0;
};

// A verified grant.
struct JITGUARD_EXPORT Grant {
  std::string id = {};
  std::string issuer = {};
  std::string subject = {};
  std::vector<std::string> datasets = {};
  std::vector<std::string> operations = {};
  std::optional<std::string> model = {};
  std::string request_id = {};
  std::string approval_id = {};
  absl::Time issued_at = {};
  absl::Time expires_at = {};
};

// What the caller is about to do with the grant; each field that is set must be inside the grant's
// scope (reason "scope"). A grant without a model claim admits any model.
struct JITGUARD_EXPORT GrantScope {
  std::optional<std::string> dataset = {};
  std::optional<std::string> operation = {};
  std::optional<std::string> model = {};
};

struct GrantVerifierOptions {
  std::string issuer = "jitguard";           // required `iss`
  absl::Duration leeway = absl::Seconds(5);  // clock skew allowed on exp and iat
  // Grants whose exp - iat exceeds this are refused ("lifetime"); revocations are remembered this
  // long (plus leeway), so they outlive every grant they could name.
  absl::Duration max_lifetime = absl::Hours(1);
  // Single-use state. Null: a private MemoryReplayCache (one process only; pass a Redis cache when
  // several replicas verify grants).
  std::shared_ptr<ReplayCache> replay_cache = nullptr;
  // Receives grant.verified / grant.rejected (with the reason) / grant.revoked. Null: no audit. A
  // failing sink fails a verification that succeeded (the grant is then spent, not usable).
  std::shared_ptr<AuditSink> audit = nullptr;
};

// Verifies grants, each at most once. Create fails with reason "bad_key" for unusable key material.
class JITGUARD_EXPORT GrantVerifier {
 public:
  static absl::StatusOr<std::shared_ptr<const GrantVerifier>> Create(
      const GrantKey& key, GrantVerifierOptions options = {});
  virtual ~GrantVerifier();

  // Checks signature, typ, issuer, lifetime and `scope`, then marks the grant used. Only the first
  // successful Verify of a grant returns OK, across every verifier sharing the ReplayCache; a grant
  // that fails a check is not marked used.
  virtual absl::StatusOr<Grant> Verify(std::string_view token, const GrantScope& scope,
                                       absl::Time now) const = 0;

  // Revokes the grant `grant_id` (whether or not it was seen yet). Errors: the ReplayCache's.
  virtual absl::Status Revoke(std::string_view grant_id, absl::Time now) const = 0;

  // The cache in use (for sharing or diagnostics).
  virtual const std::shared_ptr<ReplayCache>& replay_cache() const = 0;
};

}  // namespace jitguard

#endif  // JITGUARD_GRANT_H_
