// An incremental Server-Sent Events parser that follows the WHATWG HTML standard's "event stream
// interpretation" (https://html.spec.whatwg.org/multipage/server-sent-events.html):
//
//   - a UTF-8 byte order mark at the very start of the stream is dropped;
//   - lines end at CR, LF or CRLF (a CR at the end of one chunk and an LF at the start of the next
//     are one line end);
//   - a line starting with ':' is a comment; otherwise the field name runs to the first ':' (the
//     whole line when there is none) and one space after the colon is dropped from the value;
//   - `data` values are joined with LF; `event`, `id` and `retry` are kept as the last value given;
//     any other field name is ignored (reported, so a caller can account for it);
//   - a blank line dispatches the event.
//
// It is linear: every byte is examined once, however the stream is cut into chunks (a byte-at-a-time
// feed costs O(n)), and the only buffered bytes are those of the current line and event. A line or
// event larger than the configured cap fails the parser ("sse_event_too_large").
#ifndef JITGUARD_LIB_MASK_SSE_PARSER_H_
#define JITGUARD_LIB_MASK_SSE_PARSER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace jitguard::mask {

// One event as it is dispatched at a blank line.
struct SseEvent {
  std::string data;                  // the data lines joined with LF
  size_t data_lines = 0;             // how many `data` fields it had (0: no data field at all)
  std::optional<std::string> event;  // the last `event` field
  std::optional<std::string> id;     // the last `id` field
  std::optional<std::string> retry;  // the last `retry` field, as sent (not yet checked)
  size_t ignored_fields = 0;         // fields of other names (dropped by every conforming client)

  bool empty() const { return data_lines == 0 && !event && !id && !retry && ignored_fields == 0; }
  void Clear() { *this = SseEvent(); }
};

class SseParser {
 public:
  // What the parser hands out, in stream order.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual absl::Status OnComment(std::string_view text) = 0;  // the text after ':'
    virtual absl::Status OnEvent(SseEvent& event) = 0;          // at a blank line
  };

  // `max_event_bytes` caps the bytes of one line and of one event's fields together.
  explicit SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  // Consumes `bytes`; calls the handler for every complete comment and event. An error from the
  // handler, or a cap exceeded, is returned and the parser refuses further input.
  absl::Status Feed(std::string_view bytes, Handler& handler);

  // Ends the stream. An unterminated last line is taken as a line, and an event still open (no
  // blank line after it) is dispatched too: the WHATWG rules drop it, but clients such as the
  // OpenAI SDKs deliver it, so the masker must see it rather than let it pass.
  absl::Status Finish(Handler& handler);

 private:
  absl::Status Line(std::string_view line, Handler& handler);
  absl::Status Fail(absl::Status s);

  size_t max_event_bytes_;
  std::string line_;         // bytes of the current, unterminated line
  SseEvent event_;           // fields of the event being built
  size_t event_bytes_ = 0;   // bytes of the fields in `event_`
  bool started_ = false;     // the first bytes were seen (the BOM check is done)
  size_t bom_seen_ = 0;      // bytes of a possible BOM seen so far (it may arrive split)
  bool skip_lf_ = false;     // the last line ended in CR: an LF right after belongs to it
  absl::Status failed_;
};

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_SSE_PARSER_H_
