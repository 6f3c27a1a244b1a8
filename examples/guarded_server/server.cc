// The guarded server's request handling (see main.cc for the program and server.h for the API).
#include "examples/guarded_server/server.h"

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "simdjson.h"

namespace guarded_server {
namespace {

// ---- JSON writing
// ---------------------------------------------------------------------------------

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// The human message of a status (Debian's Abseil has its own string_view).
std::string Message(const absl::Status& s) {
  return std::string(s.message().data(), s.message().size());
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string QuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, items[i]);
  }
  out.push_back(']');
  return out;
}

void SendJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void SendError(httplib::Response& res, int status, std::string_view type, const absl::Status& s,
               const std::vector<std::string>& rules = {}) {
  std::string body = "{\"error\":{\"type\":" + Quote(type) +
                     ",\"code\":" + Quote(jitguard::ErrorReason(s)) +
                     ",\"message\":" + Quote(Message(s));
  if (!rules.empty()) body += ",\"rules\":" + QuoteList(rules);
  body += "}}";
  SendJson(res, status, body);
}

// ---- the request
// ----------------------------------------------------------------------------------

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The bearer token of the Authorization header; the scheme is case-insensitive (RFC 9110 11.1).
// "" when there is none (Admit then refuses with 401). Two Authorization headers are refused by
// the caller (DuplicateAuthorization) before this is read.
std::string BearerToken(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.size() > 7 && IEquals(std::string_view(auth).substr(0, 7), "bearer ")) {
    size_t start = 7;
    while (start < auth.size() && auth[start] == ' ') ++start;
    return auth.substr(start);
  }
  return "";
}

// The decoded request body's cap (a compressed body is bounded after decoding).
constexpr size_t kMaxBody = 8u << 20;

// The Content-Encodings httplib decodes for the handler (one coding; "" when none).
bool DecodableEncoding(const std::string& encoding) {
  return encoding.empty() || IEquals(encoding, "identity") || IEquals(encoding, "gzip") ||
         IEquals(encoding, "deflate") || IEquals(encoding, "br");
}

// True (and the 400 sent) when the request carries more than one Authorization header: which one
// a proxy or the server would take is ambiguous, so neither is.
bool RefuseDuplicateAuthorization(const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value_count("Authorization") <= 1) return false;
  SendJson(res, 400,
           "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"duplicate_authorization\","
           "\"message\":\"more than one Authorization header\"}}");
  return true;
}

// ---- the stand-in model
// ---------------------------------------------------------------------------

// A canned answer in the chunks a tokenizer might produce. The email and the phone number are split
// across chunks on purpose: a chunk-by-chunk regex would miss them; jitguard's stream does not.
std::vector<std::string> StandInModel(std::string_view prompt) {
  if (prompt.find("xport") != std::string_view::npos) {
    return {"Exported 3 rows: ana@corp.example, ", "ben@corp.", "example, chi@corp.example."};
  }
  return {"Ticket 4411 was opened by Dana Whitfield (dana.whit",
          "field@example.com, ",
          "phone +1 415 555 ",
          "0134). The refund for card ",
          "4111 1111 1111 1111 never arrived. ",
          "Suggested reply: apologise and re-issue the refund."};
}

std::string ChunkEvent(std::string_view id, std::string_view model, std::string_view content,
                       bool finish) {
  std::string data =
      "data: {\"id\":" + Quote(id) +
      ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(std::time(nullptr)) +
      ",\"model\":" + Quote(model) +
      ",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + Quote(content) +
      "},\"finish_reason\":" + (finish ? "\"stop\"" : "null") + "}]}\n\n";
  return data;
}

// ---- the server
// -----------------------------------------------------------------------------------

class GuardedServer {
 public:
  GuardedServer(std::shared_ptr<jitguard::Guard> guard, Options options)
      : guard_(std::move(guard)), options_(std::move(options)) {}

