// The approval rules, for both stores (memory, and a real redis-server on loopback), plus races,
// audit events, two processes sharing Redis and a Redis outage.
#include "jitguard/approval.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"
#include "lib/base/mutex.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard {
namespace {

using ::jitguard::testing::RedisServer;
using ::jitguard::testing::SharedRedisServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// An AuditSink that keeps what it is given (the real interface; jitguard's own sinks are tested by
// the audit suite).
class RecordingSink : public AuditSink {
 public:
  absl::Status Write(const AuditEvent& event) override {
    base::MutexLock lock(&mu_);
    if (fail_) return absl::UnavailableError("sink down");
    events_.push_back(event);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string_view Name() const override { return "recording"; }

  std::vector<AuditEvent> events() {
    base::MutexLock lock(&mu_);
    return events_;
  }
  void set_fail(bool fail) {
    base::MutexLock lock(&mu_);
    fail_ = fail;
  }

 private:
  base::Mutex mu_;
  std::vector<AuditEvent> events_;
  bool fail_ = false;
};

std::string FieldString(const AuditEvent& e, std::string_view name) {
  for (const auto& [k, v] : e.fields) {
    if (k == name && v.kind() == AuditValue::Kind::kString) return v.string_value();
  }
  return "";
}

enum class Backend { kMemory, kRedis };

std::shared_ptr<ApprovalStore> MakeStore(Backend backend,
                                         std::shared_ptr<AuditSink> audit = nullptr) {
  if (backend == Backend::kMemory) {
    return *NewMemoryApprovalStore({.common = {.audit = audit}});
  }
  absl::StatusOr<std::shared_ptr<ApprovalStore>> store =
      NewRedisApprovalStore({.common = {.audit = audit},
                             .url = SharedRedisServer().url(),
                             .timeout = absl::Milliseconds(500)});
  EXPECT_TRUE(store.ok()) << store.status();
  return *store;
}

const std::string kDigest = RequestDigest("alice", "gpt-x", "hr", "export", "all salaries please");

ApprovalRequest Req(int min_approvals = 1) {
  return ApprovalRequest{.subject = "alice",
                         .request_digest = kDigest,
                         .reason = "quarterly audit",
                         .approver_groups = {"security", "hr-leads"},
                         .ttl = absl::Minutes(30),
                         .min_approvals = min_approvals,
                         .access_window = absl::Minutes(10)};
}

ApprovalVote Vote(std::string who, Verdict verdict = Verdict::kApprove,
                  std::vector<std::string> groups = {"security"}) {
  return ApprovalVote{
      .approver = std::move(who), .groups = std::move(groups), .verdict = verdict, .comment = "ok"};
}

class ApprovalStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::shared_ptr<ApprovalStore> store_ = MakeStore(GetParam(), sink_);

  std::string File(int min_approvals = 1) {
    absl::StatusOr<ApprovalTicket> t = store_->Request(Req(min_approvals), kNow);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->id : "";
  }
  ApprovalState State(const std::string& id, absl::Time now = kNow) {
    absl::StatusOr<ApprovalTicket> t = store_->Get(id, now);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->state : ApprovalState::kPending;
  }
};

TEST_P(ApprovalStoreTest, ApproveThenConsumeOnce) {
  absl::StatusOr<ApprovalTicket> filed = store_->Request(Req(), kNow);
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->id.size(), 32u);
  EXPECT_EQ(filed->state, ApprovalState::kPending);
  EXPECT_EQ(filed->expires_at, kNow + absl::Minutes(30));

