// The JSON bodies the gateway reads and rewrites: an OpenAI-style request (every text the model will
// read, for the policy and the audit log, then masked in place) and a non-streaming JSON response
// (every string value masked, except the members that only carry structure).
//
// Default deny over structure: every string value anywhere in the body is treated as text the model
// reads (or, for a response, text the model wrote), except the values of a short list of members that
// name things rather than say them (model, role, type, id, name, tool_call_id, ...). A new field in a
// later version of the API is therefore masked, never passed through unseen.
#ifndef JITGUARD_GATEWAY_BODY_H_
#define JITGUARD_GATEWAY_BODY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "simdjson.h"

namespace jitguard_gateway {

enum class Endpoint { kChat, kCompletions, kEmbeddings, kResponses };

// A parsed request body; keeps the parsed document alive until it is rewritten.
class RequestBody {
 public:
  // Parses `json` for `endpoint`. Errors (kInvalidArgument): "bad_json" (not a JSON object, or not
  // UTF-8), "missing_field" (no messages / prompt / input for the endpoint).
  static absl::StatusOr<std::unique_ptr<RequestBody>> Parse(std::string_view json, Endpoint endpoint);

  const std::string& model() const { return model_; }
  bool stream() const { return stream_; }
  // Every text the model will read, one per line, in document order.
  const std::string& prompt() const { return prompt_; }

  // The body re-serialized (minified) with each text replaced by mask(text). Errors from `mask` are
  // returned as they are.
  absl::StatusOr<std::string> Rewrite(
      const std::function<absl::StatusOr<std::string>(std::string_view)>& mask) const;

 private:
  RequestBody() = default;
  std::string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  std::string model_, prompt_;
  bool stream_ = false;
};

// A JSON response body with every string value but the structural ones replaced by mask(value).
// `texts` (when not null) receives those values, one per line, for the audit record.
// Errors: "bad_json" when the body is not JSON.
absl::StatusOr<std::string> MaskJsonResponse(
    std::string_view json, const std::function<absl::StatusOr<std::string>(std::string_view)>& mask,
    std::string* texts);

// The `message` of an OpenAI-style error body ({"error": {"message": ...}} or {"error": "..."} or
// {"message": ...} or {"detail": ...}); "" when there is none.
std::string UpstreamErrorMessage(std::string_view json);

// JSON string literal of `s` (quoted, escaped).
std::string Quote(std::string_view s);

}  // namespace jitguard_gateway

#endif  // JITGUARD_GATEWAY_BODY_H_
