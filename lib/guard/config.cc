#include "lib/guard/config.h"

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "simdjson.h"

namespace jitguard::guard {
namespace {

using base::Cat;

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

absl::Status ConfigError(std::string_view reason, std::string_view key, std::string_view problem) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, reason,
                   Cat(key, ": ", problem));
}

// A section object (or an empty object when absent and optional).
absl::StatusOr<object> Section(object root, std::string_view name, bool required, bool* present) {
  element el;
  *present = false;
  if (root[name].get(el) != simdjson::SUCCESS) {
    if (required) return ConfigError("missing_key", name, "missing");
    return object();
  }
  object obj;
  if (el.get(obj) != simdjson::SUCCESS) return ConfigError("bad_value", name, "must be an object");
  *present = true;
  return obj;
}

absl::Status CheckKeys(object obj, std::string_view section,
                       std::initializer_list<std::string_view> allowed) {
  for (auto field : obj) {
    bool known = false;
    for (std::string_view a : allowed) known = known || field.key == a;
    if (!known) return ConfigError("unknown_key", Cat(section, ".", field.key), "unknown key");
  }
  return absl::OkStatus();
}

bool Has(object obj, std::string_view key) {
  element el;
  return obj[key].get(el) == simdjson::SUCCESS && !el.is_null();
}

absl::StatusOr<std::string> GetString(object obj, std::string_view section, std::string_view key,
                                      std::string_view fallback, bool required = false) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || el.is_null()) {
    if (required) return ConfigError("missing_key", Cat(section, ".", key), "missing");
    return std::string(fallback);
  }
  std::string_view s;
  if (el.get(s) != simdjson::SUCCESS || (required && s.empty())) {
    return ConfigError("bad_value", Cat(section, ".", key), "must be a non-empty string");
  }
  return std::string(s);
}

// A string or a list of strings.
absl::StatusOr<std::vector<std::string>> GetStrings(object obj, std::string_view section,
                                                    std::string_view key, bool required) {
  std::string name = Cat(section, ".", key);
  element el;
  std::vector<std::string> out;
  if (obj[key].get(el) != simdjson::SUCCESS || el.is_null()) {
    if (required) return ConfigError("missing_key", name, "missing");
    return out;
  }
  std::string_view s;
  if (el.get(s) == simdjson::SUCCESS) {
    if (s.empty()) return ConfigError("bad_value", name, "must not be empty");
    out.emplace_back(s);
    return out;
  }
  array arr;
  if (el.get(arr) != simdjson::SUCCESS)
    return ConfigError("bad_value", name, "must be a string or a list of strings");
  for (element item : arr) {
    if (item.get(s) != simdjson::SUCCESS)
      return ConfigError("bad_value", name, "must be a list of strings");
    out.emplace_back(s);
  }
  if (required && out.empty()) return ConfigError("bad_value", name, "must not be empty");
  return out;
}

absl::StatusOr<double> GetNumber(object obj, std::string_view section, std::string_view key,
                                 double fallback) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || el.is_null()) return fallback;
  double d = 0;
  if (el.is_bool() || el.get(d) != simdjson::SUCCESS) {
    return ConfigError("bad_value", Cat(section, ".", key), "must be a number");
  }
  return d;
}

