// Validation of policy documents: a walk over simdjson's DOM that knows the schema, keeps the path
// to the element it is looking at, and stops at the first problem with a located error.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "lib/policy/location.h"
#include "lib/policy/spec.h"
#include "simdjson.h"

namespace jitguard::policy {

using base::Append;
using base::Cat;
using base::Join;
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view TypeName(element_type type) {
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

bool IsNumber(element_type type) {
  return type == element_type::INT64 || type == element_type::UINT64 ||
         type == element_type::DOUBLE;
}

double AsDouble(element e) {
  switch (e.type()) {
    case element_type::INT64:
      return static_cast<double>(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(e.get_uint64().value_unsafe());
    default:
      return e.get_double().value_unsafe();
  }
}

class Validator {
 public:
  Validator(std::string_view text, PolicyPositions positions)
      : text_(text), positions_(positions) {}

  absl::StatusOr<PolicySpec> Run(element root);

 private:
  // RAII: push a path step for the lifetime of the scope.
  class Step {
   public:
    Step(Validator* v, std::string_view key, int occurrence = 1) : v_(v) {
      v_->path_.push_back(PathStep{std::string(key), occurrence, -1});
    }
    Step(Validator* v, size_t index) : v_(v) {
      v_->path_.push_back(PathStep{"", 1, static_cast<long>(index)});
    }
    ~Step() { v_->path_.pop_back(); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    Validator* v_;
  };

  absl::Status Error(std::string_view problem, LocateWhat what = LocateWhat::kValue) const {
    const std::string location = PathToString(path_);
    std::optional<TextPosition> pos;
    if (positions_ == PolicyPositions::kLineColumn) pos = LocateInText(text_, path_, what);
    return PolicyError("invalid_policy", location, pos, problem);
  }

  absl::Status WrongType(element e, std::string_view expected) const {
    return Error(Cat("expected ", expected, ", got ", TypeName(e.type())));
  }

  // Checks that `object` has only `allowed` keys, each once. Reports at the offending key.
  absl::Status CheckKeys(simdjson::dom::object object,
                         std::initializer_list<std::string_view> allowed) {
    std::vector<std::string_view> seen;
    for (auto field : object) {
      const std::string_view key = field.key;
      int occurrence = 1 + static_cast<int>(std::count(seen.begin(), seen.end(), key));
      seen.push_back(key);
      if (occurrence > 1) {
        Step step(this, key, occurrence);
        return Error(Cat("duplicate key '", key, "'"), LocateWhat::kKey);
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Step step(this, key);
        std::string hint;
        for (std::string_view candidate : allowed) {
          if (EditDistance(key, candidate) <= 2) {
            hint = Cat(" (did you mean '", candidate, "'?)");
            break;
          }
        }
        return Error(Cat("unknown key '", key, "'", hint, "; allowed: ", Join(allowed, ", ")),
                     LocateWhat::kKey);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(element e, bool allow_empty = false) {
    if (e.type() != element_type::STRING) return WrongType(e, "a string");
    std::string_view s = e.get_string().value_unsafe();
    if (!allow_empty && s.empty()) return Error("must not be empty");
    return std::string(s);
  }

  // A non-empty array of non-empty strings.
  absl::StatusOr<std::vector<std::string>> StringList(element e) {
    if (e.type() != element_type::ARRAY) return WrongType(e, "an array of strings");
    simdjson::dom::array array = e.get_array().value_unsafe();
    if (array.size() == 0)
      return Error("must not be an empty list (it could never match); omit the key instead");
    std::vector<std::string> out;
    size_t i = 0;
    for (element item : array) {
      Step step(this, i++);
      absl::StatusOr<std::string> s = String(item);
      if (!s.ok()) return s.status();
      out.push_back(*std::move(s));
    }
    return out;
  }

  absl::StatusOr<std::vector<Glob>> GlobList(element e) {
    absl::StatusOr<std::vector<std::string>> strings = StringList(e);
    if (!strings.ok()) return strings.status();
    std::vector<Glob> out;
    for (size_t i = 0; i < strings->size(); ++i) {
      absl::StatusOr<Glob> glob = Glob::Parse((*strings)[i]);
      if (!glob.ok()) {
        Step step(this, i);
        return Error(Cat("bad glob: ", glob.status().message()));
      }
      out.push_back(*std::move(glob));
    }
    return out;
  }

  absl::StatusOr<int64_t> Duration(element e) {
    absl::StatusOr<std::string> s = String(e);
    if (!s.ok()) return s.status();
    absl::Duration d;
    if (!absl::ParseDuration(base::AsAbsl(*s), &d) || d == absl::InfiniteDuration() ||
        d == -absl::InfiniteDuration()) {
      return Error(Cat("bad duration '", *s, "' (use forms like \"90s\", \"15m\", \"1h30m\")"));
    }
    if (d < absl::Seconds(1)) return Error(Cat("duration '", *s, "' must be at least 1s"));
    if (d > absl::Seconds(kMaxGrantTtlSeconds))
      return Error(Cat("duration '", *s, "' exceeds 168h"));
    if (d != absl::Seconds(absl::ToInt64Seconds(d))) {
      return Error(Cat("duration '", *s, "' must be a whole number of seconds"));
    }
    return absl::ToInt64Seconds(d);
  }

  absl::Status Defaults(element e, PolicySpec* spec);
  absl::Status Profiles(element e, PolicySpec* spec);
  absl::Status Rule(element e, const PolicySpec& spec, RuleSpec* rule);
  absl::Status Prompt(element e, RuleSpec* rule);
  absl::Status When(element e, RuleSpec* rule);
  absl::StatusOr<Comparison> OneComparison(element e);
  absl::StatusOr<AttributeScalar> Scalar(element e);

  std::string_view text_;
  PolicyPositions positions_;
  Path path_;
};

absl::StatusOr<AttributeScalar> Validator::Scalar(element e) {
  switch (e.type()) {
    case element_type::STRING:
      return AttributeScalar(std::string(e.get_string().value_unsafe()));
    case element_type::BOOL:
      return AttributeScalar(e.get_bool().value_unsafe());
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return AttributeScalar(AsDouble(e));
    default:
      return WrongType(e, "a string, number or boolean");
  }
}

absl::Status Validator::Defaults(element e, PolicySpec* spec) {
  if (e.type() != element_type::OBJECT) return WrongType(e, "an object");
  simdjson::dom::object object = e.get_object().value_unsafe();
  if (absl::Status s = CheckKeys(object, {"max_grant_ttl", "mask_profile"}); !s.ok()) return s;
  for (auto field : object) {
    Step step(this, field.key);
    if (field.key == "max_grant_ttl") {
      absl::StatusOr<int64_t> ttl = Duration(field.value);
      if (!ttl.ok()) return ttl.status();
      spec->default_max_grant_ttl = *ttl;
    } else {
      absl::StatusOr<std::string> name = String(field.value);
      if (!name.ok()) return name.status();
      if (std::none_of(spec->profiles.begin(), spec->profiles.end(),
                       [&](const MaskProfile& p) { return p.name == *name; })) {
        return Error(Cat("unknown mask profile '", *name, "' (declare it in mask_profiles)"));
      }
      spec->default_profile = *std::move(name);
    }
  }
  return absl::OkStatus();
}

absl::Status Validator::Profiles(element e, PolicySpec* spec) {
  if (e.type() != element_type::ARRAY) return WrongType(e, "an array of profiles");
  std::vector<std::string> builtin;
  for (const auto& name : BuiltinEntities()) builtin.emplace_back(name);
  simdjson::dom::array array = e.get_array().value_unsafe();
  size_t i = 0;
  for (element item : array) {
    Step step(this, i++);
    if (item.type() != element_type::OBJECT) return WrongType(item, "an object");
    simdjson::dom::object object = item.get_object().value_unsafe();
    if (absl::Status s = CheckKeys(object, {"name", "entities", "style"}); !s.ok()) return s;
    MaskProfile profile;
    bool has_entities = false;
    for (auto field : object) {
      Step member(this, field.key);
      if (field.key == "name") {
        absl::StatusOr<std::string> name = String(field.value);
        if (!name.ok()) return name.status();
        if (std::any_of(spec->profiles.begin(), spec->profiles.end(),
                        [&](const MaskProfile& p) { return p.name == *name; })) {
          return Error(Cat("duplicate mask profile name '", *name, "'"));
        }
        profile.name = *std::move(name);
      } else if (field.key == "style") {
        absl::StatusOr<std::string> style = String(field.value);
        if (!style.ok()) return style.status();
        if (*style != "label" && *style != "redact" && *style != "partial" && *style != "hash") {
          return Error(Cat("unknown style '", *style, "'; use label, redact, partial or hash"));
        }
        profile.style = *std::move(style);
      } else {
        has_entities = true;
        if (field.value.type() == element_type::STRING) {
          if (field.value.get_string().value_unsafe() != "all") {
            return Error("entities must be \"all\" or a list of entity names");
          }
          profile.all_entities = true;
          profile.entities = builtin;
          continue;
        }
        if (field.value.type() != element_type::ARRAY)
          return WrongType(field.value, "\"all\" or an array of entity names");
        simdjson::dom::array names = field.value.get_array().value_unsafe();
        size_t j = 0;
        for (element name_el : names) {
          Step name_step(this, j++);
          absl::StatusOr<std::string> name = String(name_el);
          if (!name.ok()) return name.status();
          if (std::find(builtin.begin(), builtin.end(), *name) == builtin.end()) {
            return Error(
                Cat("unknown entity '", *name, "'; built-in entities: ", Join(builtin, ", ")));
          }
          if (std::find(profile.entities.begin(), profile.entities.end(), *name) !=
              profile.entities.end()) {
            return Error(Cat("entity '", *name, "' listed twice"));
          }
          profile.entities.push_back(*std::move(name));
        }
      }
    }
    if (profile.name.empty()) return Error("a mask profile needs a \"name\"");
    if (!has_entities) return Error("a mask profile needs \"entities\" (\"all\" or a list)");
    if (profile.style.empty()) profile.style = "label";
    spec->profiles.push_back(std::move(profile));
  }
  return absl::OkStatus();
}

absl::Status Validator::Prompt(element e, RuleSpec* rule) {
  if (e.type() != element_type::OBJECT)
    return WrongType(e, "an object with keywords and/or patterns");
  simdjson::dom::object object = e.get_object().value_unsafe();
  if (absl::Status s = CheckKeys(object, {"keywords", "patterns"}); !s.ok()) return s;
  rule->has_prompt = true;
  for (auto field : object) {
    Step step(this, field.key);
    absl::StatusOr<std::vector<std::string>> list = StringList(field.value);
    if (!list.ok()) return list.status();
    for (size_t i = 0; i < list->size(); ++i) {
      Step item(this, i);
      std::string& s = (*list)[i];
      if (field.key == "keywords") {
        std::string trimmed(absl::StripAsciiWhitespace(s));
        if (trimmed.empty()) return Error("a keyword must contain something other than whitespace");
        RE2 check(KeywordRegex(trimmed));
        if (!check.ok()) return Error(Cat("keyword does not compile: ", check.error()));
        rule->keywords.push_back(std::move(trimmed));
      } else {
        RE2::Options options;
        options.set_log_errors(false);
        RE2 check(s, options);
        if (!check.ok()) return Error(Cat("invalid RE2 pattern: ", check.error()));
        rule->patterns.push_back(std::move(s));
      }
    }
  }
  if (rule->keywords.empty() && rule->patterns.empty())
    return Error("prompt needs keywords or patterns");
  return absl::OkStatus();
}

absl::StatusOr<Comparison> Validator::OneComparison(element e) {
  if (e.type() != element_type::OBJECT)
    return WrongType(e, "an object {\"attribute\": ..., \"<op>\": ...}");
  simdjson::dom::object object = e.get_object().value_unsafe();
  if (absl::Status s =
          CheckKeys(object, {"attribute", "eq", "ne", "lt", "le", "gt", "ge", "in", "matches"});
      !s.ok()) {
    return s;
  }
  Comparison c;
  int operators = 0;
  for (auto field : object) {
    Step step(this, field.key);
    const std::string_view key = field.key;
    if (key == "attribute") {
      absl::StatusOr<std::string> name = String(field.value);
      if (!name.ok()) return name.status();
      c.attribute = *std::move(name);
      continue;
    }
    ++operators;
    if (key == "eq" || key == "ne") {
      c.op = key == "eq" ? CompareOp::kEq : CompareOp::kNe;
      absl::StatusOr<AttributeScalar> v = Scalar(field.value);
      if (!v.ok()) return v.status();
      c.operand = *std::move(v);
    } else if (key == "lt" || key == "le" || key == "gt" || key == "ge") {
      c.op = key == "lt"   ? CompareOp::kLt
             : key == "le" ? CompareOp::kLe
             : key == "gt" ? CompareOp::kGt
                           : CompareOp::kGe;
      if (!IsNumber(field.value.type())) return WrongType(field.value, "a number");
      c.operand = AsDouble(field.value);
    } else if (key == "in") {
      c.op = CompareOp::kIn;
      if (field.value.type() != element_type::ARRAY) return WrongType(field.value, "an array");
      simdjson::dom::array array = field.value.get_array().value_unsafe();
      if (array.size() == 0) return Error("\"in\" needs at least one value");
      size_t i = 0;
      for (element item : array) {
        Step item_step(this, i++);
        absl::StatusOr<AttributeScalar> v = Scalar(item);
        if (!v.ok()) return v.status();
        if (!c.choices.empty() && v->index() != c.choices.front().index()) {
          return Error("all values of \"in\" must have the same type");
        }
        c.choices.push_back(*std::move(v));
      }
    } else {
      c.op = CompareOp::kMatches;
      absl::StatusOr<std::string> pattern = String(field.value, /*allow_empty=*/true);
      if (!pattern.ok()) return pattern.status();
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(*pattern, options);
      if (!re->ok()) return Error(Cat("invalid RE2 pattern: ", re->error()));
      c.regex = std::move(re);
    }
  }
  if (c.attribute.empty()) return Error("a comparison needs \"attribute\"");
  if (operators != 1)
    return Error("a comparison needs exactly one of eq, ne, lt, le, gt, ge, in, matches");
  return c;
}

absl::Status Validator::When(element e, RuleSpec* rule) {
  if (e.type() != element_type::ARRAY) return WrongType(e, "an array of comparisons");
  simdjson::dom::array array = e.get_array().value_unsafe();
  if (array.size() == 0) return Error("must not be an empty list; omit the key instead");
  size_t i = 0;
  for (element item : array) {
    Step step(this, i++);
    absl::StatusOr<Comparison> c = OneComparison(item);
    if (!c.ok()) return c.status();
    rule->when.push_back(*std::move(c));
  }
  return absl::OkStatus();
}

absl::Status Validator::Rule(element e, const PolicySpec& spec, RuleSpec* rule) {
  if (e.type() != element_type::OBJECT) return WrongType(e, "an object");
  simdjson::dom::object object = e.get_object().value_unsafe();
  if (absl::Status s = CheckKeys(
          object, {"id", "effect", "subjects", "groups", "models", "datasets", "operations",
                   "prompt", "when", "max_grant_ttl", "mask_profile", "approvers", "message"});
      !s.ok()) {
    return s;
  }
  bool has_effect = false;
  // The effect decides which keys are allowed; read it first.
  for (auto field : object) {
    if (field.key != "effect") continue;
    Step step(this, field.key);
    absl::StatusOr<std::string> effect = String(field.value);
    if (!effect.ok()) return effect.status();
    if (*effect == "permit")
      rule->effect = RuleEffect::kPermit;
    else if (*effect == "forbid")
      rule->effect = RuleEffect::kForbid;
    else if (*effect == "require_approval")
      rule->effect = RuleEffect::kRequireApproval;
    else
      return Error(Cat("unknown effect '", *effect, "'; use permit, forbid or require_approval"));
    has_effect = true;
  }
  bool has_id = false;
  for (auto field : object) {
    Step step(this, field.key);
    const std::string_view key = field.key;
    absl::Status status;
    if (key == "effect") {
      continue;
    } else if (key == "id") {
      absl::StatusOr<std::string> id = String(field.value);
      if (!id.ok()) return id.status();
      rule->id = *std::move(id);
      has_id = true;
    } else if (key == "subjects" || key == "groups" || key == "approvers") {
      absl::StatusOr<std::vector<std::string>> list = StringList(field.value);
      if (!list.ok()) return list.status();
      if (key == "approvers") {
        if (rule->effect != RuleEffect::kRequireApproval) {
          return Error("only require_approval rules take approvers");
        }
        rule->approvers = *std::move(list);
      } else {
        (key == "subjects" ? rule->subjects : rule->groups) = *std::move(list);
      }
    } else if (key == "models" || key == "datasets" || key == "operations") {
      absl::StatusOr<std::vector<Glob>> globs = GlobList(field.value);
      if (!globs.ok()) return globs.status();
      (key == "models"     ? rule->models
       : key == "datasets" ? rule->datasets
                           : rule->operations) = *std::move(globs);
    } else if (key == "prompt") {
      status = Prompt(field.value, rule);
    } else if (key == "when") {
      status = When(field.value, rule);
    } else if (key == "max_grant_ttl") {
      if (rule->effect == RuleEffect::kForbid) return Error("a forbid rule takes no max_grant_ttl");
      absl::StatusOr<int64_t> ttl = Duration(field.value);
      if (!ttl.ok()) return ttl.status();
      rule->max_grant_ttl = *ttl;
    } else if (key == "mask_profile") {
      if (rule->effect == RuleEffect::kForbid) return Error("a forbid rule takes no mask_profile");
      absl::StatusOr<std::string> name = String(field.value);
      if (!name.ok()) return name.status();
      if (std::none_of(spec.profiles.begin(), spec.profiles.end(),
                       [&](const MaskProfile& p) { return p.name == *name; })) {
        return Error(Cat("unknown mask profile '", *name, "' (declare it in mask_profiles)"));
      }
      rule->mask_profile = *std::move(name);
    } else if (key == "message") {
      absl::StatusOr<std::string> message = String(field.value, /*allow_empty=*/true);
      if (!message.ok()) return message.status();
      rule->message = *std::move(message);
    }
    if (!status.ok()) return status;
  }
  if (!has_id) return Error("a rule needs an \"id\"");
  if (!has_effect) return Error("a rule needs an \"effect\" (permit, forbid or require_approval)");
  if (rule->effect == RuleEffect::kRequireApproval && rule->approvers.empty()) {
    return Error("a require_approval rule needs \"approvers\" (who may approve)");
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicySpec> Validator::Run(element root) {
  if (root.type() != element_type::OBJECT) return WrongType(root, "a policy object");
  simdjson::dom::object object = root.get_object().value_unsafe();
  if (absl::Status s = CheckKeys(object, {"version", "defaults", "mask_profiles", "rules"});
      !s.ok())
    return s;
  PolicySpec spec;
  element version, defaults, profiles, rules;
  bool has_version = false, has_defaults = false, has_profiles = false, has_rules = false;
  for (auto field : object) {
    if (field.key == "version")
      version = field.value, has_version = true;
    else if (field.key == "defaults")
      defaults = field.value, has_defaults = true;
    else if (field.key == "mask_profiles")
      profiles = field.value, has_profiles = true;
    else
      rules = field.value, has_rules = true;
  }
  if (!has_version) return Error("a policy needs \"version\": 1");
  {
    Step step(this, "version");
    if (!IsNumber(version.type()) || AsDouble(version) != 1.0)
      return Error("\"version\" must be 1");
  }
  if (has_profiles) {
    Step step(this, "mask_profiles");
    if (absl::Status s = Profiles(profiles, &spec); !s.ok()) return s;
  }
  if (has_defaults) {
    Step step(this, "defaults");
    if (absl::Status s = Defaults(defaults, &spec); !s.ok()) return s;
  }
  if (!has_rules) return Error("a policy needs \"rules\" (an array; empty denies everything)");
  Step step(this, "rules");
  if (rules.type() != element_type::ARRAY) return WrongType(rules, "an array of rules");
  simdjson::dom::array array = rules.get_array().value_unsafe();
  if (array.size() > kMaxRules) return Error(Cat("more than ", kMaxRules, " rules"));
  absl::flat_hash_set<std::string> ids;
  size_t i = 0;
  for (element item : array) {
    Step rule_step(this, i++);
    RuleSpec rule;
    if (absl::Status s = Rule(item, spec, &rule); !s.ok()) return s;
    if (!ids.insert(rule.id).second) {
      Step id_step(this, "id");
      return Error(Cat("duplicate rule id '", rule.id, "'"));
    }
    spec.rules.push_back(std::move(rule));
  }
  return spec;
}

}  // namespace

std::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "eq";
    case CompareOp::kNe:
      return "ne";
    case CompareOp::kLt:
      return "lt";
    case CompareOp::kLe:
      return "le";
    case CompareOp::kGt:
      return "gt";
    case CompareOp::kGe:
      return "ge";
    case CompareOp::kIn:
      return "in";
    case CompareOp::kMatches:
      return "matches";
  }
  return "?";
}

std::string KeywordRegex(std::string_view keyword) {
  // Boundaries consume the neighbouring character; fine, because the set only answers "does it
  // occur". A boundary is only required next to a word character of the keyword itself, so that
  // "c++" still matches in "c++," and "export" does not match in "exporter".
  // "Not a word character" is anything but an ASCII letter, digit or '_' or a Latin letter with a
  // diacritic (U+00C0-U+024F without the two signs): what else stands next to a keyword (an
  // emoji, an arrow, a CJK character, a Braille blank, an enclosing mark) does not make it part of
  // a longer word, and glued to it must not hide it (fail closed: at worst a prompt goes to
  // approval that did not need it). "exporté" and "darüber" stay words.
  constexpr std::string_view kNotWord =
      "[^0-9A-Za-z_\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{24f}]";
  auto is_word = [](unsigned char c) { return absl::ascii_isalnum(c) || c == '_' || c >= 0x80; };
  std::string out = "(?i)";
  if (is_word(static_cast<unsigned char>(keyword.front()))) Append(&out, "(?:^|", kNotWord, ")");
  bool first = true;
  for (absl::string_view word :
       absl::StrSplit(base::AsAbsl(keyword), absl::ByAnyChar(" \t\r\n\f\v"), absl::SkipEmpty())) {
    if (!first) out.append("\\s+");
    first = false;
    out.append(RE2::QuoteMeta(re2::StringPiece(word.data(), word.size())));
  }
  if (is_word(static_cast<unsigned char>(keyword.back()))) Append(&out, "(?:$|", kNotWord, ")");
  return out;
}

absl::StatusOr<PolicySpec> ParsePolicy(std::string_view json, PolicyPositions positions) {
  auto invalid_json = [](std::string_view why, std::optional<TextPosition> at = std::nullopt) {
    return PolicyError("invalid_json", "document", at, why);
  };
  if (json.size() > kMaxPolicyBytes) return invalid_json("policy document larger than 64 MiB");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    std::optional<TextPosition> at;
    if (positions == PolicyPositions::kLineColumn) at = base::LocateJsonSyntaxError(json);
    return invalid_json(Cat("not valid JSON (", simdjson::error_message(error), ")"), at);
  }
  Validator validator(json, positions);
  absl::StatusOr<PolicySpec> spec = validator.Run(root);
  if (spec.ok() && !base::HasUniqueKeys(root)) {
    // Every object the schema allows is checked (and located) above; this is the safety net.
    return invalid_json("duplicate keys");
  }
  return spec;
}

}  // namespace jitguard::policy
