// The Guard: wires token verification, policy, approvals, grants, masking and audit from one
// config.
#include "jitguard/guard.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jitguard/audit.h"
#include "jitguard/grant.h"
#include "jitguard/replay.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "lib/base/crypto.h"
#include "lib/base/mutex.h"
#include "lib/base/strings.h"
#include "lib/guard/config.h"
#include "lib/guard/metrics.h"
#include "lib/guard/response.h"
#include "simdjson.h"

namespace jitguard {
namespace {

using base::Cat;

using guard::Counter;
using guard::GuardConfig;

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

// Reports a component's construction error as a config error naming the key, keeping its reason.
absl::Status AtKey(std::string_view key, const absl::Status& s) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, ErrorReason(s),
                   Cat(key, ": ", s.message()));
}

// The `sid` claim of a verified token's payload, "" when absent.
std::string SessionClaim(const std::string& claims_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view sid;
  if (parser.parse(claims_json).get(doc) != simdjson::SUCCESS) return "";
  if (doc["sid"].get(sid) != simdjson::SUCCESS) return "";
  return std::string(sid);
}

AuditValue CountsValue(const FindingCounts& counts) {
  std::vector<AuditValue::Member> members;
  for (const auto& [entity, n] : counts)
    members.emplace_back(entity, AuditValue(static_cast<long long>(n)));
  return AuditValue::Object(std::move(members));
}

// Grants live at most this long, whatever the policy allows: they are per-call credentials.
constexpr absl::Duration kMaxGrantTtl = absl::Hours(1);

// A PEM (private or public key), a JWKS, or else an HMAC secret.
GrantKey GrantKeyFrom(const SecretBytes& material) {
  std::string_view m = material.Reveal();
  if (m.substr(0, 10) == "-----BEGIN") return GrantKey::Pem(m);
  if (!m.empty() && m.front() == '{') return GrantKey::Jwks(m);
  return GrantKey::Secret(material);
}

std::string DecisionMessage(const Decision& d, std::string_view fallback) {
  if (!d.message.empty()) return d.message;
  if (!d.reasons.empty()) return absl::StrJoin(d.reasons, "; ");
  return std::string(fallback);
}

class GuardImpl final : public Guard, public std::enable_shared_from_this<GuardImpl> {
 public:
  static absl::StatusOr<std::shared_ptr<Guard>> Build(GuardConfig config,
                                                      const GuardOptions& options) {
    auto g = std::shared_ptr<GuardImpl>(new GuardImpl());
    g->audit_ = options.audit_sink;
    config.tokens.key_source = options.key_source;
    absl::Status s = g->Init(std::move(config));
    if (!s.ok()) {
      if (g->audit_ != nullptr) (void)g->audit_->Close();
      return s;
    }
    return std::shared_ptr<Guard>(std::move(g));
  }

  ~GuardImpl() override {
    if (audit_ != nullptr) (void)audit_->Close();
  }

  absl::StatusOr<Admission> Admit(const AdmitRequest& req, absl::Time now,
                                  Refusal* refusal) override;
  absl::Status VerifyGrant(std::string_view grant, std::string_view dataset,
                           std::string_view operation, absl::Time now) override;
  absl::StatusOr<std::string> Decide(std::string_view approver_token, std::string_view ticket_id,
                                     Verdict verdict, std::string_view comment,
                                     absl::Time now) override;
  absl::StatusOr<std::string> MaskPrompt(const Admission& admission,
                                         std::string_view text) override {
    absl::StatusOr<std::shared_ptr<const Masker>> m = MaskerFor(admission.mask_profile);
    if (!m.ok()) return m.status();
    return (*m)->Mask(text);
  }
  absl::StatusOr<std::string> MaskRequestBody(const Admission& admission,
                                              std::string_view body) override {
    absl::StatusOr<std::shared_ptr<const Masker>> m = MaskerFor(admission.mask_profile);
    if (!m.ok()) return m.status();
    return (*m)->MaskRequestJson(body);
  }
  absl::StatusOr<std::unique_ptr<ResponseGuard>> NewResponse(const Admission& admission,
                                                             ResponseFormat format) override;
  absl::Status ReloadPolicy() override;
  absl::Status UpdateKeys(std::string_view jwks) override { return verifier_->UpdateKeys(jwks); }
  std::shared_ptr<ApprovalStore> approvals() const override { return approvals_; }
  std::shared_ptr<const GrantVerifier> grant_verifier() const override { return grant_verifier_; }
  std::string MetricsText() const override {
    uint64_t depth = async_ != nullptr ? async_->Counters().queue_depth : 0;
    return metrics_.Text(depth);
  }
  absl::Status Flush() override { return audit_->Flush(); }
  absl::Status Close() override { return audit_->Close(); }