  absl::StatusOr<ApprovalTicket> decided =
      store_->Decide(filed->id, Vote("bob"), kNow + absl::Minutes(1));
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->state, ApprovalState::kApproved);
  ASSERT_EQ(decided->decisions.size(), 1u);
  EXPECT_EQ(decided->decisions[0].approver, "bob");
  EXPECT_THAT(decided->decisions[0].groups, ElementsAre("security"));
  EXPECT_EQ(decided->decisions[0].at, kNow + absl::Minutes(1));
  EXPECT_EQ(decided->decisions[0].comment, "ok");

  // The stored ticket round-trips every field.
  absl::StatusOr<ApprovalTicket> got = store_->Get(filed->id, kNow + absl::Minutes(2));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->subject, "alice");
  EXPECT_EQ(got->request_digest, kDigest);
  EXPECT_EQ(got->reason, "quarterly audit");
  EXPECT_THAT(got->approver_groups, ElementsAre("security", "hr-leads"));
  EXPECT_EQ(got->created_at, kNow);
  EXPECT_EQ(got->decided_at, kNow + absl::Minutes(1));
  EXPECT_EQ(got->access_window, absl::Minutes(10));
  EXPECT_EQ(got->state, ApprovalState::kApproved);

  absl::StatusOr<ApprovalTicket> used =
      store_->Consume(filed->id, kDigest, kNow + absl::Minutes(3));
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_EQ(used->state, ApprovalState::kConsumed);
  EXPECT_EQ(used->consumed_at, kNow + absl::Minutes(3));
  EXPECT_EQ(State(filed->id, kNow + absl::Minutes(4)), ApprovalState::kConsumed);
  EXPECT_EQ(ErrorReason(store_->Consume(filed->id, kDigest, kNow + absl::Minutes(4)).status()),
            "already_consumed");
  // Consumed stays consumed, even after the access window.
  EXPECT_EQ(State(filed->id, kNow + absl::Hours(2)), ApprovalState::kConsumed);
}

TEST_P(ApprovalStoreTest, NoSelfApproval) {
  const std::string id = File();
  absl::Status s = store_->Decide(id, Vote("alice"), kNow).status();
  EXPECT_EQ(ErrorReason(s), "self_approval");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kApproval);
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("alice", Verdict::kDeny), kNow).status()),
            "self_approval");
  EXPECT_EQ(State(id), ApprovalState::kPending);
}

TEST_P(ApprovalStoreTest, ApproverMustBeInAnApproverGroup) {
  const std::string id = File();
  EXPECT_EQ(
      ErrorReason(
          store_->Decide(id, Vote("mallory", Verdict::kApprove, {"engineering"}), kNow).status()),
      "not_an_approver");
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("mallory", Verdict::kApprove, {}), kNow).status()),
            "not_an_approver");
  EXPECT_EQ(State(id), ApprovalState::kPending);
  // Any one of the groups is enough.
  EXPECT_TRUE(store_->Decide(id, Vote("carol", Verdict::kApprove, {"x", "hr-leads"}), kNow).ok());
}

TEST_P(ApprovalStoreTest, MinApprovalsCountsDistinctApprovers) {
  const std::string id = File(/*min_approvals=*/2);
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
  EXPECT_EQ(State(id), ApprovalState::kPending);
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("bob"), kNow).status()), "duplicate_approver");
  EXPECT_EQ(ErrorReason(store_->Consume(id, kDigest, kNow).status()), "not_approved");
  absl::StatusOr<ApprovalTicket> t = store_->Decide(id, Vote("carol"), kNow + absl::Seconds(5));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->state, ApprovalState::kApproved);
  EXPECT_EQ(t->decided_at, kNow + absl::Seconds(5));
  EXPECT_EQ(t->decisions.size(), 2u);
}

TEST_P(ApprovalStoreTest, AnyDenialIsFinal) {
  const std::string id = File(/*min_approvals=*/2);
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
  absl::StatusOr<ApprovalTicket> denied = store_->Decide(id, Vote("carol", Verdict::kDeny), kNow);
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->state, ApprovalState::kDenied);
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("dave"), kNow).status()), "already_decided");
  absl::Status consume = store_->Consume(id, kDigest, kNow).status();
  EXPECT_EQ(ErrorReason(consume), "denied");
  EXPECT_EQ(consume.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(State(id), ApprovalState::kDenied);
  EXPECT_EQ(State(id, kNow + absl::Hours(24)), ApprovalState::kDenied);  // denial does not expire
}

TEST_P(ApprovalStoreTest, DecidedTicketStaysDecided) {
  const std::string id = File();
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("carol", Verdict::kDeny), kNow).status()),
            "already_decided");
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("carol"), kNow).status()), "already_decided");
  EXPECT_EQ(State(id), ApprovalState::kApproved);
}

TEST_P(ApprovalStoreTest, PendingTicketsExpire) {
  const std::string id = File();
  EXPECT_EQ(State(id, kNow + absl::Minutes(30) - absl::Seconds(1)), ApprovalState::kPending);
  EXPECT_EQ(State(id, kNow + absl::Minutes(30)), ApprovalState::kExpired);
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("bob"), kNow + absl::Minutes(31)).status()),
            "expired");
  EXPECT_EQ(ErrorReason(store_->Consume(id, kDigest, kNow + absl::Minutes(31)).status()),
            "expired");
  // Before its deadline the same ticket can still be approved.
  EXPECT_TRUE(store_->Decide(id, Vote("bob"), kNow + absl::Minutes(29)).ok());
}

