// ReadInferenceRequest: the shape checks of an OpenAI-compatible / Ollama request body, and the text
// it puts before the model (the masker's RequestPromptText, the same walk that masks the body).
#include <string>

#include "absl/strings/match.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "simdjson.h"

namespace jitguard {
namespace {

absl::Status Refuse(std::string_view reason, std::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kAccess, reason, message);
}

bool IsTokenIds(simdjson::dom::array array) {
  for (simdjson::dom::element e : array) {
    if (e.is_number() || e.is_array()) return true;
  }
  return false;
}

// A content part the guard can read or can let through: text, and images given by URL or as an
// image data: URL. A file, audio, or a data: URL of another media type carries content neither
// the policy nor the masker sees (a text file, base64): refused, never forwarded unread.
absl::Status CheckPart(simdjson::dom::element part) {
  simdjson::dom::object object;
  if (part.get(object) != simdjson::SUCCESS) return absl::OkStatus();
  std::string_view type;
  if (object["type"].get(type) == simdjson::SUCCESS &&
      (type == "file" || type == "input_file" || type == "input_audio" || type == "audio")) {
    return Refuse("unreadable_part",
                  "a file or audio part cannot be read by the guard and is not forwarded; send "
                  "its text");
  }
  for (std::string_view member : {"image_url", "file_data", "file_url", "input_audio"}) {
    simdjson::dom::element value;
    if (object[member].get(value) != simdjson::SUCCESS) continue;
    if (member != "image_url") {
      return Refuse("unreadable_part",
                    "a file or audio part cannot be read by the guard and is not forwarded; send "
                    "its text");
    }
    std::string_view url;
    if (value.get(url) != simdjson::SUCCESS && value["url"].get(url) != simdjson::SUCCESS) continue;
    if (url.size() >= 5 && absl::EqualsIgnoreCase(absl::string_view(url.data(), 5), "data:") &&
        !(url.size() >= 11 &&
          absl::EqualsIgnoreCase(absl::string_view(url.data(), 11), "data:image/"))) {
      return Refuse("unreadable_part",
                    "a data: URL that is not an image cannot be read by the guard and is not "
                    "forwarded; send its text");
    }
  }
  return absl::OkStatus();
}

// The parts of a content list.
absl::Status CheckParts(simdjson::dom::element content) {
  simdjson::dom::array parts;
  if (content.get(parts) != simdjson::SUCCESS) return absl::OkStatus();
  for (simdjson::dom::element part : parts) {
    if (absl::Status s = CheckPart(part); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// messages: a list of objects whose content is text, a list of parts, or null.
absl::Status CheckMessages(simdjson::dom::element messages) {
  simdjson::dom::array list;
  if (messages.get(list) != simdjson::SUCCESS) {
    return Refuse("bad_messages", "messages must be a list of message objects");
  }
  for (simdjson::dom::element m : list) {
    simdjson::dom::object message;
    if (m.get(message) != simdjson::SUCCESS) {
      return Refuse("bad_messages", "every message must be an object");
    }
    for (simdjson::dom::key_value_pair field : message) {
      if (field.key != "content") continue;
      if (!(field.value.is_string() || field.value.is_array() || field.value.is_null())) {
        return Refuse("bad_messages", "a message's content must be text, a list of parts or null");
      }
      simdjson::dom::array parts;
      if (field.value.get(parts) == simdjson::SUCCESS) {
        for (simdjson::dom::element part : parts) {
          if (!part.is_object() && !part.is_string()) {
            return Refuse("bad_messages", "a content part must be an object");
          }
          if (absl::Status s = CheckPart(part); !s.ok()) return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

// prompt / input: text, a list of texts (or of input items, objects), never token ids.
absl::Status CheckPrompt(simdjson::dom::element value, std::string_view name) {
  if (value.is_string() || value.is_object()) return absl::OkStatus();
  simdjson::dom::array list;
  if (value.get(list) != simdjson::SUCCESS) {
    return Refuse("bad_prompt", std::string(name) + " must be text or a list");
  }
  if (IsTokenIds(list)) {
    return Refuse("token_prompt",
                  std::string(name) + " as token ids cannot be read by the policy; send text");
  }
  for (simdjson::dom::element e : list) {
    if (!e.is_string() && !e.is_object()) {
      return Refuse("bad_prompt", std::string(name) + " must be a list of texts or items");
    }
    // A Responses API input item is a part itself or a message with a list of parts.
    if (absl::Status s = CheckPart(e); !s.ok()) return s;
    simdjson::dom::element content;
    if (e["content"].get(content) == simdjson::SUCCESS) {
      if (absl::Status s = CheckParts(content); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<InferenceRequest> ReadInferenceRequest(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return Refuse("bad_json", "the request body is not valid JSON");
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return Refuse("not_an_object", "the request body must be a JSON object");
  }
  InferenceRequest request;
  bool has_text = false;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == "model") {
      std::string_view model;
      if (field.value.get(model) != simdjson::SUCCESS) {
        return Refuse("bad_field", "model must be a string");
      }
      request.model = std::string(model);
    } else if (field.key == "stream") {
      if (field.value.get(request.stream) != simdjson::SUCCESS) {
        return Refuse("bad_field", "stream must be a boolean");
      }
    } else if (field.key == "messages") {
      if (absl::Status s = CheckMessages(field.value); !s.ok()) return s;
      has_text = true;
    } else if (field.key == "prompt" || field.key == "input") {
      if (absl::Status s = CheckPrompt(field.value, field.key); !s.ok()) return s;
      has_text = true;
    }
  }
  if (!has_text) {
    return Refuse("no_prompt", "the request has no messages, prompt or input");
  }
  absl::StatusOr<std::string> prompt = RequestPromptText(body);
  if (!prompt.ok()) return Refuse("bad_json", "the request body is not valid JSON");
  request.prompt = *std::move(prompt);
  return request;
}

}  // namespace jitguard
