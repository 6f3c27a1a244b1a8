#include "lib/base/mutex.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jitguard::base {
namespace {

TEST(MutexTest, AwaitReturnsAtOnceWhenTheConditionAlreadyHolds) {
  Mutex mu;
  MutexLock lock(&mu);
  mu.Await([] { return true; });
  EXPECT_TRUE(mu.AwaitWithTimeout([] { return true; }, absl::ZeroDuration()));
}

TEST(MutexTest, AwaitWithTimeoutGivesUpAndKeepsTheLock) {
  Mutex mu;
  int guarded = 0;
  MutexLock lock(&mu);
  const auto start = std::chrono::steady_clock::now();  // the clock the timeout is measured on
  EXPECT_FALSE(mu.AwaitWithTimeout([&] { return guarded == 1; }, absl::Milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  guarded = 2;  // still held: no other thread could be in here
  EXPECT_EQ(guarded, 2);
}

TEST(MutexTest, AHugeTimeoutIsForeverNotAnOverflow) {
  Mutex mu;
  bool set = false;
  std::thread setter([&] {
    absl::SleepFor(absl::Milliseconds(5));
    MutexLock lock(&mu);
    set = true;
  });
  {
    MutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout([&] { return set; }, absl::Hours(1e9)));
  }
  setter.join();
}

TEST(MutexTest, AnUnlockWakesTheWaiterWhoseConditionItMadeTrue) {
  Mutex mu;
  int stage = 0;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    mu.Await([&] { return stage == 2; });
    stage = 3;
  });
  for (int next : {1, 2}) {
    absl::SleepFor(absl::Milliseconds(5));
    MutexLock lock(&mu);
    stage = next;
  }
  waiter.join();
  MutexLock lock(&mu);
  EXPECT_EQ(stage, 3);
}

// A waiter's own change before it waits can ready another waiter: Await must wake it, since the
// wait releases the lock without going through Unlock.
TEST(MutexTest, AwaitWakesOthersReadiedByTheWaitersOwnChange) {
  Mutex mu;
  bool ping = false;
  bool pong = false;
  std::thread a([&] {
    MutexLock lock(&mu);
    mu.Await([&] { return ping; });
    pong = true;
  });
  absl::SleepFor(absl::Milliseconds(10));  // usually lets `a` wait first; correct either way
  {
    MutexLock lock(&mu);
    ping = true;
    EXPECT_TRUE(mu.AwaitWithTimeout([&] { return pong; }, absl::Seconds(30)));
  }
  a.join();
}

// A bounded queue of producers and consumers: every item arrives once, none is lost to a missed
// wake-up, and the bound holds.
TEST(MutexTest, BoundedQueueLosesNothing) {
  constexpr int kProducers = 3;
  constexpr int kConsumers = 3;
  constexpr int kItems = 20000;
  constexpr size_t kBound = 4;
  Mutex mu;
  std::deque<int> queue;
  int produced_done = 0;
  size_t max_seen = 0;
  std::atomic<int64_t> sum{0};
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) {
        MutexLock lock(&mu);
        mu.Await([&] { return queue.size() < kBound; });
        queue.push_back(p * kItems + i);
        max_seen = std::max(max_seen, queue.size());
      }
      MutexLock lock(&mu);
      ++produced_done;
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      for (;;) {
        MutexLock lock(&mu);
        mu.Await([&] { return !queue.empty() || produced_done == kProducers; });
        if (queue.empty()) return;
        sum += queue.front();
        ++count;
        queue.pop_front();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const int64_t n = int64_t{kProducers} * kItems;
  EXPECT_EQ(count.load(), n);
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
  EXPECT_LE(max_seen, kBound);
}

}  // namespace
}  // namespace jitguard::base
