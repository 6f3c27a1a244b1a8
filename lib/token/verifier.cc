// TokenVerifier: key set (JWKS + PEM + HMAC), key selection, claim checks, cache, rotation.
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/strings.h"
#include "lib/token/cache.h"
#include "lib/token/jws.h"

namespace jitguard::token {
namespace {

absl::Status Reject(std::string_view reason, std::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, ErrorDomain::kToken, reason, message);
}

absl::Status ConfigError(std::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, "config", message);
}

// An immutable set of keys with its lookup tables.
struct KeySet {
  std::vector<JwsKey> keys;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_kid;
  std::vector<size_t> without_kid;
  absl::flat_hash_set<std::string> fingerprints;
  std::vector<std::string> problems;
  uint64_t generation = 0;
};

std::shared_ptr<const KeySet> BuildKeySet(std::vector<JwsKey> keys,
                                          std::vector<std::string> problems, uint64_t generation) {
  auto set = std::make_shared<KeySet>();
  set->keys = std::move(keys);
  set->problems = std::move(problems);
  set->generation = generation;
  for (size_t i = 0; i < set->keys.size(); ++i) {
    const JwsKey& k = set->keys[i];
    if (k.kid()) {
      set->by_kid[*k.kid()].push_back(i);
    } else {
      set->without_kid.push_back(i);
    }
    set->fingerprints.insert(k.fingerprint());
  }
  return set;
}

std::string NormalizeTyp(std::string_view typ) {
  std::string t = absl::AsciiStrToLower(base::AsAbsl(typ));
  if (absl::StartsWith(t, "application/")) t.erase(0, 12);
  return t;
}

// A NumericDate claim: absent, a number (integer or fraction), or an error.
absl::Status NumericDate(const std::optional<simdjson::dom::element>& member, std::string_view name,
                         std::optional<absl::Time>* out) {
  if (!member) return absl::OkStatus();
  const simdjson::dom::element el = *member;
  switch (el.type()) {
    case simdjson::dom::element_type::INT64:
      *out = absl::FromUnixSeconds(el.get_int64().value_unsafe());
      return absl::OkStatus();
    case simdjson::dom::element_type::UINT64:
      *out = absl::InfiniteFuture();
      return absl::OkStatus();
    case simdjson::dom::element_type::DOUBLE: {
      const double d = el.get_double().value_unsafe();
      if (!std::isfinite(d)) break;
      *out = absl::UnixEpoch() + absl::Seconds(d);
      return absl::OkStatus();
    }
    default:
      break;
  }
  return Reject("claims", absl::StrCat("the ", base::AsAbsl(name), " claim must be a number"));
}

