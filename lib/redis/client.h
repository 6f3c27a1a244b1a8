// A small synchronous Redis client over hiredis, shared by the Redis replay cache and the Redis
// approval store: URL parsing, a bounded pool of connections that are opened lazily, reused, and
// dropped after any error (the next use reconnects), and per-operation timeouts.
//
// Thread-safety: Pool is safe to use from many threads; a Lease belongs to one thread.
// Connection errors are plain absl statuses with code kUnavailable (the caller attaches its domain
// and reason); messages name the endpoint and the failure, never the password.
#ifndef JITGUARD_LIB_REDIS_CLIENT_H_
#define JITGUARD_LIB_REDIS_CLIENT_H_

#include <hiredis/hiredis.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/secret.h"
#include "lib/base/mutex.h"

namespace jitguard::redis {

struct Endpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string username;  // empty: AUTH <password> only
  SecretBytes password;  // empty: no AUTH
};

// Parses redis://[[user]:password@]host[:port][/db]; otherwise kInvalidArgument, domain config,
// reason "invalid_url" (the message never holds the password).
absl::StatusOr<Endpoint> ParseUrl(std::string_view url);

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

class Pool;

// One connection borrowed from the pool for a sequence of commands (WATCH ... EXEC). Returned to
// the pool when destroyed, unless a command failed at the connection level.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  // Sends one command and reads its reply. A Redis error reply (type REDIS_REPLY_ERROR) is returned
  // as a Reply, not as an error; an I/O failure or timeout is kUnavailable and breaks the lease.
  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& args);

  // True when the connection came from the idle list rather than being opened for this lease.
  bool reused() const { return reused_; }
  // True after a connection-level failure where the peer had closed the connection (EOF, reset).
  bool saw_eof() const { return saw_eof_; }

 private:
  friend class Pool;
  Lease(Pool* pool, Context context, bool reused)
      : pool_(pool), context_(std::move(context)), reused_(reused) {}
  Pool* pool_;
  Context context_;
  bool reused_;
  bool broken_ = false;
  bool saw_eof_ = false;
};

class Pool {
 public:
  Pool(Endpoint endpoint, absl::Duration timeout, int max_connections);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection: an idle one, else a new one (connected, authenticated, db selected) while fewer
  // than max_connections exist, else waits up to the timeout for one to come back.
  absl::StatusOr<Lease> Acquire();

  // Acquire + Command, retried once on a fresh connection when a reused connection turned out to be
  // closed by the server (it restarted, or dropped idle clients). Only that case is retried: a
  // timeout is not, so one call never takes much more than the timeout.
  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& args);

  const Endpoint& endpoint() const { return endpoint_; }
  absl::Duration timeout() const { return timeout_; }

 private:
  friend class Lease;
  void Release(Context context, bool broken);
  absl::StatusOr<Context> Connect() const;

  const Endpoint endpoint_;
  const absl::Duration timeout_;
  const int max_connections_;
  base::Mutex mu_;
  std::vector<Context> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased
};

// "host:port/db" for messages.
std::string Describe(const Endpoint& endpoint);

}  // namespace jitguard::redis

#endif  // JITGUARD_LIB_REDIS_CLIENT_H_