TEST_P(ApprovalStoreTest, ApprovalIsUsableOnlyWithinTheAccessWindow) {
  const std::string id = File();
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow + absl::Minutes(5)).ok());
  EXPECT_EQ(State(id, kNow + absl::Minutes(15) - absl::Seconds(1)), ApprovalState::kApproved);
  EXPECT_EQ(State(id, kNow + absl::Minutes(15)), ApprovalState::kExpired);
  EXPECT_EQ(ErrorReason(store_->Consume(id, kDigest, kNow + absl::Minutes(15)).status()),
            "expired");
  EXPECT_TRUE(store_->Consume(id, kDigest, kNow + absl::Minutes(14)).ok());
}

TEST_P(ApprovalStoreTest, ConsumeNeedsTheSameRequest) {
  const std::string id = File();
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
  const std::string other = RequestDigest("alice", "gpt-x", "hr", "export", "all salaries please!");
  absl::Status s = store_->Consume(id, other, kNow).status();
  EXPECT_EQ(ErrorReason(s), "digest_mismatch");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(store_->Consume(id, "", kNow).status()), "digest_mismatch");
  // A mismatch does not use up the approval.
  EXPECT_EQ(State(id), ApprovalState::kApproved);
  EXPECT_TRUE(store_->Consume(id, kDigest, kNow).ok());
}

TEST_P(ApprovalStoreTest, UnknownTicketsAreNotFound) {
  for (const std::string& id : {std::string(32, 'a'), std::string("short"), std::string(""),
                                std::string(32, 'A'), std::string("../../etc/passwd")}) {
    EXPECT_EQ(ErrorReason(store_->Get(id, kNow).status()), "not_found") << id;
    EXPECT_EQ(store_->Get(id, kNow).status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("bob"), kNow).status()), "not_found");
    EXPECT_EQ(ErrorReason(store_->Consume(id, kDigest, kNow).status()), "not_found");
  }
}

TEST_P(ApprovalStoreTest, RequestsAreValidated) {
  auto reason = [&](ApprovalRequest r) { return ErrorReason(store_->Request(r, kNow).status()); };
  ApprovalRequest r = Req();
  r.subject = "";
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.request_digest = "abc";
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.request_digest = std::string(64, 'G');
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.approver_groups = {};
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.approver_groups = {""};
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req(/*min_approvals=*/0);
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.ttl = absl::ZeroDuration();
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.access_window = -absl::Seconds(1);
  EXPECT_EQ(reason(r), "invalid_request");
  r = Req();
  r.reason = std::string(4097, 'x');
  EXPECT_EQ(reason(r), "invalid_request");
  // Ids are fresh each time.
  EXPECT_NE(File(), File());
}

TEST_P(ApprovalStoreTest, ReasonAndCommentsKeepArbitraryText) {
  ApprovalRequest r = Req();
  r.reason = "quote \" backslash \\ newline \n unicode \xc3\xa9 nul-free";
  absl::StatusOr<ApprovalTicket> t = store_->Request(r, kNow);
  ASSERT_TRUE(t.ok());
  ApprovalVote v = Vote("bob");
  v.comment = "{\"json\": [1,2]}\t";
  ASSERT_TRUE(store_->Decide(t->id, v, kNow).ok());
  absl::StatusOr<ApprovalTicket> got = store_->Get(t->id, kNow);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->reason, r.reason);
  EXPECT_EQ(got->decisions.at(0).comment, v.comment);
}

TEST_P(ApprovalStoreTest, EightThreadsRacingToConsumeOneApprovalExactlyOneWins) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 15; ++round) {
    const std::string id = File();
    ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
    std::atomic<int> wins{0}, already{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        absl::Status s = store_->Consume(id, kDigest, kNow).status();
        if (s.ok()) wins.fetch_add(1);
        if (ErrorReason(s) == "already_consumed") already.fetch_add(1);
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(already.load(), kThreads - 1) << "round " << round;
  }
}