// A secret given inline (`key`), in a file (`key_file`) or in an environment variable (`key_env`).
absl::StatusOr<SecretBytes> GetSecret(object obj, std::string_view section, std::string_view key,
                                      std::string_view base_dir, bool required) {
  if (Has(obj, key)) {
    absl::StatusOr<std::string> s = GetString(obj, section, key, "", true);
    if (!s.ok()) return s.status();
    return SecretBytes(*s);
  }
  std::string file_key = Cat(key, "_file");
  if (Has(obj, file_key)) {
    absl::StatusOr<std::string> path = GetString(obj, section, file_key, "", true);
    if (!path.ok()) return path.status();
    absl::StatusOr<std::string> text =
        ReadConfigFile(ResolvePath(base_dir, *path), Cat(section, ".", file_key));
    if (!text.ok()) return text.status();
    // Trailing whitespace (an editor's newline) is not part of the key; a PEM keeps its lines.
    size_t end = text->find_last_not_of(" \t\r\n");
    SecretBytes secret(std::string_view(*text).substr(0, end == std::string::npos ? 0 : end + 1));
    std::fill(text->begin(), text->end(), '\0');
    return secret;
  }
  std::string env_key = Cat(key, "_env");
  if (Has(obj, env_key)) {
    absl::StatusOr<std::string> var = GetString(obj, section, env_key, "", true);
    if (!var.ok()) return var.status();
    const char* value = std::getenv(var->c_str());
    if (value == nullptr || *value == '\0') {
      return ConfigError("missing_key", Cat(section, ".", env_key),
                         "the environment variable is not set");
    }
    return SecretBytes(value);
  }
  if (required) return ConfigError("missing_key", Cat(section, ".", key), "missing");
  return SecretBytes();
}

// Sets *out from `value`, or returns its error.
template <typename T, typename U>
absl::Status Assign(T* out, absl::StatusOr<U> value) {
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}

// A number of seconds in (0, max] (or [0, max] when zero is allowed).
absl::StatusOr<absl::Duration> GetSeconds(object obj, std::string_view section,
                                          std::string_view key, double fallback, double max,
                                          bool allow_zero) {
  double d = 0;
  if (absl::Status st = Assign(&d, GetNumber(obj, section, key, fallback)); !st.ok()) return st;
  if (!((allow_zero ? d >= 0 : d > 0) && d <= max)) {
    return ConfigError("bad_value", Cat(section, ".", key),
                       Cat("must be a ", allow_zero ? "non-negative" : "positive",
                           " number of seconds (at most ", max, ")"));
  }
  return absl::Seconds(d);
}

// tokens.jwks_url and the options of its fetcher.
absl::Status ParseJwksUrl(object s, std::string_view base_dir, GuardConfig* c) {
  JwksUrlConfig& j = c->jwks_url;
  if (absl::Status st = Assign(&j.url, GetString(s, "tokens", "jwks_url", "", true)); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckJwksUrl(j.url); !st.ok()) {
    return ConfigError(ErrorReason(st), "tokens.jwks_url", base::AsStd(st.message()));
  }
  if (absl::Status st =
          Assign(&j.refresh_interval,
                 GetSeconds(s, "tokens", "refresh_interval", 3600, 7 * 86400, false));
      !st.ok()) {
    return st;
  }
  if (absl::Status st =
          Assign(&j.min_refresh_interval,
                 GetSeconds(s, "tokens", "min_refresh_interval", 30, 86400, true));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&j.timeout, GetSeconds(s, "tokens", "timeout", 5, 300, false));
      !st.ok()) {
    return st;
  }
  double max_bytes = 0;
  if (absl::Status st = Assign(&max_bytes, GetNumber(s, "tokens", "max_bytes", 1 << 20));
      !st.ok()) {
    return st;
  }
  if (!(max_bytes >= 1024 && max_bytes <= 64 * 1024 * 1024) ||
      max_bytes != static_cast<double>(static_cast<size_t>(max_bytes))) {
    return ConfigError("bad_value", "tokens.max_bytes",
                       "must be a whole number of bytes, 1024..67108864");
  }
  j.max_bytes = static_cast<size_t>(max_bytes);
  if (Has(s, "ca_file")) {
    std::string path;
    if (absl::Status st = Assign(&path, GetString(s, "tokens", "ca_file", "", true)); !st.ok()) {
      return st;
    }
    j.ca_file = ResolvePath(base_dir, path);
    absl::StatusOr<std::string> pem = ReadConfigFile(j.ca_file, "tokens.ca_file");
    if (!pem.ok()) return pem.status();
  }
  return absl::OkStatus();
}