  // Registers the routes; the handlers keep `self` (this object) alive.
  void Register(httplib::Server& server, std::shared_ptr<GuardedServer> self) {
    // The body is read here, not by httplib up front, so its decoded size is bounded: httplib
    // decodes gzip / deflate / br (Debian builds it with zlib and brotli) as the chunks arrive, and
    // a body that expands past kMaxBody is refused (a compression bomb never fills memory).
    server.Post("/v1/chat/completions", [self](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader& reader) {
      if (!DecodableEncoding(req.get_header_value("Content-Encoding"))) {
        SendJson(res, 415,
                 "{\"error\":{\"type\":\"invalid_request_error\",\"code\":"
                 "\"unsupported_encoding\",\"message\":\"the request's Content-Encoding cannot be "
                 "decoded here (gzip, deflate, br or identity)\"}}");
        return;
      }
      std::string body;
      bool too_large = false;
      bool ok = reader([&](const char* data, size_t n) {
        if (body.size() + n > kMaxBody) {
          too_large = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
      if (too_large) {
        SendJson(res, 413,
                 "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"too_large\","
                 "\"message\":\"request body too large\"}}");
        return;
      }
      if (!ok) {
        SendJson(res, 400,
                 "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"bad_encoding\","
                 "\"message\":\"the request body cannot be read or decoded\"}}");
        return;
      }
      self->Chat(req, body, res);
    });
    server.Post(
        R"(/v1/approvals/([0-9a-f]+))",
        [self](const httplib::Request& req, httplib::Response& res) { self->Decide(req, res); });
    server.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
      res.set_content(self->guard_->MetricsText(), "text/plain; version=0.0.4");
    });
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
  }

 private:
  void Chat(const httplib::Request& req, const std::string& request_body, httplib::Response& res) {
    if (RefuseDuplicateAuthorization(req, res)) return;
    // A body the guard cannot read is refused with its reason, never admitted with an empty prompt.
    absl::StatusOr<jitguard::InferenceRequest> chat = jitguard::ReadInferenceRequest(request_body);
    if (!chat.ok()) return SendError(res, 400, "invalid_request_error", chat.status());
    jitguard::AdmitRequest admit;
    admit.bearer_token = BearerToken(req);
    admit.model = chat->model;
    admit.dataset = req.get_header_value("X-Jitguard-Dataset");
    admit.operation = "infer";
    admit.prompt = chat->prompt;
    admit.approval = req.get_header_value("X-Jitguard-Approval");
    jitguard::Refusal refusal;
    absl::StatusOr<jitguard::Admission> admission = guard_->Admit(admit, absl::Now(), &refusal);
    if (!admission.ok()) {
      const absl::Status& s = admission.status();
      if (jitguard::GetErrorDomain(s) == jitguard::ErrorDomain::kToken) {
        res.set_header("WWW-Authenticate", "Bearer");
        SendError(res, 401, "authentication_error", s);
      } else if (jitguard::ErrorReason(s) == "approval_required") {
        SendJson(res, 202,
                 "{\"status\":\"approval_required\",\"message\":" + Quote(Message(s)) +
                     ",\"ticket\":{\"id\":" + Quote(refusal.ticket_id) +
                     ",\"approver_groups\":" + QuoteList(refusal.decision.approvers) +
                     "},\"retry_with_header\":\"x-jitguard-approval\"}");
      } else if (jitguard::GetErrorDomain(s) == jitguard::ErrorDomain::kAccess) {
        SendError(res, 403, "access_denied", s, refusal.decision.rules);
      } else if (jitguard::GetErrorDomain(s) == jitguard::ErrorDomain::kApproval) {
        SendError(res, 403, "approval_error", s);
      } else {
        SendError(res, 503, "jitguard_error", s);
      }
      return;
    }

    // The data store behind the model checks the grant, once.
    absl::Status grant = guard_->VerifyGrant(admission->grant, admission->dataset,
                                             admission->operation, absl::Now());
    if (!grant.ok()) {
      SendError(res, 403, "grant_error", grant);
      return;
    }

    // What the model reads: the whole body masked over its structure (messages in every form,
    // tool-call arguments, tool results), not only the prompt text.
    absl::StatusOr<std::string> body = guard_->MaskRequestBody(*admission, request_body);
    if (!body.ok()) return SendError(res, 503, "jitguard_error", body.status());
    absl::StatusOr<std::string> prompt = jitguard::RequestPromptText(*body);
    if (!prompt.ok()) return SendError(res, 503, "jitguard_error", prompt.status());
    std::vector<std::string> chunks = StandInModel(*prompt);
    std::string id = "chatcmpl-" + admission->request_id;

    if (options_.has_replay) return Replay(*admission, chat->stream, res);

    if (!chat->stream) {
      // The model server's JSON body, masked over its structure (kJson) like a real upstream's.
      std::string text;
      for (const std::string& c : chunks) text += c;
      std::string raw = "{\"id\":" + Quote(id) +
                        ",\"object\":\"chat.completion\",\"model\":" + Quote(chat->model) +
                        ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        "\"content\":" +
                        Quote(text) + "},\"finish_reason\":\"stop\"}]}";
      absl::StatusOr<std::unique_ptr<jitguard::ResponseGuard>> rg =
          guard_->NewResponse(*admission, jitguard::ResponseFormat::kJson);
      if (!rg.ok()) return SendError(res, 503, "jitguard_error", rg.status());
      absl::StatusOr<std::string> out = (*rg)->Write(raw);
      if (!out.ok()) return SendError(res, 503, "jitguard_error", out.status());
      absl::StatusOr<std::string> tail = (*rg)->Finish(absl::Now());
      if (!tail.ok()) return SendError(res, 503, "jitguard_error", tail.status());
      SendJson(res, 200, *out + *tail);
      return;
    }

    absl::StatusOr<std::unique_ptr<jitguard::ResponseGuard>> made =
        guard_->NewResponse(*admission, jitguard::ResponseFormat::kSse);
    if (!made.ok()) return SendError(res, 503, "jitguard_error", made.status());
    // The content provider may outlive this handler's frame: it owns what it needs.
    struct StreamState {
      std::unique_ptr<jitguard::ResponseGuard> rg;
      std::vector<std::string> chunks;
      std::string id, model;
      size_t next = 0;
    };
    auto state = std::make_shared<StreamState>();
    state->rg = *std::move(made);
    state->chunks = std::move(chunks);
    state->id = id;
    state->model = chat->model;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [state](size_t, httplib::DataSink& sink) {
          // One model chunk per call, as a real model would produce them.
          std::string raw;
          bool last = state->next + 1 >= state->chunks.size();
          if (state->next < state->chunks.size()) {
            raw = ChunkEvent(state->id, state->model, state->chunks[state->next++], false);
          }
          if (last) raw += ChunkEvent(state->id, state->model, "", true) + "data: [DONE]\n\n";
          absl::StatusOr<std::string> out = state->rg->Write(raw);
          if (!out.ok())
            return false;  // fail closed: cut the stream rather than send unmasked text
          if (last) {
            absl::StatusOr<std::string> tail = state->rg->Finish(absl::Now());
            if (!tail.ok()) return false;
            *out += *tail;
          }
          if (!out->empty() && !sink.write(out->data(), out->size())) return false;
          if (last) sink.done();
          return true;
        },
        [state](bool) {
          // Ends an unfinished stream (client gone): the held tail is dropped, the response
          // audited.
          if (state->rg != nullptr && !state->rg->finished()) (void)state->rg->Finish(absl::Now());
        });
  }