 private:
  GuardImpl() = default;
  absl::Status Init(GuardConfig config);
  absl::StatusOr<std::shared_ptr<const Masker>> MaskerFor(std::string_view profile);
  absl::StatusOr<Identity> VerifyToken(std::string_view token, absl::Time now) {
    // The verifier asks its key source (tokens.jwks_url or GuardOptions::key_source) itself.
    return verifier_->Verify(token, now);
  }
  // tokens.jwks_url: the fetching key source, once it has its first keys.
  absl::Status InitJwksUrl();
  absl::Status Audit(AuditEvent event, absl::Time now) {
    event.time = now;
    return audit_->Write(event);
  }

  GuardConfig config_;
  std::shared_ptr<TokenVerifier> verifier_;
  std::unique_ptr<PolicyStore> policy_;
  std::shared_ptr<const GrantIssuer> issuer_;
  std::shared_ptr<const GrantVerifier> grant_verifier_;
  std::shared_ptr<ApprovalStore> approvals_;
  std::shared_ptr<AuditSink> audit_;
  AsyncAuditSink* async_ = nullptr;  // audit_ when asynchronous (for the queue depth)
  std::shared_ptr<const Masker> default_masker_;
  guard::Metrics metrics_;

  base::Mutex mu_;
  // One Masker per (policy version, profile), built on first use.
  std::string maskers_version_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const Masker>, std::less<>> maskers_ ABSL_GUARDED_BY(mu_);
};

