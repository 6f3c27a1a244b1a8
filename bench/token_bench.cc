// Token verification cost against its floor: the raw OpenSSL verification of the very same
// signature (key already loaded, nothing else) versus jitguard's full uncached Verify (size cap,
// strict base64url, header and payload JSON parse with duplicate check, key selection, signature,
// claim checks, Identity), and a verified-token cache hit.
//
//   build/<dir>/bench/jitguard_token_bench --benchmark_min_time=0.5
// Targets (issue 4): uncached <= 1.15x raw OpenSSL; cached hit <= 200 ns.
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "jitguard/token.h"
#include "lib/base/base64url.h"
#include "lib/token/jws.h"
#include "tests/cpp/testing/keys.h"

namespace jitguard::token {
namespace {

absl::Time Now() { return absl::FromUnixSeconds(1'800'000'000); }

// One algorithm's fixture: a signed access token, the verifier, and the raw pieces for OpenSSL.
struct Fixture {
  Algorithm alg;
  std::string token;
  std::string signing_input;
  std::string signature;  // as OpenSSL wants it (DER for ECDSA)
  std::string secret;     // HS256
  EVP_PKEY* pkey = nullptr;
  std::shared_ptr<TokenVerifier> uncached;
  std::shared_ptr<TokenVerifier> cached;
};

const std::string& Payload() {
  static const std::string* p = new std::string(absl::StrCat(
      R"({"iss":"https://login.example.com/tenant-1/v2.0","aud":"api://inference-gateway",)",
      R"("sub":"00u1a2b3c4d5e6f7g8h9","azp":"web-client","scope":"models.infer datasets.read",)",
      R"("groups":["ml-engineers","pii-reviewers","eu-staff"],"jti":"b7e4f2a0-5c1d-4e8b-9f3a-2d6c8e1f0a9b",)",
      R"("iat":)", 1'800'000'000 - 60, R"(,"nbf":)", 1'800'000'000 - 60, R"(,"exp":)",
      1'800'000'000 + 3600, "}"));
  return *p;
}

Fixture Make(Algorithm alg) {
  Fixture f;
  f.alg = alg;
  absl::StatusOr<JwsKey> key;
  if (alg == Algorithm::kHS256) {
    f.secret = std::string(32, 's');
    key = JwsKey::FromSecret(f.secret, std::nullopt, "k1");
  } else {
    const char* kind = alg == Algorithm::kES256   ? "P-256"
                       : alg == Algorithm::kEdDSA ? "Ed25519"
                                                  : "RSA";
    const std::string pem = ::jitguard::testing::GeneratePrivatePem(kind);
    key = JwsKey::FromPem(pem, KeyPart::kPrivate, std::nullopt, "k1");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    f.pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  f.token = *SignCompact(*key, alg, MakeHeaderJson(alg, "k1", "at+jwt"), Payload());
  f.signing_input = f.token.substr(0, f.token.rfind('.'));
  f.signature = *base::Base64UrlDecodeStrict(f.token.substr(f.token.rfind('.') + 1));
  if (alg == Algorithm::kES256) {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(
        sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(f.signature.data()), 32, nullptr),
        BN_bin2bn(reinterpret_cast<const unsigned char*>(f.signature.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &der);
    f.signature.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
  }
  TokenVerifierOptions o;
  if (alg == Algorithm::kHS256) {
    o.hmac_keys.push_back({SecretBytes(f.secret), "", "k1"});
  } else {
    o.jwks = absl::StrCat("{\"keys\":[", *key->PublicJwk(), "]}");
  }
  o.issuers = {"https://login.example.com/tenant-1/v2.0"};
  o.audiences = {"api://inference-gateway"};
  o.cache_size = 0;
  f.uncached = *TokenVerifier::Create(o);
  o.cache_size = 16384;
  f.cached = *TokenVerifier::Create(o);
  return f;
}

Fixture& Get(Algorithm alg) {
  static Fixture* fixtures[kAlgorithmCount] = {};
  Fixture*& f = fixtures[static_cast<int>(alg)];
  if (f == nullptr) f = new Fixture(Make(alg));
  return *f;
}

Algorithm AlgArg(const benchmark::State& state) { return static_cast<Algorithm>(state.range(0)); }

// The floor: OpenSSL verifying the same signature over the same bytes with an already-loaded key.
void BM_RawOpenSSL(benchmark::State& state) {
  Fixture& f = Get(AlgArg(state));
  state.SetLabel(std::string(AlgorithmName(f.alg)));
  const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(f.signature.data());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    bool ok = false;
    if (f.alg == Algorithm::kHS256) {
      unsigned char tag[32];
      unsigned int len = 0;
      HMAC(EVP_sha256(), f.secret.data(), static_cast<int>(f.secret.size()), in,
           f.signing_input.size(), tag, &len);
      ok = len == f.signature.size() && CRYPTO_memcmp(tag, sig, len) == 0;
    } else {
      EVP_PKEY_CTX* pctx = nullptr;
      const EVP_MD* md = f.alg == Algorithm::kEdDSA ? nullptr : EVP_sha256();
      EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, f.pkey);
      if (f.alg == Algorithm::kPS256) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
      }
      ok = EVP_DigestVerify(ctx, sig, f.signature.size(), in, f.signing_input.size()) == 1;
      EVP_MD_CTX_reset(ctx);
    }
    if (!ok) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
  EVP_MD_CTX_free(ctx);
}

// jitguard's whole uncached path: parse, select key, verify, claims, Identity.
void BM_JitguardUncached(benchmark::State& state) {
  Fixture& f = Get(AlgArg(state));
  state.SetLabel(std::string(AlgorithmName(f.alg)));
  for (auto _ : state) {
    absl::StatusOr<Identity> id = f.uncached->Verify(f.token, Now());
    if (!id.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(id);
  }
}

// A verified-token cache hit, sharing the cached Identity (VerifyShared).
void BM_JitguardCachedHitShared(benchmark::State& state) {
  Fixture& f = Get(AlgArg(state));
  state.SetLabel(std::string(AlgorithmName(f.alg)));
  if (!f.cached->Verify(f.token, Now()).ok()) state.SkipWithError("verify failed");
  for (auto _ : state) {
    absl::StatusOr<std::shared_ptr<const Identity>> id = f.cached->VerifyShared(f.token, Now());
    benchmark::DoNotOptimize(id);
  }
}

// A cache hit that copies the Identity out (Verify).
void BM_JitguardCachedHitCopy(benchmark::State& state) {
  Fixture& f = Get(AlgArg(state));
  state.SetLabel(std::string(AlgorithmName(f.alg)));
  if (!f.cached->Verify(f.token, Now()).ok()) state.SkipWithError("verify failed");
  for (auto _ : state) {
    absl::StatusOr<Identity> id = f.cached->Verify(f.token, Now());
    benchmark::DoNotOptimize(id);
  }
}

void Algorithms(benchmark::internal::Benchmark* b) {
  for (Algorithm a : {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256, Algorithm::kEdDSA,
                      Algorithm::kHS256}) {
    b->Arg(static_cast<int>(a));
  }
}

BENCHMARK(BM_RawOpenSSL)->Apply(Algorithms);
BENCHMARK(BM_JitguardUncached)->Apply(Algorithms);
BENCHMARK(BM_JitguardCachedHitShared)->Arg(static_cast<int>(Algorithm::kES256));
BENCHMARK(BM_JitguardCachedHitCopy)->Arg(static_cast<int>(Algorithm::kES256));
BENCHMARK(BM_JitguardCachedHitShared)->Arg(static_cast<int>(Algorithm::kES256))->Threads(2);

}  // namespace
}  // namespace jitguard::token

BENCHMARK_MAIN();
