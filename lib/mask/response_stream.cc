// ResponseMaskStream: a model server's response body (SSE, NDJSON or one JSON document), masked
// default-deny over its structure by the StructureWalker, with the text that continues across
// events ("channels") masked as one MaskStream per channel.
//
// SSE goes through the one WHATWG parser (sse_parser.h); NDJSON is cut at LF. Both are linear in the
// bytes fed, however they are cut. Every event is re-serialized: comments, `event:` and `id:` masked,
// `retry:` kept only when numeric, unknown fields dropped, JSON data walked, other data masked as
// text. Held channel text goes out with the channel's next event, or in a synthetic event built
// for that channel (before a choice's finish_reason event, a Responses `*.done` event, an Ollama
// `done` line, `[DONE]`, or at Finish()). A channel that ended takes no more text, an event whose
// routing members are ambiguous is refused, and the channels are capped (docs/security.md): each
// fails the stream with a stable reason rather than guess.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "jitguard/status.h"
#include "lib/base/json.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"
#include "lib/mask/sse_parser.h"
#include "lib/mask/structure.h"
#include "simdjson.h"

namespace jitguard::mask {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class ResponseMaskStreamImpl final : public ResponseMaskStream,
                                     private SseParser::Handler,
                                     private ChannelSink {
 public:
  ResponseMaskStreamImpl(std::shared_ptr<const Masker> masker, ResponseFraming framing)
      : masker_(std::move(masker)),
        framing_(framing),
        rules_(ImplOf(*masker_).options().structural_members),
        max_bytes_(ImplOf(*masker_).options().max_response_event_bytes),
        sse_(max_bytes_) {}

  absl::StatusOr<std::string> Write(std::string_view bytes) override {
    if (!failed_.ok()) return failed_;
    std::string out;
    out_ = &out;
    absl::Status s;
    switch (framing_) {
      case ResponseFraming::kSse:
        s = sse_.Feed(bytes, *this);
        break;
      case ResponseFraming::kNdjson:
        s = FeedLines(bytes);
        break;
      case ResponseFraming::kJson:
        if (body_.size() + bytes.size() > max_bytes_) s = TooLarge();
        else body_.append(bytes);
        break;
    }
    out_ = nullptr;
    if (!s.ok()) return Fail(s);
    return out;
  }

  absl::StatusOr<std::string> Finish() override {
    if (!failed_.ok()) return failed_;
    std::string out;
    out_ = &out;
    absl::Status s;
    switch (framing_) {
      case ResponseFraming::kSse:
        s = sse_.Finish(*this);
        break;
      case ResponseFraming::kNdjson:
        if (!line_.empty()) {
          std::string last = std::move(line_);
          line_.clear();
          s = Line(last);
        }
        break;
      case ResponseFraming::kJson:
        s = WholeDocument();
        break;
    }
    if (s.ok()) FlushAll();
    out_ = nullptr;
    if (!s.ok()) return Fail(s);
    return out;
  }

  // Summed when asked (not on every Write: that would cost a pass over every open channel).
  const FindingCounts& counts() const override {
    counts_ = oneshot_counts_;
    AddCounts(finished_counts_, &counts_);
    for (const auto& [key, ch] : channels_) AddCounts(ch.stream->counts(), &counts_);
    return counts_;
  }
  const ResponseTranscript& transcript() const override { return transcript_; }

 private:
  struct Channel {
    std::unique_ptr<MaskStream> stream;
    EscapeCanonicalizer escapes;  // tool-call arguments only
    std::string envelope;         // the root members to repeat in a synthetic event
    std::string item;             // Responses: `"item_id":...,`
    std::string event_name;       // SSE: the masked `event:` of its last event
  };

  absl::Status Fail(absl::Status s) {
    failed_ = s;
    return s;
  }

  absl::Status TooLarge() const {
    return MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kMask,
                     "response_too_large",
                     "a response line or document exceeds the size limit; the stream is closed");
  }

  // ---- SSE --------------------------------------------------------------------------------------

  absl::Status OnComment(std::string_view text) override {
    out_->push_back(':');
    masker_->MaskAppend(text, out_, &oneshot_counts_);
    out_->push_back('\n');
    return absl::OkStatus();
  }

