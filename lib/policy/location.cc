#include "lib/policy/location.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"

namespace jitguard::policy {

using base::Append;
namespace {

bool IsPlainName(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// A forward-only navigator over text that is known to be valid JSON.
class Navigator {
 public:
  explicit Navigator(std::string_view text) : s_(text) {}

  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }

  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool Peek(char c) {
    SkipWs();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  // Reads a string at pos_ (which is at '"'), decoding escapes; false at malformed input.
  bool ReadString(std::string* out) {
    SkipWs();
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    ++pos_;
    out->clear();
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'u': {
          unsigned cp = 0;
          if (!ReadHex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && pos_ + 1 < s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            pos_ += 2;
            unsigned low = 0;
            if (!ReadHex4(&low)) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          base::AppendUtf8(out, cp);
          break;
        }
        default:
          out->push_back(e);  // '"', '\\', '/'
      }
    }
    return false;
  }

  // Skips one value of any kind.
  bool SkipValue() {
    SkipWs();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '"') {
      std::string ignored;
      return ReadString(&ignored);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (pos_ < s_.size()) {
        const char d = s_[pos_];
        if (d == '"') {
          std::string ignored;
          if (!ReadString(&ignored)) return false;
          continue;
        }
        ++pos_;
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          if (--depth == 0) return true;
        }
      }
      return false;
    }
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}' && s_[pos_] != ']' &&
           s_[pos_] != ' ' && s_[pos_] != '\n' && s_[pos_] != '\r' && s_[pos_] != '\t') {
      ++pos_;
    }
    return true;
  }

 private:
  bool ReadHex4(unsigned* out) {
    if (pos_ + 4 > s_.size()) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= h - '0';
      else if (h >= 'a' && h <= 'f')
        v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        v |= h - 'A' + 10;
      else
        return false;
    }
    *out = v;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string PathToString(const Path& path) {
  if (path.empty()) return "document";
  std::string out;
  for (const PathStep& step : path) {
    if (step.index >= 0) {
      Append(&out, "[", step.index, "]");
    } else if (IsPlainName(step.key)) {
      if (!out.empty()) out.push_back('.');
      out.append(step.key);
    } else {
      std::string quoted;
      base::AppendJsonString(&quoted, step.key);
      // Keep ": " out of locations: messages are "<location>: <problem>".
      std::string safe;
      for (char c : quoted) {
        if (c == ':')
          safe.append("\\u003a");
        else
          safe.push_back(c);
      }
      Append(&out, "[", safe, "]");
    }
  }
  return out;
}

std::optional<TextPosition> LocateInText(std::string_view json, const Path& path, LocateWhat what) {
  Navigator nav(json);
  nav.SkipWs();
  size_t key_pos = nav.pos();
  std::string key;
  for (const PathStep& step : path) {
    if (step.index >= 0) {
      if (!nav.Consume('[')) return std::nullopt;
      for (long i = 0; i < step.index; ++i) {
        if (!nav.SkipValue() || !nav.Consume(',')) return std::nullopt;
      }
      nav.SkipWs();
      key_pos = nav.pos();
      continue;
    }
    if (!nav.Consume('{')) return std::nullopt;
    int seen = 0;
    while (true) {
      nav.SkipWs();
      const size_t this_key = nav.pos();
      if (!nav.ReadString(&key) || !nav.Consume(':')) return std::nullopt;
      if (key == step.key && ++seen == step.occurrence) {
        key_pos = this_key;
        break;
      }
      if (!nav.SkipValue()) return std::nullopt;
      if (!nav.Consume(',')) return std::nullopt;
    }
    nav.SkipWs();
  }
  nav.SkipWs();
  const size_t offset =
      (what == LocateWhat::kKey && !path.empty() && path.back().index < 0) ? key_pos : nav.pos();
  return base::PositionInText(json, offset);
}

absl::Status PolicyError(std::string_view reason, std::string_view location,
                         std::optional<TextPosition> at, std::string_view problem,
                         absl::StatusCode code) {
  std::string message(location);
  message.append(": ");
  if (at) Append(&message, "line ", at->line, ", column ", at->column, ": ");
  message.append(problem);
  absl::Status status = MakeError(code, ErrorDomain::kPolicy, reason, message);
  SetErrorField(&status, "location", location);
  if (at) {
    SetErrorField(&status, "line", absl::StrCat(at->line));
    SetErrorField(&status, "column", absl::StrCat(at->column));
  }
  return status;
}

}  // namespace jitguard::policy
