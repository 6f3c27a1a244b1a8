#include "lib/mask/structure.h"

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "lib/base/json.h"
#include "lib/mask/builtin.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"

namespace jitguard::mask {
namespace {

// A routing index (a choice's or tool call's "index", "output_index", "content_index"): an integer
// in 0..kMaxRoutingIndex. Anything else makes the event ambiguous: a client could route its text
// differently, and the synthetic event that flushes a channel's held text names its index raw (a
// card number given as "output_index" came back whole; found by the response fuzzer).
constexpr int64_t kMaxRoutingIndex = 65535;

bool RoutingIndex(simdjson::dom::element value, int64_t* n) {
  return value.get(*n) == simdjson::SUCCESS && *n >= 0 && *n <= kMaxRoutingIndex;
}

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr std::array<std::pair<std::string_view, Shape>, 14> kDefaultMembers = {{
    {"id", Shape::kIdentifier},
    {"object", Shape::kWord},
    {"created", Shape::kInteger},
    {"model", Shape::kModel},
    {"role", Shape::kWord},
    {"finish_reason", Shape::kWord},
    {"index", Shape::kInteger},
    {"type", Shape::kWord},
    {"system_fingerprint", Shape::kIdentifier},
    {"item_id", Shape::kIdentifier},
    {"output_index", Shape::kInteger},
    {"content_index", Shape::kInteger},
    {"sequence_number", Shape::kInteger},
    {"status", Shape::kWord},
}};

// Member names of the OpenAI (chat, completions, embeddings, responses) and Ollama schemas. Other
// names are masked like values: a model can put text in a key of the JSON it writes.
const absl::flat_hash_set<std::string_view>& Vocabulary() {
  static const auto* const kNames = new absl::flat_hash_set<std::string_view>{
      "id", "object", "created", "created_at", "model", "choices", "index", "delta", "message",
      "messages", "content", "role", "refusal", "reasoning", "reasoning_content", "thinking",
      "tool_calls", "tool_call_id", "function", "function_call", "name", "arguments", "type",
      "text", "finish_reason", "stop_reason", "logprobs", "token", "bytes", "logprob",
      "top_logprobs", "tokens", "token_logprobs", "text_offset", "usage", "prompt_tokens",
      "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details",
      "cached_tokens", "reasoning_tokens", "audio_tokens", "accepted_prediction_tokens",
      "rejected_prediction_tokens", "input_tokens", "output_tokens", "input_tokens_details",
      "output_tokens_details", "system_fingerprint", "service_tier", "error", "code", "param",
      "annotations", "audio", "data", "embedding", "output", "output_text", "input", "item_id",
      "output_index", "content_index", "sequence_number", "status", "response", "item", "part",
      "summary", "summary_index", "done", "done_reason", "total_duration", "load_duration",
      "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration", "images",
      "stream", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop",
      "seed", "user", "tools", "tool_choice", "parameters", "description", "strict",
      "response_format", "json_schema", "schema", "stream_options", "include_usage",
      "presence_penalty", "frequency_penalty", "logit_bias", "image_url", "url", "detail",
      "input_audio", "file", "file_id", "filename", "file_data", "format", "encoding_format",
      "dimensions", "prompt", "suffix", "echo", "best_of", "instructions", "previous_response_id",
      "max_output_tokens", "metadata", "parallel_tool_calls", "store", "truncation", "incomplete",
      "incomplete_details", "call_id", "options", "keep_alive", "context", "system", "raw",
      "template", "num_ctx", "num_predict", "top_k", "repeat_penalty", "timings", "id_slot",
      "tokens_predicted", "tokens_evaluated", "generation_settings", "stopped_eos",
      "stopped_word", "stopped_limit", "stopping_word", "truncated", "created_by", "owned_by",
      "root", "parent", "permission", "max_model_len", "details", "message_id",
  };
  return *kNames;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Letters, digits and the bytes in `extra`; at least one letter; no run of 7 digits.
bool IdLike(std::string_view v, size_t max, std::string_view extra) {
  if (v.empty() || v.size() > max) return false;
  bool letter = false;
  int digits = 0;
  for (char c : v) {
    if (IsDigit(c)) {
      if (++digits >= 7) return false;
      continue;
    }
    digits = 0;
    if (IsLetter(c)) {
      letter = true;
    } else if (extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return letter;
}

bool ParentIs(const auto* frame, std::string_view key) {
  return frame != nullptr && frame->index < 0 && frame->key == key;
}

}  // namespace

void AppendByteArray(std::string_view text, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(std::to_string(static_cast<unsigned char>(text[i])));
  }
  out->push_back(']');
}

// ---- StructuralRules --------------------------------------------------------------------------

StructuralRules::StructuralRules(const std::optional<std::vector<std::string>>& members) {
  if (!members.has_value()) {
    for (const auto& [name, shape] : kDefaultMembers) members_.emplace_back(name, shape);
    return;
  }
  for (const std::string& name : *members) {
    Shape shape = Shape::kGeneric;
    for (const auto& [known, known_shape] : kDefaultMembers) {
      if (known == name) shape = known_shape;
    }
    members_.emplace_back(name, shape);
  }
}

std::optional<Shape> StructuralRules::ShapeOf(std::string_view name) const {
  for (const auto& [member, shape] : members_) {
    if (member == name) return shape;
  }
  return std::nullopt;
}

bool StructuralRules::StringFits(Shape shape, std::string_view v) {
  switch (shape) {
    case Shape::kIdentifier:
      return IdLike(v, 128, "-_.:");
    case Shape::kModel:
      return IdLike(v, 128, "-_.:/");
    case Shape::kGeneric:
      return IdLike(v, 64, "-_.:");
    case Shape::kWord:
      if (v.empty() || v.size() > 64 || !(v[0] >= 'a' && v[0] <= 'z')) return false;
      for (char c : v) {
        if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '.')) return false;
      }
      return true;
    case Shape::kInteger:
      return false;  // an integer member given as a string is free text
  }
  return false;
}

bool IsTranscriptChannel(ChannelField field) {
  return field != ChannelField::kLogprobs && field != ChannelField::kLogprobsRefusal;
}

// ---- StructureWalker ----------------------------------------------------------------------------

// Where a value sits: its member name (or array position) and its ancestors.
struct StructureWalker::Frame {
  const Frame* parent = nullptr;
  std::string_view key;  // member name; "" for an array element or the root
  int64_t index = -1;    // position in the array, -1 for a member or the root
  int64_t id = -1;       // an element of choices / tool_calls / output / content: its "index"
                         // member when it has an integer one, else its position
  bool finishing = false;  // a choice with a finish_reason string
  int whole_rule = -1;     // kDocument: inside a configured json_keys member, its rule
  bool root() const { return parent == nullptr; }
};

namespace {

using FrameT = StructureWalker::Frame;

// The element of the root's "choices" array that `f` is, or null.
const FrameT* AsChoice(const FrameT* f) {
  if (f == nullptr || f->index < 0) return nullptr;
  const FrameT* list = f->parent;
  if (!ParentIs(list, "choices") || list->parent == nullptr || !list->parent->root()) return nullptr;
  return f;
}

}  // namespace

StructureWalker::StructureWalker(const Masker& masker, WalkMode mode, const StructuralRules* rules,
                                 FindingCounts* counts, ChannelSink* channels,
                                 ResponseTranscript* transcript)
    : masker_(masker),
      impl_(ImplOf(masker)),
      mode_(mode),
      rules_(rules),
      counts_(counts),
      channels_(channels),
      transcript_(transcript) {}

void StructureWalker::Walk(element root, std::string* out, WalkNotes* notes) {
  WalkNotes ignored;
  notes_ = notes != nullptr ? notes : &ignored;
  Frame top;
  Value(root, top, out);
  notes_ = nullptr;
}

void StructureWalker::MaskText(std::string_view text, std::string* out) {
  masker_.MaskAppend(text, out, counts_);
}

void StructureWalker::NoteTranscript(int64_t choice, std::string_view text) {
  if (transcript_ != nullptr && nested_ == 0) (*transcript_)[choice].append(text);
}

void StructureWalker::Value(element el, const Frame& at, std::string* out) {
  switch (el.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object;
      if (el.get(object) == simdjson::SUCCESS) Object(object, at, out);
      return;
    }
    case element_type::ARRAY: {
      simdjson::dom::array array;
      if (el.get(array) == simdjson::SUCCESS) Array(array, at, out);
      return;
    }
    case element_type::STRING: {
      std::string_view s;
      if (el.get(s) == simdjson::SUCCESS) String(s, at, out);
      return;
    }
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      Number(el, at, out);
      return;
    default: {  // booleans and null carry no value worth masking
      bool b = false;
      if (el.get(b) != simdjson::SUCCESS) {
        out->append("null");
      } else {
        out->append(b ? "true" : "false");
      }
      return;
    }
  }
}

