// Masking: finds PII and secrets in text (prompts, model responses, JSON documents, OpenAI-style
// SSE streams) and replaces them, exactly and fast.
//
// A `Masker` is compiled once from `MaskerOptions` (entities, style, custom rules, term lists) and
// is immutable: share it as `std::shared_ptr<const Masker>` between any number of threads. A
// `MaskStream` / `SseMaskStream` belongs to one request and one thread; it is cheap to create.
//
// Streaming is exact: for every way of cutting an input into chunks, the concatenation of what
// `MaskStream::Write` returns followed by `Finish()` equals `Masker::Mask` of the whole input (as
// long as no candidate outgrows `MaskerOptions::max_held_bytes`, see there). A stream holds back
// only what could still become part of a match; on ordinary prose that is at most the current
// word. docs/masking.md documents every entity's rule, the overlap resolution and the algorithm.
//
// Nothing here logs, and no error message or `Finding` ever contains the matched text.
#ifndef JITGUARD_MASK_H_
#define JITGUARD_MASK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jitguard/export.h"
#include "jitguard/secret.h"

namespace jitguard {

// The names of the built-in entities, in priority order: EMAIL, PHONE, US_SSN, NATIONAL_ID,
// DATE_OF_BIRTH, CREDIT_CARD, CRYPTO_WALLET, IPV4, IPV6, MAC_ADDRESS, IBAN, AWS_ACCESS_KEY, API_KEY,
// JWT, PRIVATE_KEY. The views point at static storage.
JITGUARD_EXPORT std::span<const std::string_view> BuiltinEntities();

// True when `name` is one of BuiltinEntities().
JITGUARD_EXPORT bool IsBuiltinEntity(std::string_view name);

// How a finding is replaced.
enum class MaskStyle {
  kLabel,    // "[EMAIL]"
  kRedact,   // one '*' per character (UTF-8 code point) of the value
  kPartial,  // '*' per character except the last four, which are kept; values shorter than eight
             // characters are redacted whole
  kHash,     // "[EMAIL:3f9a1c2b]": the first 4 bytes of HMAC-SHA-256(hash_key, value) in hex; the
             // same value gives the same pseudonym under the same key
};

// "label" | "redact" | "partial" | "hash"; anything else is a kConfig error "bad_style".
JITGUARD_EXPORT absl::StatusOr<MaskStyle> ParseMaskStyle(std::string_view name);

// The lowercase name of a style ("label", ...).
JITGUARD_EXPORT std::string_view MaskStyleName(MaskStyle style);

// A check that a custom rule's match must also pass (over its ASCII digits and letters).
enum class Validator {
  kNone,
  kLuhn,   // the digits of the match are Luhn-valid (credit cards, many account numbers)
  kMod97,  // the match is IBAN-shaped and its ISO 13616 mod-97 check is 1
};

// "none" | "luhn" | "mod97"; anything else is a kConfig error "bad_validator".
JITGUARD_EXPORT absl::StatusOr<Validator> ParseValidator(std::string_view name);

// A user-defined entity: an RE2 regex. Matches start at a word boundary (the previous byte is not
// an ASCII letter or digit) and are searched within a window of 256 bytes that ends at the next
// newline. The finding's entity and rule are `name`.
struct CustomRule {
  std::string name;   // entity name; [A-Z][A-Z0-9_]* by convention, must be non-empty and unique
  std::string regex;  // RE2 syntax; a regex RE2 cannot compile is a kMask error naming the rule
  Validator validator = Validator::kNone;  // an extra check on each match
  // When non-empty, a match counts only if one of these words (case-insensitive, whole word)
  // occurs in the 48 bytes before it. Empty = no context needed.
  std::vector<std::string> context_words = {};
};

// A dictionary entity: case-insensitive (ASCII), whole-word matches of any of `terms` (terms may
// span several words; runs of whitespace match any whitespace run). All term lists are matched in
// one pass. The finding's entity and rule are `name`.
struct TermList {
  std::string name;                     // entity name, non-empty and unique
  std::vector<std::string> terms = {};  // each 1..256 bytes after trimming; 100k terms are fine
};

struct MaskerOptions {
  // Built-in entities to detect; std::nullopt = all of BuiltinEntities() but NATIONAL_ID,
  // DATE_OF_BIRTH, CRYPTO_WALLET and MAC_ADDRESS (off unless named: docs/masking.md says why). An unknown name is
  // a kMask error "unknown_entity" naming it. An empty list is allowed when custom rules or terms
  // remain; nothing at all to detect is a kMask error "empty_config".
  std::optional<std::vector<std::string>> entities;
  // How findings are replaced. kHash requires `hash_key`.
  MaskStyle style = MaskStyle::kLabel;
  // Key of the kHash pseudonyms (>= 16 bytes recommended); unused by the other styles.
  SecretBytes hash_key;
  // User-defined regex entities, checked in this order (at most 52, whatever built-ins are on).
  std::vector<CustomRule> custom;
  // Dictionary entities.
  std::vector<TermList> terms;
  // MaskJson: the values of members with these names (ASCII case-insensitive, at any depth) are
  // masked whole as the entity NAME (the key upper-cased), whatever they contain.
  std::vector<std::string> json_keys;
  // Values never masked: a finding whose text equals one of these (ASCII case-insensitive) passes
  // through unchanged.
  std::vector<std::string> allowlist;
  // Hard cap on the bytes a stream may hold back. When a candidate needs more than this to be
  // decided, the held bytes are masked (fail closed) and the rest of the candidate (up to the next
  // whitespace; for a PEM block, up to its END line) is masked as it arrives. Only then may the
  // stream differ from one-shot Mask(). Must be at least 1024. A JWT can need up to 14 KiB (a
  // five-segment JWE 19 KiB), the other built-ins under 1 KiB, so the default only fires on PEM
  // blocks and JWEs larger than 16 KiB.
  size_t max_held_bytes = size_t{16} * 1024;
  // Response masking (ResponseMaskStream): the members whose string values pass unmasked when they
  // have their member's shape. std::nullopt = the default list (id, object, created, model, role,
  // finish_reason, index, type, system_fingerprint, and the Responses API's item_id, output_index,
  // content_index, sequence_number, status). Names outside the default list get the generic shape
  // (1..64 of letters, digits and `-_.:`, at least one letter, no run of 7 digits). An empty list
  // masks every string.
  std::optional<std::vector<std::string>> structural_members;
  // Response masking: the largest SSE event, NDJSON line or JSON body taken (fail closed above).
  size_t max_response_event_bytes = size_t{8} << 20;
};

// One detected value. Offsets are bytes into the input; the matched text itself is never kept.
struct Finding {
  std::string entity;  // "EMAIL", a custom rule's or term list's name, ...
  size_t start = 0;    // first byte
  size_t end = 0;      // one past the last byte
  std::string rule;    // which rule found it: e.g. "email", "nanp", "intl", "ssn", "ssn_context",
                     // "luhn", "ipv4", "ipv6", "iban", "aws", "github", "slack", ..., "jwt", "pem",
                     // or the custom rule's / term list's name