TEST_P(ApprovalStoreTest, EightApproversRacingRecordExactlyOneDecision) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string id = File();
    std::atomic<int> wins{0}, already{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // Half approve, half deny: whichever lands first decides, the rest are refused.
        absl::Status s = store_
                             ->Decide(id,
                                      Vote(absl::StrCat("approver", t),
                                           t % 2 ? Verdict::kDeny : Verdict::kApprove),
                                      kNow)
                             .status();
        if (s.ok()) wins.fetch_add(1);
        if (ErrorReason(s) == "already_decided") already.fetch_add(1);
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(wins.load(), 1);
    ASSERT_EQ(already.load(), kThreads - 1);
    absl::StatusOr<ApprovalTicket> t = store_->Get(id, kNow);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->decisions.size(), 1u);
  }
}

TEST_P(ApprovalStoreTest, EveryStepIsAudited) {
  const std::string id = File();
  ASSERT_FALSE(store_->Decide(id, Vote("alice"), kNow).ok());
  ASSERT_TRUE(store_->Decide(id, Vote("bob"), kNow).ok());
  ASSERT_FALSE(store_->Consume(id, RequestDigest("a", "b", "c", "d", "e"), kNow).ok());
  ASSERT_TRUE(store_->Consume(id, kDigest, kNow).ok());
  const std::string late = File();
  ASSERT_FALSE(store_->Consume(late, kDigest, kNow + absl::Hours(1)).ok());

  std::vector<AuditEvent> events = sink_->events();
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].type, audit_type::kApprovalRequested);
  EXPECT_EQ(events[0].subject, "alice");
  EXPECT_EQ(FieldString(events[0], audit_field::kTicketId), id);
  EXPECT_EQ(events[1].type, audit_type::kApprovalDecided);
  EXPECT_EQ(FieldString(events[1], audit_field::kReason), "self_approval");
  EXPECT_EQ(events[2].type, audit_type::kApprovalDecided);
  EXPECT_EQ(events[2].subject, "bob");
  EXPECT_EQ(events[2].decision, "approve");
  EXPECT_EQ(FieldString(events[2], "state"), "approved");
  EXPECT_EQ(events[3].type, audit_type::kApprovalConsumed);
  EXPECT_EQ(FieldString(events[3], audit_field::kReason), "digest_mismatch");
  EXPECT_EQ(events[4].type, audit_type::kApprovalConsumed);
  EXPECT_EQ(events[4].decision, "consumed");
  EXPECT_EQ(events[4].subject, "alice");
  EXPECT_EQ(events[5].type, audit_type::kApprovalRequested);
  EXPECT_EQ(events[6].type, audit_type::kApprovalExpired);
  for (const AuditEvent& e : events) {
    EXPECT_EQ(e.time, e.type == audit_type::kApprovalExpired ? kNow + absl::Hours(1) : kNow);
  }
}

TEST_P(ApprovalStoreTest, AFailingAuditSinkFailsTheCall) {
  const std::string id = File();
  sink_->set_fail(true);
  EXPECT_FALSE(store_->Request(Req(), kNow).ok());
  // A refusal stays the refusal.
  EXPECT_EQ(ErrorReason(store_->Decide(id, Vote("alice"), kNow).status()), "self_approval");
  // A transition that happened but could not be audited is reported as a failure, so the caller
  // does not act on it (the stored state has moved on: documented in ApprovalStoreOptions::audit).
  EXPECT_FALSE(store_->Decide(id, Vote("bob"), kNow).ok());
  EXPECT_FALSE(store_->Consume(id, kDigest, kNow).ok());
  sink_->set_fail(false);
  EXPECT_EQ(ErrorReason(store_->Consume(id, kDigest, kNow).status()), "already_consumed");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApprovalStoreTest,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kMemory ? "Memory" : "Redis";
                         });

TEST(RequestDigestTest, MatchesTheDocumentedEncoding) {
  // Computed independently (Python hashlib + struct.pack(">Q", len) per field, tag first).
  EXPECT_EQ(RequestDigest("alice", "gpt-x", "hr", "infer", "export all salaries"),
            "fe43b1a101280f43f174f2da31c45ea91ffc4e2e87c3b0e16dc89ef886fd4da6");
  EXPECT_EQ(RequestDigest("", "", "", "", ""),
            "7b7d39c4d4ba871c5e451cf65c261320211d9e8688be1a871ecce3aefd6cd9aa");
}