// Groups at `path`: the top-level member of that exact name, else a dotted path into objects.
absl::Status ExtractGroups(simdjson::dom::object claims, std::string_view path,
                           const std::optional<simdjson::dom::element>& top_level,
                           std::vector<std::string>* groups) {
  simdjson::dom::element el;
  bool found = top_level.has_value();
  if (found) el = *top_level;
  if (!found && path.find('.') != std::string_view::npos) {
    simdjson::dom::object obj = claims;
    found = true;
    std::vector<absl::string_view> parts = absl::StrSplit(base::AsAbsl(path), '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      if (obj.at_key(base::AsStd(parts[i])).get(el) != simdjson::SUCCESS) {
        found = false;
        break;
      }
      if (i + 1 < parts.size() && el.get_object().get(obj) != simdjson::SUCCESS) {
        found = false;
        break;
      }
    }
  }
  if (!found) return absl::OkStatus();
  std::string_view s;
  if (el.get_string().get(s) == simdjson::SUCCESS) {
    groups->emplace_back(s);
    return absl::OkStatus();
  }
  simdjson::dom::array array;
  if (el.get_array().get(array) != simdjson::SUCCESS) {
    return Reject("claims", "the groups claim must be a string or an array of strings");
  }
  groups->reserve(array.size());
  for (simdjson::dom::element item : array) {
    if (item.get_string().get(s) != simdjson::SUCCESS) {
      return Reject("claims", "the groups claim must be a string or an array of strings");
    }
    groups->emplace_back(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Algorithm>> KeyAlg(const std::string& name) {
  if (name.empty()) return std::optional<Algorithm>();
  std::optional<Algorithm> a = AlgorithmFromName(name);
  if (!a) return ConfigError("a key's alg is not a supported JWS algorithm");
  return a;
}

std::optional<std::string> KeyId(const std::string& kid) {
  return kid.empty() ? std::nullopt : std::optional<std::string>(kid);
}

// The keys of PEM and HMAC entries, appended to `out`; the first unusable one is the error.
absl::Status ParseStaticKeys(const std::vector<PemKey>& pems, const std::vector<HmacKey>& hmacs,
                             std::vector<JwsKey>* out) {
  for (const PemKey& pk : pems) {
    absl::StatusOr<std::optional<Algorithm>> alg = KeyAlg(pk.alg);
    if (!alg.ok()) return alg.status();
    absl::StatusOr<JwsKey> key = JwsKey::FromPem(pk.pem, KeyPart::kPublic, *alg, KeyId(pk.kid));
    if (!key.ok()) return key.status();
    out->push_back(*std::move(key));
  }
  for (const HmacKey& hk : hmacs) {
    absl::StatusOr<std::optional<Algorithm>> alg = KeyAlg(hk.alg);
    if (!alg.ok()) return alg.status();
    absl::StatusOr<JwsKey> key = JwsKey::FromSecret(hk.secret.Reveal(), *alg, KeyId(hk.kid));
    if (!key.ok()) return key.status();
    out->push_back(*std::move(key));
  }
  return absl::OkStatus();
}

// The keys a source published (its JWKS, PEMs and secrets), with the JWKS's skipped entries.
struct SourceKeys {
  std::vector<JwsKey> keys;
  std::vector<std::string> problems;
};

absl::StatusOr<SourceKeys> ParseSnapshot(const KeySnapshot& snapshot) {
  SourceKeys out;
  if (!snapshot.jwks.empty()) {
    absl::StatusOr<JwksParseResult> parsed = ParseJwks(snapshot.jwks);
    if (!parsed.ok()) return parsed.status();
    out.keys = std::move(parsed->keys);
    out.problems = std::move(parsed->problems);
  }
  if (absl::Status s = ParseStaticKeys(snapshot.pem_keys, snapshot.hmac_keys, &out.keys); !s.ok()) {
    return s;
  }
  return out;
}

class TokenVerifierImpl final : public TokenVerifier {
 public:
  TokenVerifierImpl(TokenVerifierOptions options, std::vector<JwsKey> static_keys,
                    const std::vector<std::optional<Algorithm>>& allowed)
      : options_(std::move(options)),
        static_keys_(std::move(static_keys)),
        cache_(options_.cache_size) {
    allowed_.fill(allowed.empty());
    for (const auto& a : allowed) allowed_[static_cast<int>(*a)] = true;
    parse_options_.max_size = options_.max_token_size;
    jws_options_.max_size = options_.max_token_size;
    jws_options_.payload = PayloadFormat::kAny;
    for (const std::string& t : options_.typ) typ_.insert(NormalizeTyp(t));
    audiences_.insert(options_.audiences.begin(), options_.audiences.end());
    issuers_.insert(options_.issuers.begin(), options_.issuers.end());
  }

  absl::Status Install(std::vector<JwsKey> jwks_keys, std::vector<std::string> problems) const {
    std::vector<JwsKey> all = static_keys_;
    all.insert(all.end(), jwks_keys.begin(), jwks_keys.end());
    bool has_oct = false, has_public = false;
    for (const JwsKey& k : all) (k.type() == KeyType::kOct ? has_oct : has_public) = true;
    if (all.empty()) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonBadKey,
                       "no usable key");
    }
    if (has_oct && has_public) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonBadKey,
                       "HMAC secrets and public keys cannot be mixed in one verifier");
    }
    const uint64_t generation = next_generation_.fetch_add(1) + 1;
    std::shared_ptr<const KeySet> set =
        BuildKeySet(std::move(all), std::move(problems), generation);
    {
      std::unique_lock lock(keys_mu_);
      keys_ = set;
    }
    cache_.set_generation(generation);
    cache_.Retain(set->fingerprints, generation);
    return absl::OkStatus();
  }

  absl::StatusOr<Identity> Verify(std::string_view token, absl::Time now) const override {
    absl::StatusOr<std::shared_ptr<const Identity>> shared = VerifyShared(token, now);
    if (!shared.ok()) return shared.status();
    return **shared;
  }

  absl::StatusOr<std::shared_ptr<const Identity>> VerifyShared(std::string_view token,
                                                               absl::Time now) const override {
    return WithKeySource([&] { return VerifyOnce(token, now); });
  }

  absl::StatusOr<std::string> VerifyJws(std::string_view jws_text) const override {
    return WithKeySource([&] { return VerifyJwsOnce(jws_text); });
  }

  // Installs the source's published keys when they are newer than the ones in use. The common case
  // (nothing new) is one atomic load on each side.
  void MarkInstalled(uint64_t source_version) { source_version_.store(source_version); }

  void SyncFromSource() const {
    const KeySource* source = options_.key_source.get();
    if (source == nullptr || source->version() == source_version_.load(std::memory_order_acquire)) {
      return;
    }
    std::lock_guard update(update_mu_);
    std::shared_ptr<const KeySnapshot> snapshot = source->Current();
    if (snapshot == nullptr || snapshot->version == source_version_.load()) return;
    // A set without a usable key (or one that does not parse) is not installed; the keys in use
    // stay, and the source's next version is tried.
    absl::StatusOr<SourceKeys> keys = ParseSnapshot(*snapshot);
    if (keys.ok() && !keys->keys.empty()) {
      (void)Install(std::move(keys->keys), std::move(keys->problems));
    }
    source_version_.store(snapshot->version, std::memory_order_release);
  }

 private:
  // Runs `verify` with the source's newest keys; when the token names a key they lack, asks the
  // source once for fresher keys and, if it installed any, runs `verify` again.
  template <typename F>
  auto WithKeySource(F verify) const -> decltype(verify()) {
    if (options_.key_source == nullptr) return verify();
    SyncFromSource();
    const uint64_t generation = CurrentKeys()->generation;
    auto result = verify();
    if (result.ok() || ErrorReason(result.status()) != kReasonUnknownKey) return result;
    options_.key_source->RefreshForUnknownKey();
    SyncFromSource();
    if (CurrentKeys()->generation == generation) return result;
    return verify();
  }

  absl::StatusOr<std::shared_ptr<const Identity>> VerifyOnce(std::string_view token,
                                                             absl::Time now) const {
    if (token.size() > options_.max_token_size) {
      return Reject(kReasonTooLarge, "the token is larger than the configured maximum");
    }
    std::shared_ptr<const KeySet> keys = CurrentKeys();
    uint64_t hash = 0;
    if (options_.cache_size > 0) {
      hash = absl::HashOf(base::AsAbsl(token));
      if (std::shared_ptr<const CachedToken> hit = cache_.Lookup(token, hash, keys->generation)) {
        if (absl::Status s = CheckTimes(hit->times, now); !s.ok()) return s;
        return hit->identity;
      }
    }
    // Per-thread parser and scratch: their buffers keep their capacity from call to call.
    thread_local JwsParser parser;
    thread_local ParsedJws jws;
    if (absl::Status s = parser.Parse(token, parse_options_, &jws); !s.ok()) return s;
    absl::StatusOr<const JwsKey*> key = SelectKey(*keys, jws);
    if (!key.ok()) return key.status();
    if (absl::Status s = token::Verify(**key, jws.alg, jws.signing_input, jws.signature); !s.ok()) {
      return s;
    }
    if (!typ_.empty() && (!jws.typ || !typ_.contains(NormalizeTyp(*jws.typ)))) {
      return Reject("typ", "the token's typ is not accepted");
    }
    auto identity = std::make_shared<Identity>();
    TokenTimes times;
    if (absl::Status s = CheckClaims(parser.payload_object(), now, identity.get(), &times);
        !s.ok()) {
      return s;
    }
    identity->claims_json = jws.payload;
    std::shared_ptr<const Identity> result = std::move(identity);
    if (options_.cache_size > 0 && times.exp != absl::InfiniteFuture()) {
      auto entry = std::make_shared<CachedToken>();
      entry->token = std::string(token);
      entry->identity = result;
      entry->times = times;
      entry->key_fingerprint = (*key)->fingerprint();
      cache_.Insert(std::move(entry), hash, keys->generation, now - options_.leeway);
    }
    return result;
  }

  absl::StatusOr<std::string> VerifyJwsOnce(std::string_view jws_text) const {
    std::shared_ptr<const KeySet> keys = CurrentKeys();
    thread_local JwsParser parser;
    ParsedJws jws;
    if (absl::Status s = parser.Parse(jws_text, jws_options_, &jws); !s.ok()) return s;
    absl::StatusOr<const JwsKey*> key = SelectKey(*keys, jws);
    if (!key.ok()) return key.status();
    if (absl::Status s = token::Verify(**key, jws.alg, jws.signing_input, jws.signature); !s.ok()) {
      return s;
    }
    return std::move(jws.payload);
  }


 public:
  absl::Status UpdateKeys(std::string_view jwks) override {
    std::lock_guard update(update_mu_);
    absl::StatusOr<JwksParseResult> parsed = ParseJwks(jwks);
    if (!parsed.ok()) return parsed.status();
    if (parsed->keys.empty()) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonBadKey,
                       "the JWKS has no usable key; keeping the current keys");
    }
    return Install(std::move(parsed->keys), std::move(parsed->problems));
  }

  size_t key_count() const override { return CurrentKeys()->keys.size(); }

  std::vector<std::string> key_ids() const override {
    std::vector<std::string> out;
    for (const JwsKey& k : CurrentKeys()->keys) {
      if (k.kid()) out.push_back(*k.kid());
    }
    return out;
  }

  std::vector<std::string> key_problems() const override { return CurrentKeys()->problems; }

  size_t cache_entries() const override { return cache_.size(); }

 private:
  std::shared_ptr<const KeySet> CurrentKeys() const {
    std::shared_lock lock(keys_mu_);
    return keys_;
  }

  absl::StatusOr<const JwsKey*> SelectKey(const KeySet& set, const ParsedJws& jws) const {
    if (!allowed_[static_cast<int>(jws.alg)]) {
      return Reject(kReasonAlgorithm, "the token's algorithm is not allowed");
    }
    const JwsKey* chosen = nullptr;
    int fitting = 0;
    bool any_candidate = false;
    auto consider = [&](size_t i) {
      any_candidate = true;
      if (set.keys[i].Admits(jws.alg)) {
        ++fitting;
        chosen = &set.keys[i];
      }
    };
    if (jws.kid) {
      auto it = set.by_kid.find(*jws.kid);
      if (it != set.by_kid.end()) {
        for (size_t i : it->second) consider(i);
      } else {
        for (size_t i : set.without_kid) consider(i);
      }
    } else {
      for (size_t i = 0; i < set.keys.size(); ++i) consider(i);
    }
    if (fitting == 1) return chosen;
    if (fitting == 0 && any_candidate) {
      return Reject(kReasonAlgorithm, "no key for this token admits its algorithm");
    }
    return Reject(kReasonUnknownKey,
                  fitting > 1 ? "more than one key fits the token" : "no key fits the token");
  }

  absl::Status CheckTimes(const TokenTimes& t, absl::Time now) const {
    if (now >= t.exp + options_.leeway) return Reject("expired", "the token has expired");
    if (t.nbf && now + options_.leeway < *t.nbf) {
      return Reject("not_yet_valid", "the token is not valid yet (nbf)");
    }
    if (t.iat && *t.iat > now + options_.leeway) {
      return Reject("not_yet_valid", "the token was issued in the future (iat)");
    }
    return absl::OkStatus();
  }

  // The registered claims this verifier reads, found in one pass over the payload.
  struct ClaimMembers {
    std::optional<simdjson::dom::element> iss, sub, aud, exp, nbf, iat, jti, azp, client_id, groups;
  };

  ClaimMembers Collect(simdjson::dom::object claims) const {
    ClaimMembers m;
    for (auto field : claims) {
      const std::string_view k = field.key;
      if (k == options_.groups_claim) m.groups = field.value;
      if (k.size() > 9) continue;
      if (k == "iss")
        m.iss = field.value;
      else if (k == "sub")
        m.sub = field.value;
      else if (k == "aud")
        m.aud = field.value;
      else if (k == "exp")
        m.exp = field.value;
      else if (k == "nbf")
        m.nbf = field.value;
      else if (k == "iat")
        m.iat = field.value;
      else if (k == "jti")
        m.jti = field.value;
      else if (k == "azp")
        m.azp = field.value;
      else if (k == "client_id")
        m.client_id = field.value;
    }
    return m;
  }

  absl::Status CheckClaims(simdjson::dom::object claims, absl::Time now, Identity* id,
                           TokenTimes* times) const {
    const ClaimMembers m = Collect(claims);
    // Issuer.
    std::string_view iss;
    if (!m.iss || m.iss->get_string().get(iss) != simdjson::SUCCESS ||
        !issuers_.contains(base::AsAbsl(iss))) {
      return Reject("issuer", "the token's issuer is not accepted");
    }
    id->issuer = std::string(iss);
    // Times.
    std::optional<absl::Time> exp;
    if (absl::Status s = NumericDate(m.exp, "exp", &exp); !s.ok()) return s;
    if (absl::Status s = NumericDate(m.nbf, "nbf", &times->nbf); !s.ok()) return s;
    if (absl::Status s = NumericDate(m.iat, "iat", &times->iat); !s.ok()) return s;
    if (!exp && options_.expiry == ExpiryPolicy::kRequired) {
      return Reject("claims", "the token has no exp");
    }
    times->exp = exp.value_or(absl::InfiniteFuture());
    if (absl::Status s = CheckTimes(*times, now); !s.ok()) return s;
    if (options_.max_lifetime) {
      if (!times->iat || !exp) return Reject("claims", "the token needs iat and exp");
      if (*exp - *times->iat > *options_.max_lifetime) {
        return Reject("claims", "the token's lifetime exceeds the configured maximum");
      }
    }
    id->expires_at = times->exp;
    // Audience.
    if (absl::Status s = CheckAudience(m); !s.ok()) return s;
    // Subject, token id, required claims.
    if (m.sub) {
      std::string_view sub;
      if (m.sub->get_string().get(sub) != simdjson::SUCCESS)
        return Reject("claims", "sub must be a string");
      id->subject = std::string(sub);
    } else if (options_.subject == SubjectPolicy::kRequired) {
      return Reject("claims", "the token has no sub");
    }
    if (m.jti) {
      std::string_view jti;
      if (m.jti->get_string().get(jti) != simdjson::SUCCESS) {
        return Reject("claims", "jti must be a string");
      }
      id->token_id = std::string(jti);
    }
    simdjson::dom::element el;
    for (const std::string& name : options_.required_claims) {
      if (claims.at_key(name).get(el) != simdjson::SUCCESS) {
        return Reject("claims", "a required claim is missing");
      }
    }
    return ExtractGroups(claims, options_.groups_claim, m.groups, &id->groups);
  }

  absl::Status CheckAudience(const ClaimMembers& m) const {
    if (options_.audience_policy == AudiencePolicy::kNotChecked) return absl::OkStatus();
    if (m.aud) {
      const simdjson::dom::element aud = *m.aud;
      std::string_view s;
      if (aud.get_string().get(s) == simdjson::SUCCESS) {
        if (audiences_.contains(base::AsAbsl(s))) return absl::OkStatus();
        return Reject("audience", "the token's audience is not accepted");
      }
      simdjson::dom::array array;
      if (aud.get_array().get(array) != simdjson::SUCCESS) {
        return Reject("claims", "aud must be a string or an array of strings");
      }
      bool match = false;
      for (simdjson::dom::element item : array) {
        if (item.get_string().get(s) != simdjson::SUCCESS) {
          return Reject("claims", "aud must be a string or an array of strings");
        }
        match |= audiences_.contains(base::AsAbsl(s));
      }
      if (match) return absl::OkStatus();
      return Reject("audience", "the token's audience is not accepted");
    }
    if (options_.audience_policy == AudiencePolicy::kAudOrAuthorizedParty) {
      for (const auto* member : {&m.azp, &m.client_id}) {
        std::string_view s;
        if (*member && (*member)->get_string().get(s) == simdjson::SUCCESS &&
            audiences_.contains(base::AsAbsl(s))) {
          return absl::OkStatus();
        }
      }
    }
    return Reject("audience", "the token's audience is not accepted");
  }

  const TokenVerifierOptions options_;
  const std::vector<JwsKey> static_keys_;
  std::array<bool, kAlgorithmCount> allowed_;
  JwsParseOptions parse_options_;
  JwsParseOptions jws_options_;
  absl::flat_hash_set<std::string> typ_;
  absl::flat_hash_set<std::string> audiences_;
  absl::flat_hash_set<std::string> issuers_;

  // pthread-based locks (see cache.h for why not absl::Mutex here).
  mutable std::shared_mutex keys_mu_;
  mutable std::shared_ptr<const KeySet> keys_;  // guarded by keys_mu_
  mutable std::mutex update_mu_;                // serialises installs
  // The key source's version last installed (or found unusable).
  mutable std::atomic<uint64_t> source_version_{0};
  mutable std::atomic<uint64_t> next_generation_{0};
  mutable TokenCache cache_;
};

}  // namespace
}  // namespace jitguard::token

