// The internal Redis client: URL parsing, connection reuse, reconnect after the server closed a
// pooled connection, and no SIGPIPE when writing to a connection the server has reset.
#include "lib/redis/client.h"

#include <csignal>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/cpp/testing/redis_server.h"

namespace jitguard::redis {
namespace {

using ::jitguard::testing::SharedRedisServer;

TEST(RedisUrlTest, ParsesTheSupportedForms) {
  absl::StatusOr<Endpoint> e = ParseUrl("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 2);
  EXPECT_TRUE(e->password.empty());
  e = ParseUrl("redis://user:p%40ss%3Aword@cache.internal");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->username, "user");
  EXPECT_EQ(e->password.Reveal(), "p@ss:word");
  e = ParseUrl("redis://:secret@[::1]:7000");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->password.Reveal(), "secret");
  for (std::string_view bad :
       {"redis://", "redis://:pw@", "redis://h:0", "redis://h:-1", "redis://h/-3",
        "redis://u:%zz@h", "redis://[::1", "unix:///tmp/s"}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
  }
  // The password never appears in messages.
  absl::StatusOr<Endpoint> with_pw = ParseUrl("redis://:hunter2@h:notaport");
  ASSERT_FALSE(with_pw.ok());
  EXPECT_EQ(std::string(with_pw.status().message()).find("hunter2"), std::string::npos);
}

TEST(RedisPoolTest, ReusesConnectionsAndReconnectsAfterTheServerClosedThem) {
  absl::StatusOr<Endpoint> endpoint = ParseUrl(SharedRedisServer().url());
  ASSERT_TRUE(endpoint.ok());
  Pool pool(*endpoint, absl::Milliseconds(500), /*max_connections=*/1);
  absl::StatusOr<Reply> id = pool.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok());
  ASSERT_EQ((*id)->type, REDIS_REPLY_INTEGER);
  absl::StatusOr<Reply> same = pool.Command({"CLIENT", "ID"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)->integer, (*id)->integer);  // one connection, reused

  // The server drops every normal client (as on a restart or an idle timeout); the next command
  // notices on the pooled connection and succeeds on a fresh one.
  Pool admin(*endpoint, absl::Milliseconds(500), 1);
  ASSERT_TRUE(admin.Command({"CLIENT", "KILL", "ID", std::to_string((*id)->integer)}).ok());
  absl::SleepFor(absl::Milliseconds(50));
  absl::StatusOr<Reply> after = pool.Command({"CLIENT", "ID"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE((*after)->integer, (*id)->integer);
}

TEST(RedisPoolTest, WritingToAResetConnectionDoesNotRaiseSigpipe) {
  // Default SIGPIPE action (terminate), as in a C++ server that does not ignore it.
  struct sigaction old_action;
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old_action);

  absl::StatusOr<Endpoint> endpoint = ParseUrl(SharedRedisServer().url());
  ASSERT_TRUE(endpoint.ok());
  Pool pool(*endpoint, absl::Seconds(2), 1);
  Pool admin(*endpoint, absl::Seconds(2), 1);
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    absl::StatusOr<Reply> id = lease->Command({"CLIENT", "ID"});
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(admin.Command({"CLIENT", "KILL", "ID", std::to_string((*id)->integer)}).ok());
    absl::SleepFor(absl::Milliseconds(50));
    // A value far larger than the socket buffers: the first write is accepted, the peer answers
    // with a reset, and a later write fails with EPIPE (raising SIGPIPE without the guard).
    const std::string big(32 << 20, 'x');
    absl::StatusOr<Reply> r = lease->Command({"SET", "jitguard:test:big", big});
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(lease->saw_eof());
  }
  sigaction(SIGPIPE, &old_action, nullptr);
}

}  // namespace
}  // namespace jitguard::redis
