// The validated, not yet compiled form of a policy document: what ParsePolicy produces and
// CompilePolicy consumes. Every value here has passed validation (globs parse, patterns compile,
// profiles and entities exist, durations are in range).
#ifndef JITGUARD_LIB_POLICY_SPEC_H_
#define JITGUARD_LIB_POLICY_SPEC_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jitguard/policy.h"
#include "lib/policy/glob.h"
#include "re2/re2.h"

namespace jitguard::policy {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kMatches };

std::string_view CompareOpName(CompareOp op);

// One `when` comparison.
struct Comparison {
  std::string attribute;
  CompareOp op = CompareOp::kEq;
  AttributeScalar operand;               // eq, ne (any scalar), lt..ge (a double)
  std::vector<AttributeScalar> choices;  // in: non-empty, all of one type
  std::shared_ptr<const RE2> regex;      // matches (whole-value match)
};

struct RuleSpec {
  std::string id;
  RuleEffect effect = RuleEffect::kPermit;
  std::optional<std::vector<std::string>> subjects;
  std::optional<std::vector<std::string>> groups;
  std::optional<std::vector<Glob>> models;
  std::optional<std::vector<Glob>> datasets;
  std::optional<std::vector<Glob>> operations;
  bool has_prompt = false;
  std::vector<std::string> keywords;  // trimmed, non-empty
  std::vector<std::string> patterns;  // RE2 syntax, each compiles
  std::vector<Comparison> when;
  std::optional<int64_t> max_grant_ttl;  // seconds
  std::optional<std::string> mask_profile;
  std::vector<std::string> approvers;
  std::string message;
};

struct PolicySpec {
  int64_t default_max_grant_ttl = int64_t{15} * 60;  // seconds; defaults.max_grant_ttl or 15m
  std::optional<std::string> default_profile;        // defaults.mask_profile
  std::vector<MaskProfile> profiles;                 // least strict first
  std::vector<RuleSpec> rules;
};

// Parses and validates a policy document. Errors are ErrorDomain::kPolicy statuses whose message
// is "<location>: [line L, column C: ]<problem>".
absl::StatusOr<PolicySpec> ParsePolicy(std::string_view json, PolicyPositions positions);

// The regex a keyword compiles to: case-insensitive, whole word or phrase (whitespace inside the
// phrase matches any run of whitespace), word boundaries judged on Unicode letters, digits and '_'.
std::string KeywordRegex(std::string_view keyword);

// Limits that keep hostile documents cheap to reject.
inline constexpr size_t kMaxPolicyBytes = 64 << 20;
inline constexpr size_t kMaxRules = 200000;
inline constexpr int64_t kMaxGrantTtlSeconds = int64_t{7} * 24 * 3600;

}  // namespace jitguard::policy

#endif  // JITGUARD_LIB_POLICY_SPEC_H_
