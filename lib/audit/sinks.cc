// AsyncAuditSink, the tee and the callback sink.
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "jitguard/audit.h"
#include "lib/audit/record.h"
#include "lib/base/mutex.h"

namespace jitguard {
namespace {

using audit_internal::AuditError;

absl::Status ClosedError() {
  return AuditError(absl::StatusCode::kFailedPrecondition, "closed", "the audit sink is closed");
}

class AsyncSink final : public AsyncAuditSink {
 public:
  AsyncSink(std::shared_ptr<AuditSink> inner, AsyncAuditSinkOptions options)
      : inner_(std::move(inner)), options_(options) {
    writer_ = std::thread([this] { Run(); });
  }
  ~AsyncSink() override { Close().IgnoreError(); }

  absl::Status Write(const AuditEvent& event) override {
    if (absl::Status s = audit_internal::ValidateEvent(event); !s.ok()) return s;
    AuditEvent copy = event;
    // Stamp now, not when the writer thread gets to it.
    if (copy.time == absl::InfinitePast()) copy.time = absl::Now();
    base::MutexLock lock(&mu_);
    if (closed_) return ClosedError();
    if (!error_.ok()) return error_;
    auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queue_.size() < options_.capacity || closing_ || !error_.ok();
    };
    if (options_.on_full == QueueFullPolicy::kBlock) {
      mu_.Await(has_room);
    } else if (!mu_.AwaitWithTimeout(has_room, options_.full_timeout)) {
      ++errors_;
      return AuditError(absl::StatusCode::kResourceExhausted, "queue_full",
                        "the audit queue stayed full; the event was not accepted");
    }
    if (closing_) return ClosedError();
    if (!error_.ok()) return error_;
    queue_.push_back(std::move(copy));
    ++enqueued_;
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    uint64_t target;
    {
      base::MutexLock lock(&mu_);
      if (closed_) return ClosedError();
      target = enqueued_;
      auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return processed_ >= target || !error_.ok();
      };
      mu_.Await(done);
      if (!error_.ok()) return error_;
    }
    absl::Status s = inner_->Flush();
    if (!s.ok()) {
      base::MutexLock lock(&mu_);
      ++errors_;
      if (error_.ok()) error_ = s;
    }
    return s;
  }

  absl::Status Close() override {
    {
      base::MutexLock lock(&mu_);
      if (closed_) return absl::OkStatus();
      closing_ = true;  // the writer drains the queue, then stops
    }
    if (writer_.joinable()) writer_.join();
    absl::Status s;
    {
      base::MutexLock lock(&mu_);
      closed_ = true;
      s = error_;
    }
    absl::Status c = inner_->Close();
    return s.ok() ? c : s;
  }

  std::string_view Name() const override { return "async"; }

  AuditSinkCounters Counters() const override {
    base::MutexLock lock(&mu_);
    AuditSinkCounters c;
    c.queue_depth = queue_.size();
    c.written = written_;
    c.errors = errors_;
    return c;
  }

 private:
  void Run() {
    while (true) {
      AuditEvent event;
      {
        base::MutexLock lock(&mu_);
        auto ready = [this]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closing_; };
        mu_.Await(ready);
        if (queue_.empty()) return;  // closing and drained
        event = std::move(queue_.front());
        queue_.pop_front();
      }
      // After an inner failure the rest of the queue is counted as errors; the sticky error is what
      // every later Write, Flush and Close report.
      bool skip = !error_ok();
      absl::Status s = skip ? absl::OkStatus() : inner_->Write(event);
      base::MutexLock lock(&mu_);
      if (skip) {
        ++errors_;
      } else if (!s.ok()) {
        ++errors_;
        if (error_.ok()) error_ = s;
      } else if (error_.ok()) {
        ++written_;
      }
      ++processed_;
    }
  }

  bool error_ok() {
    base::MutexLock lock(&mu_);
    return error_.ok();
  }

  const std::shared_ptr<AuditSink> inner_;
  const AsyncAuditSinkOptions options_;
  mutable base::Mutex mu_;
  std::deque<AuditEvent> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t processed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