absl::Status ParseTokens(object s, std::string_view base_dir, GuardConfig* c) {
  absl::Status st = CheckKeys(s, "tokens",
                              {"jwks", "jwks_file", "jwks_url", "issuer", "audience",
                               "groups_claim", "leeway", "algorithms", "refresh_interval",
                               "min_refresh_interval", "timeout", "max_bytes", "ca_file"});
  if (!st.ok()) return st;
  int sources = Has(s, "jwks") + Has(s, "jwks_file") + Has(s, "jwks_url");
  if (sources != 1) {
    return ConfigError(sources ? "conflicting_keys" : "missing_key", "tokens.jwks",
                       "give exactly one of jwks, jwks_file, jwks_url");
  }
  if (Has(s, "jwks_url")) {
    if (!(st = ParseJwksUrl(s, base_dir, c)).ok()) return st;
  } else {
    for (std::string_view key :
         {"refresh_interval", "min_refresh_interval", "timeout", "max_bytes", "ca_file"}) {
      if (Has(s, key)) {
        return ConfigError("conflicting_keys", Cat("tokens.", key),
                           "applies to jwks_url only (the keys here are given in the config)");
      }
    }
  }
  if (Has(s, "jwks")) {
    element el = s["jwks"].value_unsafe();
    std::string_view text;
    if (el.get(text) == simdjson::SUCCESS) {
      c->tokens.jwks = std::string(text);
    } else if (el.is_object()) {
      c->tokens.jwks = simdjson::to_string(el);
    } else {
      return ConfigError("bad_value", "tokens.jwks", "must be a JWKS object or its JSON text");
    }
  } else if (Has(s, "jwks_file")) {
    std::string path;
    if (absl::Status st = Assign(&path, GetString(s, "tokens", "jwks_file", "", true)); !st.ok()) {
      return st;
    }
    if (absl::Status st =
            Assign(&c->tokens.jwks,
                   ReadConfigFile(ResolvePath(base_dir, path), "tokens.jwks_file"));
        !st.ok()) {
      return st;
    }
  }
  if (absl::Status st = Assign(&c->tokens.issuers, GetStrings(s, "tokens", "issuer", true));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&c->tokens.audiences, GetStrings(s, "tokens", "audience", true));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&c->tokens.algorithms, GetStrings(s, "tokens", "algorithms", false));
      !st.ok()) {
    return st;
  }
  if (absl::Status st =
          Assign(&c->tokens.groups_claim, GetString(s, "tokens", "groups_claim", "groups"));
      !st.ok()) {
    return st;
  }
  double leeway = 0;
  if (absl::Status st = Assign(&leeway, GetNumber(s, "tokens", "leeway", 60)); !st.ok()) return st;
  if (!(leeway >= 0 && leeway <= 86400)) {
    return ConfigError("bad_value", "tokens.leeway", "must be a non-negative number of seconds");
  }
  c->tokens.leeway = absl::Seconds(leeway);
  return absl::OkStatus();
}

absl::Status ParsePolicy(object s, std::string_view base_dir, GuardConfig* c) {
  absl::Status st = CheckKeys(s, "policy", {"document", "file"});
  if (!st.ok()) return st;
  if (Has(s, "document") == Has(s, "file")) {
    return ConfigError("missing_key", "policy", "give exactly one of document, file");
  }
  if (Has(s, "document")) {
    element el = s["document"].value_unsafe();
    std::string_view text;
    if (el.get(text) == simdjson::SUCCESS) {
      c->policy_json = std::string(text);
    } else if (el.is_object()) {
      c->policy_json = simdjson::to_string(el);
    } else {
      return ConfigError("bad_value", "policy.document",
                         "must be a policy object or its JSON text");
    }
    return absl::OkStatus();
  }
  std::string path;
  if (absl::Status st = Assign(&path, GetString(s, "policy", "file", "", true)); !st.ok()) {
    return st;
  }
  c->policy_file = ResolvePath(base_dir, path);
  if (absl::Status st = Assign(&c->policy_json, ReadConfigFile(c->policy_file, "policy.file"));
      !st.ok()) {
    return st;
  }
  return absl::OkStatus();
}

