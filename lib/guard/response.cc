#include "lib/guard/response.h"

#include <string_view>
#include <utility>

#include "simdjson.h"

namespace jitguard::guard {
namespace {

class TextResponse final : public ResponseGuard {
 public:
  TextResponse(std::shared_ptr<const Masker> masker, ResponseSink sink)
      : masker_(std::move(masker)), stream_(masker_->NewStream()), sink_(std::move(sink)) {}

  absl::StatusOr<std::string> Write(std::string_view chunk) override {
    if (finished_) return std::string();
    std::string out = stream_->Write(chunk);
    text_ += out;
    return out;
  }

  absl::StatusOr<std::string> Finish(absl::Time now) override {
    if (finished_) return std::string();
    finished_ = true;
    std::string tail = stream_->Finish();
    text_ += tail;
    absl::Status s = sink_(text_, stream_->counts(), now);
    if (!s.ok()) return s;
    return tail;
  }

  bool finished() const override { return finished_; }
  const FindingCounts& counts() const override { return stream_->counts(); }

 private:
  std::shared_ptr<const Masker> masker_;
  std::unique_ptr<MaskStream> stream_;
  ResponseSink sink_;
  std::string text_;
  bool finished_ = false;
};

class SseResponse final : public ResponseGuard {
 public:
  SseResponse(std::shared_ptr<const Masker> masker, ResponseSink sink)
      : masker_(std::move(masker)), stream_(masker_->NewSseStream()), sink_(std::move(sink)) {}

  absl::StatusOr<std::string> Write(std::string_view chunk) override {
    if (finished_) return std::string();
    absl::StatusOr<std::string> out = stream_->Write(chunk);
    if (!out.ok()) return out.status();
    Collect(*out);
    return out;
  }

  absl::StatusOr<std::string> Finish(absl::Time now) override {
    if (finished_) return std::string();
    finished_ = true;
    absl::StatusOr<std::string> tail = stream_->Finish();
    std::string rest = tail.ok() ? *tail : std::string();
    Collect(rest);
    pending_ += "\n\n";  // a trailing event without its blank line still counts for the audit text
    CollectSseText(&pending_, &text_);
    absl::Status s = sink_(text_, stream_->counts(), now);
    if (!tail.ok()) return tail.status();
    if (!s.ok()) return s;
    return rest;
  }

  bool finished() const override { return finished_; }
  const FindingCounts& counts() const override { return stream_->counts(); }

 private:
  void Collect(std::string_view out) {
    pending_.append(out);
    CollectSseText(&pending_, &text_);
  }

  std::shared_ptr<const Masker> masker_;
  std::unique_ptr<SseMaskStream> stream_;
  ResponseSink sink_;
  std::string pending_;  // output bytes of an event not yet complete
  std::string text_;     // the masked content the client received
  bool finished_ = false;
};

void AppendChoiceText(simdjson::dom::element doc, std::string* text) {
  simdjson::dom::array choices;
  if (doc["choices"].get(choices) != simdjson::SUCCESS) return;
  for (simdjson::dom::element choice : choices) {
    std::string_view s;
    if (choice.at_pointer("/delta/content").get(s) == simdjson::SUCCESS ||
        choice.at_pointer("/text").get(s) == simdjson::SUCCESS ||
        choice.at_pointer("/message/content").get(s) == simdjson::SUCCESS) {
      text->append(s);
    }
  }
}

}  // namespace

void CollectSseText(std::string* pending, std::string* text) {
  // Events end at a blank line; the masker's output uses "\n" line ends.
  size_t start = 0;
  simdjson::dom::parser parser;
  while (true) {
    size_t end = pending->find("\n\n", start);
    if (end == std::string::npos) break;
    std::string_view event(pending->data() + start, end - start);
    start = end + 2;
    std::string data;
    size_t pos = 0;
    while (pos <= event.size()) {
      size_t nl = event.find('\n', pos);
      std::string_view line =
          event.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (line.substr(0, 5) == "data:") {
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (!data.empty()) data.push_back('\n');
        data.append(line);
      }
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    if (data.empty() || data.front() != '{') continue;
    simdjson::dom::element doc;
    if (parser.parse(data).get(doc) == simdjson::SUCCESS) AppendChoiceText(doc, text);
  }
  pending->erase(0, start);
}

std::unique_ptr<ResponseGuard> NewTextResponse(std::shared_ptr<const Masker> masker,
                                               ResponseSink sink) {
  return std::make_unique<TextResponse>(std::move(masker), std::move(sink));
}

std::unique_ptr<ResponseGuard> NewSseResponse(std::shared_ptr<const Masker> masker,
                                              ResponseSink sink) {
  return std::make_unique<SseResponse>(std::move(masker), std::move(sink));
}

}  // namespace jitguard::guard
