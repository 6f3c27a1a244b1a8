// PolicyStore: atomic reloads, failed reloads keep the old policy, readers during reloads (run
// under TSan with the tsan preset).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jitguard/policy.h"
#include "jitguard/status.h"

namespace jitguard {
namespace {

// Version n permits model "m<n>" only, with a grant ttl of n minutes: a reader can tell from one
// decision which snapshot produced it, and a torn snapshot would show up as a mismatch.
std::string Numbered(int n) {
  return absl::StrCat(R"({"version": 1, "rules": [{"id": "r)", n,
                      R"(", "effect": "permit", "models": ["m)", n, R"("], "max_grant_ttl": ")", n,
                      R"(m"}]})");
}

TEST(PolicyStoreTest, ReloadSwapsAndFailedReloadKeepsTheOld) {
  absl::StatusOr<std::unique_ptr<PolicyStore>> store =
      PolicyStore::Create(Numbered(1), {.version = "v1"});
  ASSERT_TRUE(store.ok());
  PolicyStore& s = **store;
  EXPECT_EQ(s.version(), "v1");
  std::shared_ptr<const Policy> before = s.Snapshot();
  EXPECT_EQ(s.Evaluate(PolicyRequest{.model = "m1"}).effect, Effect::kPermit);

  ASSERT_TRUE(s.Reload(Numbered(2), {.version = "v2"}).ok());
  EXPECT_EQ(s.version(), "v2");
  EXPECT_EQ(s.Evaluate(PolicyRequest{.model = "m1"}).effect, Effect::kDeny);
  EXPECT_EQ(s.Evaluate(PolicyRequest{.model = "m2"}).grant_ttl, 120);
  // The old snapshot is untouched.
  EXPECT_EQ(before->version(), "v1");
  EXPECT_EQ(before->Evaluate(PolicyRequest{.model = "m1"}).effect, Effect::kPermit);

  absl::Status bad =
      s.Reload(R"({"version": 1, "rules": [{"id": "x", "effect": "permit", "modles": ["m3"]}]})");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(GetErrorDomain(bad), ErrorDomain::kPolicy);
  EXPECT_EQ(s.version(), "v2");
  EXPECT_EQ(s.Evaluate(PolicyRequest{.model = "m2"}).effect, Effect::kPermit);

  s.Swap(before);
  EXPECT_EQ(s.version(), "v1");
  s.Swap(nullptr);  // ignored: a store never holds no policy
  EXPECT_EQ(s.version(), "v1");
}

TEST(PolicyStoreTest, DefaultVersionIsAContentDigest) {
  absl::StatusOr<std::unique_ptr<PolicyStore>> a = PolicyStore::Create(Numbered(1));
  absl::StatusOr<std::unique_ptr<PolicyStore>> b = PolicyStore::Create(Numbered(1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->version(), (*b)->version());
  ASSERT_TRUE((*b)->Reload(Numbered(2)).ok());
  EXPECT_NE((*a)->version(), (*b)->version());
}

TEST(PolicyStoreTest, HoldsACompiledPolicyAndRefusesNull) {
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Create(Numbered(2), {.version = "v2"});
  ASSERT_TRUE(p.ok());
  absl::StatusOr<std::unique_ptr<PolicyStore>> store = PolicyStore::Create(*p);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->version(), "v2");
  EXPECT_EQ((*store)->Snapshot(), *p);
  absl::StatusOr<std::unique_ptr<PolicyStore>> none =
      PolicyStore::Create(std::shared_ptr<const Policy>());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(none.status()), "invalid_policy");
}

TEST(PolicyStoreTest, ReadersDuringReloadsAlwaysSeeAWholeSnapshot) {
  constexpr int kVersions = 40;
  std::vector<std::shared_ptr<const Policy>> compiled;
  for (int n = 1; n <= kVersions; ++n) {
    absl::StatusOr<std::shared_ptr<const Policy>> p =
        Policy::Create(Numbered(n), {.version = absl::StrCat(n)});
    ASSERT_TRUE(p.ok());
    compiled.push_back(*p);
  }
  absl::StatusOr<std::unique_ptr<PolicyStore>> made = PolicyStore::Create(compiled[0]);
  ASSERT_TRUE(made.ok());
  PolicyStore& store = **made;
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      int n = 1 + t;
      while (!stop.load(std::memory_order_relaxed)) {
        std::shared_ptr<const Policy> snap = store.Snapshot();
        const int v = std::stoi(snap->version());
        // The snapshot's own rules must agree with its version.
        Decision d = snap->Evaluate(PolicyRequest{.model = absl::StrCat("m", v)});
        if (d.effect != Effect::kPermit || d.grant_ttl != 60 * v ||
            d.rules[0] != absl::StrCat("r", v))
          ++torn;
        if (snap->Evaluate(PolicyRequest{.model = absl::StrCat("m", v % kVersions + 1)}).effect !=
            Effect::kDeny)
          ++torn;
        store.Evaluate(PolicyRequest{.model = absl::StrCat("m", n)});
        n = n % kVersions + 1;
        ++reads;
      }
    });
  }
  // Reload from text (compiling each time), swap prebuilt snapshots, and try failing reloads.
  // Keep reloading until the readers have done real work alongside (at least 200 rounds).
  for (int round = 0; round < 200 || reads.load() < 2000; ++round) {
    const int n = round % kVersions + 1;
    if (round % 3 == 0) {
      ASSERT_TRUE(store.Reload(Numbered(n), {.version = absl::StrCat(n)}).ok());
    } else if (round % 3 == 1) {
      store.Swap(compiled[n - 1]);
    } else {
      ASSERT_FALSE(store.Reload("{\"version\": 1, \"rules\": [{}]}").ok());
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace jitguard
