#include "gateway/body.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "lib/base/json.h"
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

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool OnlyToken(std::string_view header_value, std::string_view allowed) {
  for (std::string_view token : Split(header_value, ',')) {
    token = TrimSpaces(token);
    if (token.empty()) continue;
    if (!EqualsNoCase(token, allowed)) return false;
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

}  // namespace jitguard_gateway