  // Test-only: the upstream response is options_.replay, masked as the real model server's would
  // be (kSse for a streaming request, kJson otherwise) and written in replay_chunk-byte pieces.
  void Replay(const jitguard::Admission& admission, bool stream, httplib::Response& res) {
    absl::StatusOr<std::unique_ptr<jitguard::ResponseGuard>> rg = guard_->NewResponse(
        admission, stream ? jitguard::ResponseFormat::kSse : jitguard::ResponseFormat::kJson);
    if (!rg.ok()) return SendError(res, 503, "jitguard_error", rg.status());
    const std::string& raw = options_.replay;
    const size_t step = options_.replay_chunk == 0 ? raw.size() + 1 : options_.replay_chunk;
    std::string out;
    for (size_t at = 0; at < raw.size(); at += step) {
      absl::StatusOr<std::string> part = (*rg)->Write(std::string_view(raw).substr(at, step));
      if (!part.ok()) return SendError(res, 502, "jitguard_error", part.status());
      out += *part;
    }
    absl::StatusOr<std::string> tail = (*rg)->Finish(absl::Now());
    if (!tail.ok()) return SendError(res, 502, "jitguard_error", tail.status());
    out += *tail;
    res.status = 200;
    if (stream) res.set_header("Cache-Control", "no-cache");
    res.set_content(out, stream ? "text/event-stream" : "application/json");
  }

  void Decide(const httplib::Request& req, httplib::Response& res) {
    if (RefuseDuplicateAuthorization(req, res)) return;
    std::string ticket = req.matches[1];
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    bool approve = false;
    std::string_view comment;
    if (parser.parse(req.body).get(doc) != simdjson::SUCCESS ||
        doc["approve"].get(approve) != simdjson::SUCCESS) {
      SendJson(res, 400,
               "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"bad_json\","
               "\"message\":\"expected {\\\"approve\\\": true|false}\"}}");
      return;
    }
    if (doc["comment"].get(comment) != simdjson::SUCCESS) comment = "";
    absl::StatusOr<std::string> state = guard_->Decide(
        BearerToken(req), ticket, approve ? jitguard::Verdict::kApprove : jitguard::Verdict::kDeny,
        comment, absl::Now());
    if (!state.ok()) {
      int status =
          jitguard::GetErrorDomain(state.status()) == jitguard::ErrorDomain::kToken ? 401 : 403;
      if (jitguard::ErrorReason(state.status()) == "not_found") status = 404;
      SendError(res, status, "approval_error", state.status());
      return;
    }
    SendJson(res, 200,
             "{\"ticket\":{\"id\":" + Quote(ticket) + ",\"status\":" + Quote(*state) + "}}");
  }

  std::shared_ptr<jitguard::Guard> guard_;
  Options options_;
};
}  // namespace

std::vector<std::string> StandInAnswer(std::string_view prompt) { return StandInModel(prompt); }

void Register(httplib::Server& server, std::shared_ptr<jitguard::Guard> guard, Options options) {
  auto app = std::make_shared<GuardedServer>(std::move(guard), std::move(options));
  app->Register(server, app);
}

}  // namespace guarded_server