absl::Status ParseGrants(object s, std::string_view base_dir, GuardConfig* c) {
  absl::Status st = CheckKeys(s, "grants",
                              {"signing_key", "signing_key_file", "signing_key_env", "verify_key",
                               "verify_key_file", "verify_key_env", "issuer", "key_id", "replay"});
  if (!st.ok()) return st;
  if (absl::Status st =
          Assign(&c->grant_key, GetSecret(s, "grants", "signing_key", base_dir, true));
      !st.ok()) {
    return st;
  }
  if (absl::Status st =
          Assign(&c->grant_verify_key, GetSecret(s, "grants", "verify_key", base_dir, false));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&c->grant_issuer, GetString(s, "grants", "issuer", "jitguard"));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&c->grant_key_id, GetString(s, "grants", "key_id", "")); !st.ok()) {
    return st;
  }
  std::string replay;
  if (absl::Status st = Assign(&replay, GetString(s, "grants", "replay", "memory")); !st.ok()) {
    return st;
  }
  if (replay.rfind("redis://", 0) == 0) {
    c->replay_url = replay;
  } else if (replay != "memory") {
    return ConfigError("bad_value", "grants.replay", "'memory' or a redis:// URL");
  }
  return absl::OkStatus();
}

absl::Status ParseApprovals(object s, GuardConfig* c) {
  absl::Status st = CheckKeys(s, "approvals", {"backend", "url", "ttl"});
  if (!st.ok()) return st;
  std::string backend;
  if (absl::Status st = Assign(&backend, GetString(s, "approvals", "backend", "memory"));
      !st.ok()) {
    return st;
  }
  double ttl = 0;
  if (absl::Status st = Assign(&ttl, GetNumber(s, "approvals", "ttl", 3600)); !st.ok()) return st;
  if (!(ttl > 0))
    return ConfigError("bad_value", "approvals.ttl", "must be a positive number of seconds");
  c->approval_ttl = absl::Seconds(ttl);
  if (backend == "memory") return absl::OkStatus();
  if (backend != "redis")
    return ConfigError("bad_value", "approvals.backend", "'memory' or 'redis'");
  if (!Has(s, "url"))
    return ConfigError("missing_key", "approvals.url", "missing (backend is redis)");
  if (absl::Status st = Assign(&c->approvals_url, GetString(s, "approvals", "url", "", true));
      !st.ok()) {
    return st;
  }
  return absl::OkStatus();
}

