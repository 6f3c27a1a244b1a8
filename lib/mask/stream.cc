// MaskStream: exact streaming over the scanning core.
//
// The stream keeps one buffer: the last bytes it already emitted (context for the detectors' left
// boundaries and context words: kMaxLookbehind bytes, or more when that text is not ASCII, so that
// its folded view still holds kMaxLookbehind bytes, Masker::Impl::ContextStart; past
// kMaxContextBytes of it, its folded view instead), then the held
// bytes. Each Write appends the chunk and runs a non-final Scan from the start of the held bytes;
// what Scan decided is emitted, the rest stays held. Finish runs a final Scan. Because Scan only
// decides what no later byte can change, and resumes at a candidate start (a state the one-shot
// scan passes through as well), the concatenated output equals Mask() of the whole text
// (docs/masking.md).
//
// Two things keep small Writes cheap and any Write pattern linear:
// - A Write whose held bytes and chunk hold no trigger byte (and no byte >= 0x80: non-ASCII text
//   may fold to one) skips Scan: Scan would find no trigger and only decide how much of the
//   unfinished last word to hold, which Masker::Impl::HoldOfTriggerFreeTail says directly.
// - A Scan costs about the bytes from the held start to the end. When more than kRescanFree bytes
//   are held (a long candidate such as a key being streamed), the next Scan waits until the
//   unscanned bytes reach a quarter of the held ones (or the hold cap is passed), so feeding any
//   text a byte at a time costs O(n) overall instead of O(n x held). Waiting is exact: it is the
//   same as the writer having sent those chunks as one.
#include <algorithm>
#include <cstring>

#include "lib/mask/engine.h"
#include "lib/mask/internal.h"
#include "lib/text/fold.h"

namespace jitguard::mask {
namespace {

class StreamSink final : public Masker::Impl::Sink {
 public:
  StreamSink(const Masker::Impl& impl, const char* base, std::string* out, FindingCounts* counts)
      : Sink(base, out), impl_(impl), base_(base), out_(out), counts_(counts) {}
  void Found(size_t begin, size_t end, int rule) override {
    impl_.AppendReplacement(out_, std::string_view(base_ + begin, end - begin), rule);
    ++(*counts_)[impl_.EntityOfRule(rule)];
    last_end_ = end;
  }
  // The end of the last finding, or kNoResume.
  size_t last_end() const { return last_end_; }

 private:
  const Masker::Impl& impl_;
  const char* base_;
  std::string* out_;
  FindingCounts* counts_;
  size_t last_end_ = Masker::Impl::kNoResume;
};

constexpr size_t kCompactAt = 4096;
// Up to this many held bytes every Write scans; beyond, Scans are spaced out (see the top).
constexpr size_t kRescanFree = 256;

class MaskStreamImpl final : public MaskStream {
 public:
  explicit MaskStreamImpl(std::shared_ptr<const Masker> masker)
      : masker_(std::move(masker)), impl_(ImplOf(*masker_)), fast_stop_(impl_.triggers()) {
    fast_stop_.AddRange(0x80, 0xff);
  }

  std::string Write(std::string_view chunk) override {
    std::string out;
    out.reserve(buf_.size() - begin_ + chunk.size() + 32);
    Write(chunk, &out);
    return out;
  }

  void Write(std::string_view chunk, std::string* out) override {
    if (swallow_ != Swallow::kNone) {
      const size_t used = SwallowContinuation(chunk, out);
      chunk.remove_prefix(used);
      if (swallow_ != Swallow::kNone) return;
    }
    buf_.append(chunk);
    unscanned_ += chunk.size();
    if (held_at_scan_ <= kRescanFree) {
      if (TriggerFreeWrite(out)) return;
    } else if (unscanned_ * 4 < held_at_scan_ &&
               buf_.size() - begin_ <= impl_.options().max_held_bytes) {
      return;  // a long candidate is held: scan again once enough new bytes came
    }
    Run(/*final=*/false, out);
  }

  std::string Finish() override {
    std::string out;
    if (swallow_ == Swallow::kNone) Run(/*final=*/true, &out);
    buf_.clear();
    begin_ = 0;
    unscanned_ = 0;
    held_at_scan_ = 0;
    swallow_ = Swallow::kNone;
    swallow_tail_.clear();
    after_finding_ = false;
    return out;
  }

