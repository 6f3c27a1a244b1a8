#include "lib/base/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <atomic>

#include "absl/strings/escaping.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::base {

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

namespace {

// A zero-length key is valid HMAC input; OpenSSL wants a non-null pointer for it (a null key means
// "re-initialise with the key already set").
const unsigned char* KeyBytes(std::string_view key) {
  static const unsigned char kEmpty = 0;
  return key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
}

struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;

absl::Status CryptoFailure(std::string_view what) {
  ERR_clear_error();  // leave no stale entries for the thread's next OpenSSL caller
  return MakeError(absl::StatusCode::kInternal, ErrorDomain::kInternal, "crypto_failure", what);
}

}  // namespace

std::optional<Sha256Digest> Sha256(std::initializer_list<std::string_view> parts) {
  // Fetched once: an implicit fetch per call (EVP_sha256()) costs a lookup under a lock.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    return std::nullopt;
  }
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return std::nullopt;
  }
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data, const EVP_MD* md) {
  unsigned char tag[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (md == nullptr ||
      EVP_Q_mac(nullptr, "HMAC", nullptr, EVP_MD_get0_name(md), nullptr, KeyBytes(key), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), tag, sizeof(tag),
                &len) == nullptr) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(tag), len);
}

// The keyed context every thread copies, and a process-unique serial that names it in the threads'
// caches (an address could be reused by a later key).
struct HmacKey::Prepared {
  uint64_t serial = 0;
  size_t size = 0;
  EvpMacCtxPtr ctx;
};

absl::StatusOr<HmacKey> HmacKey::Create(std::string_view key, const char* digest) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  static std::atomic<uint64_t> next_serial{1};
  if (mac == nullptr) return CryptoFailure("HMAC is not available from OpenSSL");
  auto prepared = std::make_shared<Prepared>();
  prepared->ctx.reset(EVP_MAC_CTX_new(mac));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (prepared->ctx == nullptr ||
      EVP_MAC_init(prepared->ctx.get(), KeyBytes(key), key.size(), params) != 1) {
    return CryptoFailure("an HMAC key could not be prepared");
  }
  prepared->size = EVP_MAC_CTX_get_mac_size(prepared->ctx.get());
  prepared->serial = next_serial.fetch_add(1, std::memory_order_relaxed);
  return HmacKey(std::move(prepared));
}

size_t HmacKey::size() const { return prepared_->size; }

bool HmacKey::Sign(std::initializer_list<std::string_view> parts, unsigned char* out) const {
  // The calling thread's contexts for the last few keys it used: re-initialising one with its own
  // key (EVP_MAC_init without a key) allocates nothing; another key copies that key's prepared
  // context into the oldest slot.
  struct Slot {
    uint64_t serial = 0;
    EvpMacCtxPtr ctx;
  };
  constexpr size_t kSlots = 4;
  thread_local std::array<Slot, kSlots> slots;
  thread_local size_t next_slot = 0;
  Slot* slot = nullptr;
  for (Slot& s : slots) {
    if (s.serial == prepared_->serial && s.ctx != nullptr) {
      slot = &s;
      break;
    }
  }
  if (slot != nullptr && EVP_MAC_init(slot->ctx.get(), nullptr, 0, nullptr) != 1) {
    slot->ctx.reset();
    slot->serial = 0;
    slot = nullptr;
  }
  if (slot == nullptr) {
    slot = &slots[next_slot];
    next_slot = (next_slot + 1) % kSlots;
    slot->ctx.reset(EVP_MAC_CTX_dup(prepared_->ctx.get()));  // keyed and ready for data
    slot->serial = slot->ctx != nullptr ? prepared_->serial : 0;
    if (slot->ctx == nullptr) return false;
  }
  EVP_MAC_CTX* ctx = slot->ctx.get();
  for (std::string_view part : parts) {
    if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1) {
      slot->ctx.reset();
      slot->serial = 0;
      return false;
    }
  }
  size_t len = 0;
  if (EVP_MAC_final(ctx, out, &len, prepared_->size) != 1 || len != prepared_->size) {
    slot->ctx.reset();
    slot->serial = 0;
    return false;
  }
  return true;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return MakeError(absl::StatusCode::kInternal, ErrorDomain::kInternal, "random_failure",
                     "the OpenSSL random generator failed");
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Hex(std::string_view bytes) { return absl::BytesToHexString(AsAbsl(bytes)); }

}  // namespace jitguard::base
