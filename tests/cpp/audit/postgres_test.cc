// PostgresAuditSink against a real PostgreSQL started on loopback for this suite.
#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/postgres_server.h"

namespace jitguard {
namespace {

using audit_test::MakeEvent;

class PostgresAuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = testing::PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    table_ = absl::AsciiStrToLower(
        absl::StrCat("audit_", ::testing::UnitTest::GetInstance()->current_test_info()->name()));
  }

  PostgresAuditSinkOptions Options(std::string writer, size_t batch = 1) {
    PostgresAuditSinkOptions o;
    o.table = table_;
    o.writer_id = std::move(writer);
    o.hmac_key = SecretBytes("postgres chain key of 32 bytes!!");
    o.batch_records = batch;
    o.masking = AuditMasking::kOff;
    return o;
  }

  // Runs SQL directly (as the superuser); returns the error message or "".
  std::string Sql(const std::string& sql) {
    PGconn* c = PQconnectdb(server_->dsn().c_str());
    PGresult* r = PQexec(c, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    std::string err = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? "" : PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    return err;
  }

  AuditTableVerifyResult VerifyTable() {
    auto r =
        VerifyAuditTable(server_->dsn(), table_, SecretBytes("postgres chain key of 32 bytes!!"));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AuditTableVerifyResult{};
  }

  static testing::PostgresServer* server_;
  std::string table_;
};

testing::PostgresServer* PostgresAuditTest::server_ = nullptr;

TEST_F(PostgresAuditTest, WritesAChainThatVerifies) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("replica-a"));
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  AuditCheckpoint cp = (*sink)->Checkpoint();
  EXPECT_EQ(cp.records, 25u);
  ASSERT_TRUE((*sink)->Close().ok());
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 25u);
  ASSERT_EQ(r.writers.size(), 1u);
  EXPECT_EQ(r.writers[0].writer_id, "replica-a");
  EXPECT_EQ(r.writers[0].result.head.head, cp.head);
}

TEST_F(PostgresAuditTest, BatchesCommitOnFlushAndReopenContinues) {
  {
    auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w", 100));
    ASSERT_TRUE(sink.ok()) << sink.status();
    for (int i = 1; i <= 250; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    // 200 committed in two batches, 50 waiting for Flush.
    auto mid = VerifyTable();
    EXPECT_EQ(mid.records, 200u);
    ASSERT_TRUE((*sink)->Flush().ok());
    EXPECT_EQ(VerifyTable().records, 250u);
    ASSERT_TRUE((*sink)->Close().ok());
  }
  auto again = PostgresAuditSink::Open(server_->dsn(), Options("w", 2000));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Checkpoint().records, 250u);
  for (int i = 251; i <= 1500; ++i) ASSERT_TRUE((*again)->Write(MakeEvent(i)).ok());
  ASSERT_TRUE((*again)->Close().ok());  // 1250 rows in one COPY
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 1500u);
}

