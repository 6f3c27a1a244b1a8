#include "lib/policy/compiled.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "lib/policy/location.h"
#include "lib/text/fold.h"
#include "re2/set.h"

namespace jitguard::policy {

using base::Append;
using base::Cat;
using base::Join;
namespace {

// The request dimensions a rule can be indexed by.
enum Dim {
  kSubject = 0,
  kModel = 1,
  kDataset = 2,
  kOperation = 3,
  kNumStringDims = 4,
  kGroup = 4,
  kPrompt = 5,
  kNone = 6
};

constexpr uint64_t kInfiniteCost = std::numeric_limits<uint64_t>::max();

enum class Tri { kFalse, kTrue, kUnevaluable };

struct Rule {
  std::string id;
  RuleEffect effect = RuleEffect::kPermit;
  std::optional<std::vector<std::string>> subjects;  // sorted
  std::optional<std::vector<uint32_t>> groups;       // group ids
  std::vector<std::string> group_names;              // as written, for traces
  std::optional<std::vector<Glob>> globs[3];         // models, datasets, operations
  bool has_prompt = false;
  std::vector<uint32_t> prompt_atoms;
  std::vector<Comparison> when;
  std::optional<int64_t> max_grant_ttl;
  int profile_rank = -1;  // -1: the rule names no profile
  std::vector<std::string> approvers;
  std::string message;
};

// Why a rule's match was affected by something unevaluable (for the reasons).
struct Note {
  uint32_t rule = 0;
  std::string
      what;  // "attribute 'x' has the wrong type (...)" or "the prompt could not be matched"
};

std::string_view ValueTypeName(const AttributeValue& v) {
  switch (v.index()) {
    case 0:
      return "null";
    case 1:
      return "boolean";
    case 2:
      return "number";
    case 3:
      return "string";
    default:
      return "list";
  }
}

std::string_view ScalarTypeName(const AttributeScalar& v) {
  switch (v.index()) {
    case 0:
      return "boolean";
    case 1:
      return "number";
    default:
      return "string";
  }
}

std::string ScalarText(const AttributeScalar& v) {
  switch (v.index()) {
    case 0:
      return std::get<bool>(v) ? "true" : "false";
    case 1:
      return Cat(std::get<double>(v));
    default:
      return Cat("'", std::get<std::string>(v), "'");
  }
}

// Scalars compare as equal only when of one type and value.
bool ScalarEquals(const AttributeScalar& a, const AttributeScalar& b) { return a == b; }

// The scalar held by `value` (which must be bool, number or string).
AttributeScalar ToScalar(const AttributeValue& value) {
  switch (value.index()) {
    case 1:
      return std::get<bool>(value);
    case 2:
      return std::get<double>(value);
    default:
      return std::get<std::string>(value);
  }
}

bool IsNaN(const AttributeScalar& v) { return v.index() == 1 && std::isnan(std::get<double>(v)); }

// Evaluates one comparison. `why` (optional) receives why it was unevaluable, and with `verbose`
// also why it held or not (traces); the hot path builds no strings.
Tri Compare(const Comparison& c, const PolicyRequest& request, std::string* why, bool verbose) {
  auto it = request.attributes.find(c.attribute);
  if (it == request.attributes.end()) {
    if (why && verbose) *why = Cat("attribute '", c.attribute, "' is absent");
    return Tri::kFalse;
  }
  const AttributeValue& value = it->second;
  auto wrong_type = [&](std::string_view expected) {
    if (why) {
      *why = Cat("attribute '", c.attribute, "' has the wrong type (", CompareOpName(c.op),
                 " needs ", expected, ", got ", ValueTypeName(value), ")");
    }
    return Tri::kUnevaluable;
  };
  if (value.index() == 2 && std::isnan(std::get<double>(value)))
    return wrong_type("a number that is not NaN");
  auto verdict = [&](bool holds) {
    if (why && verbose) {
      std::string operand;
      if (c.op == CompareOp::kIn) {
        for (const AttributeScalar& x : c.choices)
          Append(&operand, operand.empty() ? "[" : ", ", ScalarText(x));
        operand.append("]");
      } else if (c.op == CompareOp::kMatches) {
        operand = Cat("/", c.regex->pattern(), "/");
      } else {
        operand = ScalarText(c.operand);
      }
      *why = Cat("attribute '", c.attribute, "' ", CompareOpName(c.op), " ", operand,
                 holds ? ": holds" : ": does not hold");
    }
    return holds ? Tri::kTrue : Tri::kFalse;
  };
  switch (c.op) {
    case CompareOp::kEq:
    case CompareOp::kNe: {
      if (value.index() != c.operand.index() + 1) return wrong_type(ScalarTypeName(c.operand));
      const bool equal = ScalarEquals(ToScalar(value), c.operand);
      return verdict(c.op == CompareOp::kEq ? equal : !equal);
    }
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe: {
      if (value.index() != 2) return wrong_type("number");
      const double a = std::get<double>(value), b = std::get<double>(c.operand);
      const bool holds = c.op == CompareOp::kLt   ? a < b
                         : c.op == CompareOp::kLe ? a <= b
                         : c.op == CompareOp::kGt ? a > b
                                                  : a >= b;
      return verdict(holds);
    }
    case CompareOp::kIn: {
      const AttributeScalar& sample = c.choices.front();
      auto contains = [&](const AttributeScalar& s) {
        return std::any_of(c.choices.begin(), c.choices.end(),
                           [&](const AttributeScalar& x) { return ScalarEquals(x, s); });
      };
      if (value.index() == 4) {
        const auto& list = std::get<std::vector<AttributeScalar>>(value);
        for (const AttributeScalar& s : list) {
          if (s.index() != sample.index() || IsNaN(s))
            return wrong_type(Cat(ScalarTypeName(sample), " elements"));
        }
        if (list.empty()) return verdict(false);
        return verdict(std::all_of(list.begin(), list.end(), contains));
      }
      if (value.index() != sample.index() + 1) return wrong_type(ScalarTypeName(sample));
      return verdict(contains(ToScalar(value)));
    }
    case CompareOp::kMatches: {
      if (value.index() != 3) return wrong_type("string");
      const std::string& s = std::get<std::string>(value);
      return verdict(RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *c.regex));
    }
  }
  return Tri::kUnevaluable;
}

class CompiledPolicy final : public Policy {
 public:
  static absl::StatusOr<std::shared_ptr<const Policy>> Build(PolicySpec spec, std::string version);

