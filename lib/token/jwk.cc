// JwsKey import (JWK, JWKS, PEM, HMAC secret) and the algorithm-admission rule.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "lib/token/key_state.h"

namespace jitguard::token {
namespace {

using State = JwsKey::State;

absl::Status KeyError(std::string_view message, std::string_view reason = kReasonBadKey) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, reason, message);
}

struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};

BnPtr ToBn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

std::string_view CurveGroupName(Curve c) {
  switch (c) {
    case Curve::kP256:
      return "prime256v1";
    case Curve::kP384:
      return "secp384r1";
    case Curve::kP521:
      return "secp521r1";
    default:
      return "";
  }
}

size_t CurveFieldBytes(Curve c) {
  switch (c) {
    case Curve::kP256:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
    case Curve::kEd25519:
      return 32;
    default:
      return 0;
  }
}

bool IsHmac(Algorithm a) {
  return a == Algorithm::kHS256 || a == Algorithm::kHS384 || a == Algorithm::kHS512;
}

// Whether a key of this type/curve can ever be used with `alg` (before any pin).
bool FamilyAdmits(KeyType type, Curve curve, int bits, Algorithm alg) {
  switch (type) {
    case KeyType::kRsa:
      return alg <= Algorithm::kPS512;
    case KeyType::kEc:
      return (curve == Curve::kP256 && alg == Algorithm::kES256) ||
             (curve == Curve::kP384 && alg == Algorithm::kES384) ||
             (curve == Curve::kP521 && alg == Algorithm::kES512);
    case KeyType::kOkp:
      return curve == Curve::kEd25519 && alg == Algorithm::kEdDSA;
    case KeyType::kOct:
      return IsHmac(alg) && static_cast<size_t>(bits / 8) >= HashLength(alg);
  }
  return false;
}

std::string Fingerprint(std::string_view kind, std::initializer_list<std::string_view> parts) {
  std::string material(kind);
  for (std::string_view p : parts) {
    material += '|';
    absl::StrAppend(&material, p.size(), ":");
    material.append(p);
  }
  return base::Hex(base::Sha256(material));
}

// Fills in the prepared HMAC contexts of an oct key.
absl::Status PrepareHmac(State* st) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return KeyError("HMAC is not available in this OpenSSL");
  static constexpr Algorithm kHs[] = {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512};
  static constexpr const char* kNames[] = {"SHA256", "SHA384", "SHA512"};
  for (int i = 0; i < 3; ++i) {
    if (!FamilyAdmits(KeyType::kOct, Curve::kNone, st->bits, kHs[i])) continue;
    if (st->alg && *st->alg != kHs[i]) continue;
    EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(kNames[i]), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx ||
        EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(st->secret.Reveal().data()),
                     st->secret.size(), params) != 1) {
      return KeyError("could not prepare the HMAC key");
    }
    st->hmac[i] = std::move(ctx);
  }
  return absl::OkStatus();
}

absl::Status CheckPin(State* st) {
  if (st->alg && !FamilyAdmits(st->type, st->curve, st->bits, *st->alg)) {
    return KeyError(absl::StrCat("the key's alg ", base::AsAbsl(AlgorithmName(*st->alg)),
                                 " does not fit its type"));
  }
  return absl::OkStatus();
}

absl::StatusOr<JwsKey> Finish(std::unique_ptr<State> st) {
  static std::atomic<uint64_t> next_serial{1};
  st->serial = next_serial.fetch_add(1, std::memory_order_relaxed);
  if (absl::Status s = CheckPin(st.get()); !s.ok()) return s;
  if (st->type == KeyType::kOct) {
    if (absl::Status s = PrepareHmac(st.get()); !s.ok()) return s;
  }
  return JwsKeyFactory::Make(std::shared_ptr<const State>(std::move(st)));
}

// ---- RSA / EC / OKP from raw parameters -------------------------------------------------------

absl::StatusOr<base::EvpPkeyPtr> FromData(const char* name, OSSL_PARAM_BLD* bld, int selection) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return KeyError("the key parameters are not a valid key");
  }
  return base::EvpPkeyPtr(raw);
}

