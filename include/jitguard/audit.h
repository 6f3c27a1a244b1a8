// Audit: a tamper-evident, append-only record of every decision, grant, approval, prompt and
// response (masked), written through small pluggable sinks.
//
// Callers fill an AuditEvent (cheap: plain strings and vectors) and hand it to an AuditSink. The
// sink stamps the time when the caller left it unset, runs a last-line-of-defence Masker over every
// string field (file and Postgres sinks; on by default), assigns `seq`, and chains the record:
//
//   hash = HMAC-SHA-256(key, prev || canonical record without "hash")   (plain SHA-256 without a
//   key)
//
// The file sink writes JSON Lines (one canonical record per line, fixed key order) and can rotate
// by size with the chain continuing across files; VerifyAuditLog detects an edited byte or field, a
// deleted, duplicated, inserted or reordered record, a dropped start, a chain made under another
// key, and (given a Checkpoint taken earlier) truncation of whole records. See docs/audit.md for
// the record format, the rotation scheme, the Postgres schema and the OCSF mapping.
//
// Thread-safety: every sink made here is safe to call from many threads at once (writes are
// serialized inside the sink; records get consecutive seq numbers in the order Write() acquired the
// sink). Verification and reading functions are plain functions, safe from any thread.
#ifndef JITGUARD_AUDIT_H_
#define JITGUARD_AUDIT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/export.h"
#include "jitguard/secret.h"

namespace jitguard {

class Masker;  // jitguard/mask.h

// ---- events
// ---------------------------------------------------------------------------------------

// A JSON-able value for an event's extra fields: null, string, integer, double, bool, a list of
// strings, or a nested object (ordered members, e.g. finding counts per entity). A value type.
class JITGUARD_EXPORT AuditValue {
 public:
  enum class Kind { kNull, kString, kInt, kDouble, kBool, kStringList, kObject };
  using Member = std::pair<std::string, AuditValue>;

  AuditValue() = default;                                                                 // null
  AuditValue(std::string s) : kind_(Kind::kString), str_(std::move(s)) {}                 // NOLINT
  AuditValue(std::string_view s) : kind_(Kind::kString), str_(s) {}                       // NOLINT
  AuditValue(const char* s) : kind_(Kind::kString), str_(s) {}                            // NOLINT
  AuditValue(int v) : kind_(Kind::kInt), int_(v) {}                                       // NOLINT
  AuditValue(long v) : kind_(Kind::kInt), int_(v) {}                                      // NOLINT
  AuditValue(long long v) : kind_(Kind::kInt), int_(v) {}                                 // NOLINT
  AuditValue(unsigned v) : kind_(Kind::kInt), int_(v) {}                                  // NOLINT
  AuditValue(unsigned long v) : kind_(Kind::kInt), int_(static_cast<int64_t>(v)) {}       // NOLINT
  AuditValue(unsigned long long v) : kind_(Kind::kInt), int_(static_cast<int64_t>(v)) {}  // NOLINT
  AuditValue(double v) : kind_(Kind::kDouble), double_(v) {}                              // NOLINT
  AuditValue(bool v) : kind_(Kind::kBool), bool_(v) {}                                    // NOLINT
  AuditValue(std::vector<std::string> list)                                               // NOLINT
      : kind_(Kind::kStringList), list_(std::move(list)) {}

  // A nested object; members keep their order. Names must be unique (checked by the sinks).
  static AuditValue Object(std::vector<Member> members) {
    AuditValue v;
    v.kind_ = Kind::kObject;
    v.members_ = std::move(members);
    return v;
  }

  Kind kind() const { return kind_; }
  const std::string& string_value() const { return str_; }  // kString
  int64_t int_value() const { return int_; }                // kInt
  double double_value() const { return double_; }           // kDouble (must be finite to write)
  bool bool_value() const { return bool_; }                 // kBool
  const std::vector<std::string>& string_list() const { return list_; }  // kStringList
  const std::vector<Member>& members() const { return members_; }        // kObject