void StructureWalker::Key(std::string_view key, std::string* out) {
  if (mode_ == WalkMode::kDocument || (nested_ == 0 && Vocabulary().contains(key))) {
    base::AppendJsonString(out, key);
    return;
  }
  scratch_.clear();
  MaskText(key, &scratch_);
  base::AppendJsonString(out, scratch_);
}

void StructureWalker::Object(simdjson::dom::object object, const Frame& at, std::string* out) {
  const bool response = mode_ == WalkMode::kResponse && nested_ == 0;
  Frame self = at;  // this object's own frame (ids and flags are filled in below)
  const FrameT* choice = response ? AsChoice(&at) : nullptr;
  std::string_view token;  // a logprobs entry's token, when it also has `bytes`
  bool has_token = false, has_bytes = false;
  std::string root_type;
  int64_t output_index = -1, content_index = -1;
  int types = 0, output_indexes = 0, content_indexes = 0;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == "bytes") has_bytes = true;
    std::string_view s;
    if (field.key == "token" && !has_token && field.value.get(s) == simdjson::SUCCESS) {
      token = s;
      has_token = true;
    }
    if (choice != nullptr && field.key == "finish_reason" &&
        field.value.get(s) == simdjson::SUCCESS && !s.empty()) {
      self.finishing = true;
    }
    if (response && at.root()) {
      int64_t n;
      // Only a type of the structural shape routes the event (a free-text "type" is masked like
      // any other string, and must not come back raw in a synthetic event's "type").
      // It must not carry a value either (it would come back in a synthetic event's "type").
      if (field.key == "type" && ++types == 1 && field.value.get(s) == simdjson::SUCCESS &&
          StructuralRules::StringFits(Shape::kWord, s) && masker_.Mask(s) == s) {
        root_type = s;
      }
      if (field.key == "output_index") {
        if (++output_indexes > 1 || !RoutingIndex(field.value, &n)) {
          notes_->ambiguous = true;
        } else {
          output_index = n;
        }
      }
      if (field.key == "content_index") {
        if (++content_indexes > 1 || !RoutingIndex(field.value, &n)) {
          notes_->ambiguous = true;
        } else {
          content_index = n;
        }
      }
      bool done = false;
      if (field.key == "done" && field.value.get(done) == simdjson::SUCCESS && done) {
        notes_->ollama_done = true;
      }
    }
  }
  if (types > 1) notes_->ambiguous = true;
  if (choice != nullptr && self.finishing) notes_->finishing_choices.push_back(self.id);
  if (response && at.root() && root_type.size() > 5 &&
      root_type.compare(root_type.size() - 5, 5, ".done") == 0) {
    notes_->responses_done = true;
    notes_->output_index = output_index;
    notes_->content_index = content_index;
  }
  if (response && at.root() && root_type.size() > 6 &&
      root_type.compare(root_type.size() - 6, 6, ".delta") == 0) {
    responses_type_ = root_type;
    responses_output_ = output_index;
    responses_content_ = content_index;
  } else if (response && at.root()) {
    responses_type_.clear();  // (a parsed `arguments` document inside the event leaves it alone)
  }

  // A logprobs entry: the token is masked first, so `bytes` can be rebuilt from it.
  std::string masked_token;
  bool token_done = false;
  if (has_token && has_bytes) {
    Frame token_frame{.parent = &self, .key = "token"};
    masked_token = MaskedString(token, token_frame);
  }

  out->push_back('{');
  bool first = true;
  const bool envelope_root = response && at.root();
  for (simdjson::dom::key_value_pair field : object) {
    if (!first) out->push_back(',');
    first = false;
    const size_t key_at = out->size();
    Key(field.key, out);
    out->push_back(':');
    Frame child{.parent = &self, .key = field.key, .whole_rule = self.whole_rule};
    if (mode_ == WalkMode::kDocument && child.whole_rule < 0) child.whole_rule = KeyRule(field.key);
    if (has_token && has_bytes && field.key == "token" && !token_done &&
        field.value.is_string()) {
      token_done = true;
      base::AppendJsonString(out, masked_token);
    } else if (field.key == "bytes" && field.value.is_array() && response) {
      // Bytes are the token's text as numbers: only the masked token's bytes may go out.
      if (has_token) {
        AppendByteArray(masked_token, out);
      } else {
        out->append("null");
      }
    } else {
      Value(field.value, child, out);
    }
    if (envelope_root && (field.key == "id" || field.key == "object" || field.key == "created" ||
                          field.key == "created_at" || field.key == "model" ||
                          field.key == "system_fingerprint")) {
      notes_->envelope.append(*out, key_at, out->size() - key_at);
      notes_->envelope.push_back(',');
    }
    if (response && at.root() && field.key == "item_id") {
      notes_->responses_item.assign(*out, key_at, out->size() - key_at);
      notes_->responses_item.push_back(',');
    }
  }
  out->push_back('}');
}