  absl::Status OnEvent(SseEvent& event) override {
    std::string fields;
    event_name_.clear();
    if (event.event.has_value()) {
      masker_->MaskAppend(*event.event, &event_name_, &oneshot_counts_);
      fields.append("event: ").append(event_name_).push_back('\n');
    }
    if (event.id.has_value() && event.id->find('\0') == std::string::npos) {
      fields.append("id: ");
      masker_->MaskAppend(*event.id, &fields, &oneshot_counts_);
      fields.push_back('\n');
    }
    if (event.retry.has_value() && AllDigits(*event.retry) &&
        masker_->Mask(*event.retry) == *event.retry) {  // digits can be a value too
      fields.append("retry: ").append(*event.retry).push_back('\n');
    }
    if (event.data_lines == 0 || event.data.empty()) {
      // Nothing a client dispatches; its fields still apply (last event id, retry).
      if (!fields.empty()) out_->append(fields).push_back('\n');
      return absl::OkStatus();
    }
    if (event.data == "[DONE]") {
      FlushAll();
      out_->append(fields).append("data: [DONE]\n\n");
      return absl::OkStatus();
    }
    std::string data;
    absl::Status s = Data(event.data, &data);
    if (!s.ok()) return s;
    if (data.empty()) {
      if (!fields.empty()) out_->append(fields).push_back('\n');
      return absl::OkStatus();
    }
    out_->append(fields);
    AppendDataLines(data, out_);
    out_->push_back('\n');
    return absl::OkStatus();
  }

