// Small JSON helpers of the gateway. Request and response bodies are read, masked and audited by the
// library itself (jitguard::ReadInferenceRequest, Guard::MaskRequestBody, Guard::NewResponse with
// kJson / kNdjson / kSse: default deny over structure, docs/security.md); what is left here is the
// gateway's own: which endpoint a path is, quoting, reading an upstream error's message, which
// framing an answer is masked with, the encoding headers it accepts, the query string and the
// service credential's scrubbing.
#ifndef JITGUARD_GATEWAY_BODY_H_
#define JITGUARD_GATEWAY_BODY_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jitguard_gateway {

// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view TrimSpaces(std::string_view s);

enum class Endpoint { kChat, kCompletions, kEmbeddings, kResponses };

// `s` as a quoted JSON string.
std::string Quote(std::string_view s);

// The `message` of an OpenAI-style error body ({"error": {"message": ...}} or {"error": "..."} or
// {"message": ...} or {"detail": ...}); "" when there is none.
std::string UpstreamErrorMessage(std::string_view json);

// True when every comma-separated token of a header value (Content-Encoding, Transfer-Encoding) is
// `allowed` (ASCII case-insensitive, spaces and tabs around tokens ignored, empty list elements
// skipped). The gateway refuses an upstream answer whose encodings are not all ones it can read.
bool OnlyToken(std::string_view header_value, std::string_view allowed);

// How the gateway reads (and masks) an upstream answer, and the Content-Type it sends for it.
enum class Framing { kJson, kSse, kNdjson, kText };

// True when a request body asks for a streamed answer: a top-level "stream" member (any of them, if
// there are duplicates) whose value is anything but false or null. Fail closed: a server may coerce
// "true" or 1 to true, and an answer streamed where none was expected is masked as SSE.
bool StreamRequested(std::string_view request_body);

// The framing of an upstream answer, from its Content-Type's media type and the request:
// text/event-stream -> SSE; a media type containing "ndjson" -> NDJSON; else a request with
// "stream": true -> SSE (the OpenAI SDKs parse a streamed answer as SSE whatever its label); else a
// media type containing "json" -> JSON; else text.
Framing ChooseFraming(std::string_view content_type, bool stream_requested);

// The Content-Type the gateway sends for a framing (never the upstream's own value).
std::string_view FramingContentType(Framing framing);

// `s` percent-decoded (a malformed escape stays as it is); '+' is a space when `plus_is_space`.
std::string PercentDecode(std::string_view s, bool plus_is_space);
// `s` percent-encoded: everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view s);

// A query string (without '?') with every parameter name and value masked by `mask`. A component is
// decoded twice ('+' kept, then '+' as a space) and masked in both readings; a component neither
// reading changes is kept byte for byte (so `api-version=2024-06-01` passes as it came), a changed one
// is sent percent-encoded. An error of `mask` is returned.
absl::StatusOr<std::string> MaskQuery(
    std::string_view query, const std::function<absl::StatusOr<std::string>(std::string_view)>& mask);

// At most `limit` bytes of `text`, cut at a UTF-8 character boundary and never inside a bracketed
// replacement token ("[EMAIL]", "[REDACTED]"): a '[' still open at the cut is dropped with what follows.
// "..." marks a cut.
std::string CutMasked(std::string_view text, size_t limit);

// Replaces every occurrence of `secret` in a stream of chunks with "[REDACTED]", also when it is
// split across chunks: the longest tail of a chunk that could start `secret` is held back until the
// next chunk (or Finish) shows whether it does.
class StreamScrubber {
 public:
  explicit StreamScrubber(std::string secret) : secret_(std::move(secret)) {}
  std::string Write(std::string_view chunk);
  std::string Finish();

 private:
  std::string secret_;
  std::string held_;
};

}  // namespace jitguard_gateway

#endif  // JITGUARD_GATEWAY_BODY_H_
