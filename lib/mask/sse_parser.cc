#include "lib/mask/sse_parser.h"

#include <cstring>

#include "jitguard/status.h"

namespace jitguard::mask {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The first CR or LF in [p, p + n), or null.
const char* FindLineEnd(const char* p, size_t n) {
  const void* lf = std::memchr(p, '\n', n);
  const size_t limit = lf != nullptr ? static_cast<size_t>(static_cast<const char*>(lf) - p) : n;
  const void* cr = std::memchr(p, '\r', limit);
  if (cr != nullptr) return static_cast<const char*>(cr);
  return static_cast<const char*>(lf);
}

}  // namespace

absl::Status SseParser::Fail(absl::Status s) {
  failed_ = s;
  return s;
}

absl::Status SseParser::Feed(std::string_view bytes, Handler& handler) {
  if (!failed_.ok()) return failed_;
  if (!started_) {
    // Drop a BOM at the very start, even when it arrives a byte at a time.
    while (!bytes.empty() && bom_seen_ < kBom.size() && bytes.front() == kBom[bom_seen_]) {
      ++bom_seen_;
      bytes.remove_prefix(1);
    }
    if (bom_seen_ < kBom.size()) {
      if (bytes.empty()) return absl::OkStatus();  // still a possible BOM
      // Not a BOM after all: what was held is ordinary input.
      started_ = true;
      const std::string held(kBom.substr(0, bom_seen_));
      if (absl::Status s = Feed(held, handler); !s.ok()) return s;
    }
    started_ = true;
  }
  while (!bytes.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    const char* end = FindLineEnd(bytes.data(), bytes.size());
    if (end == nullptr) {
      if (line_.size() + bytes.size() + event_bytes_ > max_event_bytes_) {
        return Fail(MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kMask,
                              "sse_event_too_large",
                              "an SSE event exceeds the size limit; the stream is closed"));
      }
      line_.append(bytes);
      return absl::OkStatus();
    }
    const size_t len = static_cast<size_t>(end - bytes.data());
    absl::Status s;
    if (line_.empty()) {
      s = Line(bytes.substr(0, len), handler);
    } else {
      line_.append(bytes.data(), len);
      s = Line(line_, handler);
      line_.clear();
    }
    if (!s.ok()) return Fail(s);
    skip_lf_ = *end == '\r';
    bytes.remove_prefix(len + 1);
  }
  return absl::OkStatus();
}

absl::Status SseParser::Finish(Handler& handler) {
  if (!failed_.ok()) return failed_;
  if (!started_ && bom_seen_ > 0 && bom_seen_ < kBom.size()) {
    started_ = true;
    const std::string held(kBom.substr(0, bom_seen_));
    if (absl::Status s = Feed(held, handler); !s.ok()) return s;
  }
  if (!line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    if (absl::Status s = Line(last, handler); !s.ok()) return Fail(s);
  }
  if (!event_.empty()) {
    absl::Status s = handler.OnEvent(event_);
    event_.Clear();
    event_bytes_ = 0;
    if (!s.ok()) return Fail(s);
  }
  return absl::OkStatus();
}

absl::Status SseParser::Line(std::string_view line, Handler& handler) {
  if (line.empty()) {
    if (event_.empty()) return absl::OkStatus();
    absl::Status s = handler.OnEvent(event_);
    event_.Clear();
    event_bytes_ = 0;
    return s;
  }
  if (line.front() == ':') return handler.OnComment(line.substr(1));
  std::string_view name = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  event_bytes_ += line.size() + 1;
  if (event_bytes_ > max_event_bytes_) {
    return MakeError(absl::StatusCode::kResourceExhausted, ErrorDomain::kMask,
                     "sse_event_too_large",
                     "an SSE event exceeds the size limit; the stream is closed");
  }
  if (name == "data") {
    if (event_.data_lines++ > 0) event_.data.push_back('\n');
    event_.data.append(value);
  } else if (name == "event") {
    event_.event = std::string(value);
  } else if (name == "id") {
    event_.id = std::string(value);
  } else if (name == "retry") {
    event_.retry = std::string(value);
  } else {
    ++event_.ignored_fields;
  }
  return absl::OkStatus();
}

}  // namespace jitguard::mask