void StructureWalker::Array(simdjson::dom::array array, const Frame& at, std::string* out) {
  const bool response = mode_ == WalkMode::kResponse && nested_ == 0;
  // Elements whose "index" member names them (choices, tool_calls) are keyed by it.
  const bool indexed = response && (at.key == "choices" || at.key == "tool_calls" ||
                                    at.key == "output" || at.key == "content");
  out->push_back('[');
  int64_t position = 0;
  for (element child : array) {
    if (position > 0) out->push_back(',');
    Frame frame{.parent = &at, .index = position, .id = position, .whole_rule = at.whole_rule};
    simdjson::dom::object object;
    if (indexed && child.get(object) == simdjson::SUCCESS) {
      int count = 0;
      for (simdjson::dom::key_value_pair field : object) {
        if (field.key != "index") continue;
        int64_t given;
        if (++count > 1 || !RoutingIndex(field.value, &given)) {
          notes_->ambiguous = true;
        } else {
          frame.id = given;
        }
      }
    }
    Value(child, frame, out);
    ++position;
  }
  out->push_back(']');
}

namespace {

// The decimal digits of a number's integer part, without its sign, when they can be a value (at
// least 7 of them); empty otherwise.
std::string IntegerDigits(simdjson::dom::element el) {
  int64_t i;
  if (el.get(i) == simdjson::SUCCESS) {
    if (i >= 0 || i == std::numeric_limits<int64_t>::min()) return "";
    const std::string digits = std::to_string(-i);
    return digits.size() >= 7 ? digits : "";
  }
  double d;
  if (el.get(d) != simdjson::SUCCESS || !std::isfinite(d)) return "";
  const double v = std::fabs(std::trunc(d));
  if (v < 1e6 || v >= 1e20) return "";
  return absl::StrFormat("%.0f", v);
}

}  // namespace

