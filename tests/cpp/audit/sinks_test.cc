#include <atomic>
#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "lib/base/mutex.h"
#include "tests/cpp/audit/test_util.h"
#include "tests/cpp/testing/process.h"

namespace jitguard {
namespace {

using audit_test::MakeEvent;

// A callback sink that records what it sees and can be held at a gate.
struct Recorder {
  base::Mutex mu;
  std::vector<AuditEvent> events;
  std::latch* gate = nullptr;  // opened by count_down()
  absl::Status fail_with;
  int flushes = 0;

  std::shared_ptr<AuditSink> Sink() {
    auto sink = NewCallbackSink(
        [this](const AuditEvent& e) {
          if (gate != nullptr) gate->wait();
          base::MutexLock lock(&mu);
          if (!fail_with.ok()) return fail_with;
          events.push_back(e);
          return absl::OkStatus();
        },
        [this] {
          base::MutexLock lock(&mu);
          ++flushes;
          return absl::OkStatus();
        });
    EXPECT_TRUE(sink.ok());
    return std::shared_ptr<AuditSink>(*std::move(sink));
  }
  size_t size() {
    base::MutexLock lock(&mu);
    return events.size();
  }
};

TEST(CallbackSinkTest, HandsOverEventsAndStampsTime) {
  Recorder rec;
  auto sink = rec.Sink();
  AuditEvent e;
  e.type = "session.start";
  ASSERT_TRUE(sink->Write(e).ok());
  ASSERT_TRUE(sink->Write(MakeEvent(2)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(rec.flushes, 1);
  ASSERT_EQ(rec.size(), 2u);
  EXPECT_NE(rec.events[0].time, absl::InfinitePast());
  EXPECT_EQ(rec.events[1].request_id, "r-2");
  EXPECT_EQ(sink->Name(), "callback");
  ASSERT_TRUE(sink->Close().ok());
  EXPECT_EQ(ErrorReason(sink->Write(e)), "closed");
  EXPECT_EQ(ErrorReason(NewCallbackSink(nullptr).status()), "bad_options");
}

TEST(CallbackSinkTest, ErrorsPropagate) {
  Recorder rec;
  rec.fail_with = absl::UnavailableError("down");
  auto sink = rec.Sink();
  EXPECT_FALSE(sink->Write(MakeEvent(1)).ok());
}

TEST(TeeSinkTest, WritesIdenticalRecordsToEverySink) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-tee-");
  ASSERT_TRUE(dir.ok());
  FileAuditSinkOptions o;
  o.masking = AuditMasking::kOff;
  o.fsync = FsyncPolicy::kNever;
  auto a = FileAuditSink::Open(*dir + "/a.log", o);
  auto b = FileAuditSink::Open(*dir + "/b.log", o);
  ASSERT_TRUE(a.ok() && b.ok());
  Recorder rec;
  auto tee = NewTeeSink({std::shared_ptr<AuditSink>(*std::move(a)),
                         std::shared_ptr<AuditSink>(*std::move(b)), rec.Sink()});
  ASSERT_TRUE(tee.ok());
  for (int i = 0; i < 10; ++i) {
    AuditEvent e = MakeEvent(i);
    e.time = absl::InfinitePast();  // stamped once by the tee, so the copies agree byte for byte
    ASSERT_TRUE((*tee)->Write(e).ok());
  }
  ASSERT_TRUE((*tee)->Close().ok());
  EXPECT_EQ(audit_test::ReadFile(*dir + "/a.log"), audit_test::ReadFile(*dir + "/b.log"));
  EXPECT_EQ(rec.size(), 10u);
  EXPECT_EQ(ErrorReason(NewTeeSink({}).status()), "bad_options");
  std::filesystem::remove_all(*dir);
}

TEST(TeeSinkTest, OneFailingSinkStillFeedsTheOthers) {
  Recorder bad, good;
  bad.fail_with = absl::UnavailableError("down");
  auto tee = NewTeeSink({bad.Sink(), good.Sink()});
  ASSERT_TRUE(tee.ok());
  EXPECT_FALSE((*tee)->Write(MakeEvent(1)).ok());
  EXPECT_EQ(good.size(), 1u);
}

TEST(AsyncSinkTest, DeliversEverythingInOrderAndFlushWaits) {
  Recorder rec;
  auto sink = AsyncAuditSink::Create(rec.Sink(), {.capacity = 16});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*sink)->Write(MakeEvent(i)).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  ASSERT_EQ(rec.size(), 1000u);  // Flush returned only after the queue drained
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(rec.events[static_cast<size_t>(i)].request_id, absl::StrCat("r-", i));
  AuditSinkCounters c = (*sink)->Counters();
  EXPECT_EQ(c.written, 1000u);
  EXPECT_EQ(c.queue_depth, 0u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(rec.flushes, 1);
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ErrorReason((*sink)->Write(MakeEvent(1))), "closed");
}

TEST(AsyncSinkTest, FullQueueErrorsAfterTimeoutNeverDrops) {
  Recorder rec;
  std::latch gate(1);
  rec.gate = &gate;
  auto sink = AsyncAuditSink::Create(
      rec.Sink(),
      {.capacity = 4, .on_full = QueueFullPolicy::kError, .full_timeout = absl::Milliseconds(20)});
  ASSERT_TRUE(sink.ok());
  // One event is held by the writer thread at the gate; four fill the queue.
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 10; ++i) {
    absl::Status s = (*sink)->Write(MakeEvent(i));
    if (s.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(ErrorReason(s), "queue_full");
      ++rejected;
    }
  }
  EXPECT_GE(accepted, 4);
  EXPECT_LE(accepted, 5);
  EXPECT_EQ(accepted + rejected, 10);
  EXPECT_EQ((*sink)->Counters().errors, static_cast<uint64_t>(rejected));
  EXPECT_GE((*sink)->Counters().queue_depth, 4u);
  gate.count_down();
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_EQ(rec.size(), static_cast<size_t>(accepted));  // every accepted event arrived
  ASSERT_TRUE((*sink)->Close().ok());
}

TEST(AsyncSinkTest, FullQueueBlocksByDefault) {
  Recorder rec;
  std::latch gate(1);
  rec.gate = &gate;
  auto sink = AsyncAuditSink::Create(rec.Sink(), {.capacity = 2});
  ASSERT_TRUE(sink.ok());
  std::atomic<int> done{0};
  std::thread producer([&] {
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE((*sink)->Write(MakeEvent(i)).ok());
      ++done;
    }
  });
  // The producer cannot get far while the writer is held.
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while ((*sink)->Counters().queue_depth < 2 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(1));
  EXPECT_LE(done.load(), 3);
  gate.count_down();
  producer.join();
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(rec.size(), 20u);
}

