#include "lib/base/mutex.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>

namespace jitguard::base {

struct Mutex::Waiter {
  explicit Waiter(absl::FunctionRef<bool()> r) : ready(r) {}
  absl::FunctionRef<bool()> ready;
  std::condition_variable cv;
  bool woken = false;  // notified and not yet back from the wait; saves repeated notifications
};

void Mutex::WakeReady() {
  for (Waiter* w : waiters_) {
    if (!w->woken && w->ready()) {
      w->woken = true;
      w->cv.notify_one();
    }
  }
}

bool Mutex::Wait(absl::FunctionRef<bool()> ready, absl::Duration timeout) {
  if (ready()) return true;
  Waiter self(ready);
  waiters_.push_back(&self);
  // The caller may have changed guarded state before waiting; the wait releases the lock without
  // passing through Unlock, so the other waiters are checked here.
  WakeReady();
  // A timeout beyond a century is waited as forever: steady_clock's time_point cannot hold it.
  const bool forever = timeout > absl::Hours(24 * 365 * 100);
  const auto until = std::chrono::steady_clock::now() +
                     (forever ? std::chrono::nanoseconds(0) : absl::ToChronoNanoseconds(timeout));
  std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
  bool ok = false;
  while (!(ok = ready())) {
    self.woken = false;
    if (forever) {
      self.cv.wait(lock);
    } else if (self.cv.wait_until(lock, until) == std::cv_status::timeout) {
      ok = ready();
      break;
    }
  }
  lock.release();  // the caller still holds the mutex
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
  return ok;
}

}  // namespace jitguard::base
