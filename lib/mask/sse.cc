// SseMaskStream: OpenAI-compatible chat/completions Server-Sent Events.
//
// Bytes are cut into events at blank lines. A `data:` event with a JSON object carrying a
// `choices` array has each choice's `delta.content` (chat) or `text` (completions) fed into that
// choice index's own MaskStream; the event is re-serialized with the masked text (which may be
// shorter, empty or longer: held bytes come out with a later event). A choice's finish_reason
// event flushes its stream into that event; `[DONE]` and Finish() flush what remains into a
// synthetic event placed before them. Non-data lines and events without choices pass through
// byte for byte. A data event that is not valid JSON fails the stream closed.
#include <map>
#include <string>
#include <vector>

#include "jitguard/status.h"
#include "lib/base/json.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"
#include "simdjson.h"

namespace jitguard::mask {
namespace {

// Position just past the first blank line (end of an event) in `s`, or npos.
size_t EventEnd(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n' && s[i] != '\r') continue;
    // i is the end of a line; is the next line empty?
    size_t j = i + ((s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1);
    if (s[i] == '\r' && i + 1 >= s.size()) return std::string_view::npos;  // need to see '\n'
    if (j < s.size() && s[j] == '\n') return j + 1;
    if (j < s.size() && s[j] == '\r') {
      if (j + 1 < s.size()) return s[j + 1] == '\n' ? j + 2 : j + 1;
      return std::string_view::npos;
    }
    i = j - 1;
  }
  return std::string_view::npos;
}

class SseMaskStreamImpl final : public SseMaskStream {
 public:
  explicit SseMaskStreamImpl(std::shared_ptr<const Masker> masker) : masker_(std::move(masker)) {}

  absl::StatusOr<std::string> Write(std::string_view bytes) override {
    if (!failed_.ok()) return failed_;
    pending_.append(bytes);
    std::string out;
    size_t consumed = 0;
    while (true) {
      const size_t end = EventEnd(std::string_view(pending_).substr(consumed));
      if (end == std::string_view::npos) break;
      absl::Status s = ProcessEvent(std::string_view(pending_).substr(consumed, end), &out);
      consumed += end;
      if (!s.ok()) return Fail(s);
    }
    pending_.erase(0, consumed);
    RefreshCounts();
    return out;
  }

  absl::StatusOr<std::string> Finish() override {
    if (!failed_.ok()) return failed_;
    std::string out;
    if (!pending_.empty()) {
      std::string last = std::move(pending_);
      pending_.clear();
      absl::Status s = ProcessEvent(last, &out);
      if (!s.ok()) return Fail(s);
    }
    FlushAll(&out, "\n");
    RefreshCounts();
    return out;
  }

  const FindingCounts& counts() const override { return counts_; }

 private:
  struct Choice {
    std::unique_ptr<MaskStream> stream;
    bool completions = false;  // "text" rather than "delta.content"
  };

  // What to write for one element of "choices".
  struct Edit {
    bool has_text = false;  // replace the existing content/text
    bool inject = false;    // add a content/text member (flushed held bytes, no text of its own)
    std::string text;
  };

  absl::Status Fail(absl::Status s) {
    failed_ = s;
    return s;
  }

  Choice& ChoiceFor(int64_t index) {
    Choice& c = choices_[index];
    if (!c.stream) c.stream = masker_->NewStream();
    return c;
  }

