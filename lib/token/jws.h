// Internal JWS layer (RFC 7515 compact serialization, RFC 7518 algorithms, RFC 7517 keys), shared
// by the token verifier and the grant issuer/verifier. Not installed; the public API is
// include/jitguard/token.h.
//
// Everything here is strict and fails closed:
//  * ParseCompactJws checks the size cap before decoding anything, wants exactly three parts (a
//    five-part JWE or any other count is "malformed"), strict base64url (lib/base/base64url.h: no
//    padding, whitespace or non-zero trailing bits), a header and (by default) a payload that are
//    JSON objects without duplicate member names, an `alg` that is one of the thirteen supported
//    names (case-sensitive; "none" in any case is reason "algorithm"), `crit` listing only names
//    the caller understands (reason "crit"), and no nested token (`cty: "JWT"`).
//  * A JwsKey decides which algorithms it can be used with (JwsKey::Admits): a key's `alg` pins it;
//    without `alg` its type admits its family (RSA: RS*/PS*, EC: the ES* of its own curve, OKP
//    Ed25519: EdDSA, oct: the HS* whose hash length the secret reaches). Verify and Sign check
//    admission themselves, so a token can never choose a different algorithm for a key.
//  * Verify: ES* signatures are raw r||s of exactly 64/96/132 bytes with 1 <= r,s < n; RSA keys
//  have
//    at least 2048 bits; PS* use MGF1 with the same hash and a salt as long as the hash; HS*
//    compare in constant time.
//
// Every failure is a Status of ErrorDomain::kToken with one of the stable reasons below
// (code kUnauthenticated for token problems, kInvalidArgument for key problems). Messages never
// contain token bytes or key material.
//
// Thread-safety: JwsKey is an immutable value (copies share the OpenSSL key); Verify and Sign are
// safe to call from many threads on the same key. A JwsParser holds reusable simdjson buffers and
// belongs to one thread at a time (keep one per thread, e.g. thread_local).
#ifndef JITGUARD_LIB_TOKEN_JWS_H_
#define JITGUARD_LIB_TOKEN_JWS_H_

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "simdjson.h"

namespace jitguard::token {

// ---- stable reasons ---------------------------------------------------------------------------
inline constexpr std::string_view kReasonMalformed = "malformed";  // not a well-formed JWS/JWT
inline constexpr std::string_view kReasonTooLarge = "too_large";   // over the size cap
inline constexpr std::string_view kReasonBadSignature = "bad_signature";
inline constexpr std::string_view kReasonUnknownKey = "unknown_key";  // no key fits kid/alg
inline constexpr std::string_view kReasonAlgorithm = "algorithm";     // none/unknown/not admitted
inline constexpr std::string_view kReasonCrit = "crit";       // a `crit` name not understood
inline constexpr std::string_view kReasonBadKey = "bad_key";  // a key could not be imported

// ---- algorithms -------------------------------------------------------------------------------
enum class Algorithm : uint8_t {
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
  kHS256,
  kHS384,
  kHS512,
};
inline constexpr int kAlgorithmCount = 13;

// The algorithm named exactly `name` ("RS256", ..., "EdDSA"); nullopt for anything else, including
// "none" in any case and names differing only in case.
std::optional<Algorithm> AlgorithmFromName(std::string_view name);

// The JOSE name of `alg` ("ES256").
std::string_view AlgorithmName(Algorithm alg);

// Length in bytes of the hash behind `alg` (32/48/64; EdDSA: 64, SHA-512 inside Ed25519).
size_t HashLength(Algorithm alg);

enum class KeyType : uint8_t { kRsa, kEc, kOkp, kOct };
enum class Curve : uint8_t { kNone, kP256, kP384, kP521, kEd25519 };

// Whether a key import keeps private parameters (EC/OKP `d`, a private PEM). oct keys are always
// secret; they are accepted by both.
enum class KeyPart : uint8_t { kPublic, kPrivate };

// ---- keys -------------------------------------------------------------------------------------
class JwsKey {
 public:
  // Imports one JWK (RFC 7517/7518). RSA: n, e (>= 2048 bits, e odd and > 1). EC: crv P-256/P-384/
  // P-521 with x, y of exactly the field size, point checked on the curve. OKP: crv Ed25519, x of
  // 32 bytes. oct: k of at least 32 bytes (and at least the hash length of a pinned HS alg). `alg`,
  // when present, must be a supported JWS algorithm that fits the key ("ES521", "A256GCM", "RSA1_5"
  // are refused). `use` other than "sig", or `key_ops` without "verify"/"sign", is refused (reason
  // "key_use"; ParseJwks skips such keys). With KeyPart::kPublic, private parameters (`d`) are
  // refused: a verification key set must not carry them. With kPrivate, EC/OKP `d` is imported (RSA
  // private keys only from PEM).
  static absl::StatusOr<JwsKey> FromJwk(simdjson::dom::object jwk, KeyPart part = KeyPart::kPublic);
  static absl::StatusOr<JwsKey> FromJwkJson(std::string_view json, KeyPart part = KeyPart::kPublic);

  // Imports a PEM key: SubjectPublicKeyInfo ("PUBLIC KEY") with kPublic; PKCS#8 or traditional
  // private keys with kPrivate (the public half comes along). RSA >= 2048 bits, EC P-256/384/521,
  // Ed25519. `alg` pins the key when given; `kid` is optional.
  static absl::StatusOr<JwsKey> FromPem(std::string_view pem, KeyPart part,
                                        std::optional<Algorithm> alg = std::nullopt,
                                        std::optional<std::string> kid = std::nullopt);