  static void AppendDataLines(std::string_view data, std::string* out) {
    size_t start = 0;
    while (true) {
      const size_t nl = data.find('\n', start);
      out->append("data: ");
      out->append(data.substr(start, nl == std::string_view::npos ? nl : nl - start));
      out->push_back('\n');
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }

  // One event's data or one NDJSON line: JSON walked (flushes it triggers go to out_ first), other
  // text masked through the raw channel. `*masked` is what the event or line carries now.
  absl::Status Data(std::string_view data, std::string* masked) {
    simdjson::dom::element root;
    if (parser_.parse(data.data(), data.size(), /*realloc_if_needed=*/true).get(root) !=
        simdjson::SUCCESS) {
      // Masked twice: alone (a value whole in this event, which a client that reads events one
      // by one sees), then as the continuation of the earlier non-JSON data (a value split across
      // events, which a client that joins them sees). Joining alone could hide a value behind the
      // digits the previous event ended with.
      std::string alone;
      masker_->MaskAppend(data, &alone, &oneshot_counts_);
      const std::string joined =
          Continue(ChannelKey{.field = ChannelField::kRaw}, alone, /*finish=*/false);
      // And what this event or line carries, alone once more: the joined stream emits at its own
      // boundaries, so a value it left as part of a longer one ("4111 1111 1111 1111 11") could
      // otherwise stand whole on the line a client reads.
      if (absl::Status s = ChannelErrors(); !s.ok()) return s;
      masked->clear();
      masker_->MaskAppend(joined, masked, &oneshot_counts_);
      transcript_[0].append(*masked);
      return absl::OkStatus();
    }
    WalkNotes notes;
    notes_ = &notes;
    StructureWalker walker(*masker_, WalkMode::kResponse, &rules_, &oneshot_counts_, this,
                           &transcript_);
    walker.Walk(root, masked, &notes);
    notes_ = nullptr;
    if (notes.ambiguous) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "ambiguous_event",
                       "an event names a choice, item or type twice, or an index that is not an "
                       "integer from 0 to 65535; the stream is closed");
    }
    if (absl::Status s = ChannelErrors(); !s.ok()) return s;
    // Held text of what this event ends goes out before it (each a lookup of its own keys, not a
    // pass over every open channel).
    for (int64_t choice : notes.finishing_choices) {
      for (ChannelField field : kChatFields) {
        FlushRange(ChannelKey{.field = field, .choice = choice,
                              .part = std::numeric_limits<int64_t>::min()},
                   [choice, field](const ChannelKey& k) {
                     return k.field == field && k.choice == choice;
                   });
      }
    }
    if (notes.responses_done) {
      ChannelKey from{.field = ChannelField::kResponsesDelta,
                      .choice = std::numeric_limits<int64_t>::min(),
                      .part = std::numeric_limits<int64_t>::min()};
      if (notes.output_index >= 0) from.choice = notes.output_index;
      FlushRange(from, [&notes](const ChannelKey& k) {
        return k.field == ChannelField::kResponsesDelta &&
               (notes.output_index < 0 || k.choice == notes.output_index);
      }, [&notes](const ChannelKey& k) {
        return notes.content_index < 0 || k.part == notes.content_index;
      });
    }
    if (notes.ollama_done) {
      for (ChannelField field : {ChannelField::kOllamaContent, ChannelField::kOllamaThinking,
                                 ChannelField::kOllamaResponse}) {
        FlushRange(ChannelKey{.field = field, .choice = std::numeric_limits<int64_t>::min(),
                              .part = std::numeric_limits<int64_t>::min()},
                   [field](const ChannelKey& k) { return k.field == field; });
      }
    }
    return absl::OkStatus();
  }

  // What a Continue during this event found wrong (the event's text is not sent).
  absl::Status ChannelErrors() const {
    if (late_text_) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask,
                       "content_after_finish",
                       "an event carries text for a choice or item that already finished; the "
                       "stream is closed");
    }
    if (too_many_channels_) {
      return MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kMask,
                       "too_many_channels",
                       "a response opens more choices, tool calls or items than the limit; the "
                       "stream is closed");
    }
    return absl::OkStatus();
  }

  // Open and ended channels together (choices x fields x tool calls or items): about 1 KiB each.
  static constexpr size_t kMaxChannels = 4096;

  static constexpr ChannelField kChatFields[] = {
      ChannelField::kContent,       ChannelField::kReasoningContent, ChannelField::kReasoning,
      ChannelField::kRefusal,       ChannelField::kText,             ChannelField::kToolArguments,
      ChannelField::kLogprobs,      ChannelField::kLogprobsRefusal};

  // ---- NDJSON and JSON --------------------------------------------------------------------------

  absl::Status FeedLines(std::string_view bytes) {
    while (!bytes.empty()) {
      const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
      if (nl == nullptr) {
        if (line_.size() + bytes.size() > max_bytes_) return TooLarge();
        line_.append(bytes);
        return absl::OkStatus();
      }
      const size_t len = static_cast<size_t>(static_cast<const char*>(nl) - bytes.data());
      absl::Status s;
      if (line_.empty()) {
        s = Line(bytes.substr(0, len));
      } else {
        line_.append(bytes.data(), len);
        s = Line(line_);
        line_.clear();
      }
      if (!s.ok()) return s;
      bytes.remove_prefix(len + 1);
    }
    return absl::OkStatus();
  }

  absl::Status Line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      out_->push_back('\n');
      return absl::OkStatus();
    }
    // Every line (CR ends one too, as in SSE) starts with '{' or '[': a client that asked for a
    // stream may parse the body as SSE whatever its label (the OpenAI SDKs do), and a "data: ..."
    // line, which it would read as an event and whose JSON escapes it would decode, is masked here
    // as plain text. Such a body is refused, not guessed at.
    for (size_t at = 0; at <= line.size();) {
      const size_t cr = std::min(line.find('\r', at), line.size());
      const size_t first = line.find_first_not_of(" \t", at);
      if (first < cr && line[first] != '{' && line[first] != '[') {
        return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "bad_ndjson_line",
                         "an NDJSON line is not a JSON object or array; the stream is closed");
      }
      at = cr + 1;
    }
    std::string masked;
    absl::Status s = Data(line, &masked);
    if (!s.ok()) return s;
    if (!masked.empty()) out_->append(masked).push_back('\n');
    return absl::OkStatus();
  }

  absl::Status WholeDocument() {
    simdjson::dom::element root;
    if (parser_.parse(body_.data(), body_.size(), /*realloc_if_needed=*/true).get(root) !=
        simdjson::SUCCESS) {
      // Not JSON: masked as text (fail closed: nothing passes unmasked).
      std::string masked;
      masker_->MaskAppend(body_, &masked, &oneshot_counts_);
      transcript_[0].append(masked);
      out_->append(masked);
      return absl::OkStatus();
    }
    StructureWalker walker(*masker_, WalkMode::kResponse, &rules_, &oneshot_counts_, nullptr,
                           &transcript_);
    walker.Walk(root, out_, nullptr);
    body_.clear();
    return absl::OkStatus();
  }

  // ---- Channels ---------------------------------------------------------------------------------

  std::string Continue(const ChannelKey& key, std::string_view text, bool finish) override {
    auto it = channels_.find(key);
    if (it == channels_.end()) {
      if (ended_.contains(key)) {
        late_text_ |= !text.empty();
        return "";
      }
      if (channels_.size() + ended_.size() >= kMaxChannels) {
        too_many_channels_ = true;
        return "";
      }
      it = channels_.emplace(key, Channel{}).first;
      it->second.stream = masker_->NewStream();
    }
    Channel& ch = it->second;
    if (notes_ != nullptr) {
      ch.envelope = notes_->envelope;
      ch.item = notes_->responses_item;
    }
    ch.event_name = event_name_;
    std::string out;
    if (key.field == ChannelField::kToolArguments) {
      std::string canonical;
      ch.escapes.Feed(text, &canonical);
      if (finish) ch.escapes.Finish(&canonical);
      ch.stream->Write(canonical, &out);
    } else {
      ch.stream->Write(text, &out);
    }
    if (finish) {
      out.append(ch.stream->Finish());
      AddCounts(ch.stream->counts(), &finished_counts_);
      ended_.insert(it->first);
      channels_.erase(it);
    }
    return out;
  }

  void FlushAll() {
    FlushRange(channels_.begin(), [](const ChannelKey&) { return true; });
  }

  // Ends the channels from `from` on while `in_range` holds (in key order) and `pick` selects them.
  template <typename InRange, typename Pick = bool (*)(const ChannelKey&)>
  void FlushRange(const ChannelKey& from, InRange in_range,
                  Pick pick = [](const ChannelKey&) { return true; }) {
    FlushRange(channels_.lower_bound(from), in_range, pick);
  }

  // Ends the channels from `it` on while `in_range` holds that `pick` selects; their held text
  // goes out in synthetic events, and text for them later is refused.
  template <typename InRange, typename Pick = bool (*)(const ChannelKey&)>
  void FlushRange(std::map<ChannelKey, Channel>::iterator it, InRange in_range,
                  Pick pick = [](const ChannelKey&) { return true; }) {
    while (it != channels_.end() && in_range(it->first)) {
      if (!pick(it->first)) {
        ++it;
        continue;
      }
      Channel& ch = it->second;
      std::string tail;
      ch.escapes.Finish(&tail);
      std::string text;
      ch.stream->Write(tail, &text);
      text.append(ch.stream->Finish());
      AddCounts(ch.stream->counts(), &finished_counts_);
      if (it->first.field == ChannelField::kRaw && !text.empty()) {
        std::string alone;  // as in Data: what the line carries is masked alone too
        masker_->MaskAppend(text, &alone, &oneshot_counts_);
        text = std::move(alone);
      }
      if (!text.empty()) {
        if (IsTranscriptChannel(it->first.field)) transcript_[it->first.choice].append(text);
        Synthetic(it->first, ch, text);
      }
      ended_.insert(it->first);
      it = channels_.erase(it);
    }
  }

  // Writes one event (SSE) or line (NDJSON) that carries `text` for `key`.
  void Synthetic(const ChannelKey& key, const Channel& ch, std::string_view text) {
    if (key.field == ChannelField::kRaw) {
      if (framing_ == ResponseFraming::kSse) {
        AppendDataLines(text, out_);
        out_->push_back('\n');
      } else {
        out_->append(text).push_back('\n');
      }
      return;
    }
    std::string json = "{";
    json.append(ch.envelope);
    const std::string index = std::to_string(key.choice);
    auto quoted = [&json](std::string_view s) { base::AppendJsonString(&json, s); };
    switch (key.field) {
      case ChannelField::kContent:
      case ChannelField::kReasoningContent:
      case ChannelField::kReasoning:
      case ChannelField::kRefusal: {
        const std::string_view name = key.field == ChannelField::kContent ? "content"
                                      : key.field == ChannelField::kRefusal
                                          ? "refusal"
                                          : key.field == ChannelField::kReasoning
                                                ? "reasoning"
                                                : "reasoning_content";
        json.append("\"choices\":[{\"index\":").append(index).append(",\"delta\":{");
        quoted(name);
        json.push_back(':');
        quoted(text);
        json.append("},\"finish_reason\":null}]");
        break;
      }
      case ChannelField::kText:
        json.append("\"choices\":[{\"index\":").append(index).append(",\"text\":");
        quoted(text);
        json.append(",\"finish_reason\":null}]");
        break;
      case ChannelField::kToolArguments:
        json.append("\"choices\":[{\"index\":")
            .append(index)
            .append(",\"delta\":{\"tool_calls\":[{\"index\":")
            .append(std::to_string(key.part))
            .append(",\"function\":{\"arguments\":");
        quoted(text);
        json.append("}}]},\"finish_reason\":null}]");
        break;
      case ChannelField::kLogprobs:
      case ChannelField::kLogprobsRefusal:
        json.append("\"choices\":[{\"index\":")
            .append(index)
            .append(",\"delta\":{},\"logprobs\":{\"")
            .append(key.field == ChannelField::kLogprobs ? "content" : "refusal")
            .append("\":[{\"token\":");
        quoted(text);
        json.append(",\"logprob\":0,\"bytes\":");
        AppendByteArray(text, &json);
        json.append(",\"top_logprobs\":[]}]},\"finish_reason\":null}]");
        break;
      case ChannelField::kResponsesDelta:
        json.append("\"type\":");
        quoted(key.type);
        json.push_back(',');
        json.append(ch.item);
        if (key.choice >= 0) json.append("\"output_index\":").append(index).push_back(',');
        if (key.part >= 0) {
          json.append("\"content_index\":").append(std::to_string(key.part)).push_back(',');
        }
        json.append("\"delta\":");
        quoted(text);
        break;
      case ChannelField::kOllamaContent:
      case ChannelField::kOllamaThinking:
        json.append("\"message\":{\"role\":\"assistant\",\"content\":");
        if (key.field == ChannelField::kOllamaContent) {
          quoted(text);
        } else {
          json.append("\"\",\"thinking\":");
          quoted(text);
        }
        json.append("},\"done\":false");
        break;
      case ChannelField::kOllamaResponse:
        json.append("\"response\":");
        quoted(text);
        json.append(",\"done\":false");
        break;
      case ChannelField::kRaw:
        break;
    }
    if (json.back() == ',') json.pop_back();
    json.push_back('}');
    if (framing_ == ResponseFraming::kSse) {
      if (!ch.event_name.empty()) out_->append("event: ").append(ch.event_name).push_back('\n');
      out_->append("data: ").append(json).append("\n\n");
    } else {
      out_->append(json).push_back('\n');
    }
  }

  static void AddCounts(const FindingCounts& from, FindingCounts* to) {
    for (const auto& [entity, n] : from) (*to)[entity] += n;
  }

  std::shared_ptr<const Masker> masker_;
  ResponseFraming framing_;
  StructuralRules rules_;
  size_t max_bytes_;
  SseParser sse_;
  simdjson::dom::parser parser_;
  std::string line_;  // NDJSON: the current line
  std::string body_;  // JSON: the whole document
  std::map<ChannelKey, Channel> channels_;
  std::string* out_ = nullptr;         // where the current Write/Finish writes
  const WalkNotes* notes_ = nullptr;   // the current walk's notes (for channel envelopes)
  std::string event_name_;             // the current SSE event's masked `event:` value
  FindingCounts oneshot_counts_, finished_counts_;
  mutable FindingCounts counts_;
  // Channels that ended (their held text went out): text for one of them later is refused, or a
  // value split around the end would reach the client in two unmasked halves.
  std::set<ChannelKey> ended_;
  bool late_text_ = false;        // the current event continued an ended channel
  bool too_many_channels_ = false;
  ResponseTranscript transcript_;
  absl::Status failed_;
};

}  // namespace

std::unique_ptr<ResponseMaskStream> NewResponseMaskStream(std::shared_ptr<const Masker> masker,
                                                          ResponseFraming framing) {
  return std::make_unique<ResponseMaskStreamImpl>(std::move(masker), framing);
}

}  // namespace jitguard::mask