  absl::Status ProcessEvent(std::string_view event, std::string* out) {
    // Split into lines; collect the data field.
    std::string data;
    int data_lines = 0;
    std::vector<std::string_view> other_lines;
    std::string_view eol = "\n";
    size_t i = 0;
    while (i < event.size()) {
      size_t j = i;
      while (j < event.size() && event[j] != '\n' && event[j] != '\r') ++j;
      std::string_view line = event.substr(i, j - i);
      if (j < event.size() && event[j] == '\r' && j + 1 < event.size() && event[j + 1] == '\n') {
        eol = "\r\n";
        i = j + 2;
      } else {
        i = j + 1;
      }
      if (line.empty()) continue;
      if (line.substr(0, 5) == "data:") {
        std::string_view v = line.substr(5);
        if (!v.empty() && v[0] == ' ') v.remove_prefix(1);
        if (data_lines++ > 0) data.push_back('\n');
        data.append(v);
      } else {
        other_lines.push_back(line);
      }
    }
    if (data_lines == 0) {
      out->append(event);
      return absl::OkStatus();
    }
    if (data == "[DONE]") {
      FlushAll(out, eol);
      out->append(event);
      return absl::OkStatus();
    }
    simdjson::dom::element root;
    if (parser_.parse(data).get(root) != simdjson::SUCCESS) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "invalid_sse_json",
                       "an SSE data event is not valid JSON; the stream is closed (fail closed)");
    }
    simdjson::dom::object object;
    simdjson::dom::array choices;
    if (root.get(object) != simdjson::SUCCESS ||
        object["choices"].get(choices) != simdjson::SUCCESS) {
      out->append(event);
      return absl::OkStatus();
    }
    // Feed each choice's text into its stream.
    std::vector<Edit> edits;
    bool changed = false;
    int64_t position = 0;
    for (simdjson::dom::element choice_el : choices) {
      Edit edit;
      simdjson::dom::object choice;
      if (choice_el.get(choice) == simdjson::SUCCESS) {
        int64_t index = position;
        int64_t given;
        if (choice["index"].get(given) == simdjson::SUCCESS) index = given;
        std::string_view text;
        bool completions = false;
        bool found = false;
        simdjson::dom::object delta;
        if (choice["delta"].get(delta) == simdjson::SUCCESS &&
            delta["content"].get(text) == simdjson::SUCCESS) {
          found = true;
        } else if (choice["text"].get(text) == simdjson::SUCCESS) {
          found = completions = true;
        }
        std::string_view finish;
        const bool finishing = choice["finish_reason"].get(finish) == simdjson::SUCCESS;
        if (found || finishing) {
          Choice& c = ChoiceFor(index);
          if (found) c.completions = completions;
          if (found) edit.text = c.stream->Write(text);
          if (finishing) {
            edit.text += c.stream->Finish();
            finished_counts_add(c);
            choices_.erase(index);
          }
          edit.has_text = found;
          edit.inject = !found && !edit.text.empty();
          changed = true;
        }
      }
      edits.push_back(std::move(edit));
      ++position;
    }
    if (!changed) {
      out->append(event);
      return absl::OkStatus();
    }
    for (std::string_view line : other_lines) {
      out->append(line);
      out->append(eol);
    }
    out->append("data: ");
    EmitTop(object, edits, out);
    out->append(eol);
    out->append(eol);
    RememberEnvelope(object);
    return absl::OkStatus();
  }

  void finished_counts_add(Choice& c) {
    for (const auto& [entity, n] : c.stream->counts()) finished_counts_[entity] += n;
  }

  void EmitTop(simdjson::dom::object object, const std::vector<Edit>& edits, std::string* out) {
    out->push_back('{');
    bool first = true;
    for (simdjson::dom::key_value_pair field : object) {
      if (!first) out->push_back(',');
      first = false;
      base::AppendJsonString(out, field.key);
      out->push_back(':');
      simdjson::dom::array choices;
      if (field.key == "choices" && field.value.get(choices) == simdjson::SUCCESS) {
        out->push_back('[');
        size_t k = 0;
        for (simdjson::dom::element choice : choices) {
          if (k > 0) out->push_back(',');
          EmitChoice(choice, edits[k], out);
          ++k;
        }
        out->push_back(']');
      } else {
        out->append(simdjson::minify(field.value));
      }
    }
    out->push_back('}');
  }