absl::Status GuardImpl::Init(GuardConfig config) {
  config_ = std::move(config);

  // Audit first: nothing else may run without its record.
  if (audit_ != nullptr) {
    // Given in code (GuardOptions::audit_sink).
  } else if (!config_.audit_file.empty()) {
    FileAuditSinkOptions options;
    options.hmac_key = config_.audit_hmac_key;
    options.fsync = config_.audit_fsync;
    absl::StatusOr<std::unique_ptr<FileAuditSink>> sink =
        FileAuditSink::Open(config_.audit_file, options);
    if (!sink.ok()) return AtKey("audit.file", sink.status());
    audit_ = std::shared_ptr<AuditSink>(std::move(*sink));
  } else {
    PostgresAuditSinkOptions options;
    options.table = config_.audit_table;
    options.writer_id = config_.audit_writer_id;
    options.hmac_key = config_.audit_hmac_key;
    absl::StatusOr<std::unique_ptr<PostgresAuditSink>> sink =
        PostgresAuditSink::Open(config_.audit_postgres, options);
    if (!sink.ok()) return AtKey("audit.postgres", sink.status());
    audit_ = std::shared_ptr<AuditSink>(std::move(*sink));
  }
  if (config_.audit_async) {
    AsyncAuditSinkOptions options;
    options.capacity = config_.audit_queue_size;
    absl::StatusOr<std::unique_ptr<AsyncAuditSink>> sink = AsyncAuditSink::Create(audit_, options);
    if (!sink.ok()) return AtKey("audit.async", sink.status());
    async_ = sink->get();
    audit_ = std::shared_ptr<AuditSink>(std::move(*sink));
  }

  if (!config_.jwks_url.url.empty()) {
    absl::Status s = InitJwksUrl();
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::shared_ptr<TokenVerifier>> verifier = TokenVerifier::Create(config_.tokens);
  if (!verifier.ok()) {
    return AtKey(config_.jwks_url.url.empty() ? "tokens.jwks" : "tokens.jwks_url",
                 verifier.status());
  }
  verifier_ = *std::move(verifier);

  absl::StatusOr<std::unique_ptr<PolicyStore>> policy = PolicyStore::Create(config_.policy_json);
  if (!policy.ok()) return AtKey("policy", policy.status());
  policy_ = *std::move(policy);

  // Grants.
  absl::StatusOr<std::shared_ptr<ReplayCache>> cache =
      config_.replay_url.empty()
          ? NewMemoryReplayCache()
          : NewRedisReplayCache(RedisReplayCacheOptions{.url = config_.replay_url});
  if (!cache.ok()) return AtKey("grants.replay", cache.status());
  GrantKey key = GrantKeyFrom(config_.grant_key);
  GrantIssuerOptions issuer_options;
  issuer_options.issuer = config_.grant_issuer;
  issuer_options.key_id = config_.grant_key_id;
  issuer_options.max_ttl = kMaxGrantTtl;
  absl::StatusOr<std::shared_ptr<const GrantIssuer>> issuer =
      GrantIssuer::Create(key, issuer_options);
  if (!issuer.ok()) return AtKey("grants.signing_key", issuer.status());
  issuer_ = *std::move(issuer);
  GrantVerifierOptions verifier_options;
  verifier_options.issuer = config_.grant_issuer;
  verifier_options.max_lifetime = kMaxGrantTtl;
  verifier_options.replay_cache = *cache;
  verifier_options.audit = audit_;  // grant.verified / grant.rejected
  absl::StatusOr<std::shared_ptr<const GrantVerifier>> gv = GrantVerifier::Create(
      config_.grant_verify_key.empty() ? key : GrantKeyFrom(config_.grant_verify_key),
      verifier_options);
  if (!gv.ok())
    return AtKey(config_.grant_verify_key.empty() ? "grants.signing_key" : "grants.verify_key",
                 gv.status());
  grant_verifier_ = *std::move(gv);

  // Approvals.
  absl::StatusOr<std::shared_ptr<ApprovalStore>> store =
      config_.approvals_url.empty()
          ? NewMemoryApprovalStore()
          : NewRedisApprovalStore(RedisApprovalStoreOptions{.url = config_.approvals_url});
  if (!store.ok()) return AtKey("approvals.url", store.status());
  approvals_ = *std::move(store);

  absl::StatusOr<std::shared_ptr<const Masker>> m = MaskerFor("default");
  if (!m.ok()) return m.status();
  default_masker_ = *std::move(m);
  // Every profile the policy declares must compile with the shared masking options.
  for (const MaskProfile& p : policy_->Snapshot()->mask_profiles()) {
    absl::StatusOr<std::shared_ptr<const Masker>> pm = MaskerFor(p.name);
    if (!pm.ok()) return pm.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Masker>> GuardImpl::MaskerFor(std::string_view profile) {
  if (profile.empty()) profile = "default";
  std::shared_ptr<const Policy> snapshot = policy_->Snapshot();
  base::MutexLock lock(&mu_);
  if (maskers_version_ != snapshot->version()) {
    maskers_.clear();
    maskers_version_ = snapshot->version();
  }
  auto it = maskers_.find(profile);
  if (it != maskers_.end()) return it->second;
  MaskerOptions options;
  options.hash_key = config_.hash_key;
  options.custom = config_.custom;
  options.terms = config_.terms;
  options.json_keys = config_.json_keys;
  if (const MaskProfile* p = snapshot->FindMaskProfile(profile)) {
    if (!p->all_entities) options.entities = p->entities;
    absl::StatusOr<MaskStyle> style = ParseMaskStyle(p->style.empty() ? "label" : p->style);
    if (!style.ok()) return AtKey("policy", style.status());
    options.style = *style;
  } else if (profile != "default") {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "unknown_profile",
                     Cat("policy: mask profile '", profile, "' is not declared"));
  }
  absl::StatusOr<std::shared_ptr<const Masker>> m = Masker::Create(std::move(options));
  if (!m.ok()) return AtKey("masking", m.status());
  maskers_.emplace(std::string(profile), *m);
  return *m;
}

absl::Status GuardImpl::InitJwksUrl() {
  if (config_.tokens.key_source != nullptr) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "conflicting_keys",
                     "tokens.jwks_url: the keys come from GuardOptions::key_source too; give one "
                     "key source");
  }
  const guard::JwksUrlConfig& j = config_.jwks_url;
  JwksFetchOptions options;
  options.url = j.url;
  options.refresh_interval = j.refresh_interval;
  options.min_refresh_interval = j.min_refresh_interval;
  options.timeout = j.timeout;
  options.unknown_key_wait = j.timeout;
  options.max_bytes = j.max_bytes;
  options.ca_file = j.ca_file;
  absl::StatusOr<std::shared_ptr<JwksKeySource>> source = JwksKeySource::Create(std::move(options));
  if (!source.ok()) {
    return AtKey(
        ErrorReason(source.status()) == "bad_ca_file" ? "tokens.ca_file" : "tokens.jwks_url",
        source.status());
  }
  // The first keys are awaited now: a Guard that cannot get its keys is not built (fail closed).
  // A discovery URL costs two documents, each within `timeout`.
  if (absl::Status s = (*source)->WaitForKeys(2 * j.timeout + absl::Seconds(1)); !s.ok()) {
    return AtKey("tokens.jwks_url", s);
  }
  config_.tokens.key_source = *std::move(source);
  return absl::OkStatus();
}

