// The policy engine: decides, per inference request, whether an identity may use a model, dataset
// and operation (permit / deny / approval_required), which rules decided it, how long the
// just-in-time grant may live and which masking profile applies. Policies are JSON documents
// (docs/policy.md is the language reference); they are validated completely and compiled once, so a
// bad policy never half-loads and evaluation does no parsing.
//
// Semantics in one paragraph: any matching `forbid` denies; otherwise, without a matching `permit`
// the request is denied (reason `no_permit`); otherwise any matching `require_approval` makes it
// approval_required; otherwise it is permitted. Evaluation fails closed: an attribute of the wrong
// type makes a permit not match and a forbid / require_approval match.
//
// Thread-safety: a compiled `Policy` is immutable and safe to share between threads (hold it as
// std::shared_ptr<const Policy>). A `PolicyStore` may be read and reloaded from any number of
// threads at once; readers never wait for a reload.
#ifndef JITGUARD_POLICY_H_
#define JITGUARD_POLICY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jitguard/export.h"

namespace jitguard {

// ---- requests
// -------------------------------------------------------------------------------------

// A JSON null: present, but of no type a comparison accepts (so it fails closed).
struct AttributeNull {
  friend bool operator==(AttributeNull, AttributeNull) { return true; }
};

// One element of a list-valued attribute.
using AttributeScalar = std::variant<bool, double, std::string>;

// A request attribute (`when` conditions compare these): bool, number, string, a list of scalars,
// or null. Numbers are doubles; a NaN counts as the wrong type.
using AttributeValue =
    std::variant<AttributeNull, bool, double, std::string, std::vector<AttributeScalar>>;

// What is being asked. Empty strings are ordinary values (an empty model matches only the glob
// "*").
struct PolicyRequest {
  std::string subject = {};              // the identity's subject (token `sub`)
  std::vector<std::string> groups = {};  // the identity's groups
  std::string model = {};
  std::string dataset = {};
  std::string operation = {};
  std::string prompt = {};  // matched against `prompt` conditions; may be empty
  std::map<std::string, AttributeValue, std::less<>> attributes = {};  // for `when` conditions
};

// ---- decisions
// ------------------------------------------------------------------------------------

enum class Effect {
  kDeny,
  kPermit,
  kApprovalRequired,
};

// "deny", "permit", "approval_required".
JITGUARD_EXPORT std::string_view EffectName(Effect effect);

// The effect a rule states in the policy document.
enum class RuleEffect {
  kPermit,
  kForbid,
  kRequireApproval,
};

// "permit", "forbid", "require_approval".
JITGUARD_EXPORT std::string_view RuleEffectName(RuleEffect effect);

// The answer for one request.
struct Decision {
  Effect effect = Effect::kDeny;
  // Stable machine-readable reason: "forbidden" (a forbid matched), "no_permit",
  // "approval_required" or "permitted".
  std::string reason = "no_permit";
  // Ids of the deciding rules, in document order: the matching forbids for a forbid-deny; the
  // matching require_approval rules followed by the matching permits for approval_required; the
  // matching permits for permit; empty for no_permit.
  std::vector<std::string> rules = {};
  std::vector<std::string> reasons = {};  // human explanations, one per deciding rule or failure
  // Seconds a just-in-time grant may live: the smallest max_grant_ttl among the matching permits
  // (and require_approval rules, for approval_required); 0 when denied.
  int64_t grant_ttl = 0;
  std::string mask_profile =
      {};  // the strictest applicable profile; "" when denied or none is declared
  std::vector<std::string> approvers =
      {};                    // union over matching require_approval rules (first-seen order)
  std::string message = {};  // `message` of the first deciding rule that has one; else ""
};

// ---- explain
// --------------------------------------------------------------------------------------

enum class ConditionOutcome {
  kMatched,
  kNotMatched,
  kUnevaluable,  // an attribute of the wrong type, or the prompt matcher failed: fails closed
};

// "matched", "not_matched", "unevaluable".
JITGUARD_EXPORT std::string_view ConditionOutcomeName(ConditionOutcome outcome);

// One condition of a rule as evaluated for a request.
struct ConditionTrace {
  std::string condition =
      {};  // "subjects", "groups", "models", "datasets", "operations", "prompt", "when[2]"
  ConditionOutcome outcome = ConditionOutcome::kNotMatched;
  std::string detail = {};  // e.g. "model 'llama-3' matches 'llama-*'"
};

// One rule as evaluated for a request; every stated condition is traced (no short circuit).
struct RuleTrace {
  std::string id = {};
  RuleEffect effect = RuleEffect::kPermit;
  bool matched = false;  // as Evaluate counts it (unevaluable conditions fail closed)
  std::vector<ConditionTrace> conditions = {};
};

struct Explanation {
  Decision decision = {};             // identical to Evaluate's
  std::vector<RuleTrace> rules = {};  // every rule, in document order
};

// ---- the policy
// -----------------------------------------------------------------------------------

// A masking profile declared in the policy (`mask_profiles`), ordered from least to most strict.
struct MaskProfile {
  std::string name = {};
  std::vector<std::string> entities = {};  // expanded: "all" becomes every built-in entity
  bool all_entities = false;               // the document said "all"
  std::string style = {};                  // "label", "redact", "partial" or "hash"
};

// How Create reports where an error is.
enum class PolicyPositions {
  kLineColumn,  // "rules[3].prompt.patterns[0]: line 12, column 20: ..." (text written by people)
  kPathOnly,  // "rules[3].prompt.patterns[0]: ..." (text generated from a dict, positions useless)
};

struct PolicyOptions {
  // The snapshot's version string; "" derives "sha256:<16 hex digits>" from the document text.
  std::string version = {};
  // Positions in error messages; line:column unless the text was generated.
  PolicyPositions positions = PolicyPositions::kLineColumn;
};

// A validated, compiled policy. Immutable; share it as std::shared_ptr<const Policy>.
class JITGUARD_EXPORT Policy {
 public:
  // Parses, validates and compiles a JSON policy. Errors are kInvalidArgument in
  // ErrorDomain::kPolicy with reason "invalid_policy" (or "invalid_json") and a message
  // "<location>: <problem>", where the location is a path such as rules[3].prompt.patterns[0]
  // followed by the line and column.
  static absl::StatusOr<std::shared_ptr<const Policy>> Create(std::string_view json,
                                                              const PolicyOptions& options = {});

