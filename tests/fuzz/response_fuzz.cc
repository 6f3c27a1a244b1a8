// libFuzzer target, structure-aware: hostile model-server response bodies (SSE, NDJSON, JSON) built
// from the fuzzer's bytes by a small grammar (duplicate members, long arrays, deep nesting, every
// JSON type where an object is expected, schema member names, CR / LF / CRLF, comments, BOM, fields,
// non-JSON data), fed to a ResponseMaskStream in random chunks. Properties: no crash (run it under
// ASan/UBSan), and two planted values (an email and a card number, each placed whole in a string, a
// key, a number, a comment, an event name, an id or a retry field) never reach the output.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "jitguard/mask.h"
#include "lib/text/fold.h"

namespace {

constexpr std::string_view kEmail = "john.doe@example.com";
constexpr std::string_view kCard = "4111 1111 1111 1111";
constexpr std::string_view kCardNumber = "4111111111111111";

constexpr std::string_view kKeys[] = {
    "choices", "delta", "content", "text", "tool_calls", "function", "arguments", "logprobs",
    "token", "bytes", "top_logprobs", "index", "finish_reason", "id", "model", "error", "message",
    "type", "output_index", "content_index", "done", "response", "reasoning_content", "refusal",
    "tokens", "created", "object", "item_id", "delta", "usage", "thinking", "name"};

constexpr std::string_view kWords[] = {
    "", " ", "hello ", "response.output_text.delta", "response.output_text.done", "stop",
    "chat.completion.chunk", "{\\\"a\\\":", "\\u0040", "\\n", "m", "ab\\\"c", "\xC3\xA9",
    "\xEF\xBC\xA0", "x"};

class Builder {
 public:
  explicit Builder(FuzzedDataProvider& in) : in_(in) {}

  void Secret(std::string* out) {
    out->push_back(' ');
    out->append(in_.ConsumeBool() ? kEmail : kCard);
    out->push_back(' ');
  }

  void String(std::string* out) {
    out->push_back('"');
    const int parts = in_.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < parts; ++i) {
      if (in_.ConsumeIntegralInRange(0, 4) == 0) {
        Secret(out);
      } else {
        out->append(kWords[in_.ConsumeIntegralInRange<size_t>(0, std::size(kWords) - 1)]);
      }
    }
    out->push_back('"');
  }

  void Value(std::string* out, int depth) {
    const int kind = in_.ConsumeIntegralInRange(0, depth > 8 ? 4 : 7);
    switch (kind) {
      case 0:
        String(out);
        return;
      case 1:
        out->append(in_.ConsumeBool() ? std::string(kCardNumber)
                                      : std::to_string(in_.ConsumeIntegral<int16_t>()));
        return;
      case 2:
        out->append(in_.ConsumeBool() ? "null" : "true");
        return;
      case 3:
        out->append("-0.5e3");
        return;
      case 4:
        String(out);
        return;
      case 5:
      case 6: {
        out->push_back('{');
        const int n = in_.ConsumeIntegralInRange(0, 6);
        for (int i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          if (in_.ConsumeIntegralInRange(0, 9) == 0) {
            String(out);  // any key, the planted values included
          } else {
            out->push_back('"');
            out->append(kKeys[in_.ConsumeIntegralInRange<size_t>(0, std::size(kKeys) - 1)]);
            out->push_back('"');
          }
          out->push_back(':');
          Value(out, depth + 1);
        }
        out->push_back('}');
        return;
      }
      default: {
        out->push_back('[');
        const int n = in_.ConsumeBool() ? in_.ConsumeIntegralInRange(0, 3)
                                        : in_.ConsumeIntegralInRange(0, 200);
        for (int i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          Value(out, depth + 1);
        }
        out->push_back(']');
        return;
      }
    }
  }

  std::string Sse() {
    std::string out;
    if (in_.ConsumeIntegralInRange(0, 9) == 0) out.append("\xEF\xBB\xBF");
    const std::string_view eols[] = {"\n", "\r\n", "\r"};
    while (in_.remaining_bytes() > 0 && out.size() < 200000) {
      const std::string_view eol = eols[in_.ConsumeIntegralInRange(0, 2)];
      switch (in_.ConsumeIntegralInRange(0, 9)) {
        case 0:
          out.append(":");
          Secret(&out);
          break;
        case 1:
          out.append("event:");
          Secret(&out);
          break;
        case 2:
          out.append(in_.ConsumeBool() ? "id: " : "retry: ");
          out.append(in_.ConsumeBool() ? kCardNumber : kEmail);
          break;
        case 3:
          out.append("data: [DONE]");
          break;
        case 4:
          out.append("data: not json");
          Secret(&out);
          break;
        default:
          out.append("data: ");
          Value(&out, 0);
          break;
      }
      out.append(eol);
      if (in_.ConsumeIntegralInRange(0, 2) != 0) out.append(eol);  // end of event
    }
    return out;
  }