absl::StatusOr<Admission> GuardImpl::Admit(const AdmitRequest& req, absl::Time now,
                                           Refusal* refusal) {
  Refusal local_refusal;
  if (refusal == nullptr) refusal = &local_refusal;
  absl::StatusOr<std::string> random = base::RandomBytes(16);
  if (!random.ok()) return random.status();
  std::string request_id = base::Hex(*random);

  absl::StatusOr<Identity> identity = VerifyToken(req.bearer_token, now);
  if (!identity.ok()) {
    std::string reason = ErrorReason(identity.status());
    metrics_.Add(Counter::kTokenRejections, reason);
    AuditEvent e;
    e.type = std::string(audit_type::kTokenRejected);
    e.request_id = request_id;
    e.model = req.model;
    e.dataset = req.dataset;
    e.operation = req.operation;
    e.Set(std::string(audit_field::kReason), reason);
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
    return identity.status();
  }

  Admission adm;
  adm.identity = *identity;
  adm.request_id = request_id;
  adm.model = req.model;
  adm.dataset = req.dataset;
  adm.operation = req.operation;
  adm.session_id = req.session_id;
  if (adm.session_id.empty()) adm.session_id = SessionClaim(identity->claims_json);
  if (adm.session_id.empty()) adm.session_id = identity->token_id;
  if (adm.session_id.empty()) adm.session_id = request_id;

  PolicyRequest pr{.subject = adm.identity.subject,
                   .groups = adm.identity.groups,
                   .model = req.model,
                   .dataset = req.dataset,
                   .operation = req.operation,
                   .prompt = req.prompt,
                   .attributes = req.attributes};
  Decision decision = policy_->Evaluate(pr);
  std::string effect(EffectName(decision.effect));
  metrics_.Add(Counter::kDecisions, effect);
  auto event = [&](std::string_view type) {
    AuditEvent e;
    e.type = std::string(type);
    e.session_id = adm.session_id;
    e.request_id = request_id;
    e.subject = adm.identity.subject;
    e.groups = adm.identity.groups;
    e.model = req.model;
    e.dataset = req.dataset;
    e.operation = req.operation;
    return e;
  };
  {
    AuditEvent e = event(audit_type::kPolicyDecision);
    e.decision = effect;
    e.rules = decision.rules;
    e.Set(std::string(audit_field::kReason), decision.reason);
    e.Set(std::string(audit_field::kPrompt), default_masker_->Mask(req.prompt));
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
  }

  if (decision.effect == Effect::kDeny) {
    std::string message = DecisionMessage(decision, "the policy denies this request");
    refusal->decision = std::move(decision);
    return MakeError(absl::StatusCode::kPermissionDenied, ErrorDomain::kAccess,
                     refusal->decision.reason, message);
  }

  std::string digest =
      RequestDigest(adm.identity.subject, req.model, req.dataset, req.operation, req.prompt);
  if (decision.effect == Effect::kApprovalRequired) {
    std::string message = DecisionMessage(decision, "this request needs an approval");
    if (req.approval.empty()) {
      ApprovalRequest ar{.subject = adm.identity.subject,
                         .request_digest = digest,
                         .reason = message,
                         .approver_groups = decision.approvers,
                         .ttl = config_.approval_ttl};
      absl::StatusOr<ApprovalTicket> ticket = approvals_->Request(ar, now);
      if (!ticket.ok()) return ticket.status();
      metrics_.Add(Counter::kApprovals, "requested");
      AuditEvent e = event(audit_type::kApprovalRequested);
      e.decision = effect;
      e.rules = decision.rules;
      e.Set(std::string(audit_field::kTicketId), ticket->id);
      e.Set("approvers", decision.approvers);
      absl::Status s = Audit(std::move(e), now);
      if (!s.ok()) return s;
      refusal->decision = std::move(decision);
      refusal->ticket_id = ticket->id;
      return MakeError(absl::StatusCode::kFailedPrecondition, ErrorDomain::kAccess,
                       "approval_required", message);
    }
    absl::StatusOr<ApprovalTicket> consumed = approvals_->Consume(req.approval, digest, now);
    AuditEvent e = event(audit_type::kApprovalConsumed);
    e.Set(std::string(audit_field::kTicketId), req.approval);
    if (!consumed.ok()) {
      e.decision = "refused";
      e.Set(std::string(audit_field::kReason), ErrorReason(consumed.status()));
      absl::Status s = Audit(std::move(e), now);
      if (!s.ok()) return s;
      refusal->decision = std::move(decision);
      return consumed.status();
    }
    e.decision = "consumed";
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
    metrics_.Add(Counter::kApprovals, "consumed");
    adm.approval_ticket = req.approval;
  }

  GrantRequest gr;
  gr.subject = adm.identity.subject;
  if (!req.dataset.empty()) gr.datasets = {req.dataset};
  gr.operations = {req.operation};
  if (!req.model.empty()) gr.model = req.model;
  gr.ttl = std::min(absl::Seconds(decision.grant_ttl > 0 ? decision.grant_ttl : 1), kMaxGrantTtl);
  gr.request_id = request_id;
  gr.approval_id = adm.approval_ticket;
  absl::StatusOr<IssuedGrant> grant = issuer_->Issue(gr, now);
  if (!grant.ok()) return grant.status();
  metrics_.Add(Counter::kGrants, "");
  {
    AuditEvent e = event(audit_type::kGrantIssued);
    e.decision = effect;
    e.rules = decision.rules;
    e.Set(std::string(audit_field::kGrantId), grant->id);
    e.Set("expires_at",
          absl::FormatTime(absl::RFC3339_sec, grant->expires_at, absl::UTCTimeZone()));
    if (!adm.approval_ticket.empty())
      e.Set(std::string(audit_field::kTicketId), adm.approval_ticket);
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
  }
  adm.mask_profile = decision.mask_profile.empty() ? "default" : decision.mask_profile;
  absl::StatusOr<std::shared_ptr<const Masker>> masker = MaskerFor(adm.mask_profile);
  if (!masker.ok()) return masker.status();
  {
    AuditEvent e = event(audit_type::kInferenceRequest);
    e.Set("mask_profile", adm.mask_profile);
    e.Set(std::string(audit_field::kPrompt), (*masker)->Mask(req.prompt));
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
  }
  adm.grant = grant->token;
  adm.grant_id = grant->id;
  adm.grant_expires_at = grant->expires_at;
  adm.decision = std::move(decision);
  return adm;
}