// The ROCA fingerprint (CVE-2017-15361, Nemec et al. 2017): moduli made by the flawed Infineon
// generator are, modulo each of these small primes, a power of 65537. A random modulus fails the
// test for some prime almost surely.
bool HasRocaFingerprint(const BIGNUM* n) {
  static constexpr BN_ULONG kPrimes[] = {
      3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
      73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  for (BN_ULONG p : kPrimes) {
    const BN_ULONG r = BN_mod_word(n, p);
    if (r == static_cast<BN_ULONG>(-1)) return false;
    bool in_subgroup = false;
    BN_ULONG g = 1;
    for (BN_ULONG i = 0; i < p && !in_subgroup; ++i) {
      in_subgroup = g == r;
      g = (g * (65537 % p)) % p;
    }
    if (!in_subgroup) return false;
  }
  return true;
}

absl::Status CheckRsa(State* st) {
  st->bits = EVP_PKEY_get_bits(st->pkey.get());
  if (st->bits < 2048) return KeyError("RSA keys must have at least 2048 bits");
  BIGNUM* e = nullptr;
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(st->pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
      EVP_PKEY_get_bn_param(st->pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1) {
    BN_free(e);
    return KeyError("RSA key without a modulus or public exponent");
  }
  BnPtr e_owner(e), n_owner(n);
  if (!BN_is_odd(e) || BN_is_one(e)) return KeyError("RSA public exponent must be odd and > 1");
  if (HasRocaFingerprint(n)) return KeyError("RSA modulus has the ROCA weakness (CVE-2017-15361)");
  return absl::OkStatus();
}

absl::StatusOr<base::EvpPkeyPtr> MakeRsaPublic(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || e.size() > 8) return KeyError("RSA key with a bad n or e");
  BnPtr bn_n = ToBn(n), bn_e = ToBn(e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return KeyError("RSA key could not be built");
  }
  return FromData("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY);
}

absl::Status CheckKeyOnCurve(EVP_PKEY* pkey, bool with_private) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return KeyError("EC key check failed");
  const int ok =
      with_private ? EVP_PKEY_pairwise_check(ctx.get()) : EVP_PKEY_public_check(ctx.get());
  if (ok != 1) return KeyError("EC point is not a valid point of its curve");
  return absl::OkStatus();
}

absl::StatusOr<base::EvpPkeyPtr> MakeEc(Curve curve, std::string_view x, std::string_view y,
                                        const std::optional<std::string>& d) {
  const size_t len = CurveFieldBytes(curve);
  if (x.size() != len || y.size() != len) return KeyError("EC coordinates of the wrong length");
  std::string point;
  point.reserve(1 + 2 * len);
  point.push_back('\x04');
  point.append(x);
  point.append(y);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  const std::string group(CurveGroupName(curve));
  BnPtr priv;
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return KeyError("EC key could not be built");
  }
  if (d) {
    if (d->size() != len) return KeyError("EC private scalar of the wrong length");
    priv = ToBn(*d);
    if (!priv || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get())) {
      return KeyError("EC key could not be built");
    }
  }
  absl::StatusOr<base::EvpPkeyPtr> pkey =
      FromData("EC", bld.get(), d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
  if (!pkey.ok()) return pkey.status();
  if (absl::Status s = CheckKeyOnCurve(pkey->get(), d.has_value()); !s.ok()) return s;
  return pkey;
}

// ---- JWK field access ---------------------------------------------------------------------------

// The string member `name`: nullopt when absent; an error when present but not a string.
absl::StatusOr<std::optional<std::string_view>> GetString(simdjson::dom::object obj,
                                                          std::string_view name) {
  simdjson::dom::element el;
  if (obj.at_key(name).get(el) != simdjson::SUCCESS) return std::optional<std::string_view>();
  std::string_view s;
  if (el.get_string().get(s) != simdjson::SUCCESS) {
    return KeyError(absl::StrCat("JWK member \"", base::AsAbsl(name), "\" must be a string"));
  }
  return std::optional<std::string_view>(s);
}