TEST(AsyncSinkTest, InnerErrorIsSticky) {
  Recorder rec;
  rec.fail_with = absl::UnavailableError("disk gone");
  auto sink = AsyncAuditSink::Create(rec.Sink());
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(MakeEvent(1)).ok());  // accepted into the queue
  EXPECT_FALSE((*sink)->Flush().ok());             // ...and the failure surfaces here
  EXPECT_FALSE((*sink)->Write(MakeEvent(2)).ok());
  EXPECT_GE((*sink)->Counters().errors, 1u);
  EXPECT_FALSE((*sink)->Close().ok());
  EXPECT_EQ(ErrorReason(AsyncAuditSink::Create(nullptr).status()), "bad_options");
}

TEST(AsyncSinkTest, FeedsAFileSinkThatVerifies) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("jg-async-");
  ASSERT_TRUE(dir.ok());
  FileAuditSinkOptions o;
  o.hmac_key = SecretBytes("k");
  o.masking = AuditMasking::kOff;
  auto file = FileAuditSink::Open(*dir + "/audit.log", o);
  ASSERT_TRUE(file.ok());
  auto sink = AsyncAuditSink::Create(std::shared_ptr<AuditSink>(*std::move(file)));
  ASSERT_TRUE(sink.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) EXPECT_TRUE((*sink)->Write(MakeEvent(i)).ok());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*sink)->Close().ok());
  auto r = VerifyAuditLog(*dir + "/audit.log", SecretBytes("k"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->records, 900u);
  std::filesystem::remove_all(*dir);
}

}  // namespace
}  // namespace jitguard
