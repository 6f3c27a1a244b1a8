#include "jitguard/policy.h"

#include <array>
#include <atomic>
#include <mutex>
#include <utility>

#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "lib/policy/compiled.h"
#include "lib/policy/spec.h"

namespace jitguard {

std::string_view EffectName(Effect effect) {
  switch (effect) {
    case Effect::kDeny:
      return "deny";
    case Effect::kPermit:
      return "permit";
    case Effect::kApprovalRequired:
      return "approval_required";
  }
  return "deny";
}

std::string_view RuleEffectName(RuleEffect effect) {
  switch (effect) {
    case RuleEffect::kPermit:
      return "permit";
    case RuleEffect::kForbid:
      return "forbid";
    case RuleEffect::kRequireApproval:
      return "require_approval";
  }
  return "forbid";
}

std::string_view ConditionOutcomeName(ConditionOutcome outcome) {
  switch (outcome) {
    case ConditionOutcome::kMatched:
      return "matched";
    case ConditionOutcome::kNotMatched:
      return "not_matched";
    case ConditionOutcome::kUnevaluable:
      return "unevaluable";
  }
  return "unevaluable";
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Create(std::string_view json,
                                                             const PolicyOptions& options) {
  absl::StatusOr<policy::PolicySpec> spec = policy::ParsePolicy(json, options.positions);
  if (!spec.ok()) return spec.status();
  std::string version = options.version;
  if (version.empty()) {
    const std::string digest = base::Hex(base::Sha256(json));
    version = "sha256:" + digest.substr(0, 16);
  }
  return policy::CompilePolicy(*std::move(spec), std::move(version));
}

namespace {

std::atomic<uint64_t> next_store_id{1};

// Per-thread snapshot cache: a few slots so that a thread reading several stores stays lock-free.
struct CacheSlot {
  uint64_t store_id = 0;
  uint64_t generation = 0;
  std::shared_ptr<const Policy> policy;
};
constexpr size_t kCacheSlots = 4;
thread_local std::array<CacheSlot, kCacheSlots> tls_cache;
thread_local size_t tls_next_slot = 0;

// The store behind PolicyStore::Create. (std::atomic<std::shared_ptr> was the other candidate for
// the current snapshot; libstdc++ 12 implements it with a spin lock bit that every load takes, and
// ThreadSanitizer cannot see that lock.)
class CachedPolicyStore final : public PolicyStore {
 public:
  explicit CachedPolicyStore(std::shared_ptr<const Policy> initial)
      : id_(next_store_id.fetch_add(1, std::memory_order_relaxed)), current_(std::move(initial)) {}

  std::shared_ptr<const Policy> Snapshot() const override { return Current(); }

  absl::Status Reload(std::string_view json, const PolicyOptions& options) override {
    // Compile outside any critical section; readers keep using the old snapshot meanwhile.
    absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json, options);
    if (!policy.ok()) return policy.status();
    Swap(*std::move(policy));
    return absl::OkStatus();
  }

  void Swap(std::shared_ptr<const Policy> policy) override {
    if (policy == nullptr) return;  // never install a null policy
    {
      std::lock_guard<std::mutex> lock(mu_);
      current_.swap(policy);
      generation_.fetch_add(1, std::memory_order_release);
    }
    // `policy` now holds the previous snapshot and is released here, outside the lock.
  }

  Decision Evaluate(const PolicyRequest& request) const override {
    return Current()->Evaluate(request);
  }

  std::string version() const override { return Current()->version(); }

 private:
  // The calling thread's cached snapshot, refreshed when the generation moved.
  const std::shared_ptr<const Policy>& Current() const {
    const uint64_t generation = generation_.load(std::memory_order_acquire);
    CacheSlot* slot = nullptr;
    for (CacheSlot& s : tls_cache) {
      if (s.store_id != id_) continue;
      if (s.generation == generation) return s.policy;  // the hot path: no lock, no refcounting
      slot = &s;
      break;
    }
    if (slot == nullptr) {
      slot = &tls_cache[tls_next_slot];
      tls_next_slot = (tls_next_slot + 1) % kCacheSlots;
    }
    std::shared_ptr<const Policy> stale = std::move(slot->policy);  // released outside the lock
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot->policy = current_;
      slot->generation =
          generation_.load(std::memory_order_relaxed);  // consistent with current_ here
      slot->store_id = id_;
    }
    return slot->policy;
  }

  const uint64_t id_;                    // unique per store: keys the per-thread caches
  std::atomic<uint64_t> generation_{1};  // bumped by every swap, after current_ changed
  mutable std::mutex mu_;                // guards current_
  std::shared_ptr<const Policy> current_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyStore>> PolicyStore::Create(
    std::shared_ptr<const Policy> initial) {
  if (initial == nullptr) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kPolicy, "invalid_policy",
                     "a policy store needs a policy (got null)");
  }
  return std::make_unique<CachedPolicyStore>(std::move(initial));
}

absl::StatusOr<std::unique_ptr<PolicyStore>> PolicyStore::Create(std::string_view json,
                                                                 const PolicyOptions& options) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json, options);
  if (!policy.ok()) return policy.status();
  return Create(*std::move(policy));
}

}  // namespace jitguard