absl::StatusOr<std::string> GetB64(simdjson::dom::object obj, std::string_view name) {
  absl::StatusOr<std::optional<std::string_view>> s = GetString(obj, name);
  if (!s.ok()) return s.status();
  if (!s->has_value())
    return KeyError(absl::StrCat("JWK member \"", base::AsAbsl(name), "\" is missing"));
  std::optional<std::string> bytes = base::Base64UrlDecodeStrict(**s);
  if (!bytes)
    return KeyError(
        absl::StrCat("JWK member \"", base::AsAbsl(name), "\" is not strict base64url"));
  return *std::move(bytes);
}

constexpr std::string_view kRsaPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

}  // namespace

// ---- admission --------------------------------------------------------------------------------

KeyType JwsKey::type() const { return state_->type; }
Curve JwsKey::curve() const { return state_->curve; }
std::optional<Algorithm> JwsKey::alg() const { return state_->alg; }
const std::optional<std::string>& JwsKey::kid() const { return state_->kid; }
bool JwsKey::has_private() const { return state_->has_private; }
int JwsKey::bits() const { return state_->bits; }
const std::string& JwsKey::fingerprint() const { return state_->fingerprint; }

bool JwsKey::Admits(Algorithm alg) const {
  if (state_->alg && *state_->alg != alg) return false;
  return FamilyAdmits(state_->type, state_->curve, state_->bits, alg);
}

namespace {

// kty and the public parameters as JSON members (no braces), canonical for one key.
absl::StatusOr<std::string> PublicParams(const State& st) {
  std::string out;
  auto member = [&out](std::string_view name, std::string_view value) {
    if (!out.empty()) out.push_back(',');
    base::AppendJsonString(&out, name);
    out.push_back(':');
    base::AppendJsonString(&out, value);
  };
  switch (st.type) {
    case KeyType::kOct:
      return KeyError("an HMAC secret has no public form");
    case KeyType::kRsa: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      EVP_PKEY_get_bn_param(st.pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param(st.pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e);
      BnPtr n_owner(n), e_owner(e);
      if (!n || !e) return KeyError("RSA key parameters unavailable");
      std::string nb(BN_num_bytes(n), '\0'), eb(BN_num_bytes(e), '\0');
      BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
      BN_bn2bin(e, reinterpret_cast<unsigned char*>(eb.data()));
      member("kty", "RSA");
      member("n", base::Base64UrlEncode(nb));
      member("e", base::Base64UrlEncode(eb));
      break;
    }
    case KeyType::kEc: {
      unsigned char buf[1 + 2 * 66];
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(st.pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf),
                                          &len) != 1 ||
          len != 1 + 2 * CurveFieldBytes(st.curve) || buf[0] != 0x04) {
        return KeyError("EC public point unavailable");
      }
      const size_t f = CurveFieldBytes(st.curve);
      member("kty", "EC");
      member("crv", st.curve == Curve::kP256   ? "P-256"
                    : st.curve == Curve::kP384 ? "P-384"
                                               : "P-521");
      member("x", base::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(buf) + 1, f)));
      member("y", base::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(buf) + 1 + f, f)));
      break;
    }
    case KeyType::kOkp: {
      unsigned char pub[32];
      size_t len = sizeof(pub);
      if (EVP_PKEY_get_raw_public_key(st.pkey.get(), pub, &len) != 1 || len != 32) {
        return KeyError("Ed25519 public key unavailable");
      }
      member("kty", "OKP");
      member("crv", "Ed25519");
      member("x", base::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(pub), len)));
      break;
    }
  }
  return out;
}

