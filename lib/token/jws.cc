// Strict compact-JWS parsing, signature verification and signing.
#include "lib/token/jws.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "lib/token/b64.h"
#include "lib/token/key_state.h"

namespace jitguard::token {
namespace {

constexpr std::string_view kNames[kAlgorithmCount] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                                      "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                                      "HS256", "HS384", "HS512"};

absl::Status TokenError(std::string_view reason, std::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, ErrorDomain::kToken, reason, message);
}

absl::Status Malformed(std::string_view message) { return TokenError(kReasonMalformed, message); }

absl::Status BadSignature() {
  return TokenError(kReasonBadSignature, "the signature does not verify");
}

bool IsEs(Algorithm a) { return a >= Algorithm::kES256 && a <= Algorithm::kES512; }
bool IsPs(Algorithm a) { return a >= Algorithm::kPS256 && a <= Algorithm::kPS512; }
bool IsRs(Algorithm a) { return a <= Algorithm::kRS512; }
bool IsHs(Algorithm a) { return a >= Algorithm::kHS256; }

size_t EsComponentBytes(Algorithm a) {
  return a == Algorithm::kES256 ? 32 : a == Algorithm::kES384 ? 48 : 66;
}

struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

// The group order n of the curve behind an ES* algorithm; null if the curve could not be loaded.
const BIGNUM* CurveOrder(Algorithm a) {
  // Loaded once and kept for the life of the process.
  static const std::array<const EC_GROUP*, 3> groups = {
      EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), EC_GROUP_new_by_curve_name(NID_secp384r1),
      EC_GROUP_new_by_curve_name(NID_secp521r1)};
  const EC_GROUP* group = groups[a == Algorithm::kES256 ? 0 : a == Algorithm::kES384 ? 1 : 2];
  return group == nullptr ? nullptr : EC_GROUP_get0_order(group);
}

// 1 <= v < n.
bool InRange(const BIGNUM* v, const BIGNUM* n) { return !BN_is_zero(v) && BN_cmp(v, n) < 0; }

// A JWS ECDSA signature (RFC 7518 3.4: r || s, each `raw.size() / 2` bytes big-endian) as the DER
// ECDSA-Sig-Value OpenSSL verifies. Empty when r or s is outside [1, n) or OpenSSL fails: such a
// signature is refused before it reaches the verifier (fail closed).
std::string RawToDer(Algorithm alg, std::string_view raw) {
  const BIGNUM* order = CurveOrder(alg);
  if (order == nullptr) return std::string();
  const size_t n = raw.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BnPtr r(BN_bin2bn(bytes, static_cast<int>(n), nullptr));
  BnPtr s(BN_bin2bn(bytes + n, static_cast<int>(n), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || !InRange(r.get(), order) || !InRange(s.get(), order)) {
    return std::string();
  }
  // ECDSA_SIG_set0 takes ownership of r and s.
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::string();
  r.release();
  s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::string();
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::string();
  return der;
}

struct MdCtx {
  MdCtx() : ctx(EVP_MD_CTX_new()) {}
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
  EVP_MD_CTX* ctx;
};

// A per-thread digest context, reset after each use.
EVP_MD_CTX* ThreadMdCtx() {
  thread_local MdCtx holder;
  return holder.ctx;
}

struct CtxReset {
  EVP_MD_CTX* ctx;
  ~CtxReset() { EVP_MD_CTX_reset(ctx); }
};

bool PkeyVerify(const JwsKey::State& st, Algorithm alg, std::string_view input,
                std::string_view sig) {
  EVP_MD_CTX* ctx = ThreadMdCtx();
  if (ctx == nullptr) return false;
  CtxReset reset{ctx};
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Algorithm::kEdDSA ? nullptr : DigestFor(alg);
  if (EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, st.pkey.get()) != 1) {
    return false;
  }
  if (IsPs(alg)) {
    // MGF1 uses the signature digest unless told otherwise (RFC 7518 3.5 wants exactly that).
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return false;
    }
  }
  return EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

absl::StatusOr<std::string> PkeySign(const JwsKey::State& st, Algorithm alg,
                                     std::string_view input) {
  EVP_MD_CTX* ctx = ThreadMdCtx();
  CtxReset reset{ctx};
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Algorithm::kEdDSA ? nullptr : DigestFor(alg);
  if (EVP_DigestSignInit(ctx, &pctx, md, nullptr, st.pkey.get()) != 1) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                     "signing could not start");
  }
  if (IsPs(alg)) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
      return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                       "PSS parameters could not be set");
    }
  }
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                     "signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) !=
      1) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                     "signing failed");
  }
  sig.resize(len);
  if (!IsEs(alg)) return sig;
  // DER -> raw r||s of fixed length.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSigPtr ec(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  const size_t n = EsComponentBytes(alg);
  std::string raw(2 * n, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (!ec || BN_bn2binpad(ECDSA_SIG_get0_r(ec.get()), out, static_cast<int>(n)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(ec.get()), out + n, static_cast<int>(n)) < 0) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                     "ECDSA signature could not be decoded");
  }
  return raw;
}

