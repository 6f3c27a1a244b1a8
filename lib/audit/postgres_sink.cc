// PostgresAuditSink and VerifyAuditTable (libpq).
//
// Schema (created if missing, under an advisory lock so replicas starting together do not race):
//   <table>(writer_id text, seq bigint, time timestamptz, type text, session_id text,
//           record text, hash text, PRIMARY KEY (writer_id, seq))
// `record` is the canonical line exactly as hashed (jsonb would reorder keys); the other columns
// are copies for querying, checked against the record by VerifyAuditTable. A trigger refuses
// UPDATE, DELETE and TRUNCATE. A batch of rows goes in with one COPY ... FROM STDIN (text format),
// a single row with one INSERT.
#include <libpq-fe.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "jitguard/audit.h"
#include "lib/audit/chain.h"
#include "lib/audit/record.h"
#include "lib/audit/verifier.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard {
namespace {

using audit_internal::AuditError;
using audit_internal::Chainer;
using audit_internal::Digest;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The first line of libpq's message: enough to diagnose, never the DSN (which may hold a password).
std::string PgMessage(PGconn* conn) {
  std::string m = PQerrorMessage(conn);
  size_t nl = m.find('\n');
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

absl::Status PgError(PGconn* conn, std::string_view what) {
  return AuditError(absl::StatusCode::kUnavailable, "io_error",
                    absl::StrCat("PostgreSQL ", base::AsAbsl(what), ": ", PgMessage(conn)));
}

bool ValidTable(std::string_view t) {
  if (t.empty() || t.size() > 48) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

absl::StatusOr<ConnPtr> Connect(std::string_view dsn) {
  ConnPtr conn(PQconnectdb(std::string(dsn).c_str()));
  if (conn == nullptr) {
    return AuditError(absl::StatusCode::kUnavailable, "io_error", "PostgreSQL: out of memory");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) return PgError(conn.get(), "connect");
  // Records are hashed as UTF-8 bytes; another client encoding would transcode them on the way.
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) return PgError(conn.get(), "set encoding");
  // libpq prints server notices ("relation already exists, skipping") to stderr by default; a
  // library must not.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

absl::Status Exec(PGconn* conn, const std::string& sql, std::string_view what) {
  ResultPtr r(PQexec(conn, sql.c_str()));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, what);
  return absl::OkStatus();
}

absl::StatusOr<ResultPtr> ExecParams(PGconn* conn, const std::string& sql,
                                     const std::vector<const char*>& params,
                                     std::string_view what) {
  ResultPtr r(PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                           params.data(), nullptr, nullptr, 0));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, what);
  return r;
}

std::string Quoted(const std::string& table) { return absl::StrCat("\"", table, "\""); }

absl::Status EnsureSchema(PGconn* conn, const std::string& table) {
  std::string t = Quoted(table);
  std::string fn = Quoted(absl::StrCat(table, "_append_only"));
  std::string sql = absl::StrCat(
      "BEGIN;"
      "SELECT pg_advisory_xact_lock(hashtext('jitguard_audit_schema:",
      table,
      "'));"
      "CREATE TABLE IF NOT EXISTS ",
      t,
      " ("
      "writer_id text NOT NULL, seq bigint NOT NULL, time timestamptz NOT NULL, type text NOT NULL,"
      "session_id text, record text NOT NULL, hash text NOT NULL, PRIMARY KEY (writer_id, seq));"
      "CREATE INDEX IF NOT EXISTS ",
      Quoted(absl::StrCat(table, "_session")), " ON ", t,
      " (session_id) WHERE session_id IS NOT NULL;"
      "CREATE OR REPLACE FUNCTION ",
      fn,
      "() RETURNS trigger LANGUAGE plpgsql AS $jg$ BEGIN "
      "RAISE EXCEPTION 'jitguard audit table % is append-only', TG_TABLE_NAME "
      "USING ERRCODE = 'insufficient_privilege'; END $jg$;"
      "CREATE OR REPLACE TRIGGER ",
      Quoted(absl::StrCat(table, "_no_update_delete")), " BEFORE UPDATE OR DELETE ON ", t,
      " FOR EACH ROW EXECUTE FUNCTION ", fn,
      "();"
      "CREATE OR REPLACE TRIGGER ",
      Quoted(absl::StrCat(table, "_no_truncate")), " BEFORE TRUNCATE ON ", t,
      " FOR EACH STATEMENT EXECUTE FUNCTION ", fn,
      "();"
      "COMMIT;");
  absl::Status s = Exec(conn, sql, "create audit table");
  if (!s.ok()) Exec(conn, "ROLLBACK", "rollback").IgnoreError();
  return s;
}