absl::Status SetFingerprint(State* st) {
  absl::StatusOr<std::string> params = PublicParams(*st);
  if (!params.ok()) return params.status();
  st->fingerprint = base::Hex(base::Sha256(*params));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> JwsKey::PublicJwk() const {
  absl::StatusOr<std::string> params = PublicParams(*state_);
  if (!params.ok()) return params.status();
  std::string out = "{" + *params + ",\"use\":\"sig\"";
  if (state_->alg) {
    out += ",\"alg\":";
    base::AppendJsonString(&out, AlgorithmName(*state_->alg));
  }
  if (state_->kid) {
    out += ",\"kid\":";
    base::AppendJsonString(&out, *state_->kid);
  }
  out.push_back('}');
  return out;
}

// ---- JWK --------------------------------------------------------------------------------------

absl::StatusOr<JwsKey> JwsKey::FromJwk(simdjson::dom::object jwk, KeyPart part) {
  auto st = std::make_unique<State>();
  absl::StatusOr<std::optional<std::string_view>> kty = GetString(jwk, "kty");
  if (!kty.ok()) return kty.status();
  if (!kty->has_value()) return KeyError("JWK without kty");

  // Intended use: only signature keys.
  absl::StatusOr<std::optional<std::string_view>> use = GetString(jwk, "use");
  if (!use.ok()) return use.status();
  if (use->has_value() && **use != "sig") return KeyError("JWK is not a signature key", "key_use");
  simdjson::dom::element ops_el;
  if (jwk.at_key("key_ops").get(ops_el) == simdjson::SUCCESS) {
    simdjson::dom::array ops;
    if (ops_el.get_array().get(ops) != simdjson::SUCCESS)
      return KeyError("JWK key_ops must be an array");
    bool sig_op = false;
    for (simdjson::dom::element op : ops) {
      std::string_view name;
      if (op.get_string().get(name) != simdjson::SUCCESS)
        return KeyError("JWK key_ops must hold strings");
      if (name == "verify" || name == "sign") sig_op = true;
    }
    if (!sig_op) return KeyError("JWK key_ops allow neither sign nor verify", "key_use");
  }

  absl::StatusOr<std::optional<std::string_view>> alg = GetString(jwk, "alg");
  if (!alg.ok()) return alg.status();
  if (alg->has_value()) {
    st->alg = AlgorithmFromName(**alg);
    if (!st->alg) return KeyError("JWK alg is not a supported JWS algorithm", kReasonAlgorithm);
  }
  absl::StatusOr<std::optional<std::string_view>> kid = GetString(jwk, "kid");
  if (!kid.ok()) return kid.status();
  if (kid->has_value()) st->kid = std::string(**kid);

  simdjson::dom::element ignored;
  const bool has_d = jwk.at_key("d").get(ignored) == simdjson::SUCCESS;
  if (has_d && part == KeyPart::kPublic && **kty != "oct") {
    return KeyError("private key parameters in a verification key");
  }

  if (**kty == "RSA") {
    st->type = KeyType::kRsa;
    for (std::string_view m : kRsaPrivateMembers) {
      if (jwk.at_key(m).get(ignored) == simdjson::SUCCESS) {
        return KeyError("RSA private JWKs are not supported; use a PEM private key");
      }
    }
    absl::StatusOr<std::string> n = GetB64(jwk, "n");
    if (!n.ok()) return n.status();
    absl::StatusOr<std::string> e = GetB64(jwk, "e");
    if (!e.ok()) return e.status();
    absl::StatusOr<base::EvpPkeyPtr> pkey = MakeRsaPublic(*n, *e);
    if (!pkey.ok()) return pkey.status();
    st->pkey = *std::move(pkey);
    if (absl::Status s = CheckRsa(st.get()); !s.ok()) return s;
  } else if (**kty == "EC") {
    st->type = KeyType::kEc;
    absl::StatusOr<std::optional<std::string_view>> crv = GetString(jwk, "crv");
    if (!crv.ok()) return crv.status();
    if (!crv->has_value()) return KeyError("EC JWK without crv");
    if (**crv == "P-256")
      st->curve = Curve::kP256;
    else if (**crv == "P-384")
      st->curve = Curve::kP384;
    else if (**crv == "P-521")
      st->curve = Curve::kP521;
    else
      return KeyError("unsupported EC curve");
    absl::StatusOr<std::string> x = GetB64(jwk, "x");
    if (!x.ok()) return x.status();
    absl::StatusOr<std::string> y = GetB64(jwk, "y");
    if (!y.ok()) return y.status();
    std::optional<std::string> d;
    if (has_d) {
      absl::StatusOr<std::string> dd = GetB64(jwk, "d");
      if (!dd.ok()) return dd.status();
      d = *std::move(dd);
      st->has_private = true;
    }
    absl::StatusOr<base::EvpPkeyPtr> pkey = MakeEc(st->curve, *x, *y, d);
    if (d) OPENSSL_cleanse(d->data(), d->size());
    if (!pkey.ok()) return pkey.status();
    st->pkey = *std::move(pkey);
    st->bits = static_cast<int>(CurveFieldBytes(st->curve) * 8);
    if (st->curve == Curve::kP521) st->bits = 521;
  } else if (**kty == "OKP") {
    st->type = KeyType::kOkp;
    absl::StatusOr<std::optional<std::string_view>> crv = GetString(jwk, "crv");
    if (!crv.ok()) return crv.status();
    if (!crv->has_value() || **crv != "Ed25519") return KeyError("unsupported OKP curve");
    st->curve = Curve::kEd25519;
    absl::StatusOr<std::string> x = GetB64(jwk, "x");
    if (!x.ok()) return x.status();
    if (x->size() != 32) return KeyError("Ed25519 public key of the wrong length");
    const auto* xp = reinterpret_cast<const unsigned char*>(x->data());
    if (has_d) {
      absl::StatusOr<std::string> d = GetB64(jwk, "d");
      if (!d.ok()) return d.status();
      if (d->size() != 32) return KeyError("Ed25519 private key of the wrong length");
      st->pkey.reset(EVP_PKEY_new_raw_private_key(
          EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d->data()), 32));
      OPENSSL_cleanse(d->data(), d->size());
      unsigned char pub[32];
      size_t len = sizeof(pub);
      if (!st->pkey || EVP_PKEY_get_raw_public_key(st->pkey.get(), pub, &len) != 1 ||
          std::memcmp(pub, xp, 32) != 0) {
        return KeyError("Ed25519 private key does not match x");
      }
      st->has_private = true;
    } else {
      st->pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, xp, 32));
      if (!st->pkey) return KeyError("Ed25519 key could not be built");
    }
    st->bits = 256;
  } else if (**kty == "oct") {
    absl::StatusOr<std::string> k = GetB64(jwk, "k");
    if (!k.ok()) return k.status();
    absl::StatusOr<JwsKey> key = FromSecret(*k, st->alg, st->kid);
    OPENSSL_cleanse(k->data(), k->size());
    return key;
  } else {
    return KeyError("unsupported kty");
  }
  if (absl::Status s = SetFingerprint(st.get()); !s.ok()) return s;
  return Finish(std::move(st));
}

