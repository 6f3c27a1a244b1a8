// The verified-token cache: bounded, sharded, keyed by a hash of the whole token (the token itself
// is kept and compared on a hit, so a hash collision is only a miss). Entries carry what a hit must
// re-check (exp/nbf/iat), the fingerprint of the key that verified them, and the key-set generation
// they are valid for: a rotation retags the entries of keys that stay and drops the others, and a
// lookup under another generation is a miss.
#ifndef JITGUARD_LIB_TOKEN_CACHE_H_
#define JITGUARD_LIB_TOKEN_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "jitguard/token.h"

namespace jitguard::token {

// Time claims of a verified token, re-checked on every hit.
struct TokenTimes {
  absl::Time exp = absl::InfiniteFuture();
  std::optional<absl::Time> nbf;
  std::optional<absl::Time> iat;
};

struct CachedToken {
  std::string token;
  std::shared_ptr<const Identity> identity;
  TokenTimes times;
  std::string key_fingerprint;
};

class TokenCache {
 public:
  explicit TokenCache(size_t capacity);

  // The entry for `token` valid under `generation`, or null.
  std::shared_ptr<const CachedToken> Lookup(std::string_view token, uint64_t hash,
                                            uint64_t generation) const;

  // Remembers a verified token (only when `generation` is still current, so a verification that
  // raced with a rotation cannot re-insert a token of a removed key). `expired_before`: entries
  // whose exp lies before it may be evicted to make room.
  void Insert(std::shared_ptr<const CachedToken> entry, uint64_t hash, uint64_t generation,
              absl::Time expired_before);

  // After a rotation to `generation`: keeps entries whose key fingerprint is in `kept` (retagged
  // with the new generation) and drops the rest.
  void Retain(const absl::flat_hash_set<std::string>& kept, uint64_t generation);

  size_t size() const;

  // Which generation is current (the verifier's key set sets it before Retain).
  void set_generation(uint64_t generation);

 private:
  static constexpr int kShards = 16;
  struct Slot {
    std::shared_ptr<const CachedToken> entry;
    uint64_t generation;
  };
  // std::shared_mutex (pthread rwlock) rather than absl::Mutex: the distribution's Abseil is not
  // built with ThreadSanitizer annotations, so TSan could not see absl::Mutex and would report
  // every locked access as a race; with a pthread lock `make test-tsan` checks this cache for real.
  struct Shard {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<uint64_t, Slot> map;  // guarded by mu
  };
  Shard& ShardFor(uint64_t hash) const { return shards_[hash >> 60]; }

  const size_t per_shard_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace jitguard::token

#endif  // JITGUARD_LIB_TOKEN_CACHE_H_
