// jitguard-gateway's request path (see server.h for the threading model).
#include "gateway/server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gateway/body.h"
#include "jitguard/guard.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard_gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

constexpr size_t kChunk = 16 * 1024;       // reading whole bodies
constexpr size_t kStreamChunk = 4 * 1024;  // reading a stream: events are small, streams are many
constexpr size_t kMaxErrorBody = 1 << 20;
// How much of a non-JSON upstream error body is shown (after masking the whole of it).
constexpr size_t kMaxErrorMessage = 512;
// The policy operation of every proxied call, and of the model listing's checks.
constexpr std::string_view kInferOperation = "infer";

auto Log(const char* what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "jitguard-gateway: %s: %s\n", what, ex.what());
    }
  };
}

std::string Msg(const absl::Status& s) { return std::string(s.message().data(), s.message().size()); }

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

std::string ErrorJson(std::string_view type, std::string_view code, std::string_view message,
                      std::string_view extra = "") {
  std::string out = "{\"error\":{\"message\":" + Quote(message) + ",\"type\":" + Quote(type) +
                    ",\"param\":null,\"code\":" + Quote(code);
  out.append(extra);
  out += "}}";
  return out;
}

std::string QuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out += Quote(items[i]);
  }
  return out + "]";
}

// A client connection, for graceful shutdown: idle keep-alive connections are closed at once.
struct Conn {
  net::any_io_executor ex;
  beast::tcp_stream* stream = nullptr;  // touched only on `ex`
  bool busy = false;
};

// Watches the client while the upstream answers: a closed client cancels the upstream request.
struct Watch {
  bool done = false;
  bool client_gone = false;
  std::function<void()> cancel;
};

struct Admitted {
  absl::StatusOr<jitguard::Admission> admission = absl::UnknownError("not run");
  jitguard::Refusal refusal;
  absl::StatusOr<std::string> body = absl::UnknownError("not run");
  std::string target;  // path and masked query string, for the upstream
};

using Response = http::response<http::string_body>;