 private:
  FuzzedDataProvider& in_;
};

const std::shared_ptr<const jitguard::Masker>& Masker() {
  static const std::shared_ptr<const jitguard::Masker> m = [] {
    jitguard::MaskerOptions o;
    o.max_held_bytes = 1 << 20;
    return *jitguard::Masker::Create(std::move(o));
  }();
  return m;
}

}  // namespace

namespace {

bool IsDigitByte(char c) { return c >= '0' && c <= '9'; }
bool IsWordByte(char c) {
  return IsDigitByte(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsEmailByte(char c) { return IsWordByte(c) || c == '.' || c == '-' || c == '+' || c == '%'; }
// What may stand before a card number it belongs to: a word, a decimal point, a dash.
bool GluesBeforeCard(char c) { return IsWordByte(c) || c == '.' || c == '-'; }

// True when `value` occurs in `out` as a value of its own: not glued to bytes that would make it part
// of a longer one (raw inputs can build "john.doe@example.compt" or "1788641111111111111111", which
// are different values; the grammar always sets its planted values apart). `left` says which byte
// before it glues, `right` whether what follows it does: a card number must start at a word
// boundary and not after '.' or '-' (docs/masking.md), a word after it does not hide it, and a
// further group of digits makes a grouped one a longer number.
bool Delimited(std::string_view out, std::string_view value, bool (*left)(char),
               bool (*right)(std::string_view after)) {
  for (size_t at = out.find(value); at != std::string_view::npos; at = out.find(value, at + 1)) {
    const size_t end = at + value.size();
    if ((at == 0 || !left(out[at - 1])) && !right(out.substr(end))) return true;
  }
  return false;
}
bool EmailGoesOn(std::string_view after) { return !after.empty() && IsEmailByte(after[0]); }
bool DigitsGoOn(std::string_view after) { return !after.empty() && IsDigitByte(after[0]); }
bool GroupsGoOn(std::string_view after) {
  return DigitsGoOn(after) || (after.size() >= 2 && (after[0] == ' ' || after[0] == '-') &&
                               IsDigitByte(after[1]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const auto framing = static_cast<jitguard::ResponseFraming>(in.ConsumeIntegralInRange(0, 2));
  uint32_t seed = in.ConsumeIntegral<uint32_t>();
  // One input in four is taken as raw bytes (FuzzedDataProvider reads the integrals above from the
  // end of the input, so a seed file is a real stream followed by 6 control bytes: see
  // tests/fuzz/corpus/response/README); the rest are built by the grammar.
  const bool raw = in.ConsumeIntegralInRange(0, 3) == 0;
  Builder builder(in);
  std::string body = raw ? in.ConsumeRemainingBytesAsString() : builder.Sse();
  if (!raw && framing != jitguard::ResponseFraming::kSse) {
    // The same values as NDJSON lines / one document: strip the SSE syntax crudely.
    for (char& c : body) {
      if (c == '\r') c = '\n';
    }
    for (size_t at = body.find("data: "); at != std::string::npos; at = body.find("data: ", at)) {
      body.erase(at, 6);
    }
  }
  std::unique_ptr<jitguard::ResponseMaskStream> stream = Masker()->NewResponseStream(framing);
  std::string out;
  size_t i = 0;
  bool failed = false;
  while (i < body.size() && !failed) {
    seed = seed * 1103515245u + 12345u;
    const size_t len = (seed >> 16) % 64;
    absl::StatusOr<std::string> o = stream->Write(std::string_view(body).substr(i, len));
    if (!o.ok()) {
      failed = true;
      break;
    }
    out += *o;
    i += len;
  }
  if (!failed) {
    absl::StatusOr<std::string> tail = stream->Finish();
    if (tail.ok()) out += *tail;
  }
  // Judged as the detectors read text: through the folded view, where ignorables are gone and a
  // look-alike is its ASCII letter (a card after "ſ" is glued to an "s"; a fullwidth card that
  // went out unmasked is caught).
  jitguard::text::FoldedView folded;
  jitguard::text::Fold(out, &folded);
  const std::string_view seen = folded.text;
  if (Delimited(seen, kEmail, IsEmailByte, EmailGoesOn) ||
      Delimited(seen, kCard, GluesBeforeCard, GroupsGoOn) ||
      Delimited(seen, kCardNumber, GluesBeforeCard, DigitsGoOn)) {
    // A planted value reached the client: show what was fed and what came out, then stop.
    // fwrite, not %s: the bytes may hold NULs.
    std::fprintf(stderr, "planted value in the output\n--- input (%s)\n", raw ? "raw" : "grammar");
    std::fwrite(body.data(), 1, body.size(), stderr);
    std::fprintf(stderr, "\n--- output\n");
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fprintf(stderr, "\n");
    std::abort();
  }
  return 0;
}
