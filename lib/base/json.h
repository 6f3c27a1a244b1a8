// JSON helpers shared by the components. Parsing is simdjson's; what it does not do for us lives
// here: writing JSON strings, and rejecting objects with duplicate member names (RFC 8259 leaves
// them undefined, and two parsers that pick different duplicates are a classic token-confusion
// bug).
#ifndef JITGUARD_LIB_BASE_JSON_H_
#define JITGUARD_LIB_BASE_JSON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simdjson.h"

namespace jitguard::base {

// Appends `s` as a quoted JSON string. Escapes '"', '\\' and control characters (short forms where
// JSON has them, \u00XX otherwise) and copies everything else, UTF-8 included, byte for byte; the
// output is deterministic, which canonical records (audit hashing) rely on.
void AppendJsonString(std::string* out, std::string_view s);

// Appends the code point `cp` (<= 0x10FFFF, not a surrogate) encoded as UTF-8: what a JSON reader
// writes for a \uXXXX escape.
void AppendUtf8(std::string* out, uint32_t cp);

// True when no object anywhere inside `element` has two members with the same (unescaped) name.
bool HasUniqueKeys(simdjson::dom::element element);

// A place in a text, for messages people act on: 1-based line, and 1-based column counted in UTF-8
// characters (what an editor shows).
struct TextPosition {
  size_t offset = 0;  // bytes from the start
  size_t line = 1;
  size_t column = 1;
};
TextPosition PositionInText(std::string_view text, size_t offset);

// Where a text that is not valid JSON goes wrong: the position simdjson's on-demand parser stopped
// at (a missing or extra comma, a missing colon, a bad literal or number, an unclosed object or
// array at the end of the text). nullopt when the text is valid JSON, when the root is not an
// object or array, or when the parser cannot say where (an unclosed string, invalid UTF-8). Call it
// only to explain a parse that already failed: it parses the text once more.
std::optional<TextPosition> LocateJsonSyntaxError(std::string_view text);

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_JSON_H_