namespace jitguard {

absl::StatusOr<std::shared_ptr<TokenVerifier>> TokenVerifier::Create(TokenVerifierOptions options) {
  using token::Algorithm;
  using token::ConfigError;
  if (options.issuers.empty()) return ConfigError("at least one issuer is required");
  if (options.audiences.empty() && options.audience_policy != AudiencePolicy::kNotChecked) {
    return ConfigError("at least one audience is required (or AudiencePolicy::kNotChecked)");
  }
  if (options.leeway < absl::ZeroDuration()) return ConfigError("leeway must not be negative");
  if (options.groups_claim.empty()) return ConfigError("groups_claim must not be empty");
  std::vector<std::optional<Algorithm>> allowed;
  for (const std::string& name : options.algorithms) {
    std::optional<Algorithm> a = token::AlgorithmFromName(name);
    if (!a) return ConfigError("an allowed algorithm is not a supported JWS algorithm");
    allowed.push_back(a);
  }
  std::vector<token::JwsKey> static_keys;
  if (absl::Status st = token::ParseStaticKeys(options.pem_keys, options.hmac_keys, &static_keys);
      !st.ok()) {
    return st;
  }
  std::vector<token::JwsKey> jwks_keys;
  std::vector<std::string> problems;
  uint64_t source_version = 0;
  std::shared_ptr<const KeySnapshot> snapshot =
      options.key_source != nullptr ? options.key_source->Current() : nullptr;
  if (snapshot != nullptr && snapshot->version != 0) {
    // The source's keys take the place of the JWKS (a bad set is an error here: nothing to keep).
    absl::StatusOr<token::SourceKeys> parsed = token::ParseSnapshot(*snapshot);
    if (!parsed.ok()) return parsed.status();
    jwks_keys = std::move(parsed->keys);
    problems = std::move(parsed->problems);
    source_version = snapshot->version;
  } else if (!options.jwks.empty()) {
    absl::StatusOr<token::JwksParseResult> parsed = token::ParseJwks(options.jwks);
    if (!parsed.ok()) return parsed.status();
    jwks_keys = std::move(parsed->keys);
    problems = std::move(parsed->problems);
  }
  // The options keep no copy of key material beyond what the keys themselves hold.
  options.jwks.clear();
  options.hmac_keys.clear();
  auto verifier = std::make_shared<token::TokenVerifierImpl>(std::move(options),
                                                             std::move(static_keys), allowed);
  if (absl::Status s = verifier->Install(std::move(jwks_keys), std::move(problems)); !s.ok()) {
    return s;
  }
  verifier->MarkInstalled(source_version);
  return std::shared_ptr<TokenVerifier>(std::move(verifier));
}

}  // namespace jitguard