  friend bool operator==(const Finding&, const Finding&) = default;
};

// Number of findings per entity name. Used for audit records and metrics.
using FindingCounts = std::map<std::string, uint64_t, std::less<>>;

// How a model server frames a response body.
enum class ResponseFraming {
  kSse,     // Server-Sent Events (OpenAI chat/completions/responses streams, TGI, vLLM, llama.cpp)
  kNdjson,  // one JSON document per line (Ollama's native API)
  kJson,    // one JSON document (a non-streaming answer); held until Finish
};

// The masked text of a response per choice (chat/completions `index`, responses `output_index`):
// content, text, refusal, reasoning and tool-call arguments in the order they were emitted. It is
// built from exactly the strings the client was sent, so an audit record made from it says what
// the client received.
using ResponseTranscript = std::map<int64_t, std::string>;

// The text a request body puts before the model, for the policy's prompt rules and the audit
// record: every string value the default-deny request masking would mask, one line per message
// ("role: text ...") and per other top-level member. Invalid JSON is a kMask error "invalid_json".
JITGUARD_EXPORT absl::StatusOr<std::string> RequestPromptText(std::string_view json);

class MaskStream;
class ResponseMaskStream;
namespace mask {
class MaskerAccess;  // lib/mask/internal.h
}  // namespace mask

class JITGUARD_EXPORT Masker : public std::enable_shared_from_this<Masker> {
 public:
  // Compiles `options`. Errors (all with ErrorDomain::kMask): "unknown_entity", "bad_regex",
  // "bad_rule" (empty/duplicate names, bad terms), "empty_config", "missing_hash_key",
  // "bad_option" (max_held_bytes too small). Messages name the rule, never a value.
  static absl::StatusOr<std::shared_ptr<const Masker>> Create(MaskerOptions options);