  Decision Evaluate(const PolicyRequest& request) const override;
  Explanation Explain(const PolicyRequest& request) const override;
  const std::string& version() const override { return version_; }
  size_t rule_count() const override { return rules_.size(); }
  const std::vector<MaskProfile>& mask_profiles() const override { return profiles_; }
  const MaskProfile* FindMaskProfile(std::string_view name) const override {
    for (const MaskProfile& p : profiles_) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }

 private:
  // Per-request state: the request's groups as a bitset, and the prompt matched at most once.
  struct Context {
    const PolicyRequest& request;
    absl::InlinedVector<uint64_t, 8> group_bits;
    bool prompt_done = false;
    bool prompt_failed = false;
    absl::InlinedVector<uint64_t, 8> atom_bits;
  };

  void PrepareGroups(Context* ctx) const;
  void MatchPrompt(Context* ctx) const;
  bool HasBit(const absl::InlinedVector<uint64_t, 8>& bits, uint32_t i) const {
    return (i >> 6) < bits.size() && ((bits[i >> 6] >> (i & 63)) & 1);
  }

  // Whether `rule` matches. Unevaluable conditions fail closed: they count as holding for forbid
  // and require_approval, and as failing for permit; either way `note` records why. With `trace`,
  // every condition is evaluated and recorded; without it, the first definite failure ends the
  // check.
  bool MatchRule(const Rule& rule, Context* ctx, std::string* note,
                 std::vector<ConditionTrace>* trace) const;

