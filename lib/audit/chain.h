// The hash chain shared by the file and Postgres sinks and by verification.
//
// A stored record is one line of canonical JSON that ends with two fixed-width members:
//   {"seq":N,...,"prev":"<64 hex>","hash":"<64 hex>"}
// and hash = HMAC-SHA-256(key, prev_raw || body) (SHA-256 without a key), where body is the line up
// to and including the prev member (everything before `,"hash":"`). Fixed widths let the verifier
// find both members from the end of the line without parsing the JSON.
#ifndef JITGUARD_LIB_AUDIT_CHAIN_H_
#define JITGUARD_LIB_AUDIT_CHAIN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jitguard/audit.h"
#include "lib/base/crypto.h"

namespace jitguard::audit_internal {

using Digest = std::array<uint8_t, 32>;

inline constexpr std::string_view kPrevKey = ",\"prev\":\"";
inline constexpr std::string_view kHashKey = ",\"hash\":\"";
// `,"hash":"` + 64 hex + `"}`
inline constexpr size_t kHashSuffixSize = 9 + 64 + 2;
// `,"prev":"` + 64 hex + `"`
inline constexpr size_t kPrevSuffixSize = 9 + 64 + 1;
inline constexpr std::string_view kZeroHex =
    "0000000000000000000000000000000000000000000000000000000000000000";

// HMAC-SHA-256 (or SHA-256 without a key) through OpenSSL's EVP interfaces, the key prepared once.
// A value type; Hash may be called from any number of threads at once.
class Chainer {
 public:
  explicit Chainer(std::string_view key);
  bool keyed() const { return keyed_; }
  // hash of prev || body; nullopt only if OpenSSL failed (the key could not be prepared, or out of
  // memory): callers fail closed.
  std::optional<Digest> Hash(const Digest& prev, std::string_view body) const;

 private:
  bool keyed_ = false;
  std::optional<base::HmacKey> key_;  // keyed_ and prepared; keyed_ without it: OpenSSL failed
};

// Appends 64 lowercase hex digits.
void AppendHex(std::string* out, const Digest& d);
// Parses exactly 64 hex digits (either case rejected except lowercase); nullopt otherwise.
std::optional<Digest> ParseHex(std::string_view hex);

// The parts of a stored line (no trailing newline) located without a JSON parse.
struct LineParts {
  uint64_t seq = 0;
  std::string_view body;      // up to and including the prev member
  std::string_view prev_hex;  // 64 chars
  std::string_view hash_hex;  // 64 chars
};
// False when the line does not have the fixed shape.
bool SplitLine(std::string_view line, LineParts* parts);

// Appends `,"prev":"<hex>"` to a record that ends before its closing brace.
void AppendPrev(std::string* record, const Digest& prev);
// Appends `,"hash":"<hex>"}`.
void AppendHashAndClose(std::string* record, const Digest& hash);

// A writer's end of its chain: how many records it holds and the hash of the last one. Every sink
// that writes a chain (file, Postgres) keeps one, under its own lock. A value type.
class ChainHead {
 public:
  // The seq the next record gets.
  uint64_t next_seq() const { return records_ + 1; }
  // Completes `record` (canonical JSON of record next_seq(), without its closing brace) as the
  // next link: appends prev and hash and closes it. Returns the hash; the head does not move
  // until Advance, so a record that is then refused costs nothing. Error reason "hash_failure"
  // only if OpenSSL failed.
  absl::StatusOr<Digest> Seal(const Chainer& chainer, std::string* record) const;
  // The record sealed with `hash` was accepted.
  void Advance(const Digest& hash) {
    ++records_;
    hash_ = hash;
  }
  // Continues a chain whose last stored record is `line` (no newline): it must have the record
  // shape and verify under `chainer`. Error reason "corrupt_tail", naming `what` ("the last record
  // of audit.log"); the head is unchanged then.
  absl::Status Restore(const Chainer& chainer, std::string_view line, std::string_view what);
  // "records:head" as the sinks' Checkpoint() reports it.
  AuditCheckpoint Checkpoint() const;

 private:
  uint64_t records_ = 0;
  Digest hash_{};  // zeros for an empty chain: record 1's prev
};

}  // namespace jitguard::audit_internal

#endif  // JITGUARD_LIB_AUDIT_CHAIN_H_