 private:
  Kind kind_ = Kind::kNull;
  std::string str_;
  int64_t int_ = 0;
  double double_ = 0;
  bool bool_ = false;
  std::vector<std::string> list_;
  std::vector<Member> members_;
};

// Event types written by jitguard's own components. Users may write other dotted lowercase types.
namespace audit_type {
inline constexpr std::string_view kTokenRejected = "token.rejected";
inline constexpr std::string_view kPolicyDecision = "policy.decision";
inline constexpr std::string_view kApprovalRequested = "approval.requested";
inline constexpr std::string_view kApprovalDecided = "approval.decided";
inline constexpr std::string_view kApprovalConsumed = "approval.consumed";
inline constexpr std::string_view kApprovalExpired = "approval.expired";
inline constexpr std::string_view kGrantIssued = "grant.issued";
inline constexpr std::string_view kGrantVerified = "grant.verified";
inline constexpr std::string_view kGrantRejected = "grant.rejected";
inline constexpr std::string_view kInferenceRequest = "inference.request";    // masked prompt
inline constexpr std::string_view kInferenceResponse = "inference.response";  // masked response
inline constexpr std::string_view kSessionStart = "session.start";
inline constexpr std::string_view kSessionEnd = "session.end";
}  // namespace audit_type

// Well-known extra-field names (OpenTelemetry GenAI semantic conventions where one exists).
namespace audit_field {
inline constexpr std::string_view kInputTokens = "gen_ai.usage.input_tokens";         // int
inline constexpr std::string_view kOutputTokens = "gen_ai.usage.output_tokens";       // int
inline constexpr std::string_view kResponseModel = "gen_ai.response.model";           // string
inline constexpr std::string_view kResponseId = "gen_ai.response.id";                 // string
inline constexpr std::string_view kFinishReasons = "gen_ai.response.finish_reasons";  // list
inline constexpr std::string_view kSystem = "gen_ai.system";                          // string
inline constexpr std::string_view kPrompt = "prompt";      // masked prompt text
inline constexpr std::string_view kResponse = "response";  // masked response text
inline constexpr std::string_view kFindings = "findings";  // object: entity -> count
inline constexpr std::string_view kReason = "reason";      // stable snake_case reason
inline constexpr std::string_view kGrantId = "grant_id";
inline constexpr std::string_view kTicketId = "ticket_id";
inline constexpr std::string_view kApprover = "approver";
}  // namespace audit_field

// One audit event, filled by the caller. Empty strings and empty lists are left out of the record.
// The sink assigns seq, prev and hash; `time` is stamped by the sink when left unset.
//
// Canonical record key order (docs/audit.md): seq, time, type, session_id, request_id, subject,
// groups, gen_ai.request.model (from `model`), dataset, operation, decision, rules, then `fields`
// in the caller's order, then prev, hash.
struct JITGUARD_EXPORT AuditEvent {
  std::string type{};                      // e.g. audit_type::kPolicyDecision; required, non-empty
  absl::Time time = absl::InfinitePast();  // InfinitePast: the sink stamps its clock's now
  std::string session_id{};
  std::string request_id{};
  std::string subject{};
  std::vector<std::string> groups{};
  std::string model{};  // written as "gen_ai.request.model"
  std::string dataset{};
  std::string operation{};
  std::string decision{};                    // permit | deny | approval_required | ...
  std::vector<std::string> rules{};          // ids of the policy rules that decided
  std::vector<AuditValue::Member> fields{};  // extra fields; names unique and not reserved

