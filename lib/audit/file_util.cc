#include "lib/audit/file_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/audit/record.h"
#include "lib/base/strings.h"

namespace jitguard::audit_internal {
namespace {

std::pair<std::string, std::string> SplitDirBase(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {".", std::string(path)};
  if (slash == 0) return {"/", std::string(path.substr(1))};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

}  // namespace

absl::Status IoError(std::string_view what, std::string_view path, int err) {
  return AuditError(
      err == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kUnavailable,
      err == ENOENT ? "not_found" : "io_error",
      absl::StrCat(base::AsAbsl(what), " ", base::AsAbsl(path), ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PreadAll(int fd, uint64_t offset, size_t n, std::string* out, std::string_view path) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (r == 0) return IoError("read", path, EIO);
    done += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FindLastNewline(int fd, uint64_t end, std::string_view path) {
  constexpr uint64_t kChunk = uint64_t{64} * 1024;
  std::string buf;
  while (end > 0) {
    uint64_t start = end > kChunk ? end - kChunk : 0;
    if (absl::Status s = PreadAll(fd, start, end - start, &buf, path); !s.ok()) return s;
    const void* hit = memrchr(buf.data(), '\n', buf.size());
    if (hit != nullptr) {
      return static_cast<int64_t>(start + (static_cast<const char*>(hit) - buf.data()));
    }
    end = start;
  }
  return -1;
}

absl::Status SyncParentDir(std::string_view path) {
  std::string dir = SplitDirBase(path).first;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync directory", dir, err);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ListRotated(std::string_view path) {
  auto [dir, base] = SplitDirBase(path);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("open directory", dir, errno);
  std::vector<std::pair<uint64_t, std::string>> out;
  std::string prefix = base + ".";
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) continue;
    std::string_view digits = name.substr(prefix.size());
    if (digits.size() > 18 || digits[0] == '0') continue;
    uint64_t n = 0;
    bool ok = true;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (!ok) continue;
    out.emplace_back(n, dir == "." && path.find('/') == std::string_view::npos
                            ? std::string(name)
                            : absl::StrCat(dir == "/" ? "" : dir, "/", base::AsAbsl(name)));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat", path, err);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (addr == MAP_FAILED) return IoError("mmap", path, err);
  ::madvise(addr, size, MADV_SEQUENTIAL);
  return MappedFile(addr, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

}  // namespace jitguard::audit_internal