// Batches go in with COPY's text format: every byte of every column must arrive as written (the
// chain checks `record`, VerifyAuditTable checks `type` and `session_id` against it, and the
// queries below check the columns themselves).
TEST_F(PostgresAuditTest, CopyBatchesKeepEveryByteOfEveryColumn) {
  const std::vector<std::string> nasty = {"tab\there",
                                          "new\nline",
                                          "cr\rlf\r\n",
                                          "back\\slash",
                                          "\\N",
                                          "\\.",
                                          "\\",
                                          "ends in \\",
                                          "\t\n\\\r",
                                          "caf\xc3\xa9 \xe2\x80\xa8",
                                          "\xf0\x9f\x98\x80 \xe4\xb8\xad",
                                          "ctl \x01\x1f\x7f",
                                          "quote \" ' ,",
                                          "\\x41\\101",
                                          " "};
  const std::string writer = "w\t\\x\n\xc3\xa9";
  PostgresAuditSinkOptions o = Options(writer, 4);
  auto sink = PostgresAuditSink::Open(server_->dsn(), o);
  ASSERT_TRUE(sink.ok()) << sink.status();
  int nulls = 0;
  for (size_t i = 0; i < nasty.size(); ++i) {
    AuditEvent e = MakeEvent(static_cast<int>(i));
    e.type = "t." + nasty[i];
    e.session_id = i % 5 == 4 ? "" : nasty[i];
    nulls += e.session_id.empty();
    e.Set("text", nasty[nasty.size() - 1 - i]);
    ASSERT_TRUE((*sink)->Write(e).ok()) << i;
  }
  ASSERT_TRUE((*sink)->Close().ok());  // 3 batches of 4 and the last 3 rows: all COPY
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, nasty.size());
  ASSERT_EQ(r.writers.size(), 1u);
  EXPECT_EQ(r.writers[0].writer_id, writer);

  PGconn* c = PQconnectdb(server_->dsn().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK);
  PGresult* rows = PQexec(
      c, absl::StrCat("SELECT seq, type, session_id, writer_id FROM ", table_, " ORDER BY seq")
             .c_str());
  ASSERT_EQ(PQresultStatus(rows), PGRES_TUPLES_OK);
  ASSERT_EQ(PQntuples(rows), static_cast<int>(nasty.size()));
  int null_rows = 0;
  for (int i = 0; i < PQntuples(rows); ++i) {
    EXPECT_EQ(PQgetvalue(rows, i, 0), absl::StrCat(i + 1));
    EXPECT_EQ(PQgetvalue(rows, i, 1), "t." + nasty[i]) << i;
    if (PQgetisnull(rows, i, 2)) {
      ++null_rows;
      EXPECT_EQ(i % 5, 4) << i;
    } else {
      EXPECT_EQ(PQgetvalue(rows, i, 2), nasty[i]) << i;  // "\\N" is text, not NULL
    }
    EXPECT_EQ(PQgetvalue(rows, i, 3), writer);
  }
  EXPECT_EQ(null_rows, nulls);
  PQclear(rows);
  PQfinish(c);
}

// A COPY that fails part-way (here on row 4 of 5) leaves none of its rows, and breaks the sink.
TEST_F(PostgresAuditTest, AFailedCopyLeavesNoRowOfItsBatch) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w", 5));
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_EQ(Sql(absl::StrCat("INSERT INTO ", table_,
                             " VALUES ('w', 4, now(), 'x', NULL, 'squatter', 'h')")),
            "");
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  absl::Status s = (*sink)->Write(MakeEvent(5));  // the batch of 5 collides on seq 4
  EXPECT_EQ(ErrorReason(s), "io_error");
  EXPECT_FALSE((*sink)->Write(MakeEvent(6)).ok());  // broken from now on
  EXPECT_FALSE((*sink)->Flush().ok());
  PGconn* c = PQconnectdb(server_->dsn().c_str());
  PGresult* n = PQexec(c, absl::StrCat("SELECT count(*) FROM ", table_).c_str());
  ASSERT_EQ(PQresultStatus(n), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(n, 0, 0), "1");  // only the squatter
  PQclear(n);
  PQfinish(c);
}

// What the server would refuse (NUL in a text column, a record that is not UTF-8) is refused as a
// bad event before it takes a seq, so it cannot fail a whole batch and break the sink.
TEST_F(PostgresAuditTest, RowsTheServerWouldRefuseAreBadEvents) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w", 3));
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Write(MakeEvent(1)).ok());
  AuditEvent nul_session = MakeEvent(2);
  nul_session.session_id = std::string("s\0x", 3);
  EXPECT_EQ(ErrorReason((*sink)->Write(nul_session)), "bad_event");
  AuditEvent nul_type = MakeEvent(2);
  nul_type.type = std::string("t\0", 2);
  EXPECT_EQ(ErrorReason((*sink)->Write(nul_type)), "bad_event");
  AuditEvent latin1 = MakeEvent(2);
  latin1.Set("prompt", "caf\xe9");
  EXPECT_EQ(ErrorReason((*sink)->Write(latin1)), "bad_event");
  for (int i = 2; i <= 4; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  EXPECT_EQ((*sink)->Checkpoint().records, 4u);
  ASSERT_TRUE((*sink)->Close().ok());
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 4u);

  PostgresAuditSinkOptions o = Options(std::string("w\0", 2));
  EXPECT_EQ(ErrorReason(PostgresAuditSink::Open(server_->dsn(), o).status()), "bad_options");
}