absl::StatusOr<JwsKey> JwsKey::FromJwkJson(std::string_view json, KeyPart part) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return KeyError("JWK is not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return KeyError("JWK is not a JSON object");
  if (!base::HasUniqueKeys(doc)) return KeyError("JWK has duplicate members");
  return FromJwk(obj, part);
}

absl::StatusOr<JwsKey> JwsKey::FromSecret(std::string_view secret, std::optional<Algorithm> alg,
                                          std::optional<std::string> kid) {
  if (secret.size() < 32) return KeyError("HMAC secrets must have at least 32 bytes");
  if (alg && !IsHmac(*alg)) return KeyError("an HMAC secret can only be used with HS*");
  auto st = std::make_unique<State>();
  st->type = KeyType::kOct;
  st->alg = alg;
  st->kid = std::move(kid);
  st->has_private = true;
  st->bits = static_cast<int>(secret.size() * 8);
  st->secret = SecretBytes(secret);
  st->fingerprint = Fingerprint("oct", {base::Hex(base::Sha256(secret))});
  return Finish(std::move(st));
}

absl::StatusOr<JwsKey> JwsKey::FromPem(std::string_view pem, KeyPart part,
                                       std::optional<Algorithm> alg,
                                       std::optional<std::string> kid) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return KeyError("out of memory");
  EVP_PKEY* raw = part == KeyPart::kPrivate
                      ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                      : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    return KeyError(part == KeyPart::kPrivate ? "not a PEM private key" : "not a PEM public key");
  }
  auto st = std::make_unique<State>();
  st->pkey.reset(raw);
  st->alg = alg;
  st->kid = std::move(kid);
  st->has_private = part == KeyPart::kPrivate;
  switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA: {
      st->type = KeyType::kRsa;
      if (absl::Status s = CheckRsa(st.get()); !s.ok()) return s;
      break;
    }
    case EVP_PKEY_EC: {
      st->type = KeyType::kEc;
      char group[64];
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                         &len) != 1) {
        return KeyError("EC key without a named curve");
      }
      const std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256")
        st->curve = Curve::kP256;
      else if (g == "secp384r1" || g == "P-384")
        st->curve = Curve::kP384;
      else if (g == "secp521r1" || g == "P-521")
        st->curve = Curve::kP521;
      else
        return KeyError("unsupported EC curve");
      st->bits = st->curve == Curve::kP521 ? 521 : static_cast<int>(CurveFieldBytes(st->curve) * 8);
      if (absl::Status s = CheckKeyOnCurve(raw, st->has_private); !s.ok()) return s;
      break;
    }
    case EVP_PKEY_ED25519:
      st->type = KeyType::kOkp;
      st->curve = Curve::kEd25519;
      st->bits = 256;
      break;
    default:
      return KeyError("unsupported PEM key type (RSA, EC P-256/384/521 and Ed25519 are)");
  }
  // The fingerprint comes from the canonical public parameters, so a PEM and the same key in a
  // JWKS are recognised as one.
  if (absl::Status s = SetFingerprint(st.get()); !s.ok()) return s;
  return Finish(std::move(st));
}