// Appends `v` as one field of COPY's text format: backslash, newline, carriage return and tab (the
// delimiter) are escaped; every other byte, UTF-8 included, stands for itself. (NUL cannot be sent
// at all; Write refuses it.) An escaped field can never form the end-of-data line `\.`.
void AppendCopyField(std::string* out, std::string_view v) {
  size_t run = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char esc;
    switch (v[i]) {
      case '\\':
        esc = '\\';
        break;
      case '\n':
        esc = 'n';
        break;
      case '\r':
        esc = 'r';
        break;
      case '\t':
        esc = 't';
        break;
      default:
        continue;
    }
    out->append(v.data() + run, i - run);
    out->push_back('\\');
    out->push_back(esc);
    run = i + 1;
  }
  out->append(v.data() + run, v.size() - run);
}

std::string DefaultWriterId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] ? host : "host", ":", getpid());
}

class PgSink final : public PostgresAuditSink {
 public:
  PgSink(ConnPtr conn, PostgresAuditSinkOptions options, audit_internal::MaskFn mask)
      : conn_(std::move(conn)),
        options_(std::move(options)),
        chainer_(options_.hmac_key.Reveal()),
        mask_(std::move(mask)) {}
  ~PgSink() override { Close().IgnoreError(); }

  absl::Status Start() {
    if (absl::Status s = EnsureSchema(conn_.get(), options_.table); !s.ok()) return s;
    absl::StatusOr<ResultPtr> r =
        ExecParams(conn_.get(),
                   absl::StrCat("SELECT seq, record FROM ", Quoted(options_.table),
                                " WHERE writer_id = $1 ORDER BY seq DESC LIMIT 1"),
                   {options_.writer_id.c_str()}, "read chain head");
    if (!r.ok()) return r.status();
    if (PQntuples(r->get()) == 1) {
      base::MutexLock lock(&mu_);
      return head_.Restore(chainer_, PQgetvalue(r->get(), 0, 1), "this writer's last audit row");
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
    if (closed_)
      return AuditError(absl::StatusCode::kFailedPrecondition, "closed",
                        "the audit sink is closed");
    if (!broken_.ok()) return broken_;
    absl::Time now =
        event.time == absl::InfinitePast() ? audit_internal::ClockNow(options_.clock) : event.time;
    Row row;
    row.seq = absl::StrCat(head_.next_seq());
    row.time = audit_internal::FormatRecordTime(now);
    row.type = ev->type;
    row.session_id = ev->session_id;
    audit_internal::AppendCanonicalOpen(*ev, head_.next_seq(), now, &row.record);
    const absl::StatusOr<Digest> sealed = head_.Seal(chainer_, &row.record);
    if (!sealed.ok()) return sealed.status();
    const Digest hash = *sealed;
    audit_internal::AppendHex(&row.hash, hash);
    // A row the server would refuse would fail its whole batch and break the sink: refuse the event
    // instead, before it takes a seq. Text columns hold no NUL; the record (which holds every other
    // string of the event) must be UTF-8.
    if (row.type.find('\0') != std::string::npos ||
        row.session_id.find('\0') != std::string::npos ||
        !simdjson::validate_utf8(row.record.data(), row.record.size())) {
      return AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                        "a PostgreSQL audit row must be UTF-8 and its type and session_id hold "
                        "no NUL");
    }
    pending_.push_back(std::move(row));
    head_.Advance(hash);
    if (pending_.size() >= options_.batch_records) {
      if (absl::Status s = FlushLocked(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    base::MutexLock lock(&mu_);
    if (closed_)
      return AuditError(absl::StatusCode::kFailedPrecondition, "closed",
                        "the audit sink is closed");
    return FlushLocked();
  }

  absl::Status Close() override {
    base::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    absl::Status s = FlushLocked();
    closed_ = true;
    conn_.reset();
    return s;
  }

  std::string_view Name() const override { return "postgres"; }

  AuditCheckpoint Checkpoint() const override {
    base::MutexLock lock(&mu_);
    return head_.Checkpoint();
  }

 private:
  struct Row {
    std::string seq, time, type, session_id, record, hash;
  };
  // Below this many rows a batch goes in as one INSERT (one round trip); from it on as one COPY
  // (two round trips, but far less per-row work on the server: no statement with 7 parameters per
  // row to parse and plan).
  static constexpr size_t kMinCopyRows = 2;
  // COPY data is handed to libpq in pieces of about this size, so a large batch is not built twice.
  static constexpr size_t kCopyChunk = size_t{256} * 1024;

  // One statement per batch, so the batch commits whole or not at all; any failure breaks the sink
  // (the chain in memory ran ahead of the table), so later writes fail until it is reopened: fail
  // closed, never a gap.
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!broken_.ok()) return broken_;
    if (pending_.empty()) return absl::OkStatus();
    absl::Status s = pending_.size() < kMinCopyRows ? InsertLocked() : CopyLocked();
    if (!s.ok()) return broken_ = s;
    pending_.clear();
    return absl::OkStatus();
  }

  absl::Status InsertLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const Row& row : pending_) {
      absl::StatusOr<ResultPtr> r =
          ExecParams(conn_.get(),
                     absl::StrCat("INSERT INTO ", Quoted(options_.table),
                                  " (writer_id, seq, time, type, session_id, record, hash) VALUES "
                                  "($1, $2, $3, $4, $5, $6, $7)"),
                     {options_.writer_id.c_str(), row.seq.c_str(), row.time.c_str(),
                      row.type.c_str(), row.session_id.empty() ? nullptr : row.session_id.c_str(),
                      row.record.c_str(), row.hash.c_str()},
                     "insert audit row");
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

  // COPY ... FROM STDIN in text format: tab-separated fields, one row per line, \N for NULL.
  absl::Status CopyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    PGconn* c = conn_.get();
    {
      ResultPtr r(PQexec(c, absl::StrCat("COPY ", Quoted(options_.table),
                                         " (writer_id, seq, time, type, session_id, record, hash) "
                                         "FROM STDIN")
                                .c_str()));
      if (PQresultStatus(r.get()) != PGRES_COPY_IN) return PgError(c, "copy audit rows");
    }
    std::string writer;
    AppendCopyField(&writer, options_.writer_id);
    std::string buf;
    buf.reserve(kCopyChunk + 4096);
    bool sent = true;
    for (const Row& row : pending_) {
      buf.append(writer);
      for (std::string_view field :
           {std::string_view(row.seq), std::string_view(row.time), std::string_view(row.type)}) {
        buf.push_back('\t');
        AppendCopyField(&buf, field);
      }
      buf.push_back('\t');
      if (row.session_id.empty()) {
        buf.append("\\N");
      } else {
        AppendCopyField(&buf, row.session_id);
      }
      buf.push_back('\t');
      AppendCopyField(&buf, row.record);
      buf.push_back('\t');
      buf.append(row.hash);  // hex
      buf.push_back('\n');
      if (buf.size() >= kCopyChunk) {
        if (!(sent = PutCopyData(c, &buf))) break;
      }
    }
    if (sent) sent = PutCopyData(c, &buf);
    // Ending with an error message makes the server abort the COPY: nothing of the batch stays.
    const bool ended = PQputCopyEnd(c, sent ? nullptr : "jitguard: sending the batch failed") == 1;
    absl::Status status;
    while (PGresult* raw = PQgetResult(c)) {
      ResultPtr r(raw);
      const ExecStatusType st = PQresultStatus(r.get());
      if (status.ok() && st != PGRES_COMMAND_OK) status = PgError(c, "copy audit rows");
      // Still in COPY (the end could not be sent: a lost connection): asking again would spin. The
      // sink breaks and is never used again.
      if (st == PGRES_COPY_IN) break;
    }
    if (status.ok() && (!sent || !ended)) status = PgError(c, "copy audit rows");
    return status;
  }

