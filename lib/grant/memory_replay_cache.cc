// The in-process ReplayCache: N shards, each a flat_hash_map under its own mutex. Entries are
// dropped only once they have expired, and only when a shard needs room, so the hot path is one
// hash lookup and insert. A shard that is full of live entries refuses (fail closed).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"
#include "lib/grant/replay_internal.h"

namespace jitguard {
namespace {

using grant_internal::ReplayCacheFull;
using grant_internal::ReplayedError;
using grant_internal::RevokedError;
using grant_internal::ValidateGrantId;

class MemoryReplayCache final : public ReplayCache {
 public:
  MemoryReplayCache(size_t capacity, size_t shards)
      : per_shard_(std::max<size_t>(1, (capacity + shards - 1) / shards)), shards_(shards) {}

  absl::Status MarkUsed(std::string_view id, absl::Time expires_at, absl::Time now) override {
    if (absl::Status s = ValidateGrantId(id); !s.ok()) return s;
    Shard& shard = ShardFor(id);
    base::MutexLock lock(&shard.mu);
    // A remembered id is refused even if its entry has expired but not yet been dropped: entries
    // live at least until their expiry, never less.
    if (auto it = shard.entries.find(base::AsAbsl(id)); it != shard.entries.end()) {
      return it->second.revoked ? RevokedError() : ReplayedError();
    }
    if (!MakeRoom(shard, now)) return ReplayCacheFull();
    Insert(shard, id, Entry{expires_at, false});
    return absl::OkStatus();
  }

  absl::Status Revoke(std::string_view id, absl::Time expires_at, absl::Time now) override {
    if (absl::Status s = ValidateGrantId(id); !s.ok()) return s;
    Shard& shard = ShardFor(id);
    base::MutexLock lock(&shard.mu);
    if (auto it = shard.entries.find(base::AsAbsl(id)); it != shard.entries.end()) {
      it->second.revoked = true;
      it->second.expires_at = std::max(it->second.expires_at, expires_at);
      return absl::OkStatus();
    }
    if (!MakeRoom(shard, now)) return ReplayCacheFull();
    Insert(shard, id, Entry{expires_at, true});
    return absl::OkStatus();
  }

  std::string_view Name() const override { return "memory"; }

 private:
  struct Entry {
    absl::Time expires_at;
    bool revoked;
  };
  struct Shard {
    base::Mutex mu;
    absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
    // No entry expires before this; lets a full shard skip a useless sweep.
    absl::Time earliest_expiry ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
  };

  Shard& ShardFor(std::string_view id) {
    return shards_[absl::Hash<absl::string_view>{}(base::AsAbsl(id)) % shards_.size()];
  }

  void Insert(Shard& shard, std::string_view id, Entry entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
    shard.earliest_expiry = std::min(shard.earliest_expiry, entry.expires_at);
    shard.entries.emplace(std::string(id), entry);
  }

  // True when the shard can take one more entry, after dropping expired ones if it was full.
  bool MakeRoom(Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
    if (shard.entries.size() < per_shard_) return true;
    if (now < shard.earliest_expiry) return false;
    absl::Time earliest = absl::InfiniteFuture();
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
      if (it->second.expires_at <= now) {
        shard.entries.erase(it++);
      } else {
        earliest = std::min(earliest, it->second.expires_at);
        ++it;
      }
    }
    shard.earliest_expiry = earliest;
    return shard.entries.size() < per_shard_;
  }

  const size_t per_shard_;
  std::vector<Shard> shards_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<ReplayCache>> NewMemoryReplayCache(
    const MemoryReplayCacheOptions& options) {
  if (options.capacity == 0 || options.shards == 0 || options.shards > 4096) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "invalid_options",
                     "MemoryReplayCacheOptions: capacity must be > 0 and shards in 1..4096");
  }
  const size_t shards = std::min(options.shards, options.capacity);
  return std::shared_ptr<ReplayCache>(
      std::make_shared<MemoryReplayCache>(options.capacity, shards));
}

}  // namespace jitguard
