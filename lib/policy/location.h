// Where in a policy document an error is. simdjson's DOM keeps no source positions, so errors are
// located in two steps: the validator tracks the path to the element it is checking
// (rules[3].prompt.patterns[0]), and only when it rejects something does LocateInText walk the
// original text along that path to find the element's byte offset, then its line and column.
//
// Limits: the walk relies on the document having parsed as JSON (it is a navigator, not a
// validator); an element reached through a duplicated key is found by occurrence number; columns
// count UTF-8 code points from 1, lines count '\n' from 1.
#ifndef JITGUARD_LIB_POLICY_LOCATION_H_
#define JITGUARD_LIB_POLICY_LOCATION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/json.h"

namespace jitguard::policy {

// One step from a container to a child: a member name (the n-th member of that name, from 1) or an
// array index.
struct PathStep {
  std::string key;     // member name; empty with index >= 0 for an array element
  int occurrence = 1;  // which member of that name (duplicates are reported on the second)
  long index = -1;     // array index, or -1 for a member step
};

using Path = std::vector<PathStep>;

// "rules[3].prompt.patterns[0]"; "document" for the root. Member names that are not plain
// identifiers are written as ["..."] with JSON escaping.
std::string PathToString(const Path& path);

// Which position of the element to report.
enum class LocateWhat {
  kValue,  // the first byte of the element's value
  kKey,    // the opening quote of the member name (for unknown or duplicate keys)
};

using TextPosition = base::TextPosition;

// Finds the element at `path` in `json` (which must be valid JSON); nullopt when the path does not
// lead anywhere (which would be a bug in the caller).
std::optional<TextPosition> LocateInText(std::string_view json, const Path& path, LocateWhat what);

// A policy error (domain policy) about the element at `location` ("rules[3].prompt", "document"):
// the message reads "<location>: [line L, column C: ]<problem>", and the location, line and column
// are also attached as error fields ("location", "line", "column") for callers that want values.
absl::Status PolicyError(std::string_view reason, std::string_view location,
                         std::optional<TextPosition> at, std::string_view problem,
                         absl::StatusCode code = absl::StatusCode::kInvalidArgument);

}  // namespace jitguard::policy

#endif  // JITGUARD_LIB_POLICY_LOCATION_H_