  // Decision from the matching rules (ascending rule indices) and notes.
  Decision Decide(const std::vector<uint32_t>& matched, const std::vector<Note>& notes) const;

  void Candidates(Context* ctx, absl::InlinedVector<uint32_t, 32>* out) const;

  std::string version_;
  std::vector<Rule> rules_;
  std::vector<MaskProfile> profiles_;
  int64_t default_ttl_ = 0;
  int default_profile_rank_ = -1;

  // Indexes. A rule sits under exactly one anchor (or in unanchored_), and every candidate is then
  // checked in full, so the index only has to be complete, not exact.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> exact_[kNumStringDims];
  struct GlobEntry {
    uint32_t rule;
    const Glob* glob;
  };
  absl::flat_hash_map<std::string, std::vector<GlobEntry>> prefixed_[kNumStringDims];
  std::vector<size_t>
      prefix_lengths_[kNumStringDims];  // distinct literal-prefix lengths, ascending
  absl::flat_hash_map<std::string, uint32_t> group_ids_;
  std::vector<std::vector<uint32_t>> by_group_;
  std::vector<std::vector<uint32_t>> by_atom_;  // prompt-anchored rules per atom
  bool has_prompt_anchored_ = false;
  std::vector<uint32_t> prompt_anchored_;
  std::vector<uint32_t> unanchored_;