  // An HMAC secret (at least 32 bytes, and at least HashLength(*alg) when pinned).
  static absl::StatusOr<JwsKey> FromSecret(std::string_view secret,
                                           std::optional<Algorithm> alg = std::nullopt,
                                           std::optional<std::string> kid = std::nullopt);

  KeyType type() const;
  Curve curve() const;                   // kNone for RSA and oct
  std::optional<Algorithm> alg() const;  // the pin, if any
  const std::optional<std::string>& kid() const;
  bool has_private() const;  // can Sign (oct keys: always)
  int bits() const;          // modulus / field / secret size in bits

  // The admission rule above, for a token that names `alg`.
  bool Admits(Algorithm alg) const;

  // The public half as a JWK JSON object (kty, crv, n/e or x/y, alg and kid when set; never `d`).
  // oct keys have no public half: error.
  absl::StatusOr<std::string> PublicJwk() const;

  // Hash of the key identity (type and public parameters or secret digest), used to recognise the
  // same key across JWKS rotations. Not secret-revealing (a SHA-256 over a domain-separated
  // encoding).
  const std::string& fingerprint() const;

  struct State;  // defined in jwk.cc
  const State& state() const { return *state_; }

 private:
  explicit JwsKey(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
  friend struct JwsKeyFactory;
};

// The result of importing a JWKS: the usable keys, and one line per key that was skipped or refused
// (its index in "keys" and the reason; never key material).
struct JwksParseResult {
  std::vector<JwsKey> keys;
  std::vector<std::string> problems;
};

// Imports `{"keys":[...]}`. Keys that are not for signatures (`use: enc`, key_ops without verify)
// are skipped; bad keys are refused and reported; keys sharing a kid are all dropped (ambiguous).
// An error (reason "bad_key") only when the document itself is not a JWKS (not JSON, duplicate
// members, no `keys` array, oct keys mixed with public keys). Zero usable keys is not an error
// here.
absl::StatusOr<JwksParseResult> ParseJwks(std::string_view json, KeyPart part = KeyPart::kPublic);

// ---- parsing ----------------------------------------------------------------------------------
enum class PayloadFormat : uint8_t {
  kJsonObject,  // a JWT: the payload must be a JSON object without duplicate member names
  kAny,         // a bare JWS: any bytes (Wycheproof, RFC 7515 A.x)
};

struct JwsParseOptions {
  // Tokens longer than this are "too_large", before any decoding.
  size_t max_size = size_t{16} * 1024;
  // What the payload must be.
  PayloadFormat payload = PayloadFormat::kJsonObject;
  // Header names that the caller processes itself and so may appear in `crit`. Empty by default:
  // any `crit` is rejected. Standard header names may never appear in `crit` (RFC 7515 4.1.11).
  std::vector<std::string> understood_crit;
};

struct ParsedJws {
  Algorithm alg = Algorithm::kRS256;
  std::optional<std::string> kid;
  std::optional<std::string> typ;
  std::string_view
      signing_input;        // BASE64URL(header) "." BASE64URL(payload): a view into the token
  std::string header_json;  // decoded header
  std::string payload;      // decoded payload (JSON text for kJsonObject)
  std::string signature;    // decoded signature bytes
};

// Strict compact-JWS parser with reusable simdjson buffers. One per thread.
class JwsParser {
 public:
  JwsParser() = default;
  JwsParser(const JwsParser&) = delete;
  JwsParser& operator=(const JwsParser&) = delete;

  // Parses `token` into *out (the views in *out point into `token`). On success with
  // PayloadFormat::kJsonObject, payload_object() is the parsed payload until the next Parse.
  absl::Status Parse(std::string_view token, const JwsParseOptions& options, ParsedJws* out);

  simdjson::dom::object payload_object() const { return payload_object_; }

 private:
  simdjson::dom::parser header_parser_;
  simdjson::dom::parser payload_parser_;
  simdjson::dom::object payload_object_;
};

// Convenience form with a thread-local parser (payload JSON available as text only).
absl::StatusOr<ParsedJws> ParseCompactJws(std::string_view token,
                                          const JwsParseOptions& options = {});

// ---- signatures -------------------------------------------------------------------------------
// Verifies `signature` over `signing_input` with `key` under `alg`. Reasons: "algorithm" when the
// key does not admit `alg`, "bad_signature" for any signature that does not verify (wrong length,
// r or s out of range, wrong value).
absl::Status Verify(const JwsKey& key, Algorithm alg, std::string_view signing_input,
                    std::string_view signature);

// Signs `signing_input` with a private (or oct) key under `alg`, in JOSE form (raw r||s for ES*).
// Supports every algorithm above.
absl::StatusOr<std::string> Sign(const JwsKey& key, Algorithm alg, std::string_view signing_input);

// {"alg":"...","kid":"...","typ":"..."} (kid and typ only when given; JSON-escaped).
std::string MakeHeaderJson(Algorithm alg, std::optional<std::string_view> kid = std::nullopt,
                           std::optional<std::string_view> typ = std::nullopt);

// BASE64URL(header_json) "." BASE64URL(payload).
std::string MakeSigningInput(std::string_view header_json, std::string_view payload);

// The compact token: signing input, ".", BASE64URL(Sign(...)). `header_json` must name `alg`
// (checked: a header that says otherwise is refused with reason "algorithm").
absl::StatusOr<std::string> SignCompact(const JwsKey& key, Algorithm alg,
                                        std::string_view header_json, std::string_view payload);

}  // namespace jitguard::token

#endif  // JITGUARD_LIB_TOKEN_JWS_H_
