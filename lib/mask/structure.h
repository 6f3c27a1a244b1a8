// Masking over the structure of a JSON document: the one walker behind Masker::MaskJson and every
// response body (ResponseMaskStream: SSE events, NDJSON lines, JSON answers) and request body.
//
// The walker writes the document back minified. In kDocument mode (MaskJson) every string value is
// masked and keys pass (configured json_keys mask their whole value). In kResponse mode it is
// default-deny (see ResponseMaskStream in jitguard/mask.h): strings masked unless they are the value
// of a structural member with that member's shape; keys outside the schema vocabulary masked;
// numbers masked when the masker finds something in them; logprobs `bytes` rebuilt from the masked
// token; `arguments` strings masked as JSON when they parse. Text that continues across events
// ("channels") is handed to a ChannelSink, which masks it as one stream per channel.
#ifndef JITGUARD_LIB_MASK_STRUCTURE_H_
#define JITGUARD_LIB_MASK_STRUCTURE_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/mask.h"
#include "simdjson.h"

namespace jitguard::mask {

// The shape a structural member's value must have to pass unmasked.
enum class Shape {
  kIdentifier,  // 1..128 of [A-Za-z0-9_.:-], at least one letter, no run of 7 digits (ids)
  kWord,        // 1..64 of [a-z0-9_.], starting with a letter (object, type, role, finish_reason)
  kModel,       // 1..128 of [A-Za-z0-9_.:/-], at least one letter, no run of 7 digits
  kInteger,     // a JSON integer (created, index, ...): a string here is masked, and a number is
                // masked like every number when the masker finds a value in it
  kGeneric,     // a user-named member: 1..64 of [A-Za-z0-9_.:-], at least one letter, < 7 digits
};

// The compiled allowlist of structural members.
class StructuralRules {
 public:
  // nullopt: the default members.
  explicit StructuralRules(const std::optional<std::vector<std::string>>& members);
  // The member's shape, or nullopt when `name` is not structural.
  std::optional<Shape> ShapeOf(std::string_view name) const;
  // True when `value` (a string) has `shape`.
  static bool StringFits(Shape shape, std::string_view value);

 private:
  std::vector<std::pair<std::string, Shape>> members_;  // a handful: a scan beats hashing
};

// Which continuing text a string belongs to.
enum class ChannelField : uint8_t {
  kContent,           // chat choices[i].delta.content
  kReasoningContent,  // choices[i].delta.reasoning_content
  kReasoning,         // choices[i].delta.reasoning
  kRefusal,           // choices[i].delta.refusal
  kText,              // completions choices[i].text
  kToolArguments,     // choices[i].delta.tool_calls[k].function.arguments (part = k)
  kLogprobs,          // choices[i].logprobs.content[].token / .tokens[] (the tokens of content)
  kLogprobsRefusal,   // choices[i].logprobs.refusal[].token
  kResponsesDelta,    // Responses API {"type":"...delta","delta":...} (choice = output_index,
                      // part = content_index, type = the event type)
  kOllamaContent,     // Ollama message.content
  kOllamaThinking,    // Ollama message.thinking / thinking
  kOllamaResponse,    // Ollama /api/generate response
  kRaw,               // data that is not JSON, masked as text
};

struct ChannelKey {
  ChannelField field = ChannelField::kContent;
  int64_t choice = 0;
  int64_t part = 0;
  std::string type;  // kResponsesDelta only
  auto operator<=>(const ChannelKey&) const = default;
};

// Appends the UTF-8 bytes of `text` as a JSON array of integers (a logprobs `bytes` member).
void AppendByteArray(std::string_view text, std::string* out);

// True for the channels whose text is what the client shows (they go into the transcript).
bool IsTranscriptChannel(ChannelField field);

// Masks channel text as one continuing stream per key.
class ChannelSink {
 public:
  virtual ~ChannelSink() = default;
  // Masks `text` as the continuation of `key`'s stream and returns what may be emitted now; with
  // `finish` the stream ends here and everything held comes out too.
  virtual std::string Continue(const ChannelKey& key, std::string_view text, bool finish) = 0;
};

// What one walk of an event saw, for the framing layer's flushes.
struct WalkNotes {
  std::vector<int64_t> finishing_choices;  // choices with a finish_reason string
  // A Responses API `*.done` event: its output_index and content_index (-1 when absent).
  bool responses_done = false;
  int64_t output_index = -1, content_index = -1;
  bool ollama_done = false;    // an Ollama line with "done": true
  // A member that routes text (a choice's or tool call's "index"; the root's "type",
  // "output_index", "content_index") given twice or, for an index, not as an integer: the
  // masker and a client could route the event's text differently.
  bool ambiguous = false;
  std::string envelope;        // chat chunk members to repeat in synthetic events ("k":v,...)
  std::string responses_item;  // the Responses event's `"item_id":...,` as emitted, if any
};

enum class WalkMode {
  kDocument,  // Masker::MaskJson
  kResponse,  // a model server's answer
  kRequest,   // a client's request body (default-deny, no channels)
};

class StructureWalker {
 public:
  struct Frame;  // where a value sits (structure.cc)