  static bool PutCopyData(PGconn* c, std::string* buf) {
    bool ok = buf->empty() || PQputCopyData(c, buf->data(), static_cast<int>(buf->size())) == 1;
    buf->clear();
    return ok;
  }

  ConnPtr conn_ ABSL_GUARDED_BY(mu_);
  const PostgresAuditSinkOptions options_;
  const Chainer chainer_;
  const audit_internal::MaskFn mask_;
  mutable base::Mutex mu_;
  audit_internal::ChainHead head_ ABSL_GUARDED_BY(mu_);
  std::vector<Row> pending_ ABSL_GUARDED_BY(mu_);
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Checks that the convenience columns agree with the hashed record.
bool ColumnsMatch(simdjson::dom::parser& parser, std::string_view record, std::string_view seq,
                  std::string_view type, const char* session_id, std::string_view hash) {
  simdjson::dom::element doc;
  if (parser.parse(record.data(), record.size()).get(doc) != simdjson::SUCCESS) return false;
  std::string_view rtype, rsession, rhash;
  uint64_t rseq = 0;
  if (doc["seq"].get(rseq) != simdjson::SUCCESS || absl::StrCat(rseq) != seq) return false;
  if (doc["type"].get(rtype) != simdjson::SUCCESS || rtype != type) return false;
  if (doc["hash"].get(rhash) != simdjson::SUCCESS || rhash != hash) return false;
  bool has_session = doc["session_id"].get(rsession) == simdjson::SUCCESS;
  if (session_id == nullptr) return !has_session;
  return has_session && rsession == session_id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresAuditSink>> PostgresAuditSink::Open(
    std::string_view dsn, PostgresAuditSinkOptions options) {
  if (!ValidTable(options.table) || options.batch_records == 0) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                      "the audit table name must match [A-Za-z_][A-Za-z0-9_]{0,47}; batch >= 1");
  }
  if (options.writer_id.empty()) options.writer_id = DefaultWriterId();
  if (options.writer_id.find('\0') != std::string::npos ||
      !simdjson::validate_utf8(options.writer_id.data(), options.writer_id.size())) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options",
                      "the writer id must be UTF-8 without NUL");
  }
  absl::StatusOr<audit_internal::MaskFn> mask =
      audit_internal::MakeMaskFn(options.masking, options.masker);
  if (!mask.ok()) return mask.status();
  absl::StatusOr<ConnPtr> conn = Connect(dsn);
  if (!conn.ok()) return conn.status();
  auto sink = std::make_unique<PgSink>(*std::move(conn), std::move(options), *std::move(mask));
  if (absl::Status s = sink->Start(); !s.ok()) return s;
  return std::unique_ptr<PostgresAuditSink>(std::move(sink));
}