void StructureWalker::Number(element el, const Frame& at, std::string* out) {
  const std::string text = simdjson::minify(el);
  if (mode_ == WalkMode::kDocument) {
    const int rule = at.whole_rule;
    if (rule >= 0) {
      scratch_.clear();
      impl_.AppendReplacement(&scratch_, text, rule);
      if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(rule)];
      base::AppendJsonString(out, scratch_);
      return;
    }
    out->append(text);
    return;
  }
  // A number can carry a value (a card or phone number), structural members included (an `index`
  // or `created` is not trusted either): masked, it becomes a string. It is read as written and
  // as the integer a client reads it as (4.111111111111111e15, 4111111111111111.0 and
  // -4111111111111111 are the card number 4111111111111111 to a JSON parser).
  scratch_.clear();
  MaskText(text, &scratch_);
  if (scratch_ == text) {
    const std::string digits = IntegerDigits(el);
    if (!digits.empty() && digits != text) {
      scratch_.clear();
      MaskText(digits, &scratch_);
      if (scratch_ == digits) scratch_ = text;
    }
  }
  if (scratch_ != text) {
    base::AppendJsonString(out, scratch_);
  } else {
    out->append(text);
  }
}

void StructureWalker::String(std::string_view value, const Frame& at, std::string* out) {
  base::AppendJsonString(out, MaskedString(value, at));
}

int StructureWalker::KeyRule(std::string_view key) const {
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(ToLower(static_cast<unsigned char>(c)));
  return impl_.RuleOfJsonKey(lower);
}

