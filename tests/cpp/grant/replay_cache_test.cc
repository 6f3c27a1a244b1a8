// The ReplayCache contract, for both backends (memory, and a real redis-server on loopback):
// first use wins, later uses are "replayed", revocation sticks, and of 8 threads racing on one id
// exactly one wins. Redis-only: a second process sees the first one's use, an outage fails closed
// and the cache recovers when Redis returns. Memory-only: bounded, and full means "refuse".
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard {
namespace {

using ::jitguard::testing::RedisServer;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

RedisServer& SharedRedis() { return ::jitguard::testing::SharedRedisServer(); }

std::string UniqueId(std::string_view tag) {
  static std::atomic<int> counter{0};
  return absl::StrCat(base::AsAbsl(tag), "-", getpid(), "-", counter.fetch_add(1), "-",
                      absl::ToUnixNanos(absl::Now()));
}

enum class Backend { kMemory, kRedis };

std::shared_ptr<ReplayCache> MakeCache(Backend backend) {
  if (backend == Backend::kMemory) return *NewMemoryReplayCache();
  absl::StatusOr<std::shared_ptr<ReplayCache>> cache =
      NewRedisReplayCache({.url = SharedRedis().url(), .timeout = absl::Milliseconds(500)});
  EXPECT_TRUE(cache.ok()) << cache.status();
  return *cache;
}

class ReplayCacheTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::shared_ptr<ReplayCache> cache_ = MakeCache(GetParam());
};

TEST_P(ReplayCacheTest, FirstUseWinsLaterUsesAreReplayed) {
  const std::string id = UniqueId("first");
  ASSERT_TRUE(cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow).ok());
  for (int i = 0; i < 3; ++i) {
    absl::Status again = cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow);
    EXPECT_EQ(ErrorReason(again), "replayed");
    EXPECT_EQ(again.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(GetErrorDomain(again), ErrorDomain::kGrant);
  }
  // A different id is unaffected.
  EXPECT_TRUE(cache_->MarkUsed(UniqueId("other"), kNow + absl::Minutes(1), kNow).ok());
}

TEST_P(ReplayCacheTest, RevokedBeforeUseIsRefused) {
  const std::string id = UniqueId("revoke");
  ASSERT_TRUE(cache_->Revoke(id, kNow + absl::Minutes(1), kNow).ok());
  EXPECT_EQ(ErrorReason(cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow)), "revoked");
  // Revoking twice is fine.
  EXPECT_TRUE(cache_->Revoke(id, kNow + absl::Minutes(1), kNow).ok());
}

TEST_P(ReplayCacheTest, RevokeAfterUseKeepsRefusing) {
  const std::string id = UniqueId("used-then-revoked");
  ASSERT_TRUE(cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow).ok());
  ASSERT_TRUE(cache_->Revoke(id, kNow + absl::Minutes(1), kNow).ok());
  EXPECT_EQ(ErrorReason(cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow)), "revoked");
}

TEST_P(ReplayCacheTest, RejectsMalformedIds) {
  for (std::string_view bad : {std::string_view(""), std::string_view("has space"),
                               std::string_view("new\nline"), std::string_view("\x7f")}) {
    EXPECT_EQ(ErrorReason(cache_->MarkUsed(bad, kNow + absl::Minutes(1), kNow)),
              "invalid_grant_id");
    EXPECT_EQ(ErrorReason(cache_->Revoke(bad, kNow + absl::Minutes(1), kNow)), "invalid_grant_id");
  }
  EXPECT_EQ(ErrorReason(cache_->MarkUsed(std::string(129, 'a'), kNow + absl::Minutes(1), kNow)),
            "invalid_grant_id");
  EXPECT_TRUE(cache_->MarkUsed(UniqueId(std::string(80, 'a')), kNow + absl::Minutes(1), kNow).ok());
}

TEST_P(ReplayCacheTest, EightThreadsRacingOnOneIdExactlyOneWins) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = UniqueId("race");
    std::atomic<int> wins{0}, replayed{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        absl::Status s = cache_->MarkUsed(id, kNow + absl::Minutes(1), kNow);
        if (s.ok()) wins.fetch_add(1);
        if (ErrorReason(s) == "replayed") replayed.fetch_add(1);
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(replayed.load(), kThreads - 1) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayCacheTest,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kMemory ? "Memory" : "Redis";
                         });

// ---- memory only ------------------------------------------------------------------------------

TEST(MemoryReplayCacheTest, FullCacheRefusesInsteadOfForgetting) {
  std::shared_ptr<ReplayCache> cache = *NewMemoryReplayCache({.capacity = 4, .shards = 1});
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(cache->MarkUsed(absl::StrCat("g", i), kNow + absl::Minutes(1), kNow).ok());
  }
  absl::Status full = cache->MarkUsed("g4", kNow + absl::Minutes(1), kNow);
  EXPECT_EQ(ErrorReason(full), "replay_cache_full");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(cache->Revoke("g5", kNow + absl::Minutes(1), kNow)), "replay_cache_full");
  // Nothing was forgotten to make room.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ErrorReason(cache->MarkUsed(absl::StrCat("g", i), kNow + absl::Minutes(1), kNow)),
              "replayed");
  }
  // Once entries have expired there is room again.
  EXPECT_TRUE(cache->MarkUsed("g4", kNow + absl::Minutes(3), kNow + absl::Minutes(2)).ok());
  EXPECT_EQ(ErrorReason(cache->MarkUsed("g4", kNow + absl::Minutes(3), kNow + absl::Minutes(2))),
            "replayed");
}

