// PostgresAuditSink against a real PostgreSQL started on loopback for this suite.
#include <libpq-fe.h>

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
  ASSERT_TRUE((*again)->Close().ok());  // one transaction over two INSERT statements
  AuditTableVerifyResult r = VerifyTable();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.records, 1500u);
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
