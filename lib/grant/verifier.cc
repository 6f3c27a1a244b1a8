// GrantVerifier: strict JWS through the token layer, then typ, issuer, lifetime and scope, and
// finally single use through the ReplayCache. Every check that can fail without side effects runs
// before MarkUsed, so a grant refused for scope (say) is not spent.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "jitguard/audit.h"
#include "jitguard/grant.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "lib/grant/grant_internal.h"
#include "lib/token/jws.h"
#include "simdjson.h"

namespace jitguard {

GrantVerifier::~GrantVerifier() = default;

namespace {

using grant_internal::AsGrantError;
using grant_internal::GrantError;

absl::Status Reject(std::string_view reason, std::string_view message) {
  return GrantError(absl::StatusCode::kUnauthenticated, reason, message);
}
absl::Status Malformed(std::string_view message) { return Reject("malformed", message); }

bool IsGrantAlgorithm(token::Algorithm alg) {
  return alg == token::Algorithm::kES256 || alg == token::Algorithm::kEdDSA ||
         alg == token::Algorithm::kHS256;
}

// `typ` is a media type: compared case-insensitively, with an optional "application/" prefix.
bool IsGrantTyp(const std::optional<std::string>& typ) {
  if (!typ) return false;
  absl::string_view t = base::AsAbsl(*typ);
  if (absl::StartsWithIgnoreCase(t, "application/")) t.remove_prefix(12);
  return absl::EqualsIgnoreCase(t, base::AsAbsl(kGrantType));
}

bool GetString(simdjson::dom::object o, std::string_view key, std::string* out, bool* present) {
  simdjson::dom::element el;
  *present = o[key].get(el) == simdjson::SUCCESS;
  if (!*present) return true;
  std::string_view v;
  if (el.get_string().get(v) != simdjson::SUCCESS) return false;
  out->assign(v);
  return true;
}

bool GetStringList(simdjson::dom::object o, std::string_view key, std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (o[key].get_array().get(arr) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element el : arr) {
    std::string_view s;
    if (el.get_string().get(s) != simdjson::SUCCESS) return false;
    out->emplace_back(s);
  }
  return true;
}

// A NumericDate (seconds, integer or fraction) within a sane range.
bool GetDate(simdjson::dom::object o, std::string_view key, absl::Time* out) {
  double v = 0;
  if (o[key].get_double().get(v) != simdjson::SUCCESS) return false;
  if (!std::isfinite(v) || v < 0 || v > 1e11) return false;
  *out = absl::FromUnixMicros(static_cast<int64_t>(v * 1e6));
  return true;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

class Verifier final : public GrantVerifier {
 public:
  Verifier(std::vector<token::JwsKey> keys, GrantVerifierOptions options)
      : keys_(std::move(keys)), options_(std::move(options)) {}

  absl::StatusOr<Grant> Verify(std::string_view token, const GrantScope& scope,
                               absl::Time now) const override {
    Grant grant;
    absl::Status s = Check(token, scope, now, &grant);
    if (options_.audit == nullptr) {
      if (!s.ok()) return s;
      return grant;
    }
    AuditEvent event;
    event.type = std::string(s.ok() ? audit_type::kGrantVerified : audit_type::kGrantRejected);
    event.time = now;
    event.subject = grant.subject;  // empty unless the signature verified
    event.request_id = grant.request_id;
    if (scope.dataset) event.dataset = *scope.dataset;
    if (scope.operation) event.operation = *scope.operation;
    if (scope.model) event.model = *scope.model;
    event.decision = s.ok() ? "verified" : "rejected";
    if (!grant.id.empty()) event.Set(audit_field::kGrantId, grant.id);
    if (!grant.approval_id.empty()) {
      event.Set(audit_field::kTicketId, grant.approval_id);
    }
    if (!s.ok()) {
      event.Set(audit_field::kReason, ErrorReason(s));
      options_.audit->Write(event).IgnoreError();  // the rejection is the answer
      return s;
    }
    if (absl::Status a = options_.audit->Write(event); !a.ok()) return a;
    return grant;
  }

  absl::Status Revoke(std::string_view grant_id, absl::Time now) const override {
    absl::Status s =
        options_.replay_cache->Revoke(grant_id, now + options_.max_lifetime + options_.leeway, now);
    if (options_.audit != nullptr && s.ok()) {
      AuditEvent event;
      event.type = "grant.revoked";
      event.time = now;
      event.decision = "revoked";
      event.Set(audit_field::kGrantId, grant_id);
      if (absl::Status a = options_.audit->Write(event); !a.ok()) return a;
    }
    return s;
  }

  const std::shared_ptr<ReplayCache>& replay_cache() const override {
    return options_.replay_cache;
  }

 private:
  // Fills *grant as far as it got (subject and id only once the signature verified).
  absl::Status Check(std::string_view token, const GrantScope& scope, absl::Time now,
                     Grant* grant) const {
    static const token::JwsParseOptions kParseOptions = [] {
      token::JwsParseOptions o;
      o.max_size = size_t{8} * 1024;
      return o;
    }();
    thread_local token::JwsParser parser;
    token::ParsedJws parsed;
    if (absl::Status s = parser.Parse(token, kParseOptions, &parsed); !s.ok()) {
      return AsGrantError(s);
    }
    if (!IsGrantTyp(parsed.typ)) {
      return Reject("typ", "the token is not a jitguard grant (typ)");
    }
    if (!IsGrantAlgorithm(parsed.alg)) {
      return Reject("algorithm", "grants are signed with ES256, EdDSA or HS256");
    }
    bool key_found = false;
    absl::Status signature = Reject("unknown_key", "no key matches the grant's kid and algorithm");
    for (const token::JwsKey& key : keys_) {
      if (!key.Admits(parsed.alg)) continue;
      if (parsed.kid && key.kid() && *key.kid() != *parsed.kid) continue;
      key_found = true;
      signature = token::Verify(key, parsed.alg, parsed.signing_input, parsed.signature);
      if (signature.ok()) break;
    }
    if (!key_found || !signature.ok()) return AsGrantError(signature);

    const simdjson::dom::object claims = parser.payload_object();
    std::string iss;
    bool present = false;
    if (!GetString(claims, "iss", &iss, &present) || !present) {
      return Reject("issuer", "the grant names no issuer");
    }
    if (iss != options_.issuer) return Reject("issuer", "the grant is from another issuer");
    grant->issuer = std::move(iss);
    if (!GetString(claims, "sub", &grant->subject, &present) || !present ||
        grant->subject.empty()) {
      grant->subject.clear();
      return Malformed("the grant has no subject");
    }
    if (!GetString(claims, "jti", &grant->id, &present) || !present || grant->id.empty()) {
      grant->id.clear();
      return Malformed("the grant has no id");
    }
    if (!GetDate(claims, "iat", &grant->issued_at) || !GetDate(claims, "exp", &grant->expires_at)) {
      return Malformed("iat and exp must be NumericDates");
    }
    if (!GetStringList(claims, grant_internal::kClaimDatasets, &grant->datasets) ||
        !GetStringList(claims, grant_internal::kClaimOperations, &grant->operations)) {
      return Malformed("datasets and operations must be arrays of strings");
    }
    std::string model;
    if (!GetString(claims, grant_internal::kClaimModel, &model, &present)) {
      return Malformed("model must be a string");
    }
    if (present) grant->model = std::move(model);
    if (!GetString(claims, grant_internal::kClaimRequestId, &grant->request_id, &present) ||
        !GetString(claims, grant_internal::kClaimApprovalId, &grant->approval_id, &present)) {
      return Malformed("request_id and approval_id must be strings");
    }

    if (now >= grant->expires_at + options_.leeway) {
      return Reject("expired", "the grant has expired");
    }
    if (grant->issued_at > now + options_.leeway) {
      return Reject("not_yet_valid", "the grant was issued in the future");
    }
    if (grant->expires_at <= grant->issued_at ||
        grant->expires_at - grant->issued_at > options_.max_lifetime) {
      return Reject("lifetime", "the grant's lifetime is out of range");
    }

    if (scope.dataset && !Contains(grant->datasets, *scope.dataset)) {
      return GrantError(absl::StatusCode::kPermissionDenied, "scope",
                        "the dataset is not in the grant's scope");
    }
    if (scope.operation && !Contains(grant->operations, *scope.operation)) {
      return GrantError(absl::StatusCode::kPermissionDenied, "scope",
                        "the operation is not in the grant's scope");
    }
    if (scope.model && grant->model && *scope.model != *grant->model) {
      return GrantError(absl::StatusCode::kPermissionDenied, "scope",
                        "the model is not the grant's model");
    }
    return options_.replay_cache->MarkUsed(grant->id, grant->expires_at + options_.leeway, now);
  }

  const std::vector<token::JwsKey> keys_;
  const GrantVerifierOptions options_;
};

absl::Status BadKey(std::string_view message) {
  return GrantError(absl::StatusCode::kInvalidArgument, "bad_key", message);
}

bool IsGrantKey(const token::JwsKey& k) {
  return k.Admits(token::Algorithm::kES256) || k.Admits(token::Algorithm::kEdDSA) ||
         k.Admits(token::Algorithm::kHS256);
}

absl::StatusOr<std::vector<token::JwsKey>> ImportKeys(const GrantKey& key) {
  std::vector<token::JwsKey> keys;
  switch (key.kind) {
    case GrantKey::Kind::kSecret: {
      absl::StatusOr<token::JwsKey> k =
          token::JwsKey::FromSecret(key.material.Reveal(), token::Algorithm::kHS256);
      if (!k.ok()) return BadKey("an HS256 secret must be at least 32 bytes");
      keys.push_back(*std::move(k));
      break;
    }
    case GrantKey::Kind::kPem: {
      absl::StatusOr<token::JwsKey> k =
          token::JwsKey::FromPem(key.material.Reveal(), token::KeyPart::kPublic);
      if (!k.ok()) k = token::JwsKey::FromPem(key.material.Reveal(), token::KeyPart::kPrivate);
      if (!k.ok()) return BadKey("the PEM text is not a usable key");
      keys.push_back(*std::move(k));
      break;
    }
    case GrantKey::Kind::kJwks: {
      absl::StatusOr<token::JwksParseResult> set =
          token::ParseJwks(key.material.Reveal(), token::KeyPart::kPublic);
      if (!set.ok()) return BadKey("the JWKS could not be read");
      keys = std::move(set->keys);
      break;
    }
  }
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [](const token::JwsKey& k) { return !IsGrantKey(k); }),
             keys.end());
  if (keys.empty()) {
    return BadKey("no P-256 (ES256), Ed25519 (EdDSA) or HS256 key in the key material");
  }
  return keys;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const GrantVerifier>> GrantVerifier::Create(
    const GrantKey& key, GrantVerifierOptions options) {
  if (options.issuer.empty() || options.leeway < absl::ZeroDuration() ||
      options.max_lifetime <= absl::ZeroDuration()) {
    return GrantError(absl::StatusCode::kInvalidArgument, "invalid_options",
                      "GrantVerifierOptions: issuer must be set, leeway >= 0, max_lifetime > 0");
  }
  absl::StatusOr<std::vector<token::JwsKey>> keys = ImportKeys(key);
  if (!keys.ok()) return keys.status();
  if (options.replay_cache == nullptr) {
    absl::StatusOr<std::shared_ptr<ReplayCache>> cache = NewMemoryReplayCache();
    if (!cache.ok()) return cache.status();
    options.replay_cache = *std::move(cache);
  }
  return std::shared_ptr<const GrantVerifier>(
      std::make_shared<Verifier>(*std::move(keys), std::move(options)));
}

}  // namespace jitguard
