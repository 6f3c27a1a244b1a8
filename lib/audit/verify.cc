// Chain verification of a (rotated) JSON Lines log, and session replay.
#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jitguard/audit.h"
#include "lib/audit/chain.h"
#include "lib/audit/file_util.h"
#include "lib/audit/record.h"
#include "lib/audit/verifier.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard {

namespace audit_internal {

ChainVerifier::ChainVerifier(std::string_view key, std::optional<AuditCheckpoint> checkpoint)
    : chainer_(key), checkpoint_(std::move(checkpoint)) {
  result_.ok = true;
  result_.head.head = std::string(kZeroHex);
  prev_hex_ = std::string(kZeroHex);
}

bool ChainVerifier::Fail(uint64_t position, std::string_view reason, std::string_view file) {
  if (failed_) return false;
  result_.ok = false;
  result_.first_bad = position;
  result_.reason = std::string(reason);
  result_.file = std::string(file);
  failed_ = true;
  return false;
}

bool ChainVerifier::AddLines(const std::vector<std::string_view>& lines, std::string_view file) {
  if (failed_) return false;
  // Structure first (sequential: each line depends on the previous), then the hashes (parallel).
  std::vector<LineParts> parts(lines.size());
  size_t structural_bad = lines.size();
  std::string_view structural_reason;
  std::string prev = prev_hex_;
  uint64_t expected = result_.records + 1;
  for (size_t i = 0; i < lines.size(); ++i, ++expected) {
    if (!SplitLine(lines[i], &parts[i])) {
      structural_bad = i;
      structural_reason = "malformed";
      break;
    }
    if (parts[i].seq != expected) {
      structural_bad = i;
      structural_reason = expected == 1 ? "bad_start" : "bad_seq";
      break;
    }
    if (parts[i].prev_hex != prev) {
      structural_bad = i;
      structural_reason = expected == 1 ? "bad_start" : "bad_prev";
      break;
    }
    if (checkpoint_ && checkpoint_->records == expected && parts[i].hash_hex != checkpoint_->head) {
      structural_bad = i;
      structural_reason = "checkpoint_mismatch";
      break;
    }
    prev.assign(parts[i].hash_hex);
  }

  // Hash checks over [0, limit): the first failure before a structural one wins (an edited record
  // is reported as bad_hash even when the edit also broke its structure).
  size_t limit = std::min(structural_bad + 1, lines.size());
  size_t hash_bad = HashCheck(parts, limit, structural_bad);
  size_t first = std::min(hash_bad, structural_bad);
  if (first < lines.size()) {
    // Everything before the first bad record is intact and counts.
    if (first > 0) {
      result_.records += first;
      prev_hex_.assign(parts[first - 1].hash_hex);
      result_.head.records = result_.records;
      result_.head.head = prev_hex_;
    }
    return Fail(result_.records + 1, hash_bad <= structural_bad ? "bad_hash" : structural_reason,
                file);
  }
  result_.records += lines.size();
  if (!lines.empty()) {
    prev_hex_ = prev;
    result_.head.records = result_.records;
    result_.head.head = prev;
  }
  return true;
}

size_t ChainVerifier::HashCheck(const std::vector<LineParts>& parts, size_t limit,
                                size_t structural_bad) const {
  auto check_range = [&](size_t begin, size_t end) -> size_t {
    Chainer chainer = chainer_;
    for (size_t i = begin; i < end; ++i) {
      // A line that failed to split has no parts; it is the structural failure itself.
      if (i == structural_bad && parts[i].body.empty()) return end;
      std::optional<Digest> prev = ParseHex(parts[i].prev_hex);
      std::optional<Digest> hash = ParseHex(parts[i].hash_hex);
      if (!prev || !hash) return i;
      if (chainer.Hash(*prev, parts[i].body) != *hash) return i;
    }
    return end;
  };
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 4);
  if (limit < 4096 || threads < 2) {
    size_t r = check_range(0, limit);
    return r < limit ? r : parts.size();
  }
  std::vector<size_t> found(threads, limit);
  std::vector<std::thread> workers;
  size_t per = (limit + threads - 1) / threads;
  for (size_t t = 0; t < threads; ++t) {
    size_t begin = std::min(limit, t * per), end = std::min(limit, begin + per);
    workers.emplace_back([&, t, begin, end] {
      size_t r = check_range(begin, end);
      found[t] = r < end ? r : limit;
    });
  }
  for (auto& w : workers) w.join();
  size_t r = *std::min_element(found.begin(), found.end());
  return r < limit ? r : parts.size();
}

bool ChainVerifier::AddTornTail() {
  result_.torn_tail = true;
  return true;
}

