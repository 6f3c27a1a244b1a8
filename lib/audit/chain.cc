#include "lib/audit/chain.h"

#include "absl/strings/str_cat.h"
#include "lib/audit/record.h"
#include "lib/base/strings.h"

namespace jitguard::audit_internal {
namespace {

// Byte -> two hex digits, and hex digit -> value (0xff: not a lowercase hex digit).
struct HexTables {
  char pairs[256][2];
  uint8_t value[256];
  constexpr HexTables() : pairs(), value() {
    constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      pairs[i][0] = digits[i >> 4];
      pairs[i][1] = digits[i & 15];
      value[i] = 0xff;
    }
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) value['a' + i] = static_cast<uint8_t>(10 + i);
  }
};
constexpr HexTables kHex;

}  // namespace

Chainer::Chainer(std::string_view key) : keyed_(!key.empty()) {
  if (!keyed_) return;
  absl::StatusOr<base::HmacKey> prepared = base::HmacKey::Create(key);
  if (prepared.ok()) key_ = *std::move(prepared);
}

std::optional<Digest> Chainer::Hash(const Digest& prev, std::string_view body) const {
  const std::string_view prev_bytes(reinterpret_cast<const char*>(prev.data()), prev.size());
  if (!keyed_) return base::Sha256({prev_bytes, body});
  Digest out;
  if (!key_ || key_->size() != out.size() || !key_->Sign({prev_bytes, body}, out.data())) {
    return std::nullopt;
  }
  return out;
}

void AppendHex(std::string* out, const Digest& d) {
  char buf[64];
  for (size_t i = 0; i < 32; ++i) {
    buf[2 * i] = kHex.pairs[d[i]][0];
    buf[2 * i + 1] = kHex.pairs[d[i]][1];
  }
  out->append(buf, sizeof(buf));
}

std::optional<Digest> ParseHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Digest d;
  uint8_t bad = 0;
  for (size_t i = 0; i < 32; ++i) {
    uint8_t hi = kHex.value[static_cast<uint8_t>(hex[2 * i])];
    uint8_t lo = kHex.value[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= static_cast<uint8_t>((hi | lo) & 0xf0);
    d[i] = static_cast<uint8_t>(hi << 4 | (lo & 15));
  }
  if (bad != 0) return std::nullopt;
  return d;
}

bool SplitLine(std::string_view line, LineParts* parts) {
  constexpr std::string_view kStart = "{\"seq\":";
  if (line.size() < kStart.size() + 1 + kPrevSuffixSize + kHashSuffixSize) return false;
  if (line.substr(0, kStart.size()) != kStart) return false;
  size_t i = kStart.size();
  uint64_t seq = 0;
  size_t digits = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
    if (digits == 19) return false;
    seq = seq * 10 + static_cast<uint64_t>(line[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || (digits > 1 && line[kStart.size()] == '0')) return false;
  if (line[i] != ',' && line[i] != '}') return false;
  size_t hash_at = line.size() - kHashSuffixSize;
  if (line.substr(hash_at, kHashKey.size()) != kHashKey) return false;
  if (line.substr(line.size() - 2) != "\"}") return false;
  size_t prev_at = hash_at - kPrevSuffixSize;
  if (prev_at < i) return false;
  if (line.substr(prev_at, kPrevKey.size()) != kPrevKey) return false;
  if (line[hash_at - 1] != '"') return false;
  parts->seq = seq;
  parts->body = line.substr(0, hash_at);
  parts->prev_hex = line.substr(prev_at + kPrevKey.size(), 64);
  parts->hash_hex = line.substr(hash_at + kHashKey.size(), 64);
  return true;
}

void AppendPrev(std::string* record, const Digest& prev) {
  record->append(kPrevKey);
  AppendHex(record, prev);
  record->push_back('"');
}

void AppendHashAndClose(std::string* record, const Digest& hash) {
  record->append(kHashKey);
  AppendHex(record, hash);
  record->append("\"}");
}

absl::StatusOr<Digest> ChainHead::Seal(const Chainer& chainer, std::string* record) const {
  AppendPrev(record, hash_);
  const std::optional<Digest> hash = chainer.Hash(hash_, *record);
  if (!hash) {
    return AuditError(absl::StatusCode::kInternal, "hash_failure",
                      "the record's chain hash could not be computed (OpenSSL failed)");
  }
  AppendHashAndClose(record, *hash);
  return *hash;
}

absl::Status ChainHead::Restore(const Chainer& chainer, std::string_view line,
                                std::string_view what) {
  LineParts parts;
  std::optional<Digest> prev, hash;
  if (!SplitLine(line, &parts) || !(prev = ParseHex(parts.prev_hex)) ||
      !(hash = ParseHex(parts.hash_hex))) {
    return AuditError(absl::StatusCode::kDataLoss, "corrupt_tail",
                      absl::StrCat(base::AsAbsl(what), " is not a record line"));
  }
  if (chainer.Hash(*prev, parts.body) != *hash) {
    return AuditError(absl::StatusCode::kDataLoss, "corrupt_tail",
                      absl::StrCat(base::AsAbsl(what),
                                   " does not verify (edited, or written under another key)"));
  }
  records_ = parts.seq;
  hash_ = *hash;
  return absl::OkStatus();
}

AuditCheckpoint ChainHead::Checkpoint() const {
  AuditCheckpoint cp;
  cp.records = records_;
  AppendHex(&cp.head, hash_);
  return cp;
}

}  // namespace jitguard::audit_internal