class Gateway {
 public:
  Gateway(const Options& opts, std::shared_ptr<jitguard::Guard> guard)
      : opts_(opts),
        ioc_(opts.io_threads),
        workers_(static_cast<size_t>(opts.workers)),
        ssl_ctx_(ssl::context::tls_client),
        acceptor_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM, SIGHUP),
        guard_(std::move(guard)) {}

  int Serve() {
    beast::error_code ec;
    ssl_ctx_.set_verify_mode(ssl::verify_peer);
    ssl_ctx_.set_default_verify_paths(ec);
    if (!opts_.ca_file.empty()) {
      ssl_ctx_.load_verify_file(opts_.ca_file, ec);
      if (ec) {
        std::fprintf(stderr, "jitguard-gateway: error: --upstream-ca-file: cannot load (%s)\n",
                     ec.message().c_str());
        return 2;
      }
    }
    tcp::endpoint endpoint(net::ip::make_address(opts_.listen.host, ec), opts_.listen.port);
    if (ec) {
      std::fprintf(stderr, "jitguard-gateway: error: --listen: not an IP address\n");
      return 2;
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      std::fprintf(stderr, "jitguard-gateway: error: --listen: %s\n", ec.message().c_str());
      return 2;
    }
    unsigned short port = acceptor_.local_endpoint().port();
    if (!opts_.port_file.empty()) {
      std::string tmp = opts_.port_file + ".tmp";
      { std::ofstream(tmp) << port << "\n"; }
      std::rename(tmp.c_str(), opts_.port_file.c_str());
    }
    std::fprintf(stderr, "jitguard-gateway: listening on %s:%u, upstream %s://%s%s\n",
                 opts_.listen.host.c_str(), port, opts_.upstream.tls ? "https" : "http",
                 opts_.upstream.host_header.c_str(), opts_.upstream.base_path.c_str());
    // One strand for the acceptor and the signal handler: Drain closes the acceptor.
    auto control = net::make_strand(ioc_);
    net::co_spawn(control, Accept(), Log("accept"));
    net::co_spawn(control, Signals(), Log("signals"));
    std::vector<std::thread> threads;
    for (int i = 1; i < opts_.io_threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
    workers_.join();
    absl::Status closed = guard_->Close();
    if (!closed.ok()) {
      std::fprintf(stderr, "jitguard-gateway: audit close failed: %s\n", Msg(closed).c_str());
      return 1;
    }
    std::fprintf(stderr, "jitguard-gateway: stopped\n");
    return 0;
  }

 private:
  // ---- lifecycle ------------------------------------------------------------------------------

  awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          net::make_strand(ioc_), net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (draining_ || ec == net::error::operation_aborted) co_return;
        continue;  // EMFILE and friends: keep serving the open connections
      }
      auto ex = socket.get_executor();
      net::co_spawn(ex, Session(std::move(socket)), Log("connection"));
    }
  }

  awaitable<void> Signals() {
    for (;;) {
      beast::error_code ec;
      int sig = co_await signals_.async_wait(net::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      if (sig == SIGHUP) {
        Reload();
        continue;
      }
      std::fprintf(stderr, "jitguard-gateway: %s: finishing open requests (up to %lld s)\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM",
                   static_cast<long long>(absl::ToInt64Seconds(opts_.shutdown_grace)));
      co_await Drain();
      co_return;
    }
  }

  void Reload() {
    absl::Status s = guard_->ReloadPolicy();
    if (s.ok()) {
      reloads_.fetch_add(1);
      std::fprintf(stderr, "jitguard-gateway: SIGHUP: policy reloaded\n");
    } else {
      reload_failures_.fetch_add(1);
      std::fprintf(stderr, "jitguard-gateway: SIGHUP: reload failed, the current policy stays: %s\n",
                   Msg(s).c_str());
    }
  }

  awaitable<void> Drain() {
    draining_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      for (const auto& c : conns_) {
        net::post(c->ex, [c] {
          beast::error_code ignored;
          if (c->stream != nullptr && !c->busy) c->stream->socket().cancel(ignored);
        });
      }
    }
    net::steady_timer timer(co_await net::this_coro::executor);
    const absl::Time deadline = absl::Now() + opts_.shutdown_grace;
    while (open_conns_.load() > 0 && absl::Now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
    }
    if (open_conns_.load() > 0) {
      std::fprintf(stderr, "jitguard-gateway: shutdown deadline: %d connections cut\n",
                   open_conns_.load());
    }
    ioc_.stop();
  }

  // ---- one client connection --------------------------------------------------------------------

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream client(std::move(socket));
    beast::error_code ec;
    client.socket().set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Conn>();
    conn->ex = client.get_executor();
    conn->stream = &client;
    std::list<std::shared_ptr<Conn>>::iterator where;
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      where = conns_.insert(conns_.end(), conn);
    }
    open_conns_.fetch_add(1);
    beast::flat_buffer buffer;
    while (!draining_) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts_.max_request_bytes);
      parser.header_limit(64 * 1024);
      client.expires_after(Chrono(opts_.idle_timeout));
      co_await http::async_read_header(client, buffer, parser, net::redirect_error(use_awaitable, ec));
      if (!ec) {
        conn->busy = true;
        co_await http::async_read(client, buffer, parser, net::redirect_error(use_awaitable, ec));
      }
      if (ec == http::error::body_limit) {
        conn->busy = true;
        Response res = MakeJson(http::status::payload_too_large,
                                ErrorJson("invalid_request_error", "request_too_large",
                                          "the request body is larger than the gateway accepts"));
        co_await Send(client, std::move(res), false);
        Count(413);
        // Read what the client is still sending for a moment, so it sees the answer rather than a
        // reset connection.
        client.socket().shutdown(tcp::socket::shutdown_send, ec);
        client.expires_after(std::chrono::seconds(2));
        std::vector<char> sink(kChunk);  // per coroutine, never thread_local (see ReadAll)
        size_t drained = 0;
        while (drained < (size_t{64} << 20)) {
          size_t n = co_await client.async_read_some(net::buffer(sink),
                                                     net::redirect_error(use_awaitable, ec));
          if (ec) break;
          drained += n;
        }
        break;
      }
      if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        // A request Beast refused to parse (two Content-Length headers, Content-Length with
        // Transfer-Encoding, a malformed line or header, a header block over the limit): a stable
        // answer, then the connection is closed (its framing cannot be trusted any more).
        conn->busy = true;
        const bool too_large = ec == http::error::header_limit;
        int refused = 0;
        co_await SendError(client, &refused,
                           too_large ? http::status::request_header_fields_too_large
                                     : http::status::bad_request,
                           "invalid_request_error", too_large ? "headers_too_large" : "bad_request",
                           too_large ? "the request's header block is larger than the gateway accepts"
                                     : "the request is not well-formed HTTP/1.1",
                           false);
        Count(refused);
        break;
      }
      if (ec) break;
      client.expires_never();
      const absl::Time start = absl::Now();
      http::request<http::string_body> req = parser.release();
      std::string log_id;
      int status = 0;
      bool keep = co_await Handle(client, req, &status, &log_id);
      Count(status);
      if (opts_.access_log) {
        std::string target(req.target().data(), req.target().size());
        if (size_t q = target.find('?'); q != std::string::npos) target.resize(q);
        std::fprintf(stderr, "jitguard-gateway: %s %s %s -> %d (%lld ms)\n",
                     log_id.empty() ? "-" : log_id.c_str(),
                     std::string(req.method_string()).c_str(), target.c_str(), status,
                     static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start)));
      }
      conn->busy = false;
      if (!keep) break;
    }
    conn->stream = nullptr;
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns_.erase(where);
    }
    client.socket().shutdown(tcp::socket::shutdown_send, ec);
    client.close();
    open_conns_.fetch_sub(1);
  }

  static Response MakeJson(http::status status, std::string body) {
    Response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
  }

  awaitable<bool> Send(beast::tcp_stream& client, Response res, bool keep) {
    res.set(http::field::server, "jitguard-gateway");
    res.keep_alive(keep && !draining_);
    res.prepare_payload();
    beast::error_code ec;
    client.expires_after(Chrono(opts_.idle_timeout));
    co_await http::async_write(client, res, net::redirect_error(use_awaitable, ec));
    client.expires_never();
    co_return !ec && keep && !draining_;
  }

  awaitable<bool> SendError(beast::tcp_stream& client, int* status_out, http::status status,
                            std::string_view type, std::string_view code, std::string_view message,
                            bool keep, std::string_view extra = "") {
    *status_out = static_cast<int>(status);
    Response res = MakeJson(status, ErrorJson(type, code, message, extra));
    if (status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
    co_return co_await Send(client, std::move(res), keep);
  }

  // Runs `fn` on the worker pool; the coroutine resumes on its own strand.
  template <class T, class Fn>
  awaitable<T> OnWorker(Fn fn) {
    co_return co_await net::co_spawn(
        workers_.get_executor(), [&fn]() -> awaitable<T> { co_return fn(); }, use_awaitable);
  }

  // ---- routing ----------------------------------------------------------------------------------

  awaitable<bool> Handle(beast::tcp_stream& client, http::request<http::string_body>& req,
                         int* status, std::string* log_id) {
    const bool keep = req.keep_alive();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    const bool get = req.method() == http::verb::get;
    const bool post = req.method() == http::verb::post;
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
      if (!get) goto method_not_allowed;
      if (path == "/metrics") {
        *status = 200;
        Response res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain; version=0.0.4");
        res.body() = guard_->MetricsText() + GatewayMetrics();
        co_return co_await Send(client, std::move(res), keep);
      }
      const bool ready = path == "/healthz" || !draining_;
      *status = ready ? 200 : 503;
      Response res{ready ? http::status::ok : http::status::service_unavailable, 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = ready ? "ok\n" : "draining\n";
      co_return co_await Send(client, std::move(res), keep);
    }
    if (path.rfind("/v1/approvals/", 0) == 0) {
      if (!post) goto method_not_allowed;
      co_return co_await Approve(client, req, path.substr(14), status);
    }
    if (path == "/v1/models") {
      if (!get) goto method_not_allowed;
      co_return co_await Models(client, req, status);
    }
    {
      Endpoint endpoint;
      if (path == "/v1/chat/completions") {
        endpoint = Endpoint::kChat;
      } else if (path == "/v1/completions") {
        endpoint = Endpoint::kCompletions;
      } else if (path == "/v1/embeddings") {
        endpoint = Endpoint::kEmbeddings;
      } else if (path == "/v1/responses") {
        endpoint = Endpoint::kResponses;
      } else {
        co_return co_await SendError(client, status, http::status::not_found,
                                     "invalid_request_error", "not_found",
                                     "no such endpoint on this gateway", keep);
      }
      if (!post) goto method_not_allowed;
      co_return co_await Proxy(client, req, endpoint, status, log_id);
    }
  method_not_allowed:
    co_return co_await SendError(client, status, http::status::method_not_allowed,
                                 "invalid_request_error", "method_not_allowed",
                                 "method not allowed on this path", keep);
  }

  // The caller's bearer token; "" with *error set when there is none or more than one.
  // The caller's bearer token. When Authorization is missing, malformed or given twice, the refusal
  // (401, or 400 duplicate_authorization) is sent, `*sent` says whether that worked, and nullopt
  // comes back.
  awaitable<std::optional<std::string>> Bearer(beast::tcp_stream& client,
                                               const http::request<http::string_body>& req,
                                               int* status, bool keep, bool* sent) {
    std::string auth_error;
    std::string token = BearerToken(req, &auth_error);
    if (auth_error.empty()) co_return token;
    if (auth_error == "duplicate_authorization") {
      *sent = co_await SendError(client, status, http::status::bad_request,
                                 "invalid_request_error", auth_error,
                                 "more than one Authorization header", keep);
    } else {
      *sent = co_await SendError(client, status, http::status::unauthorized,
                                 "authentication_error", auth_error,
                                 "an Authorization: Bearer token is required", keep);
    }
    co_return std::nullopt;
  }

  static std::string BearerToken(const http::request<http::string_body>& req, std::string* error) {
    auto range = req.equal_range(http::field::authorization);
    int count = 0;
    std::string_view value;
    for (auto it = range.first; it != range.second; ++it) {
      ++count;
      value = std::string_view(it->value().data(), it->value().size());
    }
    if (count > 1) {
      *error = "duplicate_authorization";
      return "";
    }
    value = TrimSpaces(value);
    size_t space = value.find(' ');
    if (count == 0 || space == std::string_view::npos ||
        !absl::EqualsIgnoreCase(jitguard::base::AsAbsl(value.substr(0, space)), "bearer")) {
      *error = "missing_token";
      return "";
    }
    std::string_view token = TrimSpaces(value.substr(space + 1));
    if (token.empty()) {
      *error = "missing_token";
      return "";
    }
    return std::string(token);
  }

  static std::string Header(const http::request<http::string_body>& req, std::string_view name) {
    auto it = req.find(beast::string_view(name.data(), name.size()));
    if (it == req.end()) return "";
    return std::string(it->value().data(), it->value().size());
  }

  // ---- the proxied endpoints ----------------------------------------------------------------------

  awaitable<bool> Proxy(beast::tcp_stream& client, http::request<http::string_body>& req,
                        Endpoint /*every endpoint's body is read the same way*/, int* status,
                        std::string* log_id) {
    const bool keep = req.keep_alive();
    bool sent = false;
    std::optional<std::string> bearer = co_await Bearer(client, req, status, keep, &sent);
    if (!bearer.has_value()) co_return sent;
    std::string token = *std::move(bearer);
    // Every text the model will read, for the policy; a body the library cannot read is refused.
    absl::StatusOr<jitguard::InferenceRequest> body = jitguard::ReadInferenceRequest(req.body());
    if (!body.ok()) {
      co_return co_await SendError(client, status, http::status::bad_request,
                                   "invalid_request_error", jitguard::ErrorReason(body.status()),
                                   Msg(body.status()), keep);
    }
    jitguard::AdmitRequest ar;
    ar.bearer_token = std::move(token);
    ar.model = body->model;
    ar.dataset = Header(req, "x-jitguard-dataset");
    if (ar.dataset.empty()) ar.dataset = opts_.dataset;
    ar.operation = std::string(kInferOperation);
    ar.prompt = body->prompt;
    ar.approval = Header(req, "x-jitguard-approval");
    std::string_view target(req.target().data(), req.target().size());
    const size_t qmark = target.find('?');
    Admitted a = co_await OnWorker<Admitted>([&]() {
      Admitted out;
      out.admission = guard_->Admit(ar, absl::Now(), &out.refusal);
      if (out.admission.ok()) out.body = guard_->MaskRequestBody(*out.admission, req.body());
      // The query string goes upstream too: every parameter's name and value masked, like the body.
      out.target = std::string(target.substr(0, qmark));
      if (out.admission.ok() && out.body.ok() && qmark != std::string_view::npos) {
        const jitguard::Admission& adm = *out.admission;
        absl::StatusOr<std::string> query =
            MaskQuery(target.substr(qmark + 1), [&](std::string_view text) {
              return guard_->MaskPrompt(adm, text);
            });
        if (query.ok()) {
          out.target += "?" + *query;
        } else {
          out.body = query.status();
        }
      }
      return out;
    });
    if (!a.admission.ok()) {
      const absl::Status& s = a.admission.status();
      const jitguard::ErrorDomain domain = jitguard::GetErrorDomain(s);
      const std::string reason = jitguard::ErrorReason(s);
      if (domain == jitguard::ErrorDomain::kToken) {
        co_return co_await SendError(client, status, http::status::unauthorized,
                                     "authentication_error", reason, Msg(s), keep);
      }
      if (reason == "approval_required") {
        *status = 202;
        Response res = MakeJson(
            http::status::accepted,
            "{\"status\":\"approval_required\",\"message\":" + Quote(Msg(s)) +
                ",\"ticket\":{\"id\":" + Quote(a.refusal.ticket_id) +
                ",\"approver_groups\":" + QuoteList(a.refusal.decision.approvers) +
                "},\"retry_with_header\":\"x-jitguard-approval\"}");
        co_return co_await Send(client, std::move(res), keep);
      }
      if (domain == jitguard::ErrorDomain::kAccess) {
        co_return co_await SendError(client, status, http::status::forbidden, "access_denied",
                                     reason, Msg(s), keep,
                                     ",\"rules\":" + QuoteList(a.refusal.decision.rules));
      }
      if (domain == jitguard::ErrorDomain::kApproval) {
        co_return co_await SendError(client, status, http::status::forbidden, "approval_error",
                                     reason, Msg(s), keep);
      }
      co_return co_await SendError(client, status, http::status::service_unavailable,
                                   "jitguard_error", reason, Msg(s), keep);
    }
    const jitguard::Admission& admission = *a.admission;
    *log_id = admission.request_id;
    if (!a.body.ok()) {
      co_return co_await SendError(client, status, http::status::service_unavailable,
                                   "jitguard_error", jitguard::ErrorReason(a.body.status()),
                                   "the request could not be masked", keep);
    }
    std::string accept = Header(req, "accept");
    const bool stream_requested = StreamRequested(req.body());
    co_return co_await WithUpstream(
        client, status, keep, [&](auto& up) -> awaitable<bool> {
          co_return co_await Exchange(client, up, a.target, *a.body, stream_requested, accept,
                                      admission, status, keep);
        });
  }

  // Connects to the upstream (TCP, then TLS for https://) and runs fn(stream).
  template <class Fn>
  awaitable<bool> WithUpstream(beast::tcp_stream& client, int* status, bool keep, Fn fn) {
    auto ex = co_await net::this_coro::executor;
    beast::error_code ec;
    tcp::resolver resolver(ex);
    auto results = co_await resolver.async_resolve(opts_.upstream.host, opts_.upstream.port,
                                                   net::redirect_error(use_awaitable, ec));
    if (ec) {
      co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                   "upstream_unreachable", "the model server's address cannot be resolved",
                                   keep);
    }
    beast::tcp_stream up(ex);
    up.expires_after(Chrono(opts_.connect_timeout));
    co_await up.async_connect(results, net::redirect_error(use_awaitable, ec));
    if (ec) {
      const bool timeout = ec == beast::error::timeout;
      co_return co_await SendError(
          client, status, timeout ? http::status::gateway_timeout : http::status::bad_gateway,
          "upstream_error", timeout ? "upstream_connect_timeout" : "upstream_unreachable",
          timeout ? "the model server did not accept the connection in time"
                  : "the model server refused the connection",
          keep);
    }
    up.socket().set_option(tcp::no_delay(true), ec);
    if (!opts_.upstream.tls) co_return co_await fn(up);

    beast::ssl_stream<beast::tcp_stream> tls(std::move(up), ssl_ctx_);
    if (!SSL_set_tlsext_host_name(tls.native_handle(), opts_.upstream.host.c_str())) {
      co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                   "upstream_tls_failed", "TLS setup failed", keep);
    }
    tls.set_verify_callback(ssl::host_name_verification(opts_.upstream.host));
    beast::get_lowest_layer(tls).expires_after(Chrono(opts_.connect_timeout));
    co_await tls.async_handshake(ssl::stream_base::client, net::redirect_error(use_awaitable, ec));
    if (ec) {
      co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                   "upstream_tls_failed",
                                   "the TLS handshake with the model server failed (certificate "
                                   "not trusted or name mismatch)",
                                   keep);
    }
    co_return co_await fn(tls);
  }

  awaitable<void> WatchClient(beast::tcp_stream& client, std::shared_ptr<Watch> w) {
    beast::error_code ec;
    co_await client.socket().async_wait(tcp::socket::wait_read,
                                        net::redirect_error(use_awaitable, ec));
    if (w->done) co_return;
    if (!ec) {
      char c;
      size_t n = client.socket().receive(net::buffer(&c, 1), tcp::socket::message_peek, ec);
      if (!ec && n > 0) co_return;  // a pipelined request, not a goodbye
    }
    w->client_gone = true;
    if (w->cancel) w->cancel();
  }

  // Reads the rest of an upstream body (bounded). Returns false on error or when over `limit`.
  template <class Stream, class Parser>
  awaitable<bool> ReadAll(Stream& up, beast::flat_buffer& ubuf, Parser& p, size_t limit,
                          std::string* out, beast::error_code* ec) {
    // In the coroutine's frame: a thread_local buffer would be shared by every coroutine that is
    // suspended on this thread.
    std::vector<char> buf(kChunk);
    while (!p.is_done()) {
      p.get().body().data = buf.data();
      p.get().body().size = buf.size();
      beast::get_lowest_layer(up).expires_after(Chrono(opts_.idle_timeout));
      co_await http::async_read(up, ubuf, p, net::redirect_error(use_awaitable, *ec));
      if (*ec == http::error::need_buffer) *ec = {};
      if (*ec) co_return false;
      out->append(buf.data(), buf.size() - p.get().body().size);
      if (out->size() > limit) co_return false;
    }
    co_return true;
  }

  // The stable reason to refuse an upstream answer whose body the gateway cannot read as it is, or
  // nullptr: every Content-Encoding header, every token of each, must be identity, and every
  // Transfer-Encoding token chunked (Beast removes the chunked framing, nothing else).
  template <class Fields>
  static const char* UnreadableEncoding(const http::header<false, Fields>& head) {
    auto ce = head.equal_range(http::field::content_encoding);
    for (auto it = ce.first; it != ce.second; ++it) {
      if (!OnlyToken(std::string_view(it->value().data(), it->value().size()), "identity")) {
        return "upstream_encoding_unsupported";
      }
    }
    auto te = head.equal_range(http::field::transfer_encoding);
    for (auto it = te.first; it != te.second; ++it) {
      if (!OnlyToken(std::string_view(it->value().data(), it->value().size()), "chunked")) {
        return "upstream_transfer_encoding_unsupported";
      }
    }
    return nullptr;
  }

  std::string Scrub(std::string text) const {
    if (!opts_.credential.empty()) {
      text = absl::StrReplaceAll(text, {{opts_.credential, "[REDACTED]"}});
    }
    return text;
  }

  template <class Stream>
  awaitable<bool> Exchange(beast::tcp_stream& client, Stream& up, const std::string& target,
                           const std::string& body, bool stream_requested,
                           const std::string& accept, const jitguard::Admission& admission,
                           int* status, bool keep) {
    auto ex = co_await net::this_coro::executor;
    beast::error_code ec;
    auto& lowest = beast::get_lowest_layer(up);
    http::request<http::string_body> ureq{http::verb::post, opts_.upstream.base_path + target, 11};
    ureq.set(http::field::host, opts_.upstream.host_header);
    if (!opts_.credential.empty()) ureq.set(http::field::authorization, "Bearer " + opts_.credential);
    ureq.set(http::field::content_type, "application/json");
    ureq.set(http::field::accept_encoding, "identity");
    ureq.set(http::field::accept, accept.empty() ? "*/*" : accept);
    ureq.set(http::field::user_agent, "jitguard-gateway");
    ureq.set("x-request-id", admission.request_id);
    ureq.keep_alive(false);
    ureq.body() = body;
    ureq.prepare_payload();

    auto watch = std::make_shared<Watch>();
    watch->cancel = [&lowest] { lowest.close(); };
    net::co_spawn(ex, WatchClient(client, watch), net::detached);
    struct StopWatch {
      std::shared_ptr<Watch> w;
      beast::tcp_stream& client;
      ~StopWatch() {
        w->done = true;
        w->cancel = nullptr;
        beast::error_code ignored;
        client.socket().cancel(ignored);
      }
    } stop_watch{watch, client};

    lowest.expires_after(Chrono(opts_.idle_timeout));
    co_await http::async_write(up, ureq, net::redirect_error(use_awaitable, ec));
    http::response_parser<http::buffer_body> p;
    p.body_limit(std::numeric_limits<std::uint64_t>::max());  // bounded by ReadAll or streamed
    beast::flat_buffer ubuf;
    if (!ec) {
      lowest.expires_after(Chrono(opts_.first_byte_timeout));
      co_await http::async_read_header(up, ubuf, p, net::redirect_error(use_awaitable, ec));
      // The header is done; body bytes that came with it wait for a buffer (buffer_body).
      if (ec == http::error::need_buffer) ec = {};
    }
    if (watch->client_gone) {
      *status = 499;
      co_return false;
    }
    if (ec) {
      const bool timeout = ec == beast::error::timeout;
      std::fprintf(stderr, "jitguard-gateway: %s upstream: %s\n", admission.request_id.c_str(),
                   ec.message().c_str());
      co_return co_await SendError(
          client, status, timeout ? http::status::gateway_timeout : http::status::bad_gateway,
          "upstream_error", timeout ? "upstream_timeout" : "upstream_failed",
          timeout ? "the model server did not answer in time"
                  : "the model server closed the connection without an answer",
          keep);
    }
    const auto& head = p.get();
    const int ustatus = static_cast<int>(head.result_int());
    if (const char* reason = UnreadableEncoding(head)) {
      co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                   reason,
                                   "the model server answered with a content or transfer encoding "
                                   "the gateway cannot decode (it was asked for identity)",
                                   false);
    }

    if (ustatus >= 400) {
      std::string ebody;
      (void)co_await ReadAll(up, ubuf, p, kMaxErrorBody, &ebody, &ec);
      std::string message = UpstreamErrorMessage(ebody);
      const bool from_json = !message.empty();
      if (!from_json) message = std::move(ebody);
      // The whole (bounded) message is scrubbed and masked first, and only then cut: a cut before
      // masking would leave the start of a value that straddles it unrecognised.
      message = Scrub(std::move(message));
      absl::StatusOr<std::string> masked = co_await OnWorker<absl::StatusOr<std::string>>(
          [&]() { return guard_->MaskPrompt(admission, message); });
      std::string shown = masked.ok() ? (from_json ? *std::move(masked)
                                                   : CutMasked(*masked, kMaxErrorMessage))
                                      : "(the model server's message could not be masked)";
      http::status out = http::status::bad_gateway;
      std::string code = "upstream_error";
      if (ustatus == 401 || ustatus == 403 || ustatus == 407) {
        code = "upstream_auth_failed";
        shown = "the model server refused the gateway's service credential";
      } else if (ustatus < 500) {
        out = static_cast<http::status>(ustatus);
        code = ustatus == 429 ? "upstream_rate_limited" : "upstream_rejected";
      }
      co_return co_await SendError(client, status, out, ustatus < 500 && code != "upstream_auth_failed"
                                                            ? "invalid_request_error"
                                                            : "upstream_error",
                                   code, "model server: " + shown, keep,
                                   ",\"upstream_status\":" + std::to_string(ustatus));
    }

    // The framing follows the answer's media type and the request (see ChooseFraming): an answer to
    // "stream": true is SSE to the client's SDK whatever its label, so it is masked as SSE.
    const Framing framing = ChooseFraming(
        std::string_view(head[http::field::content_type].data(), head[http::field::content_type].size()),
        stream_requested);
    const std::string out_ctype(FramingContentType(framing));
    const bool sse = framing == Framing::kSse;
    if (framing == Framing::kJson) {
      std::string raw;
      if (!co_await ReadAll(up, ubuf, p, opts_.max_response_bytes, &raw, &ec)) {
        if (watch->client_gone) {
          *status = 499;
          co_return false;
        }
        co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                     ec == beast::error::timeout ? "upstream_timeout"
                                                                  : "upstream_failed",
                                     ec ? "the model server's answer broke off"
                                        : "the model server's answer is too large",
                                     false);
      }
      // The service credential, should the model server echo it, never reaches the masker, the
      // audit record or the client.
      raw = Scrub(std::move(raw));
      // The whole answer through the library's JSON response guard: default deny over its
      // structure, audited with the text of every choice.
      absl::StatusOr<std::string> masked = co_await OnWorker<absl::StatusOr<std::string>>(
          [&]() -> absl::StatusOr<std::string> {
            absl::StatusOr<std::unique_ptr<jitguard::ResponseGuard>> rg =
                guard_->NewResponse(admission, jitguard::ResponseFormat::kJson);
            if (!rg.ok()) return rg.status();
            absl::StatusOr<std::string> w = (*rg)->Write(raw);
            if (!w.ok()) return w.status();
            absl::StatusOr<std::string> f = (*rg)->Finish(absl::Now());
            if (!f.ok()) return f.status();
            return *w + *f;
          });
      if (!masked.ok()) {
        co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                     jitguard::ErrorReason(masked.status()),
                                     "the model server's answer could not be masked", keep);
      }
      *status = ustatus;
      Response res{static_cast<http::status>(ustatus), 11};
      res.set(http::field::content_type, out_ctype);
      res.set("x-request-id", admission.request_id);
      res.body() = *std::move(masked);
      co_return co_await Send(client, std::move(res), keep);
    }

    // Streamed: SSE event by event, NDJSON line by line, anything else as text.
    absl::StatusOr<std::unique_ptr<jitguard::ResponseGuard>> made = guard_->NewResponse(
        admission, sse                            ? jitguard::ResponseFormat::kSse
                   : framing == Framing::kNdjson ? jitguard::ResponseFormat::kNdjson
                                                 : jitguard::ResponseFormat::kText);
    if (!made.ok()) {
      co_return co_await SendError(client, status, http::status::service_unavailable,
                                   "jitguard_error", jitguard::ErrorReason(made.status()),
                                   Msg(made.status()), keep);
    }
    std::unique_ptr<jitguard::ResponseGuard> rg = *std::move(made);
    *status = ustatus;
    http::response<http::empty_body> res{static_cast<http::status>(ustatus), 11};
    res.set(http::field::server, "jitguard-gateway");
    res.set(http::field::content_type, out_ctype);
    res.set(http::field::cache_control, "no-cache");
    res.set("x-request-id", admission.request_id);
    res.chunked(true);
    res.keep_alive(keep && !draining_);
    http::response_serializer<http::empty_body> sr{res};
    lowest.expires_never();
    client.expires_after(Chrono(opts_.idle_timeout));
    co_await http::async_write_header(client, sr, net::redirect_error(use_awaitable, ec));
    bool client_ok = !ec;
    open_streams_.fetch_add(1);
    std::string failure;  // why the stream ended early
    std::vector<char> buf(kStreamChunk);  // per stream (see ReadAll)
    StreamScrubber scrubber(opts_.credential);  // the credential, also split across reads
    while (client_ok && !p.is_done()) {
      p.get().body().data = buf.data();
      p.get().body().size = buf.size();
      lowest.expires_after(Chrono(opts_.idle_timeout));
      co_await http::async_read_some(up, ubuf, p, net::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (watch->client_gone) {
        client_ok = false;
        break;
      }
      if (ec) {
        failure = ec == beast::error::timeout ? "upstream_timeout" : "upstream_failed";
        break;
      }
      const size_t n = buf.size() - p.get().body().size;
      if (n == 0) continue;
      const std::string clean = scrubber.Write(std::string_view(buf.data(), n));
      if (clean.empty()) continue;
      absl::StatusOr<std::string> out = rg->Write(clean);
      if (!out.ok()) {
        failure = jitguard::ErrorReason(out.status());
        break;
      }
      if (out->empty()) continue;
      client.expires_after(Chrono(opts_.idle_timeout));
      co_await net::async_write(client, http::make_chunk(net::buffer(*out)),
                                net::redirect_error(use_awaitable, ec));
      client_ok = !ec;
    }
    // The held rest (masked) and the audit record; the record is written even when the client left.
    // A stream cut short (the client left, the upstream broke off) is aborted: what the masker
    // still held (possibly the start of a value it could not see whole) is neither sent nor
    // recorded.
    jitguard::ResponseGuard* raw_rg = rg.get();
    const bool cut_short = !client_ok || !failure.empty();
    absl::StatusOr<std::string> tail = co_await OnWorker<absl::StatusOr<std::string>>(
        [&]() -> absl::StatusOr<std::string> {
          if (!cut_short) {
            absl::StatusOr<std::string> rest = raw_rg->Write(scrubber.Finish());
            if (!rest.ok()) return rest.status();
            absl::StatusOr<std::string> f = raw_rg->Finish(absl::Now());
            if (!f.ok()) return f.status();
            return *rest + *f;
          }
          absl::Status s = raw_rg->Abort(absl::Now());
          if (!s.ok()) return s;
          return std::string();
        });
    open_streams_.fetch_sub(1);
    if (!client_ok) {
      *status = 499;
      co_return false;
    }
    std::string last = tail.ok() ? *tail : std::string();
    if (!tail.ok() && failure.empty()) failure = jitguard::ErrorReason(tail.status());
    if (!failure.empty()) {
      // Fail closed: what the masker still held (possibly the start of a value it could not see
      // whole) is dropped, and the client is told the answer broke off.
      last.clear();
      *status = 502;
      if (sse) {
        last += "data: " +
                ErrorJson("upstream_error", failure,
                          "the answer broke off (" + failure + "); what was sent is masked") +
                "\n\n";
      }
    }
    if (!last.empty()) {
      co_await net::async_write(client, http::make_chunk(net::buffer(last)),
                                net::redirect_error(use_awaitable, ec));
    }
    if (!ec && failure.empty()) {
      co_await net::async_write(client, http::make_chunk_last(),
                                net::redirect_error(use_awaitable, ec));
    }
    client.expires_never();
    co_return !ec && failure.empty() && keep && !draining_;
  }

  // ---- POST /v1/approvals/<ticket>: an approver decides with their own token -------------------

  awaitable<bool> Approve(beast::tcp_stream& client, http::request<http::string_body>& req,
                          std::string_view ticket, int* status) {
    const bool keep = req.keep_alive();
    std::string auth_error;
    std::string token = BearerToken(req, &auth_error);
    if (!auth_error.empty()) {
      co_return co_await SendError(
          client, status,
          auth_error == "duplicate_authorization" ? http::status::bad_request
                                                  : http::status::unauthorized,
          auth_error == "duplicate_authorization" ? "invalid_request_error" : "authentication_error",
          auth_error, "an Authorization: Bearer token is required", keep);
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    bool approve = false;
    std::string_view comment;
    if (ticket.empty() || ticket.find('/') != std::string_view::npos ||
        parser.parse(req.body()).get(doc) != simdjson::SUCCESS ||
        doc["approve"].get(approve) != simdjson::SUCCESS) {
      co_return co_await SendError(client, status, http::status::bad_request,
                                   "invalid_request_error", "bad_json",
                                   "expected {\"approve\": true|false, \"comment\": \"...\"}", keep);
    }
    if (doc["comment"].get(comment) != simdjson::SUCCESS) comment = "";
    std::string ticket_id(ticket), comment_text(comment);
    absl::StatusOr<std::string> state = co_await OnWorker<absl::StatusOr<std::string>>([&]() {
      return guard_->Decide(token, ticket_id,
                            approve ? jitguard::Verdict::kApprove : jitguard::Verdict::kDeny,
                            comment_text, absl::Now());
    });
    if (!state.ok()) {
      const std::string reason = jitguard::ErrorReason(state.status());
      const bool token_error =
          jitguard::GetErrorDomain(state.status()) == jitguard::ErrorDomain::kToken;
      http::status code = token_error ? http::status::unauthorized : http::status::forbidden;
      if (reason == "not_found") code = http::status::not_found;
      co_return co_await SendError(client, status, code,
                                   token_error ? "authentication_error" : "approval_error", reason,
                                   Msg(state.status()), keep);
    }
    *status = 200;
    co_return co_await Send(
        client,
        MakeJson(http::status::ok,
                 "{\"ticket\":{\"id\":" + Quote(ticket_id) + ",\"status\":" + Quote(*state) + "}}"),
        keep);
  }

  // ---- /v1/models ---------------------------------------------------------------------------------

  awaitable<bool> Models(beast::tcp_stream& client, http::request<http::string_body>& req,
                         int* status) {
    const bool keep = req.keep_alive();
    bool sent = false;
    std::optional<std::string> bearer = co_await Bearer(client, req, status, keep, &sent);
    if (!bearer.has_value()) co_return sent;
    std::string token = *std::move(bearer);
    // The caller first (a rejected token never reaches the model server), then the list.
    absl::StatusOr<std::vector<std::string>> caller =
        co_await OnWorker<absl::StatusOr<std::vector<std::string>>>([&]() {
          return guard_->PermittedModels(token, "", kInferOperation, {}, absl::Now());
        });
    if (!caller.ok()) {
      co_return co_await SendError(client, status, http::status::unauthorized,
                                   "authentication_error", jitguard::ErrorReason(caller.status()),
                                   Msg(caller.status()), keep);
    }
    std::string dataset = Header(req, "x-jitguard-dataset");
    if (dataset.empty()) dataset = opts_.dataset;

    co_return co_await WithUpstream(client, status, keep, [&](auto& up) -> awaitable<bool> {
      beast::error_code ec;
      auto& lowest = beast::get_lowest_layer(up);
      http::request<http::empty_body> ureq{http::verb::get, opts_.upstream.base_path + "/v1/models",
                                           11};
      ureq.set(http::field::host, opts_.upstream.host_header);
      if (!opts_.credential.empty()) {
        ureq.set(http::field::authorization, "Bearer " + opts_.credential);
      }
      ureq.set(http::field::accept_encoding, "identity");
      ureq.set(http::field::user_agent, "jitguard-gateway");
      ureq.keep_alive(false);
      lowest.expires_after(Chrono(opts_.idle_timeout));
      co_await http::async_write(up, ureq, net::redirect_error(use_awaitable, ec));
      http::response_parser<http::buffer_body> p;
      p.body_limit(std::numeric_limits<std::uint64_t>::max());  // bounded by ReadAll or streamed
      beast::flat_buffer ubuf;
      if (!ec) {
        lowest.expires_after(Chrono(opts_.first_byte_timeout));
        co_await http::async_read_header(up, ubuf, p, net::redirect_error(use_awaitable, ec));
        if (ec == http::error::need_buffer) ec = {};
      }
      std::string raw;
      if (!ec && p.get().result_int() == 200 && UnreadableEncoding(p.get()) == nullptr &&
          co_await ReadAll(up, ubuf, p, opts_.max_response_bytes, &raw, &ec)) {
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        simdjson::dom::array data;
        if (parser.parse(raw).get(doc) == simdjson::SUCCESS &&
            doc["data"].get(data) == simdjson::SUCCESS) {
          std::vector<std::string> ids;
          std::vector<simdjson::dom::element> entries;
          for (simdjson::dom::element m : data) {
            std::string_view id;
            if (m["id"].get(id) != simdjson::SUCCESS) continue;  // no id: not listed
            ids.emplace_back(id);
            entries.push_back(m);
          }
          absl::StatusOr<std::vector<std::string>> permitted =
              co_await OnWorker<absl::StatusOr<std::vector<std::string>>>([&]() {
                return guard_->PermittedModels(token, dataset, kInferOperation, ids, absl::Now());
              });
          if (!permitted.ok()) {
            co_return co_await SendError(client, status, http::status::unauthorized,
                                         "authentication_error",
                                         jitguard::ErrorReason(permitted.status()),
                                         Msg(permitted.status()), keep);
          }
          std::string out = "{\"object\":\"list\",\"data\":[";
          size_t next = 0;  // PermittedModels keeps the order of `ids`
          for (size_t i = 0; i < ids.size() && next < permitted->size(); ++i) {
            if (ids[i] != (*permitted)[next]) continue;
            if (next > 0) out.push_back(',');
            ++next;
            out += simdjson::minify(entries[i]);
          }
          out += "]}";
          *status = 200;
          co_return co_await Send(client, MakeJson(http::status::ok, std::move(out)), keep);
        }
      }
      co_return co_await SendError(client, status, http::status::bad_gateway, "upstream_error",
                                   "upstream_failed", "the model server's model list is unusable",
                                   keep);
    });
  }

  // ---- metrics ------------------------------------------------------------------------------------

  void Count(int status) {
    size_t i = 0;
    for (; i < kCodes.size() && kCodes[i] != status; ++i) {
    }
    counts_[i].fetch_add(1, std::memory_order_relaxed);
  }

  std::string GatewayMetrics() const {
    std::string out =
        "# HELP jitguard_gateway_requests_total Requests answered by the gateway, by status.\n"
        "# TYPE jitguard_gateway_requests_total counter\n";
    for (size_t i = 0; i <= kCodes.size(); ++i) {
      uint64_t n = counts_[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "jitguard_gateway_requests_total{status=\"" +
             (i < kCodes.size() ? std::to_string(kCodes[i]) : std::string("other")) + "\"} " +
             std::to_string(n) + "\n";
    }
    out += "# TYPE jitguard_gateway_open_streams gauge\njitguard_gateway_open_streams " +
           std::to_string(open_streams_.load()) + "\n";
    out += "# TYPE jitguard_gateway_open_connections gauge\njitguard_gateway_open_connections " +
           std::to_string(open_conns_.load()) + "\n";
    out += "# TYPE jitguard_gateway_reloads_total counter\njitguard_gateway_reloads_total{result=\"ok\"} " +
           std::to_string(reloads_.load()) + "\njitguard_gateway_reloads_total{result=\"failed\"} " +
           std::to_string(reload_failures_.load()) + "\n";
    return out;
  }

  static constexpr std::array<int, 16> kCodes = {200, 202, 400, 401, 403, 404, 405, 413,
                                                 429, 431, 499, 501, 502, 503, 504, 0};

  const Options& opts_;
  net::io_context ioc_;
  net::thread_pool workers_;
  ssl::context ssl_ctx_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::shared_ptr<jitguard::Guard> guard_;
  std::atomic<bool> draining_{false};
  std::atomic<int> open_conns_{0};
  std::atomic<int> open_streams_{0};
  std::atomic<uint64_t> reloads_{0}, reload_failures_{0};
  std::array<std::atomic<uint64_t>, kCodes.size() + 1> counts_{};
  std::mutex conns_mu_;
  std::list<std::shared_ptr<Conn>> conns_;
};

}  // namespace

int Run(const Options& options) {
  // The signals are blocked until the io_context's signal_set takes them.
  absl::StatusOr<std::shared_ptr<jitguard::Guard>> guard =
      jitguard::Guard::FromConfigFile(options.config_path);
  if (!guard.ok()) {
    std::fprintf(stderr, "jitguard-gateway: error: --config: %s\n", Msg(guard.status()).c_str());
    return 2;
  }
  Gateway gateway(options, *guard);
  return gateway.Serve();
}

}  // namespace jitguard_gateway