TEST(MemoryReplayCacheTest, EntriesLiveUntilTheirExpiry) {
  std::shared_ptr<ReplayCache> cache = *NewMemoryReplayCache({.capacity = 2, .shards = 1});
  ASSERT_TRUE(cache->MarkUsed("short", kNow + absl::Seconds(10), kNow).ok());
  ASSERT_TRUE(cache->MarkUsed("long", kNow + absl::Minutes(10), kNow).ok());
  // At +20s "short" has expired and gives its room; "long" is still remembered.
  ASSERT_TRUE(cache->MarkUsed("new", kNow + absl::Minutes(10), kNow + absl::Seconds(20)).ok());
  EXPECT_EQ(
      ErrorReason(cache->MarkUsed("long", kNow + absl::Minutes(10), kNow + absl::Seconds(20))),
      "replayed");
}

TEST(MemoryReplayCacheTest, ValidatesOptionsAndNamesItself) {
  EXPECT_FALSE(NewMemoryReplayCache({.capacity = 0}).ok());
  EXPECT_FALSE(NewMemoryReplayCache({.shards = 0}).ok());
  EXPECT_EQ((*NewMemoryReplayCache())->Name(), "memory");
}

// ---- Redis only --------------------------------------------------------------------------------

TEST(RedisReplayCacheTest, RejectsBadUrlsAndNamesItself) {
  for (std::string_view url : {"http://127.0.0.1:6379", "rediss://127.0.0.1:6379", "redis://",
                               "redis://host:notaport", "redis://host:70000", "redis://host/x"}) {
    absl::StatusOr<std::shared_ptr<ReplayCache>> cache =
        NewRedisReplayCache({.url = std::string(url)});
    EXPECT_EQ(ErrorReason(cache.status()), "invalid_url") << url;
  }
  absl::StatusOr<std::shared_ptr<ReplayCache>> ok =
      NewRedisReplayCache({.url = "redis://:p%40ss@[::1]:7000/3"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->Name(), "redis");
}

TEST(RedisReplayCacheTest, SecondProcessSeesTheFirstUse) {
  const std::string id = UniqueId("two-processes");
  const std::string url = SharedRedis().url();
  std::shared_ptr<ReplayCache> here = MakeCache(Backend::kRedis);
  ASSERT_TRUE(here->MarkUsed(id, kNow + absl::Minutes(1), kNow).ok());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another process with its own cache object and connections: 0 = saw "replayed".
    absl::StatusOr<std::shared_ptr<ReplayCache>> there = NewRedisReplayCache({.url = url});
    if (!there.ok()) _exit(2);
    absl::Status s = (*there)->MarkUsed(id, kNow + absl::Minutes(1), kNow);
    _exit(ErrorReason(s) == "replayed" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(RedisReplayCacheTest, KeysExpireWithTheGrant) {
  std::shared_ptr<ReplayCache> cache = MakeCache(Backend::kRedis);
  const std::string id = UniqueId("ttl");
  // Remaining lifetime 1 s (the floor): after it the key is gone from Redis.
  ASSERT_TRUE(cache->MarkUsed(id, kNow + absl::Seconds(1), kNow).ok());
  EXPECT_EQ(ErrorReason(cache->MarkUsed(id, kNow + absl::Seconds(1), kNow)), "replayed");
  absl::SleepFor(absl::Milliseconds(1300));  // real Redis expiry; the only sleep in this suite
  EXPECT_TRUE(cache->MarkUsed(id, kNow + absl::Seconds(1), kNow).ok());
}

TEST(RedisReplayCacheTest, OutageFailsClosedAndRecovers) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<ReplayCache> cache = *NewRedisReplayCache({.url = (*server)->url()});
  const std::string before = UniqueId("before");
  ASSERT_TRUE(cache->MarkUsed(before, kNow + absl::Minutes(1), kNow).ok());

  (*server)->Stop();
  for (int i = 0; i < 3; ++i) {
    absl::Status down = cache->MarkUsed(UniqueId("during"), kNow + absl::Minutes(1), kNow);
    EXPECT_EQ(ErrorReason(down), "replay_cache_unavailable");
    EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ErrorReason(cache->Revoke("x", kNow + absl::Minutes(1), kNow)),
              "replay_cache_unavailable");
  }

  ASSERT_TRUE((*server)->Restart().ok());
  // Pooled connections died with the old server; the cache reconnects by itself.
  const std::string after = UniqueId("after");
  EXPECT_TRUE(cache->MarkUsed(after, kNow + absl::Minutes(1), kNow).ok());
  EXPECT_EQ(ErrorReason(cache->MarkUsed(after, kNow + absl::Minutes(1), kNow)), "replayed");
}

TEST(RedisReplayCacheTest, StalledServerTimesOutAndFailsClosed) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<ReplayCache> cache = *NewRedisReplayCache({.url = (*server)->url()});
  ASSERT_TRUE(cache->MarkUsed(UniqueId("warm"), kNow + absl::Minutes(1), kNow).ok());
  (*server)->Pause();
  absl::Status stalled = cache->MarkUsed(UniqueId("stalled"), kNow + absl::Minutes(1), kNow);
  (*server)->Resume();
  EXPECT_EQ(ErrorReason(stalled), "replay_cache_unavailable");
  EXPECT_TRUE(cache->MarkUsed(UniqueId("resumed"), kNow + absl::Minutes(1), kNow).ok());
}

}  // namespace
}  // namespace jitguard