  const FindingCounts& counts() const override { return counts_; }
  size_t held_bytes() const override { return buf_.size() - begin_; }
  size_t bytes_examined() const { return examined_; }

 private:
  enum class Swallow { kNone, kToDelimiter, kToPemEnd };

  // The Write without Scan when the held bytes and the chunk hold no trigger (see the top).
  // False when Scan must run.
  bool TriggerFreeWrite(std::string* out) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(buf_.data());
    const size_t n = buf_.size();
    const size_t scan = begin_;
    // The byte before the held ones is the only context the decision reads (a candidate's left
    // boundary); it must be ASCII too, so no folded view could see it differently.
    if (scan > 0 && p[scan - 1] >= 0x80) return false;
    if (after_finding_) return false;  // a candidate may start right there: Scan says
    examined_ += n - scan;
    if (impl_.simd()->FindFirst(p + scan, n - scan, fast_stop_) != n - scan) return false;
    size_t word = n;
    while (word > scan && !impl_.IsDelimiter(p[word - 1])) --word;
    int pending = -1;
    const size_t hold =
        impl_.HoldOfTriggerFreeTail(p, n, scan, word, Masker::Impl::kNoResume, &pending);
    if (hold == Masker::Impl::kExamineTail) return false;
    // Emitting the word's start was decided on its "key: " lead, read from the bytes before it:
    // they must be ASCII too (a fullwidth '：' or space is one in the folded view).
    if (hold > word && impl_.HasKeyValueRules() && !AsciiBefore(p, word)) {
      return false;
    }
    out->append(buf_, scan, hold - scan);
    Consumed(hold);
    return true;
  }

  // Mostly code points that fold to nothing before `stop` (zero-width spaces between a key name
  // and its value, or a context word and its number): the left context becomes its folded view,
  // which every detector reads the same way (folding has no context) and which stays short.
  [[gnu::noinline]] void KeepFoldedContext(size_t keep_from, size_t stop) {
    text::FoldedView view;
    text::Fold(std::string_view(buf_).substr(keep_from, stop - keep_from), &view);
    buf_.replace(0, stop, view.text);
    begin_ = view.text.size();
  }

  // buf_[from, to) is empty or folds to nothing.
  bool FoldsToNothing(size_t from, size_t to) const {
    if (from == to) return true;
    if (static_cast<unsigned char>(buf_[from]) < 0x80) return false;  // ASCII always stays
    return FoldsToNothingSlow(from, to);
  }
  [[gnu::noinline]] bool FoldsToNothingSlow(size_t from, size_t to) const {
    text::FoldedView view;
    text::Fold(std::string_view(buf_).substr(from, to - from), &view);
    return view.text.empty();
  }

  // The kKeyLeadBytes bytes before `at` (or all of them) are ASCII.
  static bool AsciiBefore(const uint8_t* p, size_t at) {
    constexpr size_t kLead = Masker::Impl::kKeyLeadBytes;
    if (at < kLead) {
      uint8_t any = 0;
      for (size_t i = 0; i < at; ++i) any |= p[i];
      return any < 0x80;
    }
    uint64_t w[kLead / 8];
    std::memcpy(w, p + at - kLead, kLead);
    uint64_t any = 0;
    for (uint64_t x : w) any |= x;
    return (any & 0x8080808080808080u) == 0;
  }

  void Run(bool final, std::string* out) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(buf_.data());
    const size_t n = buf_.size();
    StreamSink sink(impl_, buf_.data(), out, &counts_);
    int pending = -1;
    examined_ += n - begin_;
    size_t stop = impl_.Scan(p, n, begin_, final, after_finding_, &sink, &pending);
    // Held from right after a finding (found now, or still undecided where this scan began): the
    // next scan starts with a candidate there.
    // Code points that fold to nothing after the finding (a zero-width space) are emitted with
    // it: the held bytes still start right after it in the folded view.
    const size_t last_end = sink.last_end();
    after_finding_ = (last_end != Masker::Impl::kNoResume && last_end <= stop &&
                      FoldsToNothing(last_end, stop)) ||
                     (after_finding_ && FoldsToNothing(begin_, stop));
    if (!final && n - stop > impl_.options().max_held_bytes) {
      // Fail closed: the held candidate is masked rather than emitted, and the rest of it is
      // swallowed as it arrives.
      impl_.AppendReplacement(out, std::string_view(buf_).substr(stop), pending);
      ++counts_[impl_.EntityOfRule(pending)];
      swallow_ = impl_.IsPemRule(pending) ? Swallow::kToPemEnd : Swallow::kToDelimiter;
      swallow_tail_ = buf_.substr(n - std::min<size_t>(n - stop, 96));
      stop = n;
      buf_.clear();
      begin_ = 0;
      unscanned_ = 0;
      held_at_scan_ = 0;
      after_finding_ = false;
      return;
    }
    Consumed(stop);
  }