  virtual ~Policy() = default;

  // Decides one request. Never fails: anything unevaluable fails closed.
  virtual Decision Evaluate(const PolicyRequest& request) const = 0;

  // Evaluate plus every rule's match trace. Slower (every rule is evaluated); for diagnostics.
  virtual Explanation Explain(const PolicyRequest& request) const = 0;

  // The snapshot's version string (see PolicyOptions::version).
  virtual const std::string& version() const = 0;

  // Number of rules.
  virtual size_t rule_count() const = 0;

  // The declared masking profiles, least strict first.
  virtual const std::vector<MaskProfile>& mask_profiles() const = 0;

  // The profile called `name`, or nullptr.
  virtual const MaskProfile* FindMaskProfile(std::string_view name) const = 0;
};

// Holds the current policy and swaps in a new one atomically on reload; a failed reload keeps the
// old one. Thread-safe: any number of threads may read and reload at once.
//
// The store made by Create takes no lock on reads: each thread caches (store, generation, snapshot)
// and the hot path is one acquire load of the store's generation counter. Only the first read after
// a reload takes a mutex, once per thread, to pick up the new snapshot. A thread's cached snapshot
// keeps an old policy alive until that thread next reads the store or exits.
class JITGUARD_EXPORT PolicyStore {
 public:
  // A store holding the compiled `json` (errors as Policy::Create).
  static absl::StatusOr<std::unique_ptr<PolicyStore>> Create(std::string_view json,
                                                             const PolicyOptions& options = {});
  // A store holding `initial`. A null policy is kInvalidArgument, reason "invalid_policy".
  static absl::StatusOr<std::unique_ptr<PolicyStore>> Create(std::shared_ptr<const Policy> initial);

  virtual ~PolicyStore() = default;
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // The current snapshot; it stays valid (and unchanged) however many reloads follow.
  virtual std::shared_ptr<const Policy> Snapshot() const = 0;

  // Compiles `json` and, only if that succeeds, makes it current. On error the old policy stays.
  virtual absl::Status Reload(std::string_view json, const PolicyOptions& options) = 0;
  absl::Status Reload(std::string_view json) { return Reload(json, PolicyOptions{}); }

  // Makes `policy` current; a null policy is ignored (a store never holds none).
  virtual void Swap(std::shared_ptr<const Policy> policy) = 0;

  // Evaluate on the current snapshot.
  virtual Decision Evaluate(const PolicyRequest& request) const = 0;

  // The current snapshot's version.
  virtual std::string version() const = 0;

 protected:
  PolicyStore() = default;
};

}  // namespace jitguard

#endif  // JITGUARD_POLICY_H_
