#include "gateway/body.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard_gateway {

std::string Quote(std::string_view s) {
  std::string out;
  jitguard::base::AppendJsonString(&out, s);
  return out;
}

std::string UpstreamErrorMessage(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return "";
  std::string_view msg;
  simdjson::dom::element err;
  if (root["error"].get(err) == simdjson::SUCCESS) {
    if (err.get(msg) == simdjson::SUCCESS) return std::string(msg);
    if (err["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  }
  if (root["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  if (root["detail"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  return "";
}

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The pieces of `s` between `sep` (empty pieces included). This absl's StrSplit and
// EqualsIgnoreCase take its own string_view, not std::string_view.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string PlusToSpace(std::string s) {
  for (char& c : s) {
    if (c == '+') c = ' ';
  }
  return s;
}

// One query component, masked in both readings of '+'; as it came when neither changes it.
absl::StatusOr<std::string> MaskComponent(
    std::string_view raw,
    const std::function<absl::StatusOr<std::string>(std::string_view)>& mask) {
  // First with '+' as itself (an address's "john+tag@" is whole), then the result with '+' as a
  // space (a card written "4111+1111+..." is whole).
  const std::string literal = PercentDecode(raw, /*plus_is_space=*/false);
  absl::StatusOr<std::string> first = mask(literal);
  if (!first.ok()) return first.status();
  const std::string spaced = PlusToSpace(*first);
  absl::StatusOr<std::string> second = mask(spaced);
  if (!second.ok()) return second.status();
  if (*first == literal && *second == spaced) return std::string(raw);
  return PercentEncode(*second);
}

}  // namespace

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool OnlyToken(std::string_view header_value, std::string_view allowed) {
  for (std::string_view token : Split(header_value, ',')) {
    token = TrimSpaces(token);
    if (token.empty()) continue;
    if (!absl::EqualsIgnoreCase(jitguard::base::AsAbsl(token), jitguard::base::AsAbsl(allowed))) {
      return false;
    }
  }
  return true;
}

bool StreamRequested(std::string_view request_body) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(request_body.data(), request_body.size()).get(root) != simdjson::SUCCESS) {
    return false;  // the gateway refuses such a body before it gets here
  }
  for (auto field : root) {
    if (field.key != "stream") continue;
    if (field.value.is_null()) continue;
    bool b = false;
    if (field.value.get(b) == simdjson::SUCCESS && !b) continue;
    return true;
  }
  return false;
}

Framing ChooseFraming(std::string_view content_type, bool stream_requested) {
  std::string media(TrimSpaces(content_type.substr(0, content_type.find(';'))));
  for (char& c : media) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (media == "text/event-stream") return Framing::kSse;
  if (media.find("ndjson") != std::string::npos) return Framing::kNdjson;
  if (stream_requested) return Framing::kSse;
  if (media.find("json") != std::string::npos) return Framing::kJson;
  return Framing::kText;
}

std::string_view FramingContentType(Framing framing) {
  switch (framing) {
    case Framing::kJson:
      return "application/json";
    case Framing::kSse:
      return "text/event-stream";
    case Framing::kNdjson:
      return "application/x-ndjson";
    case Framing::kText:
      break;
  }
  return "text/plain; charset=utf-8";
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<std::string> MaskQuery(
    std::string_view query,
    const std::function<absl::StatusOr<std::string>(std::string_view)>& mask) {
  std::string out;
  bool first = true;
  for (std::string_view param : Split(query, '&')) {
    if (!first) out.push_back('&');
    first = false;
    const size_t eq = param.find('=');
    absl::StatusOr<std::string> name = MaskComponent(param.substr(0, eq), mask);
    if (!name.ok()) return name.status();
    out += *name;
    if (eq == std::string_view::npos) continue;
    absl::StatusOr<std::string> value = MaskComponent(param.substr(eq + 1), mask);
    if (!value.ok()) return value.status();
    out.push_back('=');
    out += *value;
  }
  return out;
}

std::string CutMasked(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  // Not inside a UTF-8 sequence: back up over continuation bytes (and the lead byte with them).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  // Not inside a replacement token: a '[' with no ']' after it before the cut goes, with its rest.
  const size_t open = text.rfind('[', cut == 0 ? 0 : cut - 1);
  if (open != std::string_view::npos && open < cut) {
    const size_t close = text.find(']', open);
    if (close == std::string_view::npos || close >= cut) cut = open;
  }
  return std::string(text.substr(0, cut)) + "...";
}

std::string StreamScrubber::Write(std::string_view chunk) {
  held_.append(chunk);
  if (secret_.empty()) {
    std::string out;
    out.swap(held_);
    return out;
  }
  std::string text = absl::StrReplaceAll(held_, {{secret_, "[REDACTED]"}});
  // Hold back the longest tail that is a proper prefix of the secret.
  size_t keep = std::min(text.size(), secret_.size() - 1);
  for (; keep > 0; --keep) {
    if (std::string_view(text).substr(text.size() - keep) ==
        std::string_view(secret_).substr(0, keep)) {
      break;
    }
  }
  held_ = text.substr(text.size() - keep);
  text.resize(text.size() - keep);
  return text;
}

std::string StreamScrubber::Finish() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace jitguard_gateway