// The two sinks share one chain implementation: the same events under the same key make the same
// records, byte for byte, and the same checkpoint; a reopened sink continues both alike.
TEST_F(PostgresAuditTest, SameEventsChainLikeTheFileSink) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/pg_vs_file_", getpid(), ".log");
  std::filesystem::remove(path);
  FileAuditSinkOptions fo;
  fo.hmac_key = SecretBytes("postgres chain key of 32 bytes!!");
  fo.fsync = FsyncPolicy::kNever;
  fo.masking = AuditMasking::kOff;
  AuditCheckpoint file_cp, pg_cp;
  for (int round = 0; round < 2; ++round) {  // the second round reopens both
    auto file = FileAuditSink::Open(path, fo);
    auto pg = PostgresAuditSink::Open(server_->dsn(), Options("w", 3));
    ASSERT_TRUE(file.ok() && pg.ok());
    EXPECT_EQ((*file)->Checkpoint().ToString(), (*pg)->Checkpoint().ToString());
    for (int i = 1; i <= 7; ++i) {
      ASSERT_TRUE((*file)->Write(MakeEvent(round * 10 + i)).ok());
      ASSERT_TRUE((*pg)->Write(MakeEvent(round * 10 + i)).ok());
    }
    file_cp = (*file)->Checkpoint();
    pg_cp = (*pg)->Checkpoint();
    EXPECT_EQ(file_cp.ToString(), pg_cp.ToString());
    ASSERT_TRUE((*file)->Close().ok());
    ASSERT_TRUE((*pg)->Close().ok());
  }
  EXPECT_EQ(pg_cp.records, 14u);
  std::vector<std::string> lines = audit_test::ReadLines(path);
  PGconn* c = PQconnectdb(server_->dsn().c_str());
  PGresult* rows = PQexec(c, absl::StrCat("SELECT record FROM ", table_, " ORDER BY seq").c_str());
  ASSERT_EQ(PQresultStatus(rows), PGRES_TUPLES_OK);
  ASSERT_EQ(PQntuples(rows), static_cast<int>(lines.size()));
  for (int i = 0; i < PQntuples(rows); ++i) EXPECT_EQ(PQgetvalue(rows, i, 0), lines[i]) << i;
  PQclear(rows);
  PQfinish(c);
  std::filesystem::remove(path);
}

TEST_F(PostgresAuditTest, ManyReplicasWriteAtOnceEachWithItsOwnChain) {
  std::vector<std::thread> replicas;
  for (int w = 0; w < 4; ++w) {
    replicas.emplace_back([&, w] {
      auto sink = PostgresAuditSink::Open(server_->dsn(), Options(absl::StrCat("replica-", w), 7));
      ASSERT_TRUE(sink.ok()) << sink.status();
      for (int i = 0; i < 100; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
      ASSERT_TRUE((*sink)->Close().ok());
    });
  }
  for (auto& t : replicas) t.join();
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 400u);
  ASSERT_EQ(r.writers.size(), 4u);
  for (const auto& w : r.writers) EXPECT_EQ(w.result.records, 100u) << w.writer_id;
}