TEST(RequestDigestTest, FieldBoundariesMatter) {
  EXPECT_NE(RequestDigest("ab", "c", "d", "e", "f"), RequestDigest("a", "bc", "d", "e", "f"));
  EXPECT_NE(RequestDigest("a", "", "b", "c", "d"), RequestDigest("a", "b", "", "c", "d"));
  EXPECT_NE(RequestDigest("a", "b", "c", "d", ""), RequestDigest("a", "b", "c", "", "d"));
  EXPECT_NE(RequestDigest("a", "b", "c", "d", std::string("e\0", 2)),
            RequestDigest("a", "b", "c", "d", "e"));
  EXPECT_EQ(RequestDigest("a", "b", "c", "d", "e").size(), 64u);
}

TEST(ApprovalStoreTest, StatesHaveStableNames) {
  EXPECT_EQ(ApprovalStateName(ApprovalState::kPending), "pending");
  EXPECT_EQ(ApprovalStateName(ApprovalState::kApproved), "approved");
  EXPECT_EQ(ApprovalStateName(ApprovalState::kDenied), "denied");
  EXPECT_EQ(ApprovalStateName(ApprovalState::kExpired), "expired");
  EXPECT_EQ(ApprovalStateName(ApprovalState::kConsumed), "consumed");
  EXPECT_EQ((*NewMemoryApprovalStore())->Name(), "memory");
  EXPECT_EQ((*NewRedisApprovalStore({.url = "redis://127.0.0.1:1"}))->Name(), "redis");
  EXPECT_EQ(ErrorReason(NewRedisApprovalStore({.url = "nope"}).status()), "invalid_url");
}

TEST(MemoryApprovalStoreTest, BoundedAndDropsOnlyTicketsPastRetention) {
  std::shared_ptr<ApprovalStore> store =
      *NewMemoryApprovalStore({.common = {.retention = absl::Hours(1)}, .capacity = 2});
  ASSERT_TRUE(store->Request(Req(), kNow).ok());
  ASSERT_TRUE(store->Request(Req(), kNow).ok());
  absl::Status full = store->Request(Req(), kNow).status();
  EXPECT_EQ(ErrorReason(full), "approval_store_full");
  // ttl 30 min + retention 1 h: after that the old tickets give their room.
  EXPECT_TRUE(store->Request(Req(), kNow + absl::Minutes(91)).ok());
}

TEST(RedisApprovalStoreTest, TwoProcessesShareTickets) {
  std::shared_ptr<ApprovalStore> here = MakeStore(Backend::kRedis);
  absl::StatusOr<ApprovalTicket> t = here->Request(Req(), kNow);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(here->Decide(t->id, Vote("bob"), kNow).ok());
  const std::string url = SharedRedisServer().url();
  const std::string id = t->id;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::shared_ptr<ApprovalStore>> there = NewRedisApprovalStore({.url = url});
    if (!there.ok()) _exit(2);
    _exit((*there)->Consume(id, kDigest, kNow).ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ErrorReason(here->Consume(id, kDigest, kNow).status()), "already_consumed");
}

TEST(RedisApprovalStoreTest, OutageFailsClosedAndRecovers) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<ApprovalStore> store = *NewRedisApprovalStore({.url = (*server)->url()});
  absl::StatusOr<ApprovalTicket> t = store->Request(Req(), kNow);
  ASSERT_TRUE(t.ok());
  (*server)->Stop();
  for (absl::Status s :
       {store->Request(Req(), kNow).status(), store->Decide(t->id, Vote("bob"), kNow).status(),
        store->Get(t->id, kNow).status(), store->Consume(t->id, kDigest, kNow).status()}) {
    EXPECT_EQ(ErrorReason(s), "approval_store_unavailable");
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(s.message()), HasSubstr("127.0.0.1"));
  }
  ASSERT_TRUE((*server)->Restart().ok());
  // Nothing is persisted in the test server: the old ticket is gone, new ones work.
  EXPECT_EQ(ErrorReason(store->Get(t->id, kNow).status()), "not_found");
  absl::StatusOr<ApprovalTicket> again = store->Request(Req(), kNow);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(store->Decide(again->id, Vote("bob"), kNow).ok());
  EXPECT_TRUE(store->Consume(again->id, kDigest, kNow).ok());
}

}  // namespace
}  // namespace jitguard
