#include "lib/redis/client.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::redis {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding for the user-info part of the URL (passwords often hold reserved characters).
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// hiredis writes with write(2), which raises SIGPIPE when the server has reset the connection; the
// default action would kill the host process (a C++ inference server need not ignore SIGPIPE).
// Blocks SIGPIPE on this thread for the duration of one command and swallows a SIGPIPE that the
// command raised (the error itself comes back from hiredis as EPIPE).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        const timespec zero = {0, 0};
        sigtimedwait(&pipe_only, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// One command; *error_number receives errno as the command left it (before the signal cleanup).
void* RunCommand(redisContext* context, const std::vector<std::string_view>& args,
                 int* error_number = nullptr) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ScopedSigpipeBlock no_sigpipe;
  errno = 0;
  void* reply = redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (error_number != nullptr) *error_number = errno;
  return reply;
}

absl::Status BadUrl(std::string_view why) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "invalid_url",
                   absl::StrCat("invalid Redis URL: ", base::AsAbsl(why)));
}

}  // namespace

std::string Describe(const Endpoint& endpoint) {
  return absl::StrCat(endpoint.host, ":", endpoint.port, "/", endpoint.db);
}

absl::StatusOr<Endpoint> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return BadUrl(
        "expected redis://[[user]:password@]host[:port][/db] (rediss:// is not supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  Endpoint endpoint;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    std::string user, password;
    if (colon == std::string_view::npos) {
      // redis://password@host is a common shorthand.
      if (!PercentDecode(userinfo, &password)) return BadUrl("bad percent-encoding");
    } else if (!PercentDecode(userinfo.substr(0, colon), &user) ||
               !PercentDecode(userinfo.substr(colon + 1), &password)) {
      return BadUrl("bad percent-encoding");
    }
    endpoint.username = std::move(user);
    endpoint.password = SecretBytes(password);
    std::fill(password.begin(), password.end(), '\0');
  }
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!absl::SimpleAtoi(base::AsAbsl(db), &endpoint.db) || endpoint.db < 0)) {
      return BadUrl("the database must be a non-negative integer");
    }
  }
  std::string_view host = hostport;
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return BadUrl("unterminated IPv6 address");
    host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty()) {
      if (hostport.front() != ':') return BadUrl("unexpected text after the host");
      if (!absl::SimpleAtoi(base::AsAbsl(hostport.substr(1)), &endpoint.port)) {
        return BadUrl("the port must be an integer");
      }
    }
  } else if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    if (!absl::SimpleAtoi(base::AsAbsl(hostport.substr(colon + 1)), &endpoint.port)) {
      return BadUrl("the port must be an integer");
    }
  }
  if (host.empty()) return BadUrl("no host");
  if (endpoint.port <= 0 || endpoint.port > 65535) return BadUrl("port out of range");
  endpoint.host = std::string(host);
  return endpoint;
}

// ---- Lease -------------------------------------------------------------------------------------

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      context_(std::move(other.context_)),
      reused_(other.reused_),
      broken_(other.broken_),
      saw_eof_(other.saw_eof_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ != nullptr && context_ != nullptr) pool_->Release(std::move(context_), broken_);
}

absl::StatusOr<Reply> Lease::Command(const std::vector<std::string_view>& args) {
  if (broken_ || context_ == nullptr) return absl::UnavailableError("Redis connection is broken");
  int error_number = 0;
  void* raw = RunCommand(context_.get(), args, &error_number);
  if (raw == nullptr) {
    broken_ = true;
    saw_eof_ =
        context_->err == REDIS_ERR_EOF ||
        (context_->err == REDIS_ERR_IO && (error_number == ECONNRESET || error_number == EPIPE));
    return absl::UnavailableError(
        absl::StrCat("Redis ", Describe(pool_->endpoint()), ": ",
                     context_->errstr[0] ? context_->errstr : "I/O error"));
  }
  return Reply(static_cast<redisReply*>(raw));
}

// ---- Pool --------------------------------------------------------------------------------------

Pool::Pool(Endpoint endpoint, absl::Duration timeout, int max_connections)
    : endpoint_(std::move(endpoint)),
      timeout_(timeout),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

Pool::~Pool() = default;

absl::StatusOr<Context> Pool::Connect() const {
  Context context(
      redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, absl::ToTimeval(timeout_)));
  if (context == nullptr) return absl::UnavailableError("Redis: cannot allocate a connection");
  if (context->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("Redis ", Describe(endpoint_), ": connect failed: ", context->errstr));
  }
  if (redisSetTimeout(context.get(), absl::ToTimeval(timeout_)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("Redis ", Describe(endpoint_), ": cannot set timeout"));
  }
  auto run = [&](const std::vector<std::string_view>& args) -> absl::Status {
    Reply reply(static_cast<redisReply*>(RunCommand(context.get(), args)));
    if (reply == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("Redis ", Describe(endpoint_), ": ", context->errstr));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // The reply text of AUTH/SELECT names the problem, never the password.
      return absl::UnavailableError(absl::StrCat("Redis ", Describe(endpoint_), ": ",
                                                 absl::string_view(reply->str, reply->len)));
    }
    return absl::OkStatus();
  };
  if (!endpoint_.password.empty()) {
    absl::Status s = endpoint_.username.empty()
                         ? run({"AUTH", endpoint_.password.Reveal()})
                         : run({"AUTH", endpoint_.username, endpoint_.password.Reveal()});
    if (!s.ok()) return s;
  }
  if (endpoint_.db != 0) {
    const std::string db = absl::StrCat(endpoint_.db);
    if (absl::Status s = run({"SELECT", db}); !s.ok()) return s;
  }
  return context;
}

absl::StatusOr<Lease> Pool::Acquire() {
  {
    base::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < max_connections_;
    };
    if (!mu_.AwaitWithTimeout(available, timeout_)) {
      return absl::UnavailableError(absl::StrCat("Redis ", Describe(endpoint_), ": all ",
                                                 max_connections_, " connections are busy"));
    }
    if (!idle_.empty()) {
      Context context = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(context), /*reused=*/true);
    }
    ++open_;  // reserve the slot, connect outside the lock
  }
  absl::StatusOr<Context> context = Connect();
  if (!context.ok()) {
    base::MutexLock lock(&mu_);
    --open_;
    return context.status();
  }
  return Lease(this, *std::move(context), /*reused=*/false);
}

void Pool::Release(Context context, bool broken) {
  base::MutexLock lock(&mu_);
  if (broken) {
    --open_;
    return;  // `context` closes here
  }
  idle_.push_back(std::move(context));
}

absl::StatusOr<Reply> Pool::Command(const std::vector<std::string_view>& args) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<Reply> reply = lease->Command(args);
    if (reply.ok() || attempt > 0 || !lease->reused() || !lease->saw_eof()) return reply;
  }
}

}  // namespace jitguard::redis
