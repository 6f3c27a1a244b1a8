#include "gateway/body.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "jitguard/status.h"

namespace jitguard_gateway {
namespace {

using MaskFn = std::function<absl::StatusOr<std::string>(std::string_view)>;

absl::Status BadRequest(std::string_view reason, std::string_view message) {
  return jitguard::MakeError(absl::StatusCode::kInvalidArgument, jitguard::ErrorDomain::kConfig,
                             reason, message);
}

// Members whose string value names something (a model, a role, a tool, an id, a format) rather than
// carrying text: left as they are. Everything else is text.
bool Structural(std::string_view key) {
  static constexpr std::array<std::string_view, 22> kKeys = {
      "model",       "role",          "type",           "id",
      "object",      "name",          "tool_call_id",   "call_id",
      "finish_reason", "encoding_format", "url",        "detail",
      "service_tier", "reasoning_effort", "previous_response_id", "truncation",
      "system_fingerprint", "status", "format",         "response_id",
      "item_id",     "tool_choice"};
  for (std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

void AppendQuoted(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
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

// Collects the text values (document order).
void Collect(simdjson::dom::element e, bool structural, std::string* texts) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (simdjson::dom::key_value_pair kv : simdjson::dom::object(e)) {
        Collect(kv.value, Structural(kv.key), texts);
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (simdjson::dom::element v : simdjson::dom::array(e)) Collect(v, structural, texts);
      break;
    case simdjson::dom::element_type::STRING:
      if (!structural) {
        std::string_view s = e.get_string().value_unsafe();
        if (!s.empty()) {
          if (!texts->empty()) texts->push_back('\n');
          texts->append(s);
        }
      }
      break;
    default:
      break;
  }
}

absl::Status Write(simdjson::dom::element e, bool structural, const MaskFn& mask, std::string* out) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out->push_back('{');
      bool first = true;
      for (simdjson::dom::key_value_pair kv : simdjson::dom::object(e)) {
        if (!first) out->push_back(',');
        first = false;
        AppendQuoted(out, kv.key);
        out->push_back(':');
        absl::Status s = Write(kv.value, Structural(kv.key), mask, out);
        if (!s.ok()) return s;
      }
      out->push_back('}');
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      for (simdjson::dom::element v : simdjson::dom::array(e)) {
        if (!first) out->push_back(',');
        first = false;
        absl::Status s = Write(v, structural, mask, out);
        if (!s.ok()) return s;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      if (structural || s.empty()) {
        AppendQuoted(out, s);
        return absl::OkStatus();
      }
      absl::StatusOr<std::string> masked = mask(s);
      if (!masked.ok()) return masked.status();
      AppendQuoted(out, *masked);
      return absl::OkStatus();
    }
    default:
      out->append(simdjson::minify(e));
      return absl::OkStatus();
  }
}

}  // namespace

std::string Quote(std::string_view s) {
  std::string out;
  AppendQuoted(&out, s);
  return out;
}

absl::StatusOr<std::unique_ptr<RequestBody>> RequestBody::Parse(std::string_view json,
                                                                 Endpoint endpoint) {
  std::unique_ptr<RequestBody> body(new RequestBody());
  body->json_.assign(json);
  simdjson::dom::element root;
  if (body->parser_.parse(body->json_).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return BadRequest("bad_json", "the request body is not a JSON object");
  }
  body->root_ = root;
  std::string_view model;
  if (root["model"].get(model) == simdjson::SUCCESS) body->model_.assign(model);
  bool stream = false;
  if (root["stream"].get(stream) == simdjson::SUCCESS) body->stream_ = stream;
  const char* needed = "";
  switch (endpoint) {
    case Endpoint::kChat: needed = "messages"; break;
    case Endpoint::kCompletions: needed = "prompt"; break;
    case Endpoint::kEmbeddings: needed = "input"; break;
    case Endpoint::kResponses: needed = "input"; break;
  }
  simdjson::dom::element field;
  if (root[needed].get(field) != simdjson::SUCCESS || field.is_null()) {
    return BadRequest("missing_field", std::string(needed) + ": required");
  }
  if (endpoint == Endpoint::kChat && !field.is_array()) {
    return BadRequest("bad_json", "messages: expected an array");
  }
  Collect(root, false, &body->prompt_);
  return body;
}

absl::StatusOr<std::string> RequestBody::Rewrite(const MaskFn& mask) const {
  std::string out;
  out.reserve(json_.size() + 64);
  absl::Status s = Write(root_, false, mask, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> MaskJsonResponse(std::string_view json, const MaskFn& mask,
                                             std::string* texts) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return BadRequest("bad_json", "the upstream response is not valid JSON");
  }
  if (texts != nullptr) Collect(root, false, texts);
  std::string out;
  out.reserve(json.size() + 64);
  absl::Status s = Write(root, false, mask, &out);
  if (!s.ok()) return s;
  return out;
}

std::string UpstreamErrorMessage(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return "";
  std::string_view msg;
  simdjson::dom::element err;
  if (root["error"].get(err) == simdjson::SUCCESS) {
    if (err.get(msg) == simdjson::SUCCESS) return std::string(msg);
    if (err["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  }
  if (root["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  if (root["detail"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  return "";
}

}  // namespace jitguard_gateway