// ---- JWKS -------------------------------------------------------------------------------------

absl::StatusOr<JwksParseResult> ParseJwks(std::string_view json, KeyPart part) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return KeyError("JWKS is not valid JSON");
  }
  if (!base::HasUniqueKeys(doc)) return KeyError("JWKS has duplicate member names");
  simdjson::dom::array keys;
  if (doc["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    return KeyError("JWKS has no \"keys\" array");
  }
  JwksParseResult result;
  // How many entries claim each kid, refused ones included: a kid that two entries claim is
  // ambiguous even when one of them is broken. Skipped entries (not for signatures) do not count.
  absl::flat_hash_map<std::string, int> kid_count;
  size_t index = 0;
  bool has_oct = false, has_asymmetric = false;
  for (simdjson::dom::element el : keys) {
    const size_t i = index++;
    simdjson::dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      result.problems.push_back(absl::StrCat("key ", i, ": not a JSON object"));
      continue;
    }
    absl::StatusOr<JwsKey> key = JwsKey::FromJwk(obj, part);
    std::string_view kid;
    const bool has_kid = obj["kid"].get_string().get(kid) == simdjson::SUCCESS;
    if (!key.ok()) {
      const std::string reason = ErrorReason(key.status());
      if (has_kid && reason != "key_use") ++kid_count[std::string(kid)];
      result.problems.push_back(absl::StrCat(
          "key ", i, reason == "key_use" ? " skipped: " : " refused: ", key.status().message()));
      continue;
    }
    (key->type() == KeyType::kOct ? has_oct : has_asymmetric) = true;
    if (has_kid) ++kid_count[std::string(kid)];
    result.keys.push_back(*std::move(key));
  }
  if (has_oct && has_asymmetric) {
    return KeyError("JWKS mixes HMAC secrets with public keys");
  }
  // Keys sharing a kid are ambiguous: the token could not say which one it means.
  auto ambiguous = [&kid_count](const JwsKey& k) { return k.kid() && kid_count[*k.kid()] > 1; };
  for (const JwsKey& k : result.keys) {
    if (ambiguous(k)) {
      result.problems.push_back("keys sharing one kid dropped (ambiguous)");
      break;
    }
  }
  result.keys.erase(std::remove_if(result.keys.begin(), result.keys.end(), ambiguous),
                    result.keys.end());
  return result;
}

}  // namespace jitguard::token