  // `channels` null: continuing text is masked one value at a time. `transcript` null: not kept.
  // Findings are added to `*counts`.
  StructureWalker(const Masker& masker, WalkMode mode, const StructuralRules* rules,
                  FindingCounts* counts, ChannelSink* channels, ResponseTranscript* transcript);

  // Appends `root` masked and minified to `*out`.
  void Walk(simdjson::dom::element root, std::string* out, WalkNotes* notes);

  // Collects the text a request puts before the model (every masked-mode string value that is not
  // a structural member), for the policy's prompt rules; used in kRequest mode. Lines per message:
  // "role: text".
  static std::string RequestText(simdjson::dom::element root, const StructuralRules& rules);

 private:
  void Value(simdjson::dom::element el, const Frame& at, std::string* out);
  void Object(simdjson::dom::object object, const Frame& at, std::string* out);
  void Array(simdjson::dom::array array, const Frame& at, std::string* out);
  void String(std::string_view value, const Frame& at, std::string* out);
  // The masked text of the string `value` at `at` (unquoted).
  std::string MaskedString(std::string_view value, const Frame& at);
  // The continuing text `at` belongs to, if any.
  std::optional<ChannelKey> ChannelOf(const Frame& at, bool* finishing) const;
  // The choice whose shown text a one-value-at-a-time string at `at` is, or -1.
  int64_t TranscriptChoiceOf(const Frame& at) const;
  void Number(simdjson::dom::element el, const Frame& at, std::string* out);
  void Key(std::string_view key, std::string* out);
  void MaskText(std::string_view text, std::string* out);
  // A string `arguments` value: masked as JSON when it parses, else as text.
  void Arguments(std::string_view text, std::string* out);
  void NoteTranscript(int64_t choice, std::string_view text);
  // kDocument: the rule of a configured json_keys member, or -1.
  int KeyRule(std::string_view key) const;

  const Masker& masker_;
  const Masker::Impl& impl_;
  WalkMode mode_;
  const StructuralRules* rules_;
  FindingCounts* counts_;
  ChannelSink* channels_;
  ResponseTranscript* transcript_;
  WalkNotes* notes_ = nullptr;
  int nested_ = 0;  // > 0 inside a parsed `arguments` document
  std::string scratch_;
  // The root of the current event when it is a Responses API `*.delta` event.
  std::string responses_type_;
  int64_t responses_output_ = -1, responses_content_ = -1;
};

// Canonicalizes JSON string escapes in text that arrives in pieces (streamed tool-call arguments):
// `\uXXXX` escapes (and surrogate pairs) of characters that JSON lets stand unescaped become those
// characters in UTF-8, and `\/` becomes `/`, so a value cannot hide from the masker behind escapes;
// `\"`, `\\`, control characters and lone surrogates stay escaped. The result is the same JSON
// text to any parser. An escape cut by a piece boundary is held until the next piece.
class EscapeCanonicalizer {
 public:
  void Feed(std::string_view piece, std::string* out);
  void Finish(std::string* out);  // emits an incomplete escape as it is

 private:
  std::string held_;
};

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_STRUCTURE_H_