  void EmitChoice(simdjson::dom::element el, const Edit& edit, std::string* out) {
    simdjson::dom::object choice;
    if ((!edit.has_text && !edit.inject) || el.get(choice) != simdjson::SUCCESS) {
      out->append(simdjson::minify(el));
      return;
    }
    out->push_back('{');
    bool first = true;
    bool placed = false;
    for (simdjson::dom::key_value_pair field : choice) {
      if (!first) out->push_back(',');
      first = false;
      base::AppendJsonString(out, field.key);
      out->push_back(':');
      simdjson::dom::object delta;
      std::string_view ignored;
      if (field.key == "delta" && field.value.get(delta) == simdjson::SUCCESS &&
          (delta["content"].get(ignored) == simdjson::SUCCESS || edit.inject) && !placed) {
        out->push_back('{');
        bool dfirst = true;
        for (simdjson::dom::key_value_pair d : delta) {
          if (!dfirst) out->push_back(',');
          dfirst = false;
          base::AppendJsonString(out, d.key);
          out->push_back(':');
          if (d.key == "content" && d.value.is_string()) {
            base::AppendJsonString(out, edit.text);
            placed = true;
          } else {
            out->append(simdjson::minify(d.value));
          }
        }
        if (!placed) {
          if (!dfirst) out->push_back(',');
          out->append("\"content\":");
          base::AppendJsonString(out, edit.text);
          placed = true;
        }
        out->push_back('}');
      } else if (field.key == "text" && field.value.is_string() && !placed) {
        base::AppendJsonString(out, edit.text);
        placed = true;
      } else {
        out->append(simdjson::minify(field.value));
      }
    }
    if (!placed) {
      if (!first) out->push_back(',');
      out->append("\"text\":");
      base::AppendJsonString(out, edit.text);
    }
    out->push_back('}');
  }

  void RememberEnvelope(simdjson::dom::object object) {
    envelope_.clear();
    for (simdjson::dom::key_value_pair field : object) {
      if (field.key == "id" || field.key == "object" || field.key == "created" ||
          field.key == "model" || field.key == "system_fingerprint") {
        base::AppendJsonString(&envelope_, field.key);
        envelope_.push_back(':');
        envelope_.append(simdjson::minify(field.value));
        envelope_.push_back(',');
      }
    }
  }

  // Finishes every open choice; held text goes out in one synthetic event.
  void FlushAll(std::string* out, std::string_view eol) {
    std::string items;
    for (auto& [index, c] : choices_) {
      std::string text = c.stream->Finish();
      finished_counts_add(c);
      if (text.empty()) continue;
      if (!items.empty()) items.push_back(',');
      items.append("{\"index\":");
      items.append(std::to_string(index));
      items.append(c.completions ? ",\"text\":" : ",\"delta\":{\"content\":");
      base::AppendJsonString(&items, text);
      items.append(c.completions ? ",\"finish_reason\":null}" : "},\"finish_reason\":null}");
    }
    choices_.clear();
    if (items.empty()) return;
    out->append("data: {");
    out->append(envelope_);
    out->append("\"choices\":[");
    out->append(items);
    out->append("]}");
    out->append(eol);
    out->append(eol);
  }

  void RefreshCounts() {
    counts_ = finished_counts_;
    for (const auto& [index, c] : choices_) {
      for (const auto& [entity, n] : c.stream->counts()) counts_[entity] += n;
    }
  }

  std::shared_ptr<const Masker> masker_;
  simdjson::dom::parser parser_;
  std::string pending_;
  std::map<int64_t, Choice> choices_;
  std::string envelope_;
  FindingCounts finished_counts_;
  FindingCounts counts_;
  absl::Status failed_;
};

}  // namespace

std::unique_ptr<SseMaskStream> NewSseMaskStream(std::shared_ptr<const Masker> masker) {
  return std::make_unique<SseMaskStreamImpl>(std::move(masker));
}

}  // namespace jitguard::mask
