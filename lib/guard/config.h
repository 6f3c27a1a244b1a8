// The Guard's configuration: the JSON document (same schema as the Python jitguard.Guard) parsed
// and checked into plain values. Every error names the offending key ("tokens.leeway: ...").
#ifndef JITGUARD_LIB_GUARD_CONFIG_H_
#define JITGUARD_LIB_GUARD_CONFIG_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/audit.h"
#include "jitguard/mask.h"
#include "jitguard/secret.h"
#include "jitguard/token.h"

namespace jitguard::guard {

// `tokens.jwks_url` and its options: the keys come from the identity provider (a JwksKeySource).
struct JwksUrlConfig {
  std::string url;  // "" = the keys are in the config (jwks / jwks_file)
  absl::Duration refresh_interval = absl::Hours(1);
  absl::Duration min_refresh_interval = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(5);
  size_t max_bytes = size_t{1} << 20;
  std::string ca_file;  // absolute path; "" = the system trust store only
};

struct GuardConfig {
  TokenVerifierOptions tokens;  // tokens.jwks is empty when jwks_url.url is set
  JwksUrlConfig jwks_url;

  std::string policy_json;  // the inline document, or the file's text at load time
  std::string policy_file;  // absolute path; "" when the document is inline

  SecretBytes grant_key;         // HMAC secret or private-key PEM
  SecretBytes grant_verify_key;  // "" = derived from grant_key
  std::string grant_issuer = "jitguard";
  std::string grant_key_id;
  std::string replay_url;  // "" = in memory

  std::string approvals_url;  // "" = in memory
  absl::Duration approval_ttl = absl::Hours(1);

  std::string audit_file;      // absolute path; or
  std::string audit_postgres;  // a libpq DSN
  std::string audit_table = "jitguard_audit";
  std::string audit_writer_id;  // "" = the sink's default ("<hostname>:<pid>")
  SecretBytes audit_hmac_key;
  FsyncPolicy audit_fsync = FsyncPolicy::kBatch;
  bool audit_async = false;
  size_t audit_queue_size = 4096;

  SecretBytes hash_key;
  std::vector<CustomRule> custom;
  std::vector<TermList> terms;
  std::vector<std::string> json_keys;
};

enum class AuditSource {
  kConfig,    // the config names the sink (file or postgres)
  kExternal,  // the caller gives the sink (GuardOptions::audit_sink); the config must not name one
};

// Parses `json`; relative file names are resolved against `base_dir`.
absl::StatusOr<GuardConfig> ParseGuardConfig(std::string_view json, std::string_view base_dir,
                                             AuditSource audit_source = AuditSource::kConfig);

// The contents of `path` (errors: kConfig "unreadable_file" naming `key`).
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, std::string_view key);

// A component's construction error reported as a config error naming `key` (kConfig, message
// "<key>: <message>"), keeping its reason.
absl::Status AtKey(std::string_view key, const absl::Status& status);

// `path` resolved against `base_dir` unless it is absolute.
std::string ResolvePath(std::string_view base_dir, std::string_view path);

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_CONFIG_H_