absl::Status ParseAudit(object s, std::string_view base_dir, AuditSource source, GuardConfig* c) {
  absl::Status st =
      CheckKeys(s, "audit",
                {"file", "hmac_key", "hmac_key_file", "hmac_key_env", "fsync", "async",
                 "queue_size", "postgres", "table", "writer_id", "callback"});
  if (!st.ok()) return st;
  int targets = Has(s, "file") + Has(s, "postgres") + Has(s, "callback");
  if (source == AuditSource::kExternal) {
    if (targets != 0) {
      return ConfigError(
          "conflicting_keys", "audit",
          "the audit sink is given in code; do not name file, postgres or callback too");
    }
  } else if (targets != 1) {
    return ConfigError(targets ? "conflicting_keys" : "missing_key", "audit",
                       "give exactly one of file, postgres, callback");
  }
  if (Has(s, "callback")) {
    return ConfigError(
        "unsupported", "audit.callback",
        "a callback sink is given in code (Python Guard, or a C++ AuditSink), not in JSON");
  }
  if (absl::Status st =
          Assign(&c->audit_hmac_key, GetSecret(s, "audit", "hmac_key", base_dir, false));
      !st.ok()) {
    return st;
  }
  if (source == AuditSource::kExternal) {
    // The sink exists already; only async / queue_size below apply to it.
  } else if (Has(s, "file")) {
    std::string path;
    if (absl::Status st = Assign(&path, GetString(s, "audit", "file", "", true)); !st.ok()) {
      return st;
    }
    c->audit_file = ResolvePath(base_dir, path);
  } else {
    if (absl::Status st = Assign(&c->audit_postgres, GetString(s, "audit", "postgres", "", true));
        !st.ok()) {
      return st;
    }
    if (absl::Status st = Assign(&c->audit_table, GetString(s, "audit", "table", "jitguard_audit"));
        !st.ok()) {
      return st;
    }
    if (absl::Status st = Assign(&c->audit_writer_id, GetString(s, "audit", "writer_id", ""));
        !st.ok()) {
      return st;
    }
  }
  std::string fsync;
  if (absl::Status st = Assign(&fsync, GetString(s, "audit", "fsync", "batch")); !st.ok()) {
    return st;
  }
  if (fsync == "batch") {
    c->audit_fsync = FsyncPolicy::kBatch;
  } else if (fsync == "always") {
    c->audit_fsync = FsyncPolicy::kAlways;
  } else if (fsync == "never") {
    c->audit_fsync = FsyncPolicy::kNever;
  } else {
    return ConfigError("bad_value", "audit.fsync", "'batch', 'always' or 'never'");
  }
  element el;
  if (s["async"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    bool b = false;
    if (el.get(b) != simdjson::SUCCESS)
      return ConfigError("bad_value", "audit.async", "must be true or false");
    c->audit_async = b;
  }
  double q = 0;
  if (absl::Status st = Assign(&q, GetNumber(s, "audit", "queue_size", 4096)); !st.ok()) return st;
  if (!(q >= 1 && q <= 1e7))
    return ConfigError("bad_value", "audit.queue_size", "must be 1..10000000");
  c->audit_queue_size = static_cast<size_t>(q);
  return absl::OkStatus();
}

absl::Status ParseMasking(object s, std::string_view base_dir, GuardConfig* c) {
  absl::Status st = CheckKeys(
      s, "masking", {"hash_key", "hash_key_file", "hash_key_env", "custom", "terms", "json_keys"});
  if (!st.ok()) return st;
  if (absl::Status st = Assign(&c->hash_key, GetSecret(s, "masking", "hash_key", base_dir, false));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Assign(&c->json_keys, GetStrings(s, "masking", "json_keys", false));
      !st.ok()) {
    return st;
  }
  element el;
  if (s["custom"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    array rules;
    if (el.get(rules) != simdjson::SUCCESS)
      return ConfigError("bad_value", "masking.custom", "must be a list");
    size_t i = 0;
    for (element r : rules) {
      std::string where = Cat("masking.custom[", i++, "]");
      object rule;
      if (r.get(rule) != simdjson::SUCCESS)
        return ConfigError("bad_value", where, "must be an object");
      st = CheckKeys(rule, where, {"name", "regex", "validator", "context"});
      if (!st.ok()) return st;
      CustomRule out;
      if (absl::Status st = Assign(&out.name, GetString(rule, where, "name", "", true)); !st.ok()) {
        return st;
      }
      if (absl::Status st = Assign(&out.regex, GetString(rule, where, "regex", "", true));
          !st.ok()) {
        return st;
      }
      std::string validator;
      if (absl::Status st = Assign(&validator, GetString(rule, where, "validator", "none"));
          !st.ok()) {
        return st;
      }
      absl::StatusOr<Validator> v = ParseValidator(validator);
      if (!v.ok())
        return ConfigError("bad_value", Cat(where, ".validator"), "'none', 'luhn' or 'mod97'");
      out.validator = *v;
      if (absl::Status st = Assign(&out.context_words, GetStrings(rule, where, "context", false));
          !st.ok()) {
        return st;
      }
      c->custom.push_back(std::move(out));
    }
  }
  if (s["terms"].get(el) == simdjson::SUCCESS && !el.is_null()) {
    object lists;
    if (el.get(lists) != simdjson::SUCCESS) {
      return ConfigError("bad_value", "masking.terms", "must be an object {NAME: [terms]}");
    }
    for (auto field : lists) {
      TermList list;
      list.name = std::string(field.key);
      array terms;
      if (field.value.get(terms) != simdjson::SUCCESS) {
        return ConfigError("bad_value", Cat("masking.terms.", field.key),
                           "must be a list of strings");
      }
      for (element t : terms) {
        std::string_view term;
        if (t.get(term) != simdjson::SUCCESS) {
          return ConfigError("bad_value", Cat("masking.terms.", field.key),
                             "must be a list of strings");
        }
        list.terms.emplace_back(term);
      }
      c->terms.push_back(std::move(list));
    }
  }
  return absl::OkStatus();
}


}  // namespace

absl::Status AtKey(std::string_view key, const absl::Status& status) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, ErrorReason(status),
                   Cat(key, ": ", status.message()));
}

