#include "lib/token/cache.h"

#include <mutex>
#include <utility>

namespace jitguard::token {

TokenCache::TokenCache(size_t capacity) : per_shard_((capacity + kShards - 1) / kShards) {}

std::shared_ptr<const CachedToken> TokenCache::Lookup(std::string_view token, uint64_t hash,
                                                      uint64_t generation) const {
  Shard& shard = ShardFor(hash);
  std::shared_ptr<const CachedToken> entry;
  {
    std::shared_lock lock(shard.mu);
    auto it = shard.map.find(hash);
    if (it == shard.map.end() || it->second.generation != generation) return nullptr;
    entry = it->second.entry;
  }
  if (entry->token != token) return nullptr;
  return entry;
}

void TokenCache::Insert(std::shared_ptr<const CachedToken> entry, uint64_t hash,
                        uint64_t generation, absl::Time expired_before) {
  if (per_shard_ == 0) return;
  Shard& shard = ShardFor(hash);
  std::unique_lock lock(shard.mu);
  if (generation != generation_.load(std::memory_order_acquire)) return;
  if (shard.map.size() >= per_shard_ && !shard.map.contains(hash)) {
    // Full: first drop what has expired, then (still full) an arbitrary entry.
    absl::erase_if(shard.map, [expired_before](const auto& kv) {
      return kv.second.entry->times.exp < expired_before;
    });
    if (shard.map.size() >= per_shard_) shard.map.erase(shard.map.begin());
  }
  shard.map.insert_or_assign(hash, Slot{std::move(entry), generation});
}

void TokenCache::Retain(const absl::flat_hash_set<std::string>& kept, uint64_t generation) {
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mu);
    absl::erase_if(shard.map, [&kept](const auto& kv) {
      return !kept.contains(kv.second.entry->key_fingerprint);
    });
    for (auto& [hash, slot] : shard.map) slot.generation = generation;
  }
}

size_t TokenCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    n += shard.map.size();
  }
  return n;
}

void TokenCache::set_generation(uint64_t generation) {
  generation_.store(generation, std::memory_order_release);
}

}  // namespace jitguard::token