  ~Masker();
  Masker(const Masker&) = delete;
  Masker& operator=(const Masker&) = delete;

  // `text` with every finding replaced in the configured style. Bytes outside findings (invalid
  // UTF-8 and NULs included) are copied unchanged.
  std::string Mask(std::string_view text) const;

  // Appends Mask(text) to `*out`; adds one count per finding to `*counts` when non-null.
  void MaskAppend(std::string_view text, std::string* out) const;
  void MaskAppend(std::string_view text, std::string* out, FindingCounts* counts) const;

  // The findings Mask(text) replaces, in order, non-overlapping.
  std::vector<Finding> Find(std::string_view text) const;

  // Masks a JSON document: values of `json_keys` members masked whole (strings and numbers become
  // masked strings; inside objects/arrays every string and number is masked whole), every other
  // string value is unescaped, masked and re-escaped; keys, numbers, booleans and null pass
  // through. The result is valid JSON of the same shape (whitespace is not kept). Invalid JSON is a
  // kMask error "invalid_json". Counts are added to `*counts` when non-null.
  absl::StatusOr<std::string> MaskJson(std::string_view json) const;
  absl::StatusOr<std::string> MaskJson(std::string_view json, FindingCounts* counts) const;

  // Masks a client's request body (OpenAI chat/completions, completions, embeddings, responses;
  // Ollama chat/generate) default-deny over its structure, as a response is masked (see
  // ResponseMaskStream) but with no text continuing across events: every string value except the
  // structural members with their shape (model, role, type, ...), member names outside the schema
  // vocabulary, numbers that carry a value, `arguments` strings as JSON. The result is valid JSON
  // of the same shape (minified). Invalid JSON is a kMask error "invalid_json".
  absl::StatusOr<std::string> MaskRequestJson(std::string_view json) const;
  absl::StatusOr<std::string> MaskRequestJson(std::string_view json, FindingCounts* counts) const;

  // A new stream over this masker; the stream keeps the masker alive.
  std::unique_ptr<MaskStream> NewStream() const;

  // A new response body masker (see ResponseMaskStream) over this masker; keeps the masker alive.
  std::unique_ptr<ResponseMaskStream> NewResponseStream(ResponseFraming framing) const;
  // NewResponseStream(ResponseFraming::kSse).
  std::unique_ptr<ResponseMaskStream> NewSseStream() const;

  // Names of every entity this masker detects: the enabled built-ins, then custom rules, then
  // term lists.
  std::vector<std::string> Entities() const;

  MaskStyle style() const;
  size_t max_held_bytes() const;

  // The compiled state: opaque outside lib/mask, which reaches it through mask::MaskerAccess.
  class Impl;