// Writes the HMAC of `input` under `st` into `tag` (EVP_MAX_MD_SIZE bytes); returns its length, 0
// on failure. Each thread keeps the context of the key it used last and re-initialises it with the
// same key (EVP_MAC_init with no key), so the steady state allocates nothing; another key
// duplicates that key's prepared context.
size_t HmacTag(const JwsKey::State& st, Algorithm alg, std::string_view input, unsigned char* tag) {
  const int index = alg == Algorithm::kHS256 ? 0 : alg == Algorithm::kHS384 ? 1 : 2;
  const EVP_MAC_CTX* prepared = st.hmac[index].get();
  if (prepared == nullptr) return 0;
  struct Reused {
    uint64_t serial = 0;
    int index = -1;
    EvpMacCtxPtr ctx;
  };
  thread_local Reused reused;
  EVP_MAC_CTX* ctx = nullptr;
  if (reused.ctx && reused.serial == st.serial && reused.index == index &&
      EVP_MAC_init(reused.ctx.get(), nullptr, 0, nullptr) == 1) {
    ctx = reused.ctx.get();
  } else {
    reused.ctx.reset(EVP_MAC_CTX_dup(prepared));
    reused.serial = st.serial;
    reused.index = index;
    ctx = reused.ctx.get();
  }
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) !=
          1 ||
      EVP_MAC_final(ctx, tag, &len, EVP_MAX_MD_SIZE) != 1) {
    reused.ctx.reset();
    return 0;
  }
  return len;
}