  // Appends an extra field; returns *this for chaining. `name` is usually an audit_field constant;
  // `value` any AuditValue: a string (std::string, std::string_view, const char*), an integer
  // (int64_t or any other integral type), a double, a bool, a list of strings, an Object.
  AuditEvent& Set(std::string_view name, AuditValue value) {
    fields.emplace_back(std::string(name), std::move(value));
    return *this;
  }
};

// ---- sinks
// ----------------------------------------------------------------------------------------

// Where audit events go. Small on purpose, so users can add their own (LevelDB's Env habit).
// Every method reports failure as a status (domain kAudit); nothing is ever dropped silently.
class JITGUARD_EXPORT AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Records `event`. When this returns OK the event is accepted; how durable it is at that moment
  // depends on the sink (FileAuditSink with FsyncPolicy::kAlways: on stable storage).
  virtual absl::Status Write(const AuditEvent& event) = 0;
  // Makes every accepted event durable (written and synced / committed).
  virtual absl::Status Flush() = 0;
  // Flushes, then releases resources; later writes fail with reason "closed". Idempotent.
  virtual absl::Status Close() = 0;
  // A short name for diagnostics ("file", "async", "tee", "callback", "postgres", ...).
  virtual std::string_view Name() const = 0;
};

// The state of a chain at one moment: how many records it holds and the hash of the last one. Keep
// it somewhere the log's writer cannot rewrite; VerifyAuditLog then detects truncation.
struct JITGUARD_EXPORT AuditCheckpoint {
  uint64_t records = 0;  // number of records (= seq of the last record)
  std::string head;      // lowercase hex of the last record's hash; 64 zeros when records == 0

  // "records:head", e.g. "42:3f9a...". Parse accepts exactly that form (reason "bad_checkpoint").
  std::string ToString() const;
  static absl::StatusOr<AuditCheckpoint> Parse(std::string_view text);
};

// When the file sink calls fdatasync.
enum class FsyncPolicy {
  kAlways,  // every Write is written and synced before it returns: no acknowledged record is lost
  kBatch,   // records are buffered; written and synced every batch_interval or batch_records
  kNever,   // buffered and written when the buffer fills or on Flush; never synced (tests, tmpfs)
};

// Whether a sink masks string fields before they reach storage.
enum class AuditMasking {
  kOn,   // run `masker` (or the default Masker) over every string field except type and time
  kOff,  // the caller guarantees the event holds no raw PII
};

struct JITGUARD_EXPORT FileAuditSinkOptions {
  // Chain key. Empty: plain SHA-256 (catches accidents and truncation against a checkpoint, but
  // anyone can rebuild such a chain); set a key of >= 32 random bytes to defeat a forger.
  SecretBytes hmac_key{};
  FsyncPolicy fsync = FsyncPolicy::kBatch;                 // kAlways is the safest and the slowest
  absl::Duration batch_interval = absl::Milliseconds(10);  // kBatch: max age of an unsynced record
  size_t batch_records = 4096;  // kBatch/kNever: max records buffered before writing (and syncing)
  // Rotate when the active file reaches this many bytes: "audit.log" is renamed to "audit.log.N"
  // (N = 1, 2, ... oldest first) and a fresh "audit.log" continues the chain. 0: never rotate.
  uint64_t max_file_bytes = 0;
  AuditMasking masking = AuditMasking::kOn;
  std::shared_ptr<const Masker>
      masker{};                         // null with kOn: a default Masker (every built-in entity)
  std::function<absl::Time()> clock{};  // null: absl::Now; stamps events whose time is unset
};

// The JSON Lines sink. Opening an existing log continues its chain after checking the last record
// and cutting off a torn last line (a crash in the middle of a write).
class JITGUARD_EXPORT FileAuditSink : public AuditSink {
 public:
  // Opens (creating if needed) the log whose active file is `path`. Errors: reason "io_error",
  // "corrupt_tail" (the last complete record does not parse or does not verify under this key),
  // "bad_options".
  static absl::StatusOr<std::unique_ptr<FileAuditSink>> Open(std::string_view path,
                                                             FileAuditSinkOptions options = {});
  // The chain's state after the last accepted Write (buffered records included: call Flush first if
  // the checkpoint must only cover durable records).
  virtual AuditCheckpoint Checkpoint() const = 0;
};