absl::Status GuardImpl::VerifyGrant(std::string_view grant, std::string_view dataset,
                                    std::string_view operation, absl::Time now) {
  GrantScope scope;
  if (!dataset.empty()) scope.dataset = std::string(dataset);
  if (!operation.empty()) scope.operation = std::string(operation);
  // The verifier writes grant.verified / grant.rejected to the Guard's sink.
  return grant_verifier_->Verify(grant, scope, now).status();
}

absl::StatusOr<std::string> GuardImpl::Decide(std::string_view approver_token,
                                              std::string_view ticket_id, Verdict verdict,
                                              std::string_view comment, absl::Time now) {
  absl::StatusOr<Identity> approver = VerifyToken(approver_token, now);
  if (!approver.ok()) {
    metrics_.Add(Counter::kTokenRejections, ErrorReason(approver.status()));
    AuditEvent e;
    e.type = std::string(audit_type::kTokenRejected);
    e.Set(std::string(audit_field::kReason), ErrorReason(approver.status()));
    e.Set(std::string(audit_field::kTicketId), std::string(ticket_id));
    absl::Status s = Audit(std::move(e), now);
    if (!s.ok()) return s;
    return approver.status();
  }
  ApprovalVote vote{.approver = approver->subject,
                    .groups = approver->groups,
                    .verdict = verdict,
                    .comment = std::string(comment)};
  absl::StatusOr<ApprovalTicket> ticket = approvals_->Decide(ticket_id, vote, now);
  AuditEvent e;
  e.type = std::string(audit_type::kApprovalDecided);
  e.subject = approver->subject;
  e.groups = approver->groups;
  e.Set(std::string(audit_field::kTicketId), std::string(ticket_id));
  e.Set(std::string(audit_field::kApprover), approver->subject);
  if (!ticket.ok()) {
    e.decision = "refused";
    e.Set(std::string(audit_field::kReason), ErrorReason(ticket.status()));
  } else {
    e.decision = verdict == Verdict::kApprove ? "approve" : "deny";
  }
  absl::Status s = Audit(std::move(e), now);
  if (!ticket.ok()) return ticket.status();
  if (!s.ok()) return s;
  return std::string(ApprovalStateName(ticket->state));
}

