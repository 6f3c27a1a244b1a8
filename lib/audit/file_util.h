// Small POSIX file helpers for the file sink and the verifier (EINTR-safe, status-returning).
#ifndef JITGUARD_LIB_AUDIT_FILE_UTIL_H_
#define JITGUARD_LIB_AUDIT_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jitguard::audit_internal {

absl::Status IoError(std::string_view what, std::string_view path, int err);

absl::Status WriteAll(int fd, std::string_view data, std::string_view path);
absl::Status PreadAll(int fd, uint64_t offset, size_t n, std::string* out, std::string_view path);
// Position of the last '\n' in [0, end) of the file, or -1 when there is none.
absl::StatusOr<int64_t> FindLastNewline(int fd, uint64_t end, std::string_view path);
// fsync of the directory holding `path` (makes creations and renames durable).
absl::Status SyncParentDir(std::string_view path);

// Rotated files "<path>.<N>" (N >= 1, no leading zeros) as (N, file name), sorted by N.
absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ListRotated(std::string_view path);

// An mmap'ed read-only view of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  static absl::StatusOr<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  ~MappedFile();
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace jitguard::audit_internal

#endif  // JITGUARD_LIB_AUDIT_FILE_UTIL_H_
