// FileAuditSink: JSON Lines with a hash chain, fsync policies, size-based rotation, and a reopen
// that continues the chain after cutting off a torn last line.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "jitguard/audit.h"
#include "lib/audit/chain.h"
#include "lib/audit/file_util.h"
#include "lib/audit/record.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"

namespace jitguard {
namespace {

using audit_internal::AuditError;
using audit_internal::Chainer;
using audit_internal::Digest;
using audit_internal::IoError;

std::string LastRecordOf(std::string_view file) {
  return absl::StrCat("the last record of ", base::AsAbsl(file));
}

// Reads the last complete line of a file that ends with '\n' at `size - 1`.
absl::StatusOr<std::string> ReadLastLine(int fd, uint64_t size, std::string_view file) {
  absl::StatusOr<int64_t> before = audit_internal::FindLastNewline(fd, size - 1, file);
  if (!before.ok()) return before.status();
  uint64_t start = static_cast<uint64_t>(*before + 1);
  std::string line;
  if (absl::Status s = audit_internal::PreadAll(fd, start, size - 1 - start, &line, file);
      !s.ok()) {
    return s;
  }
  return line;
}

class FileSink final : public FileAuditSink {
 public:
  FileSink(std::string path, FileAuditSinkOptions options, audit_internal::MaskFn mask)
      : path_(std::move(path)),
        options_(std::move(options)),
        chainer_(options_.hmac_key.Reveal()),
        mask_(std::move(mask)) {}

  ~FileSink() override { Close().IgnoreError(); }

  absl::Status OpenFiles() {
    absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> rotated =
        audit_internal::ListRotated(path_);
    if (!rotated.ok()) return rotated.status();
    last_rotation_ = rotated->empty() ? 0 : rotated->back().first;

    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return IoError("open", path_, errno);
    struct stat st;
    if (::fstat(fd_, &st) != 0) return IoError("stat", path_, errno);
    uint64_t size = static_cast<uint64_t>(st.st_size);

    if (size > 0) {
      // A torn last line (crash mid-write): nothing in it was acknowledged, so cut it off.
      std::string last;
      if (absl::Status s = audit_internal::PreadAll(fd_, size - 1, 1, &last, path_); !s.ok()) {
        return s;
      }
      if (last[0] != '\n') {
        absl::StatusOr<int64_t> nl = audit_internal::FindLastNewline(fd_, size, path_);
        if (!nl.ok()) return nl.status();
        size = static_cast<uint64_t>(*nl + 1);
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
          return IoError("truncate", path_, errno);
        if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
      }
    }
    audit_internal::ChainHead head;
    if (size > 0) {
      absl::StatusOr<std::string> line = ReadLastLine(fd_, size, path_);
      if (!line.ok()) return line.status();
      if (absl::Status s = head.Restore(chainer_, *line, LastRecordOf(path_)); !s.ok()) return s;
    } else if (!rotated->empty()) {
      // Rotated away and the fresh file is still empty (or a crash came between rename and create).
      const std::string& file = rotated->back().second;
      int rfd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (rfd < 0) return IoError("open", file, errno);
      absl::Status s;
      struct stat rst;
      if (::fstat(rfd, &rst) != 0) {
        s = IoError("stat", file, errno);
      } else if (rst.st_size > 0) {
        std::string last;
        s = audit_internal::PreadAll(rfd, static_cast<uint64_t>(rst.st_size) - 1, 1, &last, file);
        if (s.ok() && last[0] != '\n') {
          s = AuditError(absl::StatusCode::kDataLoss, "corrupt_tail",
                         absl::StrCat("rotated file ", file, " ends in a partial line"));
        }
        if (s.ok()) {
          absl::StatusOr<std::string> line =
              ReadLastLine(rfd, static_cast<uint64_t>(rst.st_size), file);
          s = line.ok() ? head.Restore(chainer_, *line, LastRecordOf(file)) : line.status();
        }
      }
      ::close(rfd);
      if (!s.ok()) return s;
    }
    file_bytes_ = size;
    head_ = head;
    if (absl::Status s = audit_internal::SyncParentDir(path_); !s.ok()) return s;
    if (options_.fsync == FsyncPolicy::kBatch) {
      syncer_ = std::thread([this] { SyncLoop(); });
    }
    return absl::OkStatus();
  }