class TeeSink final : public AuditSink {
 public:
  explicit TeeSink(std::vector<std::shared_ptr<AuditSink>> sinks) : sinks_(std::move(sinks)) {}

  absl::Status Write(const AuditEvent& event) override {
    if (event.time != absl::InfinitePast())
      return ForEach([&](AuditSink& s) { return s.Write(event); });
    AuditEvent stamped = event;
    stamped.time = absl::Now();
    return ForEach([&](AuditSink& s) { return s.Write(stamped); });
  }
  absl::Status Flush() override {
    return ForEach([](AuditSink& s) { return s.Flush(); });
  }
  absl::Status Close() override {
    return ForEach([](AuditSink& s) { return s.Close(); });
  }
  std::string_view Name() const override { return "tee"; }

 private:
  template <typename F>
  absl::Status ForEach(F f) {
    absl::Status first;
    for (auto& sink : sinks_) {
      absl::Status s = f(*sink);
      if (first.ok() && !s.ok()) first = s;
    }
    return first;
  }
  std::vector<std::shared_ptr<AuditSink>> sinks_;
};

class CallbackSink final : public AuditSink {
 public:
  CallbackSink(std::function<absl::Status(const AuditEvent&)> write,
               std::function<absl::Status()> flush, std::function<absl::Status()> close)
      : write_(std::move(write)), flush_(std::move(flush)), close_(std::move(close)) {}

  absl::Status Write(const AuditEvent& event) override {
    if (absl::Status s = audit_internal::ValidateEvent(event); !s.ok()) return s;
    base::MutexLock lock(&mu_);
    if (closed_) return ClosedError();
    if (event.time != absl::InfinitePast()) return write_(event);
    AuditEvent stamped = event;
    stamped.time = absl::Now();
    return write_(stamped);
  }
  absl::Status Flush() override {
    base::MutexLock lock(&mu_);
    if (closed_) return ClosedError();
    return flush_ ? flush_() : absl::OkStatus();
  }
  absl::Status Close() override {
    base::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    absl::Status s = flush_ ? flush_() : absl::OkStatus();
    absl::Status c = close_ ? close_() : absl::OkStatus();
    return s.ok() ? c : s;
  }
  std::string_view Name() const override { return "callback"; }

 private:
  const std::function<absl::Status(const AuditEvent&)> write_;
  const std::function<absl::Status()> flush_;
  const std::function<absl::Status()> close_;
  base::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AsyncAuditSink>> AsyncAuditSink::Create(
    std::shared_ptr<AuditSink> inner, AsyncAuditSinkOptions options) {
  if (inner == nullptr || options.capacity == 0 || options.full_timeout < absl::ZeroDuration()) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                      "AsyncAuditSink needs an inner sink and a positive capacity");
  }
  return std::unique_ptr<AsyncAuditSink>(new AsyncSink(std::move(inner), options));
}

absl::StatusOr<std::unique_ptr<AuditSink>> NewTeeSink(
    std::vector<std::shared_ptr<AuditSink>> sinks) {
  for (const auto& s : sinks) {
    if (s == nullptr) {
      return AuditError(absl::StatusCode::kInvalidArgument, "bad_options", "a tee sink is null");
    }
  }
  if (sinks.empty()) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options", "a tee needs a sink");
  }
  return std::unique_ptr<AuditSink>(new TeeSink(std::move(sinks)));
}

absl::StatusOr<std::unique_ptr<AuditSink>> NewCallbackSink(
    std::function<absl::Status(const AuditEvent&)> write, std::function<absl::Status()> flush,
    std::function<absl::Status()> close) {
  if (!write) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                      "a callback sink needs a write callable");
  }
  return std::unique_ptr<AuditSink>(
      new CallbackSink(std::move(write), std::move(flush), std::move(close)));
}

}  // namespace jitguard