absl::StatusOr<AuditTableVerifyResult> VerifyAuditTable(std::string_view dsn,
                                                        std::string_view table,
                                                        const SecretBytes& hmac_key) {
  if (!ValidTable(table)) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_options", "bad audit table name");
  }
  absl::StatusOr<ConnPtr> conn = Connect(dsn);
  if (!conn.ok()) return conn.status();
  PGconn* c = conn->get();
  if (absl::Status s = Exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Exec(c,
                            absl::StrCat("DECLARE jg_audit_verify NO SCROLL CURSOR FOR SELECT "
                                         "writer_id, seq, type, session_id, record, hash FROM ",
                                         Quoted(std::string(table)), " ORDER BY writer_id, seq"),
                            "read audit table");
      !s.ok()) {
    return s;
  }
  AuditTableVerifyResult out;
  out.ok = true;
  simdjson::dom::parser parser;
  std::optional<audit_internal::ChainVerifier> verifier;
  std::string writer;
  bool writer_failed = false;
  auto finish_writer = [&] {
    if (!verifier) return;
    AuditVerifyResult r = verifier->Finish();
    out.records += r.records;
    out.ok = out.ok && r.ok;
    out.writers.push_back({writer, std::move(r)});
    verifier.reset();
  };
  while (true) {
    ResultPtr r(PQexec(c, "FETCH 20000 FROM jg_audit_verify"));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return PgError(c, "read audit table");
    int rows = PQntuples(r.get());
    if (rows == 0) break;
    std::vector<std::string_view> lines;
    auto flush_lines = [&] {
      if (verifier && !lines.empty()) verifier->AddLines(lines, "");
      lines.clear();
    };
    for (int i = 0; i < rows; ++i) {
      std::string_view w = PQgetvalue(r.get(), i, 0);
      if (!verifier || w != writer) {
        flush_lines();
        finish_writer();
        writer = std::string(w);
        verifier.emplace(hmac_key.Reveal(), std::nullopt);
        writer_failed = false;
      }
      if (writer_failed) continue;
      std::string_view record = PQgetvalue(r.get(), i, 4);
      const char* session = PQgetisnull(r.get(), i, 3) ? nullptr : PQgetvalue(r.get(), i, 3);
      if (!ColumnsMatch(parser, record, PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2),
                        session, PQgetvalue(r.get(), i, 5))) {
        flush_lines();
        verifier->Fail(verifier->records() + 1, "column_mismatch", "");
        writer_failed = true;
        continue;
      }
      lines.push_back(record);
    }
    flush_lines();
  }
  finish_writer();
  Exec(c, "COMMIT", "commit").IgnoreError();
  return out;
}

}  // namespace jitguard