  absl::Status Write(const AuditEvent& event) override {
    std::optional<AuditEvent> masked;
    absl::StatusOr<const AuditEvent*> prepared =
        audit_internal::PrepareEvent(event, mask_, &masked);
    if (!prepared.ok()) return prepared.status();
    const AuditEvent* ev = *prepared;
    base::MutexLock lock(&mu_);
    if (absl::Status s = UsableLocked(); !s.ok()) return s;
    absl::Time now =
        event.time == absl::InfinitePast() ? audit_internal::ClockNow(options_.clock) : event.time;
    Digest hash;
    while (true) {
      line_.clear();
      audit_internal::AppendCanonicalOpen(*ev, head_.next_seq(), now, &line_);
      absl::StatusOr<Digest> sealed = head_.Seal(chainer_, &line_);
      if (!sealed.ok()) return sealed.status();
      hash = *sealed;
      line_.push_back('\n');
      if (options_.max_file_bytes == 0) break;
      uint64_t pending = file_bytes_ + inflight_bytes_ + buffer_.size();
      if (pending == 0 || pending + line_.size() <= options_.max_file_bytes) break;
      if (inflight_bytes_ > 0) {
        // The syncer is writing; wait (the lock is released meanwhile, so build the line again).
        WaitIdleLocked();
        if (absl::Status s = UsableLocked(); !s.ok()) return s;
        continue;
      }
      if (absl::Status s = WriteOutLocked(options_.fsync != FsyncPolicy::kNever); !s.ok()) {
        return Break(s);
      }
      if (absl::Status s = RotateLocked(); !s.ok()) return Break(s);
      break;
    }
    if (buffer_.empty()) first_buffered_ = absl::Now();
    buffer_.append(line_);
    ++buffered_records_;
    head_.Advance(hash);

    switch (options_.fsync) {
      case FsyncPolicy::kAlways:
        if (absl::Status s = WriteOutLocked(true); !s.ok()) return Break(s);
        break;
      case FsyncPolicy::kBatch:
        // The syncer thread writes and syncs, so this caller does not wait for the disk; it only
        // waits when far ahead of it (back-pressure bounds the memory held).
        if (buffered_records_ >= 4 * options_.batch_records) {
          auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return buffered_records_ < 4 * options_.batch_records || !broken_.ok() || closed_;
          };
          mu_.Await(drained);
          if (!broken_.ok()) return broken_;
        }
        break;
      case FsyncPolicy::kNever:
        if (buffered_records_ >= options_.batch_records || buffer_.size() >= kMaxBuffer) {
          if (absl::Status s = WriteOutLocked(false); !s.ok()) return Break(s);
        }
        break;
    }
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    base::MutexLock lock(&mu_);
    if (absl::Status s = UsableLocked(); !s.ok()) return s;
    WaitIdleLocked();
    if (absl::Status s = UsableLocked(); !s.ok()) return s;
    if (absl::Status s = WriteOutLocked(options_.fsync != FsyncPolicy::kNever); !s.ok()) {
      return Break(s);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    absl::Status result;
    {
      base::MutexLock lock(&mu_);
      if (closed_) return absl::OkStatus();
      WaitIdleLocked();
      if (closed_) return absl::OkStatus();
      if (fd_ >= 0 && broken_.ok()) {
        result = WriteOutLocked(options_.fsync != FsyncPolicy::kNever);
      } else if (!broken_.ok()) {
        result = broken_;
      }
      closed_ = true;
    }
    if (syncer_.joinable()) syncer_.join();
    base::MutexLock lock(&mu_);
    if (fd_ >= 0) {
      if (::close(fd_) != 0 && result.ok()) result = IoError("close", path_, errno);
      fd_ = -1;
    }
    return result;
  }

  std::string_view Name() const override { return "file"; }

  AuditCheckpoint Checkpoint() const override {
    base::MutexLock lock(&mu_);
    return head_.Checkpoint();
  }

 private:
  static constexpr size_t kMaxBuffer = 1 << 20;

  absl::Status UsableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_)
      return AuditError(absl::StatusCode::kFailedPrecondition, "closed",
                        "the audit sink is closed");
    return broken_;
  }

