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
// Thread-safety: a TokenVerifier is safe to share between threads: Verify may run on many threads
// at once while another thread calls UpdateKeys (the key set is swapped atomically; a bad update
// changes nothing). Keys are parsed once, at Create/UpdateKeys, never per call.
#ifndef JITGUARD_TOKEN_H_
#define JITGUARD_TOKEN_H_

#include <cstddef>
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
  // A JWKS document ({"keys":[...]}). May be empty when `pem_keys` or `hmac_keys` are given.
  std::string jwks;
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

  // Replaces the JWKS keys (PEM and HMAC keys from the options stay). Atomic: verifications running
  // meanwhile see either the old or the new set. A document that does not parse or yields no usable
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