// Header names registered by RFC 7515/7516/7797 that the JWS layer handles itself; none of them
// may appear in `crit`.
constexpr std::string_view kStandardHeaders[] = {
    "alg",  "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "enc", "zip", "epk", "apu", "apv", "iv",  "tag",      "p2s", "p2c"};

bool IsStandardHeader(std::string_view name) {
  for (std::string_view h : kStandardHeaders) {
    if (h == name) return true;
  }
  return false;
}

// True when no object inside `element` repeats a member name. Same rule as base::HasUniqueKeys,
// without a heap allocation for the usual small objects.
bool UniqueKeys(simdjson::dom::element element);

bool UniqueKeys(simdjson::dom::object object) {
  absl::InlinedVector<std::string_view, 24> keys;
  for (auto field : object) {
    keys.push_back(field.key);
    const auto t = field.value.type();
    if ((t == simdjson::dom::element_type::OBJECT || t == simdjson::dom::element_type::ARRAY) &&
        !UniqueKeys(field.value)) {
      return false;
    }
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}

bool UniqueKeys(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT:
      return UniqueKeys(element.get_object().value_unsafe());
    case simdjson::dom::element_type::ARRAY: {
      const simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element child : array) {
        if (!UniqueKeys(child)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// One pass over the header: duplicates first (so `{"alg":"HS256","alg":"none"}` is malformed,
// whatever its values), then each member's rule.
absl::Status CheckHeader(simdjson::dom::object header, const JwsParseOptions& options,
                         ParsedJws* out) {
  if (!UniqueKeys(header)) return Malformed("the header has duplicate members");
  std::optional<simdjson::dom::element> alg_el, kid_el, typ_el, cty_el, b64_el, crit_el;
  bool jwe_member = false, zip = false;
  absl::InlinedVector<std::string_view, 8> names;
  for (auto field : header) {
    const std::string_view key = field.key;
    names.push_back(key);
    if (key == "alg")
      alg_el = field.value;
    else if (key == "kid")
      kid_el = field.value;
    else if (key == "typ")
      typ_el = field.value;
    else if (key == "cty")
      cty_el = field.value;
    else if (key == "b64")
      b64_el = field.value;
    else if (key == "crit")
      crit_el = field.value;
    else if (key == "enc")
      jwe_member = true;
    else if (key == "zip")
      zip = true;
  }
  std::string_view alg_name;
  if (!alg_el) return Malformed("the header has no alg");
  if (alg_el->get_string().get(alg_name) != simdjson::SUCCESS)
    return Malformed("alg must be a string");
  std::optional<Algorithm> alg = AlgorithmFromName(alg_name);
  if (!alg) return TokenError(kReasonAlgorithm, "the token's alg is not an accepted algorithm");
  out->alg = *alg;
  auto as_string = [](const std::optional<simdjson::dom::element>& el,
                      std::optional<std::string>* dst) -> bool {
    dst->reset();
    if (!el) return true;
    std::string_view s;
    if (el->get_string().get(s) != simdjson::SUCCESS) return false;
    dst->emplace(s);
    return true;
  };
  if (!as_string(kid_el, &out->kid)) return Malformed("kid must be a string");
  if (!as_string(typ_el, &out->typ)) return Malformed("typ must be a string");
  std::optional<std::string> cty;
  if (!as_string(cty_el, &cty)) return Malformed("cty must be a string");
  if (cty && absl::EqualsIgnoreCase(base::AsAbsl(*cty), "JWT")) {
    return Malformed("nested tokens are not accepted");
  }
  if (jwe_member) return Malformed("JWE is not accepted");
  if (zip) return Malformed("zip is not allowed in a JWS");
  if (b64_el) {
    bool b64 = false;
    if (b64_el->get_bool().get(b64) != simdjson::SUCCESS || !b64) {
      return Malformed("unencoded payloads (b64) are not accepted");
    }
  }
  if (crit_el) {
    simdjson::dom::array crit;
    if (crit_el->get_array().get(crit) != simdjson::SUCCESS || crit.size() == 0) {
      return TokenError(kReasonCrit, "crit must be a non-empty array");
    }
    for (simdjson::dom::element item : crit) {
      std::string_view name;
      if (item.get_string().get(name) != simdjson::SUCCESS) {
        return TokenError(kReasonCrit, "crit must hold strings");
      }
      bool understood = false;
      for (const std::string& u : options.understood_crit) understood |= (u == name);
      const bool present = std::find(names.begin(), names.end(), name) != names.end();
      if (IsStandardHeader(name) || !understood || !present) {
        return TokenError(kReasonCrit,
                          "the header has a critical extension that is not understood");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---- algorithms -------------------------------------------------------------------------------

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    if (kNames[i] == name) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string_view AlgorithmName(Algorithm alg) { return kNames[static_cast<int>(alg)]; }

size_t HashLength(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRS256:
    case Algorithm::kPS256:
    case Algorithm::kES256:
    case Algorithm::kHS256:
      return 32;
    case Algorithm::kRS384:
    case Algorithm::kPS384:
    case Algorithm::kES384:
    case Algorithm::kHS384:
      return 48;
    default:
      return 64;
  }
}

const EVP_MD* DigestFor(Algorithm alg) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (HashLength(alg)) {
    case 32:
      return sha256;
    case 48:
      return sha384;
    default:
      return sha512;
  }
}

// ---- parsing ----------------------------------------------------------------------------------

absl::Status JwsParser::Parse(std::string_view token, const JwsParseOptions& options,
                              ParsedJws* out) {
  payload_object_ = simdjson::dom::object();
  if (token.size() > options.max_size) {
    return TokenError(kReasonTooLarge, "the token is larger than the configured maximum");
  }
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) return Malformed("a JWS has three parts");
  if (token.find('.', second + 1) != std::string_view::npos) {
    size_t dots = 0;
    for (char c : token) dots += c == '.';
    return Malformed(dots == 4 ? "JWE (five parts) is not accepted" : "a JWS has three parts");
  }
  const std::string_view header_b64 = token.substr(0, first);
  const std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  const std::string_view sig_b64 = token.substr(second + 1);
  if (header_b64.empty()) return Malformed("the header is empty");
  if (sig_b64.empty()) return Malformed("the signature is empty");

  if (!DecodeBase64UrlInto(header_b64, &out->header_json, simdjson::SIMDJSON_PADDING)) {
    return Malformed("the header is not base64url");
  }
  simdjson::dom::element header;
  if (header_parser_.parse(out->header_json.data(), out->header_json.size(), false).get(header) !=
      simdjson::SUCCESS) {
    return Malformed("the header is not JSON");
  }
  simdjson::dom::object header_obj;
  if (header.get_object().get(header_obj) != simdjson::SUCCESS) {
    return Malformed("the header is not a JSON object");
  }
  if (absl::Status s = CheckHeader(header_obj, options, out); !s.ok()) return s;

  if (!DecodeBase64UrlInto(payload_b64, &out->payload, simdjson::SIMDJSON_PADDING)) {
    return Malformed("the payload is not base64url");
  }
  if (options.payload == PayloadFormat::kJsonObject) {
    simdjson::dom::element payload;
    if (payload_parser_.parse(out->payload.data(), out->payload.size(), false).get(payload) !=
        simdjson::SUCCESS) {
      return Malformed("the payload is not JSON");
    }
    simdjson::dom::object obj;
    if (payload.get_object().get(obj) != simdjson::SUCCESS) {
      return Malformed("the payload is not a JSON object");
    }
    if (!UniqueKeys(payload)) return Malformed("the payload has duplicate members");
    payload_object_ = obj;
  }
  if (!DecodeBase64UrlInto(sig_b64, &out->signature, 0)) {
    return Malformed("the signature is not base64url");
  }
  out->signing_input = token.substr(0, second);
  return absl::OkStatus();
}

absl::StatusOr<ParsedJws> ParseCompactJws(std::string_view token, const JwsParseOptions& options) {
  thread_local JwsParser parser;
  ParsedJws out;
  if (absl::Status s = parser.Parse(token, options, &out); !s.ok()) return s;
  return out;
}

// ---- signatures -------------------------------------------------------------------------------

absl::Status Verify(const JwsKey& key, Algorithm alg, std::string_view signing_input,
                    std::string_view signature) {
  if (!key.Admits(alg)) {
    return TokenError(kReasonAlgorithm, "the key does not admit the token's algorithm");
  }
  const JwsKey::State& st = key.state();
  if (IsHs(alg)) {
    if (signature.size() != HashLength(alg)) return BadSignature();
    unsigned char tag[EVP_MAX_MD_SIZE];
    const size_t len = HmacTag(st, alg, signing_input, tag);
    if (len == 0 || !base::ConstantTimeEquals(
                        std::string_view(reinterpret_cast<const char*>(tag), len), signature)) {
      return BadSignature();
    }
    return absl::OkStatus();
  }
  if (IsEs(alg)) {
    const size_t n = EsComponentBytes(alg);
    if (signature.size() != 2 * n) return BadSignature();
    const std::string der = RawToDer(alg, signature);
    if (der.empty() || !PkeyVerify(st, alg, signing_input, der)) return BadSignature();
    return absl::OkStatus();
  }
  if (IsRs(alg) || IsPs(alg)) {
    if (st.bits < 2048 ||
        signature.size() != static_cast<size_t>(EVP_PKEY_get_size(st.pkey.get()))) {
      return BadSignature();
    }
  } else if (signature.size() != 64) {  // EdDSA
    return BadSignature();
  }
  if (!PkeyVerify(st, alg, signing_input, signature)) return BadSignature();
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sign(const JwsKey& key, Algorithm alg, std::string_view signing_input) {
  if (!key.Admits(alg)) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonAlgorithm,
                     "the key does not admit this algorithm");
  }
  if (!key.has_private()) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonBadKey,
                     "signing needs a private key");
  }
  const JwsKey::State& st = key.state();
  if (IsHs(alg)) {
    unsigned char tag[EVP_MAX_MD_SIZE];
    const size_t len = HmacTag(st, alg, signing_input, tag);
    if (len == 0) {
      return MakeError(absl::StatusCode::kInternal, ErrorDomain::kToken, "sign_failed",
                       "HMAC failed");
    }
    return std::string(reinterpret_cast<const char*>(tag), len);
  }
  return PkeySign(st, alg, signing_input);
}

std::string MakeHeaderJson(Algorithm alg, std::optional<std::string_view> kid,
                           std::optional<std::string_view> typ) {
  std::string out = "{\"alg\":";
  base::AppendJsonString(&out, AlgorithmName(alg));
  if (kid) {
    out += ",\"kid\":";
    base::AppendJsonString(&out, *kid);
  }
  if (typ) {
    out += ",\"typ\":";
    base::AppendJsonString(&out, *typ);
  }
  out.push_back('}');
  return out;
}

std::string MakeSigningInput(std::string_view header_json, std::string_view payload) {
  return absl::StrCat(base::Base64UrlEncode(header_json), ".", base::Base64UrlEncode(payload));
}

absl::StatusOr<std::string> SignCompact(const JwsKey& key, Algorithm alg,
                                        std::string_view header_json, std::string_view payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element header;
  std::string_view named;
  if (parser.parse(header_json.data(), header_json.size()).get(header) != simdjson::SUCCESS ||
      header["alg"].get_string().get(named) != simdjson::SUCCESS || named != AlgorithmName(alg)) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kToken, kReasonAlgorithm,
                     "the header must name the signing algorithm");
  }
  std::string input = MakeSigningInput(header_json, payload);
  absl::StatusOr<std::string> sig = Sign(key, alg, input);
  if (!sig.ok()) return sig.status();
  absl::StrAppend(&input, ".", base::Base64UrlEncode(*sig));
  return input;
}

}  // namespace jitguard::token