TEST_F(PostgresAuditTest, UpdateDeleteAndTruncateAreRefused) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w"));
  ASSERT_TRUE(sink.ok());
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_NE(Sql(absl::StrCat("UPDATE ", table_, " SET type = 'x'")), "");
  EXPECT_NE(Sql(absl::StrCat("DELETE FROM ", table_, " WHERE seq = 2")), "");
  EXPECT_NE(Sql(absl::StrCat("TRUNCATE ", table_)), "");
  EXPECT_EQ(VerifyTable().records, 3u);
}

TEST_F(PostgresAuditTest, TamperingPastTheTriggerIsDetected) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w"));
  ASSERT_TRUE(sink.ok());
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  // A superuser can disable the trigger; the chain still tells.
  ASSERT_EQ(Sql(absl::StrCat("ALTER TABLE ", table_, " DISABLE TRIGGER USER")), "");
  ASSERT_EQ(
      Sql(absl::StrCat("UPDATE ", table_,
                       " SET record = replace(record, '\"alice\"', '\"bob\"') WHERE seq = 4")),
      "");
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.writers.size(), 1u);
  EXPECT_EQ(r.writers[0].result.first_bad, 4u);
  EXPECT_EQ(r.writers[0].result.reason, "bad_hash");

  ASSERT_EQ(Sql(absl::StrCat("DELETE FROM ", table_, " WHERE seq = 4")), "");
  r = VerifyTable();
  EXPECT_EQ(r.writers[0].result.first_bad, 4u);
  EXPECT_EQ(r.writers[0].result.reason, "bad_seq");

  ASSERT_EQ(Sql(absl::StrCat("UPDATE ", table_, " SET session_id = 'other' WHERE seq = 7")), "");
  r = VerifyTable();
  EXPECT_EQ(r.writers[0].result.first_bad, 4u);  // still the first problem

  ASSERT_EQ(Sql(absl::StrCat("DELETE FROM ", table_, " WHERE seq <= 5")), "");
  r = VerifyTable();
  EXPECT_EQ(r.writers[0].result.first_bad, 1u);
  EXPECT_EQ(r.writers[0].result.reason, "bad_start");
}

TEST_F(PostgresAuditTest, ConvenienceColumnsMustMatchTheRecord) {
  auto sink = PostgresAuditSink::Open(server_->dsn(), Options("w"));
  ASSERT_TRUE(sink.ok());
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  ASSERT_EQ(Sql(absl::StrCat("ALTER TABLE ", table_, " DISABLE TRIGGER USER")), "");
  ASSERT_EQ(Sql(absl::StrCat("UPDATE ", table_, " SET session_id = 'other' WHERE seq = 3")), "");
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.writers[0].result.first_bad, 3u);
  EXPECT_EQ(r.writers[0].result.reason, "column_mismatch");
  EXPECT_EQ(r.writers[0].result.records, 2u);
}

TEST_F(PostgresAuditTest, TwoLiveWritersWithOneIdFailClosed) {
  auto a = PostgresAuditSink::Open(server_->dsn(), Options("same"));
  auto b = PostgresAuditSink::Open(server_->dsn(), Options("same"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Write(MakeEvent(1)).ok());
  absl::Status s = (*b)->Write(MakeEvent(2));  // same seq 1: primary key violation
  EXPECT_EQ(ErrorReason(s), "io_error");
  EXPECT_FALSE((*b)->Write(MakeEvent(3)).ok());  // broken from now on
  EXPECT_TRUE(VerifyTable().ok);
}

TEST_F(PostgresAuditTest, BadOptionsAndUnreachableServer) {
  PostgresAuditSinkOptions o = Options("w");
  o.table = "bad; drop table x";
  EXPECT_EQ(ErrorReason(PostgresAuditSink::Open(server_->dsn(), o).status()), "bad_options");
  auto down = PostgresAuditSink::Open("host=127.0.0.1 port=1 user=postgres connect_timeout=2",
                                      Options("w"));
  EXPECT_EQ(ErrorReason(down.status()), "io_error");
  EXPECT_EQ(down.status().message().find("password"), std::string::npos);
}

}  // namespace
}  // namespace jitguard