std::string ResolvePath(std::string_view base_dir, std::string_view path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return std::string(path);
  std::string out(base_dir);
  if (out.back() != '/') out.push_back('/');
  out.append(path);
  return out;
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path, std::string_view key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError("unreadable_file", key, Cat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return ConfigError("unreadable_file", key, Cat("cannot read ", path));
  return ss.str();
}

absl::StatusOr<GuardConfig> ParseGuardConfig(std::string_view json, std::string_view base_dir,
                                             AuditSource audit_source) {
  simdjson::dom::parser parser;
  element root_el;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(root_el) != simdjson::SUCCESS) {
    std::optional<base::TextPosition> at = base::LocateJsonSyntaxError(json);
    return ConfigError("invalid_json", "config",
                       at ? Cat("not valid JSON at line ", at->line, ", column ", at->column)
                          : std::string("not valid JSON"));
  }
  object root;
  if (root_el.get(root) != simdjson::SUCCESS)
    return ConfigError("bad_value", "config", "must be an object");
  if (!base::HasUniqueKeys(root_el)) return ConfigError("invalid_json", "config", "duplicate keys");
  absl::Status st =
      CheckKeys(root, "config", {"tokens", "policy", "grants", "approvals", "audit", "masking"});
  if (!st.ok()) {
    // Name the section itself ("extra: unknown section"), not "config.extra".
    std::string message(st.message());
    std::string_view m = message;
    m.remove_prefix(std::string_view("config.").size());
    return ConfigError("unknown_key", m.substr(0, m.find(':')), "unknown section");
  }
  GuardConfig c;
  bool present = false;
  object s;
  // Masking and audit first: they do not depend on the rest; then the request path in order.
  if (auto r = Section(root, "masking", false, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (present && !(st = ParseMasking(s, base_dir, &c)).ok()) return st;
  bool audit_required = audit_source == AuditSource::kConfig;
  if (auto r = Section(root, "audit", audit_required, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (present && !(st = ParseAudit(s, base_dir, audit_source, &c)).ok()) return st;
  if (auto r = Section(root, "tokens", true, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (!(st = ParseTokens(s, base_dir, &c)).ok()) return st;
  if (auto r = Section(root, "policy", true, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (!(st = ParsePolicy(s, base_dir, &c)).ok()) return st;
  if (auto r = Section(root, "grants", true, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (!(st = ParseGrants(s, base_dir, &c)).ok()) return st;
  if (auto r = Section(root, "approvals", false, &present); !r.ok())
    return r.status();
  else
    s = *r;
  if (present && !(st = ParseApprovals(s, &c)).ok()) return st;
  return c;
}

}  // namespace jitguard::guard