  std::unique_ptr<RE2::Set> prompt_set_;
  size_t atom_count_ = 0;
};

absl::StatusOr<std::shared_ptr<const Policy>> CompiledPolicy::Build(PolicySpec spec,
                                                                    std::string version) {
  auto policy = std::make_shared<CompiledPolicy>();
  policy->version_ = std::move(version);
  policy->profiles_ = std::move(spec.profiles);
  policy->default_ttl_ = spec.default_max_grant_ttl;
  auto rank_of = [&](const std::string& name) {
    for (size_t i = 0; i < policy->profiles_.size(); ++i) {
      if (policy->profiles_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  // Without a default profile, a permit that names none gets the strictest declared one.
  policy->default_profile_rank_ = spec.default_profile
                                      ? rank_of(*spec.default_profile)
                                      : static_cast<int>(policy->profiles_.size()) - 1;

  // Prompt atoms: every distinct keyword and pattern of every rule, compiled once into one set.
  RE2::Options set_options;
  set_options.set_log_errors(false);
  set_options.set_max_mem(int64_t{256} << 20);
  auto set = std::make_unique<RE2::Set>(set_options, RE2::UNANCHORED);
  absl::flat_hash_map<std::string, uint32_t> atom_ids;
  auto atom = [&](const std::string& regex) -> absl::StatusOr<uint32_t> {
    auto [it, inserted] = atom_ids.try_emplace(regex, static_cast<uint32_t>(atom_ids.size()));
    if (inserted) {
      std::string error;
      if (set->Add(re2::StringPiece(regex.data(), regex.size()), &error) !=
          static_cast<int>(it->second)) {
        return PolicyError("invalid_policy", "rules", std::nullopt,
                           Cat("prompt pattern rejected by the combined matcher: ", error));
      }
    }
    return it->second;
  };

  policy->rules_.reserve(spec.rules.size());
  for (RuleSpec& r : spec.rules) {
    Rule rule;
    rule.id = std::move(r.id);
    rule.effect = r.effect;
    if (r.subjects) {
      std::sort(r.subjects->begin(), r.subjects->end());
      rule.subjects = std::move(r.subjects);
    }
    if (r.groups) {
      rule.groups.emplace();
      for (const std::string& g : *r.groups) {
        auto [it, inserted] =
            policy->group_ids_.try_emplace(g, static_cast<uint32_t>(policy->group_ids_.size()));
        rule.groups->push_back(it->second);
      }
      rule.group_names = std::move(*r.groups);
    }
    rule.globs[0] = std::move(r.models);
    rule.globs[1] = std::move(r.datasets);
    rule.globs[2] = std::move(r.operations);
    rule.has_prompt = r.has_prompt;
    for (const std::string& k : r.keywords) {
      absl::StatusOr<uint32_t> id = atom(KeywordRegex(k));
      if (!id.ok()) return id.status();
      rule.prompt_atoms.push_back(*id);
      // The prompt is also matched in its folded view (MatchPrompt): a keyword written with
      // characters that fold is matched in its folded form too.
      if (!text::IsAscii(k)) {
        text::FoldedView view;
        text::Fold(k, &view);
        if (!view.text.empty() && view.text != k) {
          id = atom(KeywordRegex(view.text));
          if (!id.ok()) return id.status();
          rule.prompt_atoms.push_back(*id);
        }
      }
    }
    for (const std::string& p : r.patterns) {
      absl::StatusOr<uint32_t> id = atom(p);
      if (!id.ok()) return id.status();
      rule.prompt_atoms.push_back(*id);
    }
    std::sort(rule.prompt_atoms.begin(), rule.prompt_atoms.end());
    rule.prompt_atoms.erase(std::unique(rule.prompt_atoms.begin(), rule.prompt_atoms.end()),
                            rule.prompt_atoms.end());
    rule.when = std::move(r.when);
    rule.max_grant_ttl = r.max_grant_ttl;
    if (r.mask_profile) rule.profile_rank = rank_of(*r.mask_profile);
    rule.approvers = std::move(r.approvers);
    rule.message = std::move(r.message);
    policy->rules_.push_back(std::move(rule));
  }
  policy->atom_count_ = atom_ids.size();
  if (policy->atom_count_ > 0) {
    if (!set->Compile()) {
      return PolicyError("invalid_policy", "rules", std::nullopt,
                         "the prompt keywords and patterns together exceed the matcher's memory "
                         "budget",
                         absl::StatusCode::kResourceExhausted);
    }
    policy->prompt_set_ = std::move(set);
  }

  // Anchor selection: per rule, the dimension whose values are shared by the fewest other rules.
  absl::flat_hash_map<std::string, uint64_t> value_count[kNumStringDims];
  absl::flat_hash_map<std::string, uint64_t> prefix_count[kNumStringDims];
  std::vector<uint64_t> group_count(policy->group_ids_.size());
  std::vector<uint64_t> atom_count(policy->atom_count_);
  for (const Rule& rule : policy->rules_) {
    if (rule.subjects) {
      for (const std::string& s : *rule.subjects) ++value_count[kSubject][s];
    }
    for (int d = 0; d < 3; ++d) {
      if (!rule.globs[d]) continue;
      for (const Glob& g : *rule.globs[d]) {
        if (g.exact())
          ++value_count[kModel + d][g.literal_prefix()];
        else
          ++prefix_count[kModel + d][g.literal_prefix()];
      }
    }
    if (rule.groups) {
      for (uint32_t g : *rule.groups) ++group_count[g];
    }
    for (uint32_t a : rule.prompt_atoms) ++atom_count[a];
  }
  auto saturating_add = [](uint64_t a, uint64_t b) {
    return a > kInfiniteCost - b ? kInfiniteCost : a + b;
  };
  policy->by_group_.resize(policy->group_ids_.size());
  policy->by_atom_.resize(policy->atom_count_);
  for (uint32_t i = 0; i < policy->rules_.size(); ++i) {
    const Rule& rule = policy->rules_[i];
    uint64_t cost[kNone];
    std::fill(std::begin(cost), std::end(cost), kInfiniteCost);
    if (rule.subjects) {
      cost[kSubject] = 0;
      for (const std::string& s : *rule.subjects) cost[kSubject] += value_count[kSubject][s];
    }
    for (int d = 0; d < 3; ++d) {
      if (!rule.globs[d]) continue;
      uint64_t c = 0;
      for (const Glob& g : *rule.globs[d]) {
        if (g.exact()) {
          c = saturating_add(c, value_count[kModel + d][g.literal_prefix()]);
        } else if (g.literal_prefix().empty()) {
          c = kInfiniteCost;  // "*" or "?x": every value is a candidate; not an anchor
        } else {
          c = saturating_add(c, prefix_count[kModel + d][g.literal_prefix()]);
        }
      }
      cost[kModel + d] = c;
    }
    if (rule.groups) {
      cost[kGroup] = 0;
      for (uint32_t g : *rule.groups) cost[kGroup] += group_count[g];
    }
    if (rule.has_prompt) {
      cost[kPrompt] = 0;
      for (uint32_t a : rule.prompt_atoms) cost[kPrompt] += atom_count[a];
    }
    int best = kNone;
    for (int d = 0; d < kNone; ++d) {
      if (cost[d] != kInfiniteCost && (best == kNone || cost[d] < cost[best])) best = d;
    }
    switch (best) {
      case kSubject:
        for (const std::string& s : *rule.subjects) policy->exact_[kSubject][s].push_back(i);
        break;
      case kModel:
      case kDataset:
      case kOperation:
        for (const Glob& g : *rule.globs[best - kModel]) {
          if (g.exact()) {
            policy->exact_[best][g.literal_prefix()].push_back(i);
          } else {
            policy->prefixed_[best][g.literal_prefix()].push_back(GlobEntry{i, &g});
          }
        }
        break;
      case kGroup:
        for (uint32_t g : *rule.groups) policy->by_group_[g].push_back(i);
        break;
      case kPrompt:
        for (uint32_t a : rule.prompt_atoms) policy->by_atom_[a].push_back(i);
        policy->prompt_anchored_.push_back(i);
        policy->has_prompt_anchored_ = true;
        break;
      default:
        policy->unanchored_.push_back(i);
    }
  }
  for (int d = 0; d < kNumStringDims; ++d) {
    for (const auto& [prefix, entries] : policy->prefixed_[d])
      policy->prefix_lengths_[d].push_back(prefix.size());
    std::sort(policy->prefix_lengths_[d].begin(), policy->prefix_lengths_[d].end());
    policy->prefix_lengths_[d].erase(
        std::unique(policy->prefix_lengths_[d].begin(), policy->prefix_lengths_[d].end()),
        policy->prefix_lengths_[d].end());
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

void CompiledPolicy::PrepareGroups(Context* ctx) const {
  if (group_ids_.empty()) return;
  ctx->group_bits.assign((group_ids_.size() + 63) / 64, 0);
  for (const std::string& g : ctx->request.groups) {
    auto it = group_ids_.find(base::AsAbsl(g));
    if (it != group_ids_.end())
      ctx->group_bits[it->second >> 6] |= uint64_t{1} << (it->second & 63);
  }
}

void CompiledPolicy::MatchPrompt(Context* ctx) const {
  if (ctx->prompt_done) return;
  ctx->prompt_done = true;
  if (!prompt_set_) return;
  // Keywords and patterns match the prompt as written and its folded view (lib/text/fold.h: no
  // zero-width characters or soft hyphens, fullwidth forms and look-alike letters as ASCII, Unicode
  // spaces, digits and dashes as ASCII ones); a rule matches when either does. An ASCII prompt is
  // its own folded view: one pass as before.
  const std::string& prompt = ctx->request.prompt;
  std::string folded;
  if (!text::FoldsToItself(prompt, /*end_may_grow=*/false)) {
    text::FoldedView view;
    text::Fold(prompt, &view);
    folded = std::move(view.text);
  }
  const re2::StringPiece texts[2] = {re2::StringPiece(prompt.data(), prompt.size()),
                                     re2::StringPiece(folded.data(), folded.size())};
  const int views = folded.empty() ? 1 : 2;
  // First ask only whether anything occurs: that scan stops at the first hit and allocates nothing,
  // so the common case (nothing to flag) is one pass whatever the number of atoms. Only when
  // something occurs does a second pass collect which atoms did.
  RE2::Set::ErrorInfo error;
  bool any = false;
  for (int v = 0; v < views && !any; ++v) {
    if (prompt_set_->Match(texts[v], nullptr, &error)) {
      any = true;
    } else if (error.kind != RE2::Set::kNoError) {
      // Keep "no match" apart from "the matcher failed": a failure is unevaluable (fails closed).
      ctx->prompt_failed = true;
      return;
    }
  }
  if (!any) return;
  ctx->atom_bits.assign((atom_count_ + 63) / 64, 0);
  for (int v = 0; v < views; ++v) {
    std::vector<int> hits;
    if (!prompt_set_->Match(texts[v], &hits, &error)) {
      if (error.kind == RE2::Set::kNoError) continue;  // nothing in this view
      ctx->prompt_failed = true;
      return;
    }
    for (int h : hits) ctx->atom_bits[static_cast<size_t>(h) >> 6] |= uint64_t{1} << (h & 63);
  }
}

bool CompiledPolicy::MatchRule(const Rule& rule, Context* ctx, std::string* note,
                               std::vector<ConditionTrace>* trace) const {
  const PolicyRequest& req = ctx->request;
  bool failed = false;       // a condition definitely does not hold
  bool unevaluable = false;  // a condition could not be evaluated
  auto record = [&](std::string_view name, Tri outcome, std::string detail) {
    if (outcome == Tri::kFalse) failed = true;
    if (outcome == Tri::kUnevaluable) {
      if (!unevaluable && note) *note = detail;
      unevaluable = true;
    }
    if (trace) {
      trace->push_back(ConditionTrace{std::string(name),
                                      outcome == Tri::kTrue    ? ConditionOutcome::kMatched
                                      : outcome == Tri::kFalse ? ConditionOutcome::kNotMatched
                                                               : ConditionOutcome::kUnevaluable,
                                      std::move(detail)});
    }
    if (trace == nullptr && failed) {
      if (note) note->clear();  // a definite failure: the unevaluable part did not decide anything
      return false;
    }
    return true;
  };

  if (rule.subjects) {
    const bool ok = std::binary_search(rule.subjects->begin(), rule.subjects->end(), req.subject);
    if (!record("subjects", ok ? Tri::kTrue : Tri::kFalse,
                trace ? Cat("subject '", req.subject, ok ? "' is listed" : "' is not listed")
                      : std::string())) {
      return false;
    }
  }
  static constexpr std::string_view kDimNames[3] = {"models", "datasets", "operations"};
  static constexpr std::string_view kValueNames[3] = {"model", "dataset", "operation"};
  const std::string* values[3] = {&req.model, &req.dataset, &req.operation};
  for (int d = 0; d < 3; ++d) {
    if (!rule.globs[d]) continue;
    const Glob* hit = nullptr;
    for (const Glob& g : *rule.globs[d]) {
      if (g.Matches(*values[d])) {
        hit = &g;
        break;
      }
    }
    std::string detail;
    if (trace) {
      detail = hit ? Cat(kValueNames[d], " '", *values[d], "' matches '", hit->pattern(), "'")
                   : Cat(kValueNames[d], " '", *values[d], "' matches none of the ",
                         rule.globs[d]->size(), " patterns");
    }
    if (!record(kDimNames[d], hit ? Tri::kTrue : Tri::kFalse, std::move(detail))) return false;
  }
  if (rule.groups) {
    const uint32_t* hit = nullptr;
    for (const uint32_t& g : *rule.groups) {
      if (HasBit(ctx->group_bits, g)) {
        hit = &g;
        break;
      }
    }
    std::string detail;
    if (trace) {
      detail = hit ? Cat("member of '", rule.group_names[hit - rule.groups->data()], "'")
                   : Cat("member of none of: ", Join(rule.group_names, ", "));
    }
    if (!record("groups", hit ? Tri::kTrue : Tri::kFalse, std::move(detail))) return false;
  }
  for (size_t i = 0; i < rule.when.size(); ++i) {
    std::string why;
    const Tri t = Compare(rule.when[i], req, (trace || note) ? &why : nullptr, trace != nullptr);
    if (!record(trace ? Cat("when[", i, "]") : std::string(), t, std::move(why))) return false;
  }
  if (rule.has_prompt) {
    MatchPrompt(ctx);
    Tri t = Tri::kFalse;
    if (ctx->prompt_failed) {
      t = Tri::kUnevaluable;
    } else {
      for (uint32_t a : rule.prompt_atoms) {
        if (HasBit(ctx->atom_bits, a)) {
          t = Tri::kTrue;
          break;
        }
      }
    }
    std::string detail;
    if (trace || t == Tri::kUnevaluable) {
      detail = t == Tri::kUnevaluable ? "the prompt could not be matched (matcher out of memory)"
               : t == Tri::kTrue      ? "a keyword or pattern occurs in the prompt"
                                      : "no keyword or pattern occurs in the prompt";
    }
    if (!record("prompt", t, std::move(detail))) return false;
  }
  if (failed) {
    if (note) note->clear();
    return false;
  }
  if (!unevaluable) return true;
  return rule.effect != RuleEffect::kPermit;  // fail closed
}

void CompiledPolicy::Candidates(Context* ctx, absl::InlinedVector<uint32_t, 32>* out) const {
  const PolicyRequest& req = ctx->request;
  const std::string* values[kNumStringDims] = {&req.subject, &req.model, &req.dataset,
                                               &req.operation};
  for (int d = 0; d < kNumStringDims; ++d) {
    const std::string& v = *values[d];
    if (!exact_[d].empty()) {
      auto it = exact_[d].find(base::AsAbsl(v));
      if (it != exact_[d].end()) out->insert(out->end(), it->second.begin(), it->second.end());
    }
    for (size_t len : prefix_lengths_[d]) {
      if (len > v.size()) break;
      auto it = prefixed_[d].find(absl::string_view(v.data(), len));
      if (it == prefixed_[d].end()) continue;
      for (const GlobEntry& e : it->second) {
        if (e.glob->Matches(v)) out->push_back(e.rule);
      }
    }
  }
  for (const std::string& g : req.groups) {
    auto it = group_ids_.find(base::AsAbsl(g));
    if (it == group_ids_.end()) continue;
    const std::vector<uint32_t>& rules = by_group_[it->second];
    out->insert(out->end(), rules.begin(), rules.end());
  }
  if (has_prompt_anchored_) {
    MatchPrompt(ctx);
    if (ctx->prompt_failed) {
      out->insert(out->end(), prompt_anchored_.begin(), prompt_anchored_.end());
    } else if (!ctx->atom_bits.empty()) {
      for (size_t a = 0; a < atom_count_; ++a) {
        if (!HasBit(ctx->atom_bits, static_cast<uint32_t>(a))) continue;
        out->insert(out->end(), by_atom_[a].begin(), by_atom_[a].end());
      }
    }
  }
  out->insert(out->end(), unanchored_.begin(), unanchored_.end());
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

Decision CompiledPolicy::Decide(const std::vector<uint32_t>& matched,
                                const std::vector<Note>& notes) const {
  Decision d;
  auto note_for = [&](uint32_t rule) -> const std::string* {
    for (const Note& n : notes) {
      if (n.rule == rule) return &n.what;
    }
    return nullptr;
  };
  auto reason_for = [&](uint32_t i) {
    const Rule& r = rules_[i];
    std::string reason = Cat(RuleEffectName(r.effect), " rule '", r.id, "' matched");
    if (const std::string* n = note_for(i)) Append(&reason, " (failing closed: ", *n, ")");
    return reason;
  };
  bool any_forbid = false, any_permit = false, any_approval = false;
  for (uint32_t i : matched) {
    switch (rules_[i].effect) {
      case RuleEffect::kForbid:
        any_forbid = true;
        break;
      case RuleEffect::kPermit:
        any_permit = true;
        break;
      case RuleEffect::kRequireApproval:
        any_approval = true;
        break;
    }
  }
  auto take = [&](RuleEffect effect) {
    for (uint32_t i : matched) {
      const Rule& r = rules_[i];
      if (r.effect != effect) continue;
      d.rules.push_back(r.id);
      d.reasons.push_back(reason_for(i));
      if (d.message.empty()) d.message = r.message;
    }
  };
  if (any_forbid) {
    d.effect = Effect::kDeny;
    d.reason = "forbidden";
    take(RuleEffect::kForbid);
    return d;
  }
  if (!any_permit) {
    d.effect = Effect::kDeny;
    d.reason = "no_permit";
    d.reasons.push_back("no_permit: no permit rule matches this request");
    for (const Note& n : notes) {
      if (rules_[n.rule].effect == RuleEffect::kPermit) {
        d.reasons.push_back(Cat("permit rule '", rules_[n.rule].id,
                                "' not applied (failing closed: ", n.what, ")"));
      }
    }
    return d;
  }
  int64_t ttl = std::numeric_limits<int64_t>::max();
  int rank = -1;
  for (uint32_t i : matched) {
    const Rule& r = rules_[i];
    if (r.effect == RuleEffect::kPermit) {
      ttl = std::min(ttl, r.max_grant_ttl.value_or(default_ttl_));
      rank = std::max(rank, r.profile_rank >= 0 ? r.profile_rank : default_profile_rank_);
    } else if (r.effect == RuleEffect::kRequireApproval && any_approval) {
      if (r.max_grant_ttl) ttl = std::min(ttl, *r.max_grant_ttl);
      rank = std::max(rank, r.profile_rank);
      for (const std::string& a : r.approvers) {
        if (std::find(d.approvers.begin(), d.approvers.end(), a) == d.approvers.end())
          d.approvers.push_back(a);
      }
    }
  }
  d.grant_ttl = ttl;
  if (rank >= 0) d.mask_profile = profiles_[rank].name;
  if (any_approval) {
    d.effect = Effect::kApprovalRequired;
    d.reason = "approval_required";
    take(RuleEffect::kRequireApproval);
  } else {
    d.effect = Effect::kPermit;
    d.reason = "permitted";
  }
  take(RuleEffect::kPermit);
  return d;
}

Decision CompiledPolicy::Evaluate(const PolicyRequest& request) const {
  Context ctx{request, {}, false, false, {}};
  PrepareGroups(&ctx);
  absl::InlinedVector<uint32_t, 32> candidates;
  Candidates(&ctx, &candidates);
  std::vector<uint32_t> matched;
  std::vector<Note> notes;
  std::string note;
  for (uint32_t i : candidates) {
    note.clear();
    const bool m = MatchRule(rules_[i], &ctx, &note, nullptr);
    if (m) matched.push_back(i);
    if (!note.empty()) notes.push_back(Note{i, note});
  }
  return Decide(matched, notes);
}

Explanation CompiledPolicy::Explain(const PolicyRequest& request) const {
  Context ctx{request, {}, false, false, {}};
  PrepareGroups(&ctx);
  Explanation out;
  std::vector<uint32_t> matched;
  std::vector<Note> notes;
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    RuleTrace trace;
    trace.id = rule.id;
    trace.effect = rule.effect;
    std::string note;
    trace.matched = MatchRule(rule, &ctx, &note, &trace.conditions);
    if (trace.matched) matched.push_back(i);
    // Only notes that Evaluate also sees: a rule whose other conditions failed has none there.
    const bool definite_failure = std::any_of(
        trace.conditions.begin(), trace.conditions.end(),
        [](const ConditionTrace& c) { return c.outcome == ConditionOutcome::kNotMatched; });
    if (!note.empty() && !definite_failure) notes.push_back(Note{i, note});
    out.rules.push_back(std::move(trace));
  }
  out.decision = Decide(matched, notes);
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Policy>> CompilePolicy(PolicySpec spec, std::string version) {
  return CompiledPolicy::Build(std::move(spec), std::move(version));
}

}  // namespace jitguard::policy