// What AsyncAuditSink does when its queue is full.
enum class QueueFullPolicy {
  kBlock,  // wait until there is room (default: back-pressure, never a drop)
  kError,  // wait up to full_timeout, then fail the Write with reason "queue_full"
};

struct JITGUARD_EXPORT AsyncAuditSinkOptions {
  size_t capacity = 8192;  // queued events; memory bound vs. burst tolerance
  QueueFullPolicy on_full = QueueFullPolicy::kBlock;
  absl::Duration full_timeout = absl::Milliseconds(100);  // kError only
};

// Counters of an AsyncAuditSink (a snapshot).
struct JITGUARD_EXPORT AuditSinkCounters {
  uint64_t queue_depth = 0;  // events waiting for the writer thread
  uint64_t written = 0;      // events the inner sink accepted
  uint64_t errors = 0;       // inner-sink failures plus queue-full rejections
};

// Moves writes off the caller's thread: a bounded queue and one writer thread feeding `inner`. An
// inner-sink error is sticky: it fails every later Write/Flush (fail closed).
class JITGUARD_EXPORT AsyncAuditSink : public AuditSink {
 public:
  static absl::StatusOr<std::unique_ptr<AsyncAuditSink>> Create(std::shared_ptr<AuditSink> inner,
                                                                AsyncAuditSinkOptions options = {});
  virtual AuditSinkCounters Counters() const = 0;
};

// Writes each event to every sink in order (time stamped once, so copies agree). Returns the first
// error but still offers the event to the remaining sinks.
JITGUARD_EXPORT absl::StatusOr<std::unique_ptr<AuditSink>> NewTeeSink(
    std::vector<std::shared_ptr<AuditSink>> sinks);

// Hands each event to `write` (and Flush/Close to the optional callables). The callables run on the
// writer's thread, serialized by the sink.
JITGUARD_EXPORT absl::StatusOr<std::unique_ptr<AuditSink>> NewCallbackSink(
    std::function<absl::Status(const AuditEvent&)> write,
    std::function<absl::Status()> flush = nullptr, std::function<absl::Status()> close = nullptr);

// ---- PostgreSQL (available when built with JITGUARD_WITH_POSTGRES; otherwise Open fails with
// reason "unavailable") --------------------------------------------------------------------------

struct JITGUARD_EXPORT PostgresAuditSinkOptions {
  std::string table =
      "jitguard_audit";  // [A-Za-z_][A-Za-z0-9_]* ; created (with trigger) if missing
  // This writer's chain. Each replica needs its own id; two live writers with one id collide on the
  // primary key (reason "io_error"). Empty: "<hostname>:<pid>". UTF-8 without NUL ("bad_options").
  std::string writer_id{};
  SecretBytes hmac_key{};  // as FileAuditSinkOptions::hmac_key
  // Records per transaction. 1: every Write commits before it returns. N > 1: Write buffers and the
  // batch commits when full or on Flush/Close (faster; up to N-1 records wait in memory).
  size_t batch_records = 1;
  AuditMasking masking = AuditMasking::kOn;
  std::shared_ptr<const Masker> masker{};  // as FileAuditSinkOptions::masker
  std::function<absl::Time()> clock{};     // as FileAuditSinkOptions::clock
};

// Appends to a PostgreSQL table: one chain per writer id; UPDATE, DELETE and TRUNCATE are refused
// by a trigger. Schema in docs/audit.md. A batch goes in as one statement (COPY from two rows on),
// so it commits whole or not at all. Write refuses (reason "bad_event") an event the server would
// refuse: a record that is not UTF-8, or a type or session_id holding NUL.
class JITGUARD_EXPORT PostgresAuditSink : public AuditSink {
 public:
  // Connects with the libpq `dsn`, creates the table if missing and continues this writer's chain.
  static absl::StatusOr<std::unique_ptr<PostgresAuditSink>> Open(
      std::string_view dsn, PostgresAuditSinkOptions options = {});
  virtual AuditCheckpoint Checkpoint() const = 0;
};

// ---- verification and reading
// ---------------------------------------------------------------------