std::string StructureWalker::MaskedString(std::string_view value, const Frame& at) {
  std::string masked;
  if (mode_ == WalkMode::kDocument && at.whole_rule >= 0) {
    impl_.AppendReplacement(&masked, value, at.whole_rule);
    if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(at.whole_rule)];
    return masked;
  }
  // A secret under its key name ("password": "...", "aws_secret_access_key": "..."), in every
  // mode and inside tool arguments too: a structured body has no '=' for the text rules to see.
  if (at.index < 0) {
    if (const int rule = impl_.RuleOfSecretMember(at.key, value); rule >= 0) {
      impl_.AppendReplacement(&masked, value, rule);
      if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(rule)];
      return masked;
    }
  }
  if (mode_ == WalkMode::kDocument) {
    MaskText(value, &masked);
    return masked;
  }
  if (nested_ > 0) {
    MaskText(value, &masked);
    return masked;
  }
  if (at.index < 0 && rules_ != nullptr) {
    std::optional<Shape> shape = rules_->ShapeOf(at.key);
    if (shape.has_value() && StructuralRules::StringFits(*shape, value)) {
      // Not masked as text of its own (no channel, no transcript), but a value that fits the
      // shape ("id": "AKIA...", "model": "ghp_...") is still found.
      MaskText(value, &masked);
      return masked;
    }
  }
  if (mode_ == WalkMode::kResponse) {
    bool finishing = false;
    if (std::optional<ChannelKey> key = ChannelOf(at, &finishing)) {
      if (channels_ != nullptr) {
        masked = channels_->Continue(*key, value, finishing);
      } else if (key->field == ChannelField::kToolArguments) {
        Arguments(value, &masked);
      } else {
        MaskText(value, &masked);
      }
      if (IsTranscriptChannel(key->field)) NoteTranscript(key->choice, masked);
      return masked;
    }
  }
  if (at.index < 0 && at.key == "arguments") {
    Arguments(value, &masked);
  } else {
    MaskText(value, &masked);
  }
  if (mode_ == WalkMode::kResponse) {
    if (const int64_t choice = TranscriptChoiceOf(at); choice >= 0) NoteTranscript(choice, masked);
  }
  return masked;
}

std::optional<ChannelKey> StructureWalker::ChannelOf(const Frame& at, bool* finishing) const {
  const FrameT* p = at.parent;
  if (p == nullptr) return std::nullopt;
  if (at.index >= 0) {
    // Completions logprobs: choices[i].logprobs.tokens[k].
    if (ParentIs(p, "tokens") && ParentIs(p->parent, "logprobs")) {
      if (const FrameT* c = AsChoice(p->parent->parent)) {
        *finishing = c->finishing;
        return ChannelKey{.field = ChannelField::kLogprobs, .choice = c->id};
      }
    }
    return std::nullopt;
  }
  const std::string_view key = at.key;
  if (ParentIs(p, "delta")) {
    if (const FrameT* c = AsChoice(p->parent)) {
      std::optional<ChannelField> field;
      if (key == "content") field = ChannelField::kContent;
      if (key == "reasoning_content") field = ChannelField::kReasoningContent;
      if (key == "reasoning") field = ChannelField::kReasoning;
      if (key == "refusal") field = ChannelField::kRefusal;
      if (field.has_value()) {
        *finishing = c->finishing;
        return ChannelKey{.field = *field, .choice = c->id};
      }
    }
  }
  if (key == "text") {
    if (const FrameT* c = AsChoice(p)) {
      *finishing = c->finishing;
      return ChannelKey{.field = ChannelField::kText, .choice = c->id};
    }
  }
  if (key == "arguments" && ParentIs(p, "function")) {
    const FrameT* call = p->parent;  // an element of tool_calls
    if (call != nullptr && call->index >= 0 && ParentIs(call->parent, "tool_calls") &&
        ParentIs(call->parent->parent, "delta")) {
      if (const FrameT* c = AsChoice(call->parent->parent->parent)) {
        *finishing = c->finishing;
        return ChannelKey{.field = ChannelField::kToolArguments, .choice = c->id, .part = call->id};
      }
    }
  }
  if (key == "token" && p->index >= 0) {
    const FrameT* list = p->parent;  // logprobs.content or logprobs.refusal
    if (list != nullptr && (ParentIs(list, "content") || ParentIs(list, "refusal")) &&
        ParentIs(list->parent, "logprobs")) {
      if (const FrameT* c = AsChoice(list->parent->parent)) {
        *finishing = c->finishing;
        return ChannelKey{.field = list->key == "content" ? ChannelField::kLogprobs
                                                          : ChannelField::kLogprobsRefusal,
                          .choice = c->id};
      }
    }
  }
  if (key == "delta" && p->root() && !responses_type_.empty()) {
    return ChannelKey{.field = ChannelField::kResponsesDelta,
                      .choice = responses_output_,
                      .part = responses_content_,
                      .type = responses_type_};
  }
  if (ParentIs(p, "message") && p->parent != nullptr && p->parent->root()) {
    if (key == "content") return ChannelKey{.field = ChannelField::kOllamaContent};
    if (key == "thinking") return ChannelKey{.field = ChannelField::kOllamaThinking};
  }
  if (p->root()) {
    if (key == "response") return ChannelKey{.field = ChannelField::kOllamaResponse};
    if (key == "thinking") return ChannelKey{.field = ChannelField::kOllamaThinking};
  }
  return std::nullopt;
}