  // Everything before `stop` was emitted; the rest is held.
  void Consumed(size_t stop) {
    unscanned_ = 0;
    held_at_scan_ = buf_.size() - stop;
    // Drop consumed bytes only now and then (keeping the left context ContextStart names), so a
    // small Write does not move the buffer every time.
    if (stop > kCompactAt) {
      const size_t keep_from =
          impl_.ContextStart(reinterpret_cast<const uint8_t*>(buf_.data()), stop);
      if (stop - keep_from > kMaxContextBytes) {
        KeepFoldedContext(keep_from, stop);
      } else {
        buf_.erase(0, keep_from);
        begin_ = stop - keep_from;
      }
    } else {
      begin_ = stop;
    }
  }

  // Consumes the continuation of a candidate that outgrew max_held_bytes; returns how many bytes
  // of `chunk` it used. Leaves swallow mode at the end of the candidate.
  size_t SwallowContinuation(std::string_view chunk, std::string* out) {
    size_t used = chunk.size();
    bool done = false;
    if (swallow_ == Swallow::kToDelimiter) {
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (impl_.IsDelimiter(static_cast<uint8_t>(chunk[i]))) {
          used = i;
          done = true;
          break;
        }
      }
    } else {
      // Find "-----END <label>PRIVATE KEY-----" (on one line), also across chunk boundaries.
      const size_t tail = swallow_tail_.size();
      std::string hay = swallow_tail_;
      hay.append(chunk);
      for (size_t at = hay.find("-----END "); at != std::string::npos && !done;
           at = hay.find("-----END ", at + 1)) {
        const size_t line_end = hay.find_first_of("\r\n", at);
        const size_t close = hay.find("PRIVATE KEY-----", at);
        if (close != std::string::npos && (line_end == std::string::npos || close < line_end) &&
            close + 16 > tail) {
          used = close + 16 - tail;
          done = true;
        }
      }
    }
    impl_.AppendContinuation(out, chunk.substr(0, used));
    swallow_tail_.append(chunk.substr(0, used));
    if (swallow_tail_.size() > 96) swallow_tail_.erase(0, swallow_tail_.size() - 96);
    if (done) {
      // The swallowed bytes are the detectors' left context from here on.
      swallow_ = Swallow::kNone;
      buf_ = swallow_tail_.substr(swallow_tail_.size() -
                                  std::min(swallow_tail_.size(), kMaxLookbehind));
      begin_ = buf_.size();
      swallow_tail_.clear();
      after_finding_ = true;  // what follows the swallowed finding
    }
    return used;
  }

  std::shared_ptr<const Masker> masker_;
  const Masker::Impl& impl_;
  mask::ByteSet fast_stop_;  // the triggers and every byte >= 0x80
  std::string buf_;
  size_t begin_ = 0;
  size_t unscanned_ = 0;     // bytes appended since the last Scan
  size_t held_at_scan_ = 0;  // bytes held after the last Scan
  size_t examined_ = 0;      // bytes from the held start to the end, summed over Scans
  FindingCounts counts_;
  Swallow swallow_ = Swallow::kNone;
  std::string swallow_tail_;
  bool after_finding_ = false;  // the held bytes start right after a finding
};

}  // namespace

std::unique_ptr<MaskStream> NewMaskStream(std::shared_ptr<const Masker> masker) {
  return std::make_unique<MaskStreamImpl>(std::move(masker));
}

size_t StreamBytesExamined(const MaskStream& stream) {
  const auto* impl = dynamic_cast<const MaskStreamImpl*>(&stream);
  return impl == nullptr ? 0 : impl->bytes_examined();
}

}  // namespace jitguard::mask

namespace jitguard {

void MaskStream::Write(std::string_view chunk, std::string* out) { out->append(Write(chunk)); }

}  // namespace jitguard