absl::StatusOr<std::unique_ptr<ResponseGuard>> GuardImpl::NewResponse(const Admission& admission,
                                                                      ResponseFormat format) {
  absl::StatusOr<std::shared_ptr<const Masker>> masker = MaskerFor(admission.mask_profile);
  if (!masker.ok()) return masker.status();
  std::weak_ptr<GuardImpl> self = weak_from_this();
  AuditEvent base;
  base.type = std::string(audit_type::kInferenceResponse);
  base.session_id = admission.session_id;
  base.request_id = admission.request_id;
  base.subject = admission.identity.subject;
  base.groups = admission.identity.groups;
  base.model = admission.model;
  base.dataset = admission.dataset;
  base.operation = admission.operation;
  guard::ResponseSink sink = [self, base, profile = admission.mask_profile](
                                 const std::string& text, const FindingCounts& counts,
                                 absl::Time now) {
    std::shared_ptr<GuardImpl> g = self.lock();
    if (g == nullptr) {
      return MakeError(absl::StatusCode::kFailedPrecondition, ErrorDomain::kAudit, "closed",
                       "the guard is gone");
    }
    for (const auto& [entity, n] : counts) g->metrics_.Add(Counter::kFindings, entity, n);
    AuditEvent e = base;
    e.Set("mask_profile", profile);
    e.Set(std::string(audit_field::kResponse), text);
    e.Set(std::string(audit_field::kFindings), CountsValue(counts));
    return g->Audit(std::move(e), now);
  };
  switch (format) {
    case ResponseFormat::kText:
      break;
    case ResponseFormat::kSse:
      return guard::NewStructuredResponse(*std::move(masker), ResponseFraming::kSse,
                                          std::move(sink));
    case ResponseFormat::kNdjson:
      return guard::NewStructuredResponse(*std::move(masker), ResponseFraming::kNdjson,
                                          std::move(sink));
    case ResponseFormat::kJson:
      return guard::NewStructuredResponse(*std::move(masker), ResponseFraming::kJson,
                                          std::move(sink));
  }
  return guard::NewTextResponse(*std::move(masker), std::move(sink));
}

absl::Status GuardImpl::ReloadPolicy() {
  std::string json = config_.policy_json;
  if (!config_.policy_file.empty()) {
    absl::StatusOr<std::string> text = guard::ReadConfigFile(config_.policy_file, "policy.file");
    if (!text.ok()) return text.status();
    json = *std::move(text);
  }
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json);
  if (!policy.ok()) return policy.status();
  // Every profile of the new policy must compile before it goes live.
  for (const MaskProfile& p : (*policy)->mask_profiles()) {
    MaskerOptions options;
    options.hash_key = config_.hash_key;
    options.custom = config_.custom;
    options.terms = config_.terms;
    if (!p.all_entities) options.entities = p.entities;
    absl::StatusOr<MaskStyle> style = ParseMaskStyle(p.style.empty() ? "label" : p.style);
    if (!style.ok()) return style.status();
    options.style = *style;
    absl::StatusOr<std::shared_ptr<const Masker>> m = Masker::Create(std::move(options));
    if (!m.ok()) return m.status();
  }
  policy_->Swap(*std::move(policy));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<Guard>> Guard::FromConfigJson(std::string_view json,
                                                             std::string_view base_dir) {
  return FromConfigJson(json, base_dir, GuardOptions());
}

absl::StatusOr<std::shared_ptr<Guard>> Guard::FromConfigJson(std::string_view json,
                                                             std::string_view base_dir,
                                                             const GuardOptions& options) {
  absl::StatusOr<GuardConfig> config = guard::ParseGuardConfig(
      json, base_dir,
      options.audit_sink != nullptr ? guard::AuditSource::kExternal : guard::AuditSource::kConfig);
  if (!config.ok()) return config.status();
  return GuardImpl::Build(*std::move(config), options);
}

absl::StatusOr<std::shared_ptr<Guard>> Guard::FromConfigFile(std::string_view path) {
  return FromConfigFile(path, GuardOptions());
}

absl::StatusOr<std::shared_ptr<Guard>> Guard::FromConfigFile(std::string_view path,
                                                             const GuardOptions& options) {
  absl::StatusOr<std::string> text = guard::ReadConfigFile(std::string(path), "config");
  if (!text.ok()) return text.status();
  return FromConfigJson(*text, DirName(path), options);
}

}  // namespace jitguard