// The outcome of verifying a chain. Tampering is a result (ok == false), not an error status.
struct JITGUARD_EXPORT AuditVerifyResult {
  bool ok = false;
  uint64_t records = 0;    // records verified intact, in chain order
  uint64_t first_bad = 0;  // 1-based position in the chain of the first bad record; 0 when ok
  // "" when ok; else one of: bad_hash (an edited record, or a chain made under another key),
  // bad_seq (a record deleted, duplicated, inserted or reordered), bad_prev (the seq fits but the
  // link does not: a record spliced in from another chain), bad_start (the first records dropped),
  // malformed (not a record line), torn_line (a partial line before the end), truncated (fewer
  // records than the checkpoint), checkpoint_mismatch (the checkpoint's head is not in this chain),
  // column_mismatch (Postgres: a convenience column disagrees with the hashed record).
  std::string reason;
  bool torn_tail = false;  // the last line was cut by a crash; everything before it is intact
  std::string file;        // the file holding first_bad ("" when ok)
  AuditCheckpoint head;    // the chain's state after the last intact record
};

// Verifies the log whose active file is `path`, rotated files (path.1, path.2, ...) included, in
// order. `hmac_key` empty: a plain SHA-256 chain. Errors (not tampering): reason "not_found",
// "io_error".
JITGUARD_EXPORT absl::StatusOr<AuditVerifyResult> VerifyAuditLog(
    std::string_view path, const SecretBytes& hmac_key = SecretBytes(),
    const std::optional<AuditCheckpoint>& checkpoint = std::nullopt);

// Verifies an explicit list of files as one chain, in the order given (e.g. an archived set). A
// torn last line is tolerated only in the last file. Errors: "not_found", "io_error", "bad_options"
// (empty list).
JITGUARD_EXPORT absl::StatusOr<AuditVerifyResult> VerifyAuditFiles(
    const std::vector<std::string>& files, const SecretBytes& hmac_key = SecretBytes(),
    const std::optional<AuditCheckpoint>& checkpoint = std::nullopt);

// The files of the log at `path` in chain order: path.1, path.2, ..., path (those that exist).
JITGUARD_EXPORT absl::StatusOr<std::vector<std::string>> AuditLogFiles(std::string_view path);

// Reads the records of a log (rotated files included) in chain order, optionally only those of one
// session. Each record is the canonical JSON line (without the newline). Does not verify the chain
// (use VerifyAuditLog); skips a torn last line. Single-threaded.
class JITGUARD_EXPORT AuditLogReader {
 public:
  static absl::StatusOr<std::unique_ptr<AuditLogReader>> Open(
      std::string_view path, std::optional<std::string> session_id = std::nullopt);
  virtual ~AuditLogReader() = default;
  // The next matching record into *record; false at the end. Errors: "io_error", "malformed".
  virtual absl::StatusOr<bool> Next(std::string* record) = 0;
};

// Verifies every writer's chain in a Postgres audit table.
struct JITGUARD_EXPORT AuditTableVerifyResult {
  bool ok = false;
  uint64_t records = 0;  // intact records over all writers
  struct Writer {
    std::string writer_id{};
    AuditVerifyResult result;  // `file` is unused here
  };
  std::vector<Writer> writers;  // sorted by writer id
};
JITGUARD_EXPORT absl::StatusOr<AuditTableVerifyResult> VerifyAuditTable(
    std::string_view dsn, std::string_view table = "jitguard_audit",
    const SecretBytes& hmac_key = SecretBytes());

// The canonical JSON record (without prev and hash) that a sink would chain for `event` with the
// given seq, without masking. Exposed for tests and for custom sinks that want the same format.
// Errors: reason "bad_event" (empty type, unset time, reserved or duplicate field name, NaN).
JITGUARD_EXPORT absl::StatusOr<std::string> CanonicalAuditRecord(const AuditEvent& event,
                                                                 uint64_t seq);

}  // namespace jitguard

#endif  // JITGUARD_AUDIT_H_
