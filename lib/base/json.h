// JSON helpers shared by the components. Parsing is simdjson's; what it does not do for us lives
// here: writing JSON strings, and rejecting objects with duplicate member names (RFC 8259 leaves
// them undefined, and two parsers that pick different duplicates are a classic token-confusion
// bug).
#ifndef JITGUARD_LIB_BASE_JSON_H_
#define JITGUARD_LIB_BASE_JSON_H_

#include <string>
#include <string_view>

#include "simdjson.h"

namespace jitguard::base {

// Appends `s` as a quoted JSON string. Escapes '"', '\\' and control characters (short forms where
// JSON has them, \u00XX otherwise) and copies everything else, UTF-8 included, byte for byte; the
// output is deterministic, which canonical records (audit hashing) rely on.
void AppendJsonString(std::string* out, std::string_view s);

// True when no object anywhere inside `element` has two members with the same (unescaped) name.
bool HasUniqueKeys(simdjson::dom::element element);

}  // namespace jitguard::base

#endif  // JITGUARD_LIB_BASE_JSON_H_
