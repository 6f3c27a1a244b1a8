// Globs for models, datasets and operations: `*` matches any run of characters (also none), `?`
// exactly one character (a UTF-8 code point), `\` escapes `*`, `?` or `\`. Everything else is
// literal and case-sensitive. This is Cedar's `like` plus `?`.
#ifndef JITGUARD_LIB_POLICY_GLOB_H_
#define JITGUARD_LIB_POLICY_GLOB_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jitguard::policy {

// A parsed glob: the pattern with escapes resolved into a token string, plus its literal prefix.
class Glob {
 public:
  // Parses `pattern`. Errors (kInvalidArgument, message only): empty, a dangling or unknown escape,
  // a control character, longer than 1024 bytes.
  static absl::StatusOr<Glob> Parse(std::string_view pattern);

  // True when `value` matches the whole glob.
  bool Matches(std::string_view value) const;

  // True when the glob has no wildcard (then it equals literal_prefix()).
  bool exact() const { return exact_; }

  // The literal text before the first wildcard (unescaped).
  const std::string& literal_prefix() const { return prefix_; }

  // The pattern as written.
  const std::string& pattern() const { return pattern_; }

 private:
  // tokens_: literal bytes, with kStar / kAny marking wildcards; a literal 0x01/0x02 cannot occur
  // because control characters are rejected.
  static constexpr char kStar = '\x01';
  static constexpr char kAny = '\x02';

  std::string pattern_;
  std::string tokens_;
  std::string prefix_;
  bool exact_ = true;
};

}  // namespace jitguard::policy

#endif  // JITGUARD_LIB_POLICY_GLOB_H_