  // A failed write may have left part of a line on disk; refuse further writes (fail closed). The
  // next Open cuts the torn line off.
  absl::Status Break(absl::Status s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    broken_ = s;
    return s;
  }

  // Waits until the syncer has no write in flight (releases the lock while waiting).
  void WaitIdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_bytes_ == 0; };
    mu_.Await(idle);
  }

  // Only with no syncer write in flight.
  absl::Status WriteOutLocked(bool sync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!buffer_.empty()) {
      if (absl::Status s = audit_internal::WriteAll(fd_, buffer_, path_); !s.ok()) return s;
      file_bytes_ += buffer_.size();
      buffer_.clear();
      buffered_records_ = 0;
      dirty_ = true;
    }
    if (sync && dirty_) {
      if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
      dirty_ = false;
    }
    return absl::OkStatus();
  }

  absl::Status RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (::close(fd_) != 0) {
      fd_ = -1;
      return IoError("close", path_, errno);
    }
    fd_ = -1;
    std::string target = absl::StrCat(path_, ".", last_rotation_ + 1);
    if (::rename(path_.c_str(), target.c_str()) != 0) return IoError("rename", path_, errno);
    ++last_rotation_;
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return IoError("open", path_, errno);
    file_bytes_ = 0;
    dirty_ = false;
    return audit_internal::SyncParentDir(path_);
  }

  // kBatch: takes the buffer when batch_records are waiting or the oldest record is batch_interval
  // old, and writes and syncs it WITHOUT the lock, so writers keep appending meanwhile.
  void SyncLoop() {
    base::MutexLock lock(&mu_);
    auto wanted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || buffered_records_ >= options_.batch_records;
    };
    while (!closed_) {
      absl::Duration wait = options_.batch_interval;
      if (!buffer_.empty()) {
        wait = std::max(absl::Milliseconds(1),
                        first_buffered_ + options_.batch_interval - absl::Now());
      }
      mu_.AwaitWithTimeout(wanted, wait);
      if (closed_ || !broken_.ok() || buffer_.empty()) continue;
      if (buffered_records_ < options_.batch_records &&
          absl::Now() - first_buffered_ < options_.batch_interval) {
        continue;
      }
      std::string out;
      out.swap(buffer_);
      buffer_.swap(spare_);
      buffered_records_ = 0;
      inflight_bytes_ = out.size();
      const int fd = fd_;
      mu_.Unlock();
      absl::Status s = audit_internal::WriteAll(fd, out, path_);
      if (s.ok() && ::fdatasync(fd) != 0) s = IoError("fdatasync", path_, errno);
      mu_.Lock();
      inflight_bytes_ = 0;
      if (s.ok()) {
        file_bytes_ += out.size();
      } else {
        Break(s).IgnoreError();
      }
      out.clear();
      spare_.swap(out);  // keep the capacity for the next swap
    }
  }

  const std::string path_;
  const FileAuditSinkOptions options_;
  const Chainer chainer_;
  const audit_internal::MaskFn mask_;

  mutable base::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // bytes of the active file already written
  uint64_t last_rotation_ ABSL_GUARDED_BY(mu_) = 0;
  audit_internal::ChainHead head_ ABSL_GUARDED_BY(mu_);
  std::string line_ ABSL_GUARDED_BY(mu_);
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  std::string spare_ ABSL_GUARDED_BY(mu_);
  uint64_t inflight_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // taken by the syncer, being written
  size_t buffered_records_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_buffered_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
  std::thread syncer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FileAuditSink>> FileAuditSink::Open(std::string_view path,
                                                                   FileAuditSinkOptions options) {
  if (path.empty() ||
      (options.fsync == FsyncPolicy::kBatch &&
       (options.batch_interval <= absl::ZeroDuration() || options.batch_records == 0)) ||
      options.batch_records == 0) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                      "the audit log needs a path, a positive batch interval and batch size");
  }
  absl::StatusOr<audit_internal::MaskFn> mask =
      audit_internal::MakeMaskFn(options.masking, options.masker);
  if (!mask.ok()) return mask.status();
  auto sink = std::make_unique<FileSink>(std::string(path), std::move(options), *std::move(mask));
  if (absl::Status s = sink->OpenFiles(); !s.ok()) return s;
  return std::unique_ptr<FileAuditSink>(std::move(sink));
}

}  // namespace jitguard
