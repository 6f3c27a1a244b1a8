#include "lib/guard/response.h"

#include <string_view>
#include <utility>


namespace jitguard::guard {
namespace {

class TextResponse final : public ResponseGuard {
 public:
  using ResponseGuard::Finish;

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
    absl::Status s = sink_(text_, stream_->counts(), now, ResponseEnd::kComplete);
    if (!s.ok()) return s;
    return tail;
  }

  absl::Status Abort(absl::Time now) override {
    if (finished_) return absl::OkStatus();
    finished_ = true;
    return sink_(text_, stream_->counts(), now, ResponseEnd::kAborted);
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

// A structured body: the text the client received comes from the masker's own transcript (the one
// parser), so the audit record and the wire cannot disagree.
class StructuredResponse final : public ResponseGuard {
 public:
  using ResponseGuard::Finish;

  StructuredResponse(std::shared_ptr<const Masker> masker, ResponseFraming framing,
                     ResponseSink sink)
      : masker_(std::move(masker)),
        stream_(masker_->NewResponseStream(framing)),
        sink_(std::move(sink)) {}

  absl::StatusOr<std::string> Write(std::string_view chunk) override {
    if (finished_) return std::string();
    return stream_->Write(chunk);
  }

  absl::StatusOr<std::string> Finish(absl::Time now) override {
    if (finished_) return std::string();
    finished_ = true;
    absl::StatusOr<std::string> tail = stream_->Finish();
    // Audited even when the stream failed: what was sent so far is on record.
    absl::Status s = sink_(TranscriptText(stream_->transcript()), stream_->counts(), now,
                           ResponseEnd::kComplete);
    if (!tail.ok()) return tail.status();
    if (!s.ok()) return s;
    return tail;
  }

  absl::Status Abort(absl::Time now) override {
    if (finished_) return absl::OkStatus();
    finished_ = true;
    // The transcript holds only what Write returned: the held text is dropped with the stream.
    return sink_(TranscriptText(stream_->transcript()), stream_->counts(), now,
                 ResponseEnd::kAborted);
  }

  bool finished() const override { return finished_; }
  const FindingCounts& counts() const override { return stream_->counts(); }

 private:
  std::shared_ptr<const Masker> masker_;
  std::unique_ptr<ResponseMaskStream> stream_;
  ResponseSink sink_;
  bool finished_ = false;
};

}  // namespace

std::string TranscriptText(const ResponseTranscript& transcript) {
  std::string text;
  for (const auto& [choice, t] : transcript) {
    if (!text.empty()) text.append("\n\n");
    text.append(t);
  }
  return text;
}

std::unique_ptr<ResponseGuard> NewTextResponse(std::shared_ptr<const Masker> masker,
                                               ResponseSink sink) {
  return std::make_unique<TextResponse>(std::move(masker), std::move(sink));
}

std::unique_ptr<ResponseGuard> NewStructuredResponse(std::shared_ptr<const Masker> masker,
                                                     ResponseFraming framing, ResponseSink sink) {
  return std::make_unique<StructuredResponse>(std::move(masker), framing, std::move(sink));
}

}  // namespace jitguard::guard