int64_t StructureWalker::TranscriptChoiceOf(const Frame& at) const {
  const FrameT* p = at.parent;
  if (p == nullptr || at.index >= 0) return -1;
  const std::string_view key = at.key;
  // choices[i].message.{content, refusal, reasoning_content, reasoning}
  if (ParentIs(p, "message") && (key == "content" || key == "refusal" ||
                                 key == "reasoning_content" || key == "reasoning")) {
    if (const FrameT* c = AsChoice(p->parent)) return c->id;
  }
  // choices[i].message.tool_calls[k].function.arguments
  if (key == "arguments" && ParentIs(p, "function") && p->parent != nullptr &&
      p->parent->index >= 0 && ParentIs(p->parent->parent, "tool_calls") &&
      ParentIs(p->parent->parent->parent, "message")) {
    if (const FrameT* c = AsChoice(p->parent->parent->parent->parent)) return c->id;
  }
  // Content parts: choices[i].{message,delta}.content[k].text
  if (key == "text" && p->index >= 0 && ParentIs(p->parent, "content")) {
    const FrameT* holder = p->parent->parent;
    if (ParentIs(holder, "message") || ParentIs(holder, "delta")) {
      if (const FrameT* c = AsChoice(holder->parent)) return c->id;
    }
    // Responses API: output[o].content[c].text
    const FrameT* item = holder;
    if (item != nullptr && item->index >= 0 && ParentIs(item->parent, "output") &&
        item->parent->parent != nullptr && item->parent->parent->root()) {
      return item->id;
    }
  }
  return -1;
}

void StructureWalker::Arguments(std::string_view text, std::string* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (nested_ == 0 && !text.empty() &&
      parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(doc) ==
          simdjson::SUCCESS &&
      (doc.is_object() || doc.is_array())) {
    ++nested_;
    Frame top;
    Value(doc, top, out);
    --nested_;
    return;
  }
  MaskText(text, out);
}

// ---- Request text -------------------------------------------------------------------------------

namespace {

void AppendWord(std::string_view s, std::string* out) {
  if (s.empty()) return;
  if (!out->empty() && out->back() != '\n' && out->back() != ' ') out->push_back(' ');
  out->append(s);
}

// A JSON Schema a model reads (a tool's parameters, a structured-output format): its member names
// are text the model sees ("properties": {"export_all_rows": ...}).
bool IsSchemaMember(std::string_view key) {
  return key == "parameters" || key == "schema" || key == "json_schema" || key == "input_schema";
}

// `schema`: inside a JSON Schema, where member names are text too and no value is structural.
void CollectStrings(element el, std::string_view key, const StructuralRules& rules,
                    std::string* out, bool schema = false) {
  switch (el.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object;
      if (el.get(object) != simdjson::SUCCESS) return;
      for (simdjson::dom::key_value_pair field : object) {
        if (schema) AppendWord(field.key, out);
        CollectStrings(field.value, field.key, rules, out, schema || IsSchemaMember(field.key));
      }
      return;
    }
    case element_type::ARRAY: {
      simdjson::dom::array array;
      if (el.get(array) != simdjson::SUCCESS) return;
      for (element child : array) CollectStrings(child, "", rules, out, schema);
      return;
    }
    case element_type::STRING: {
      std::string_view s;
      if (el.get(s) != simdjson::SUCCESS) return;
      if (!key.empty() && !schema) {
        std::optional<Shape> shape = rules.ShapeOf(key);
        if (shape.has_value() && StructuralRules::StringFits(*shape, s)) return;
      }
      AppendWord(s, out);
      return;
    }
    default:
      return;
  }
}

}  // namespace

