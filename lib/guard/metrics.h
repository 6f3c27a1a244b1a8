// The Guard's counters and their Prometheus text rendering.
#ifndef JITGUARD_LIB_GUARD_METRICS_H_
#define JITGUARD_LIB_GUARD_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "lib/base/mutex.h"

namespace jitguard::guard {

enum class Counter { kDecisions, kTokenRejections, kFindings, kApprovals, kGrants };

class Metrics {
 public:
  void Add(Counter counter, std::string_view label, uint64_t n = 1);
  uint64_t Value(Counter counter, std::string_view label) const;
  // Prometheus text exposition format (0.0.4); `queue_depth` is the audit queue gauge.
  std::string Text(uint64_t queue_depth) const;
  // Every counter: its short name -> label -> count.
  std::map<std::string, std::map<std::string, uint64_t>> Values() const;

 private:
  mutable base::Mutex mu_;
  std::map<std::string, uint64_t, std::less<>> values_[5] ABSL_GUARDED_BY(mu_);
};

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_METRICS_H_
