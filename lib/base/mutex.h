// A mutex with absl::Mutex's waiting style (Await a condition; whoever unlocks re-checks the
// conditions of the threads waiting), built on std::mutex and std::condition_variable.
//
// Why not absl::Mutex itself: the distribution's Abseil is not compiled with ThreadSanitizer, so
// TSan cannot see absl::Mutex's happens-before edges and `make test-tsan` would report every access
// it guards as a race. pthread-based primitives are intercepted by TSan, so with this mutex the
// sanitizer checks the locking for real. The thread-safety annotations are Abseil's, as before.
//
// Thread-safety: a Mutex is shared by the threads it serialises; a MutexLock belongs to one scope.
#ifndef JITGUARD_LIB_BASE_MUTEX_H_
#define JITGUARD_LIB_BASE_MUTEX_H_

#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace jitguard::base {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  // Wakes each waiter whose condition now holds, then releases the lock.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (!waiters_.empty()) WakeReady();
    mu_.unlock();
  }

  // Releases the lock until `ready()` holds, then returns with the lock held again. `ready` runs
  // with the lock held, on whichever thread unlocks, so it must be cheap and read only state this
  // mutex guards.
  void Await(absl::FunctionRef<bool()> ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Wait(ready, absl::InfiniteDuration());
  }
  // As Await, giving up after `timeout` (measured on the steady clock). Returns whether `ready()`
  // held when it returned.
  bool AwaitWithTimeout(absl::FunctionRef<bool()> ready, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    return Wait(ready, timeout);
  }

 private:
  struct Waiter;
  void WakeReady();
  bool Wait(absl::FunctionRef<bool()> ready, absl::Duration timeout);

  std::mutex mu_;
  std::vector<Waiter*> waiters_;  // guarded by mu_; each lives on its waiting thread's stack
};

// Holds a Mutex for the enclosing scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_MUTEX_H_
