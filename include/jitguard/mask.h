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

// The names of the built-in entities, in priority order: EMAIL, PHONE, US_SSN, CREDIT_CARD, IPV4,
// IPV6, IBAN, AWS_ACCESS_KEY, API_KEY, JWT, PRIVATE_KEY. The views point at static storage.
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
  // Built-in entities to detect; std::nullopt = all of BuiltinEntities(). An unknown name is a
  // kMask error "unknown_entity" naming it. An empty list is allowed when custom rules or terms
  // remain; nothing at all to detect is a kMask error "empty_config".
  std::optional<std::vector<std::string>> entities;
  // How findings are replaced. kHash requires `hash_key`.
  MaskStyle style = MaskStyle::kLabel;
  // Key of the kHash pseudonyms (>= 16 bytes recommended); unused by the other styles.
  SecretBytes hash_key;
  // User-defined regex entities, checked in this order (at most 52).
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

class MaskStream;
class SseMaskStream;

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

  // A new stream over this masker; the stream keeps the masker alive.
  std::unique_ptr<MaskStream> NewStream() const;

  // A new OpenAI-compatible SSE stream masker over this masker; keeps the masker alive.
  std::unique_ptr<SseMaskStream> NewSseStream() const;

  // Names of every entity this masker detects: the enabled built-ins, then custom rules, then
  // term lists.
  std::vector<std::string> Entities() const;

  MaskStyle style() const;
  size_t max_held_bytes() const;

  // Internal: the compiled state is opaque outside lib/mask; use Create().
  class Impl;
  explicit Masker(std::unique_ptr<Impl> impl);
  const Impl& impl() const { return *impl_; }

 private:
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

// Masks an OpenAI-compatible chat/completions Server-Sent-Events byte stream. Every `data: {...}`
// event's `choices[i].delta.content` (chat) and `choices[i].text` (completions) are masked as one
// continuous text per choice index across events, so a value split over two events is caught.
// Everything else (other fields, comments, `event:`/`id:` lines, `[DONE]`) passes through;
// events whose content changes are re-serialized (same members, same order, minified). Held
// content goes out with the next event of that choice (a finish_reason event flushes it) or in a
// synthetic event before `[DONE]` / at Finish(). A data event that is not valid JSON fails closed:
// Write returns a kMask error "invalid_sse_json" and the stream refuses all further input.
// Single-threaded.
class JITGUARD_EXPORT SseMaskStream {
 public:
  virtual ~SseMaskStream() = default;

  // Consumes raw SSE bytes; returns the bytes to send to the client now.
  virtual absl::StatusOr<std::string> Write(std::string_view bytes) = 0;

  // Ends the stream: processes a trailing unterminated event and flushes held content.
  virtual absl::StatusOr<std::string> Finish() = 0;

  // Findings so far over all choices, per entity.
  virtual const FindingCounts& counts() const = 0;
};

}  // namespace jitguard

#endif  // JITGUARD_MASK_H_