std::string StructureWalker::RequestText(element root, const StructuralRules& rules) {
  std::string text;
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    CollectStrings(root, "", rules, &text);
    return text;
  }
  for (simdjson::dom::key_value_pair field : object) {
    std::string line;
    simdjson::dom::array messages;
    if (field.key == "messages" && field.value.get(messages) == simdjson::SUCCESS) {
      for (element message : messages) {
        std::string_view role;
        std::string body;
        simdjson::dom::object m;
        if (message.get(m) == simdjson::SUCCESS) {
          if (m["role"].get(role) != simdjson::SUCCESS) role = "";
          for (simdjson::dom::key_value_pair part : m) {
            if (part.key == "role") continue;
            CollectStrings(part.value, part.key, rules, &body);
          }
        } else {
          CollectStrings(message, "", rules, &body);
        }
        if (!text.empty()) text.push_back('\n');
        text.append(role);
        text.append(": ");
        text.append(body);
      }
      continue;
    }
    CollectStrings(field.value, field.key, rules, &line);
    if (line.empty()) continue;
    if (!text.empty()) text.push_back('\n');
    text.append(line);
  }
  return text;
}

// ---- EscapeCanonicalizer ------------------------------------------------------------------------

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of "\uXXXX" at s[0..6), or -1.
int32_t Unit(std::string_view s) {
  if (s.size() < 6 || s[0] != '\\' || s[1] != 'u') return -1;
  int32_t v = 0;
  for (size_t i = 2; i < 6; ++i) {
    const int h = HexValue(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// True when `s` could still grow into a complete "\uXXXX" (a prefix of one).
bool EscapePrefix(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != '\\') return false;
  if (s.size() >= 2 && s[1] != 'u') return false;
  for (size_t i = 2; i < s.size() && i < 6; ++i) {
    if (HexValue(s[i]) < 0) return false;
  }
  return s.size() < 6;
}

}  // namespace

void EscapeCanonicalizer::Feed(std::string_view piece, std::string* out) {
  std::string buffer;
  std::string_view in = piece;
  if (!held_.empty()) {
    buffer = std::move(held_);
    held_.clear();
    buffer.append(piece);
    in = buffer;
  }
  size_t i = 0;
  while (i < in.size()) {
    const size_t j = in.find('\\', i);
    if (j == std::string_view::npos) {
      out->append(in.substr(i));
      return;
    }
    out->append(in.substr(i, j - i));
    if (j + 1 >= in.size()) {
      held_.assign(in.substr(j));
      return;
    }
    const char c = in[j + 1];
    if (c != 'u') {
      if (c == '/') {
        out->push_back('/');
      } else {
        out->append(in.substr(j, 2));
      }
      i = j + 2;
      continue;
    }
    if (j + 6 > in.size()) {
      if (EscapePrefix(in.substr(j))) {
        held_.assign(in.substr(j));
        return;
      }
      out->append(in.substr(j, 2));
      i = j + 2;
      continue;
    }
    const int32_t unit = Unit(in.substr(j, 6));
    if (unit < 0) {
      out->append(in.substr(j, 2));
      i = j + 2;
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const std::string_view next = in.substr(j + 6);
      if (next.size() < 6 && EscapePrefix(next)) {
        held_.assign(in.substr(j));
        return;
      }
      const int32_t low = Unit(next);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        base::AppendUtf8(out, 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                       (static_cast<uint32_t>(low) - 0xDC00));
        i = j + 12;
        continue;
      }
      out->append(in.substr(j, 6));  // a lone surrogate stays escaped
      i = j + 6;
      continue;
    }
    if (unit < 0x20 || unit == '"' || unit == '\\' || (unit >= 0xDC00 && unit <= 0xDFFF)) {
      out->append(in.substr(j, 6));
    } else {
      base::AppendUtf8(out, static_cast<uint32_t>(unit));
    }
    i = j + 6;
  }
}

void EscapeCanonicalizer::Finish(std::string* out) {
  out->append(held_);
  held_.clear();
}

}  // namespace jitguard::mask