 private:
  explicit Masker(std::unique_ptr<Impl> impl);
  friend class mask::MaskerAccess;

  std::unique_ptr<Impl> impl_;
};

// Masks one text arriving in chunks (one response). Single-threaded.
class JITGUARD_EXPORT MaskStream {
 public:
  virtual ~MaskStream() = default;

  // Consumes `chunk` (any bytes, empty allowed, UTF-8 characters may be split) and returns the
  // masked output that is safe to emit now.
  virtual std::string Write(std::string_view chunk) = 0;

  // Same as Write(chunk), but appends the output to `*out` instead of returning a new string:
  // out->append(Write(chunk)) without the per-call allocation. Reuse one `out` buffer across calls
  // (clearing it after sending) when writing many small chunks; both forms may be mixed on one
  // stream.
  virtual void Write(std::string_view chunk, std::string* out);

  // Ends the text: returns everything still held, masked. The stream may then be reused for a
  // new text (counts keep accumulating).
  virtual std::string Finish() = 0;

  // Findings so far, per entity (a finding counts once it is emitted); kept after Finish so the
  // caller can record them.
  virtual const FindingCounts& counts() const = 0;

  // Bytes currently held back.
  virtual size_t held_bytes() const = 0;
};

// Masks a model server's response body, default-deny over its structure (docs/security.md):
//
//   - every JSON string value is masked, at any depth, except the values of the structural members
//     (MaskerOptions::structural_members), and those only when they have their member's shape
//     (an `id` of letters, digits and `-_.:`; a `model` name without spaces or `@`; ...): a value
//     that fails the check is masked like any other;
//   - member names outside the OpenAI/Ollama schema vocabulary are masked; numbers are masked (as
//     strings) when the masker finds something in their text; logprobs `bytes` arrays are rebuilt
//     from the masked token; a string `arguments` member is masked as JSON when it parses;
//   - text that continues across events (choices[i].delta.content / reasoning_content / reasoning /
//     refusal, choices[i].text, tool_calls[k].function.arguments, logprobs tokens, Responses API
//     `*.delta` events, Ollama's message.content / response) is masked as one stream per choice and
//     field, so a value split across events is caught; held text goes out with that field's next
//     event, or in a synthetic event before the choice's finish_reason event, a Responses `*.done`
//     event, `[DONE]`, or Finish();
//   - duplicate members are all kept and every occurrence is masked (a client that reads the last
//     one and a masker that reads the first can never disagree about what was masked);
//   - SSE follows the WHATWG parsing rules (BOM, CR/LF/CRLF, comments, event/id/retry fields):
//     comments, `event:` and `id:` values are masked, a non-numeric `retry:` and unknown fields are
//     dropped; data that is not JSON is masked as text (one stream), `[DONE]` passes;
//   - compressed bytes cannot be masked: decode them before (the caller's job).
//
// The output is re-serialized (minified JSON, LF line ends). Errors (kMask): "sse_event_too_large"
// / "response_too_large" when an event, line or JSON body exceeds its cap; the stream then refuses
// further input (fail closed). Single-threaded.
class JITGUARD_EXPORT ResponseMaskStream {
 public:
  virtual ~ResponseMaskStream() = default;

  // Consumes raw body bytes (any cut); returns the bytes to send to the client now.
  virtual absl::StatusOr<std::string> Write(std::string_view bytes) = 0;

  // Ends the body: processes a trailing unterminated event or line (or, for kJson, the whole
  // document) and flushes held text.
  virtual absl::StatusOr<std::string> Finish() = 0;

  // Findings so far, per entity.
  virtual const FindingCounts& counts() const = 0;

  // The masked text sent so far, per choice.
  virtual const ResponseTranscript& transcript() const = 0;
};

// The name of earlier releases, which masked SSE only.
using SseMaskStream = ResponseMaskStream;

}  // namespace jitguard

#endif  // JITGUARD_MASK_H_
