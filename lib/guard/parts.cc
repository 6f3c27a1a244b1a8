#include "lib/guard/parts.h"

#include <string_view>
#include <utility>

#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "lib/guard/steps.h"

namespace jitguard::guard {
namespace {

// audit.file, audit.postgres or the sink given in code, optionally behind the async queue.
absl::Status OpenAudit(const GuardConfig& c, const GuardOptions& options, GuardParts* parts) {
  std::shared_ptr<AuditSink> sink = options.audit_sink;
  if (sink == nullptr && !c.audit_file.empty()) {
    FileAuditSinkOptions o;
    o.hmac_key = c.audit_hmac_key;
    o.fsync = c.audit_fsync;
    absl::StatusOr<std::unique_ptr<FileAuditSink>> file = FileAuditSink::Open(c.audit_file, o);
    if (!file.ok()) return AtKey("audit.file", file.status());
    sink = *std::move(file);
  } else if (sink == nullptr) {
    PostgresAuditSinkOptions o;
    o.table = c.audit_table;
    o.writer_id = c.audit_writer_id;
    o.hmac_key = c.audit_hmac_key;
    absl::StatusOr<std::unique_ptr<PostgresAuditSink>> pg =
        PostgresAuditSink::Open(c.audit_postgres, o);
    if (!pg.ok()) return AtKey("audit.postgres", pg.status());
    sink = *std::move(pg);
  }
  parts->audit = sink;  // from here on, a failure closes it
  if (c.audit_async) {
    AsyncAuditSinkOptions o;
    o.capacity = c.audit_queue_size;
    absl::StatusOr<std::unique_ptr<AsyncAuditSink>> async = AsyncAuditSink::Create(sink, o);
    if (!async.ok()) return AtKey("audit.async", async.status());
    parts->async_audit = async->get();
    parts->audit = *std::move(async);
  }
  return absl::OkStatus();
}

// tokens.jwks_url: the Guard's own fetching KeySource, once it has its first keys (fail closed).
absl::StatusOr<std::shared_ptr<KeySource>> OpenJwksUrl(const JwksUrlConfig& j) {
  JwksFetchOptions o;
  o.url = j.url;
  o.refresh_interval = j.refresh_interval;
  o.min_refresh_interval = j.min_refresh_interval;
  o.timeout = j.timeout;
  o.unknown_key_wait = j.timeout;
  o.max_bytes = j.max_bytes;
  o.ca_file = j.ca_file;
  absl::StatusOr<std::shared_ptr<JwksKeySource>> source = JwksKeySource::Create(std::move(o));
  if (!source.ok()) {
    return AtKey(
        ErrorReason(source.status()) == "bad_ca_file" ? "tokens.ca_file" : "tokens.jwks_url",
        source.status());
  }
  // A discovery URL costs two documents, each within `timeout`.
  if (absl::Status s = (*source)->WaitForKeys(2 * j.timeout + absl::Seconds(1)); !s.ok()) {
    return AtKey("tokens.jwks_url", s);
  }
  return std::shared_ptr<KeySource>(*std::move(source));
}

absl::Status OpenTokens(GuardConfig& c, const GuardOptions& options, GuardParts* parts) {
  c.tokens.key_source = options.key_source;
  if (!c.jwks_url.url.empty()) {
    if (options.key_source != nullptr) {
      return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "conflicting_keys",
                       "tokens.jwks_url: the keys come from GuardOptions::key_source too; give "
                       "one key source");
    }
    absl::StatusOr<std::shared_ptr<KeySource>> source = OpenJwksUrl(c.jwks_url);
    if (!source.ok()) return source.status();
    c.tokens.key_source = *std::move(source);
  }
  absl::StatusOr<std::shared_ptr<TokenVerifier>> verifier = TokenVerifier::Create(c.tokens);
  if (!verifier.ok()) {
    return AtKey(c.jwks_url.url.empty() ? "tokens.jwks" : "tokens.jwks_url", verifier.status());
  }
  parts->verifier = *std::move(verifier);
  return absl::OkStatus();
}

// A PEM (private or public key), a JWKS, or else an HMAC secret.
GrantKey GrantKeyFrom(const SecretBytes& material) {
  std::string_view m = material.Reveal();
  if (m.substr(0, 10) == "-----BEGIN") return GrantKey::Pem(m);
  if (!m.empty() && m.front() == '{') return GrantKey::Jwks(m);
  return GrantKey::Secret(material);
}

absl::Status OpenGrants(const GuardConfig& c, GuardParts* parts) {
  absl::StatusOr<std::shared_ptr<ReplayCache>> cache =
      c.replay_url.empty() ? NewMemoryReplayCache()
                           : NewRedisReplayCache(RedisReplayCacheOptions{.url = c.replay_url});
  if (!cache.ok()) return AtKey("grants.replay", cache.status());
  const GrantKey key = GrantKeyFrom(c.grant_key);
  GrantIssuerOptions io;
  io.issuer = c.grant_issuer;
  io.key_id = c.grant_key_id;
  io.max_ttl = kMaxGrantTtl;
  absl::StatusOr<std::shared_ptr<const GrantIssuer>> issuer = GrantIssuer::Create(key, io);
  if (!issuer.ok()) return AtKey("grants.signing_key", issuer.status());
  parts->grant_issuer = *std::move(issuer);
  GrantVerifierOptions vo;
  vo.issuer = c.grant_issuer;
  vo.max_lifetime = kMaxGrantTtl;
  vo.replay_cache = *cache;
  vo.audit = parts->audit;  // grant.verified / grant.rejected
  const bool own_verify_key = !c.grant_verify_key.empty();
  absl::StatusOr<std::shared_ptr<const GrantVerifier>> verifier =
      GrantVerifier::Create(own_verify_key ? GrantKeyFrom(c.grant_verify_key) : key, vo);
  if (!verifier.ok()) {
    return AtKey(own_verify_key ? "grants.verify_key" : "grants.signing_key", verifier.status());
  }
  parts->grant_verifier = *std::move(verifier);
  return absl::OkStatus();
}

absl::Status OpenApprovals(const GuardConfig& c, GuardParts* parts) {
  absl::StatusOr<std::shared_ptr<ApprovalStore>> store =
      c.approvals_url.empty()
          ? NewMemoryApprovalStore()
          : NewRedisApprovalStore(RedisApprovalStoreOptions{.url = c.approvals_url});
  if (!store.ok()) return AtKey("approvals.url", store.status());
  parts->approvals = *std::move(store);
  return absl::OkStatus();
}

// The default Masker and every profile the policy declares, compiled now.
absl::Status OpenMaskers(GuardParts* parts) {
  parts->maskers = std::make_unique<MaskerCache>(parts->config);
  std::shared_ptr<const Policy> policy = parts->policy->Snapshot();
  absl::StatusOr<std::shared_ptr<const Masker>> m = parts->maskers->For(*policy, "default");
  if (!m.ok()) return m.status();
  parts->default_masker = *std::move(m);
  for (const MaskProfile& p : policy->mask_profiles()) {
    if (absl::StatusOr<std::shared_ptr<const Masker>> pm = parts->maskers->For(*policy, p.name);
        !pm.ok()) {
      return pm.status();
    }
  }
  return absl::OkStatus();
}

absl::Status BuildAll(GuardConfig config, const GuardOptions& options, GuardParts* parts) {
  if (absl::Status s = OpenAudit(config, options, parts); !s.ok()) return s;
  if (absl::Status s = OpenTokens(config, options, parts); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<PolicyStore>> policy = PolicyStore::Create(config.policy_json);
  if (!policy.ok()) return AtKey("policy", policy.status());
  parts->policy = *std::move(policy);
  if (absl::Status s = OpenGrants(config, parts); !s.ok()) return s;
  if (absl::Status s = OpenApprovals(config, parts); !s.ok()) return s;
  parts->config = std::make_shared<const GuardConfig>(std::move(config));
  return OpenMaskers(parts);
}

}  // namespace

absl::StatusOr<GuardParts> BuildParts(GuardConfig config, const GuardOptions& options) {
  GuardParts parts;
  if (absl::Status s = BuildAll(std::move(config), options, &parts); !s.ok()) {
    if (parts.audit != nullptr) (void)parts.audit->Close();
    return s;
  }
  return parts;
}

}  // namespace jitguard::guard