AuditVerifyResult ChainVerifier::Finish() {
  if (!failed_ && checkpoint_ && result_.records < checkpoint_->records) {
    Fail(result_.records + 1, "truncated", "");
  }
  if (!failed_ && checkpoint_ && checkpoint_->records == 0 && checkpoint_->head != kZeroHex) {
    Fail(1, "checkpoint_mismatch", "");
  }
  return result_;
}

}  // namespace audit_internal

absl::StatusOr<std::vector<std::string>> AuditLogFiles(std::string_view path) {
  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> rotated =
      audit_internal::ListRotated(path);
  if (!rotated.ok()) return rotated.status();
  std::vector<std::string> files;
  for (auto& [n, name] : *rotated) files.push_back(std::move(name));
  std::ifstream active{std::string(path)};
  if (active.good()) files.emplace_back(path);
  if (files.empty()) {
    return audit_internal::AuditError(absl::StatusCode::kNotFound, "not_found",
                                      absl::StrCat("no audit log at ", base::AsAbsl(path)));
  }
  return files;
}

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(std::string_view path, const SecretBytes& hmac_key,
                                                 const std::optional<AuditCheckpoint>& checkpoint) {
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(path);
  if (!files.ok()) return files.status();
  return VerifyAuditFiles(*files, hmac_key, checkpoint);
}

absl::StatusOr<AuditVerifyResult> VerifyAuditFiles(
    const std::vector<std::string>& file_list, const SecretBytes& hmac_key,
    const std::optional<AuditCheckpoint>& checkpoint) {
  if (file_list.empty()) {
    return audit_internal::AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                                      "no audit log files to verify");
  }
  const std::vector<std::string>* files = &file_list;
  audit_internal::ChainVerifier verifier(hmac_key.Reveal(), checkpoint);
  constexpr size_t kWindow = 1 << 16;
  // A record line is at least kMinLine bytes: reserve for what the files can hold, not a whole
  // window (1 MiB) for every small log.
  constexpr size_t kMinLine = 8 + audit_internal::kPrevSuffixSize + audit_internal::kHashSuffixSize;
  std::vector<std::string_view> lines;
  for (size_t f = 0; f < files->size(); ++f) {
    const std::string& file = (*files)[f];
    bool last_file = f + 1 == files->size();
    absl::StatusOr<audit_internal::MappedFile> mapped = audit_internal::MappedFile::Open(file);
    if (!mapped.ok()) return mapped.status();
    std::string_view data = mapped->data();
    lines.reserve(std::min(kWindow, data.size() / kMinLine + 1));
    bool stop = false;
    while (!data.empty() && !stop) {
      lines.clear();
      while (!data.empty() && lines.size() < kWindow) {
        size_t nl = data.find('\n');
        if (nl == std::string_view::npos) break;
        lines.push_back(data.substr(0, nl));
        data.remove_prefix(nl + 1);
      }
      if (!verifier.AddLines(lines, file)) stop = true;
      if (!stop && lines.size() < kWindow && !data.empty()) {
        // Bytes after the last newline: a torn line.
        if (last_file) {
          verifier.AddTornTail();
        } else {
          verifier.Fail(verifier.records() + 1, "torn_line", file);
        }
        stop = true;
      }
    }
    if (stop) break;
  }
  return verifier.Finish();
}

namespace {

class FileReader final : public AuditLogReader {
 public:
  FileReader(std::vector<std::string> files, std::optional<std::string> session)
      : files_(std::move(files)), session_(std::move(session)) {}

  absl::StatusOr<bool> Next(std::string* record) override {
    while (true) {
      if (!in_.is_open()) {
        if (next_file_ >= files_.size()) return false;
        in_.open(files_[next_file_++], std::ios::binary);
        if (!in_.is_open()) {
          return audit_internal::IoError("open", files_[next_file_ - 1], errno);
        }
      }
      if (!std::getline(in_, line_)) {
        in_.close();
        continue;
      }
      if (in_.eof()) {  // no newline after it: a torn last line
        in_.close();
        continue;
      }
      if (line_.empty()) continue;
      if (session_) {
        simdjson::dom::element doc;
        if (parser_.parse(line_).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
          return audit_internal::AuditError(absl::StatusCode::kDataLoss, "malformed",
                                            "an audit log line is not a JSON object");
        }
        std::string_view sid;
        if (doc["session_id"].get(sid) != simdjson::SUCCESS || sid != *session_) continue;
      }
      *record = line_;
      return true;
    }
  }

 private:
  std::vector<std::string> files_;
  std::optional<std::string> session_;
  size_t next_file_ = 0;
  std::ifstream in_;
  std::string line_;
  simdjson::dom::parser parser_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLogReader>> AuditLogReader::Open(
    std::string_view path, std::optional<std::string> session_id) {
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(path);
  if (!files.ok()) return files.status();
  return std::unique_ptr<AuditLogReader>(new FileReader(*std::move(files), std::move(session_id)));
}

}  // namespace jitguard
