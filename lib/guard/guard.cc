// The Guard: the request path of an inference server, as the README draws it. Admit runs the
// steps of lib/guard/steps.h in order; the parts they use are built once (lib/guard/parts.cc).
#include "jitguard/guard.h"

#include <memory>
#include <string>
#include <utility>

#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "lib/guard/config.h"
#include "lib/guard/event.h"
#include "lib/guard/maskers.h"
#include "lib/guard/metrics.h"
#include "lib/guard/parts.h"
#include "lib/guard/response.h"
#include "lib/guard/steps.h"

namespace jitguard {
namespace {

using guard::Counter;
using guard::EventLog;
using guard::RequestScope;

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

class GuardImpl final : public Guard, public std::enable_shared_from_this<GuardImpl> {
 public:
  explicit GuardImpl(guard::GuardParts parts) : parts_(std::move(parts)) {}

  ~GuardImpl() override { (void)parts_.audit->Close(); }

  using Guard::Admit;
  using Guard::Decide;
  using Guard::VerifyGrant;
  absl::StatusOr<Admission> Admit(const AdmitRequest& req, absl::Time now,
                                  Refusal* refusal) override;
  absl::Status VerifyGrant(std::string_view grant, std::string_view dataset,
                           std::string_view operation, absl::Time now) override;
  absl::StatusOr<std::string> Decide(std::string_view approver_token, std::string_view ticket_id,
                                     Verdict verdict, std::string_view comment,
                                     absl::Time now) override;
  absl::StatusOr<std::vector<std::string>> PermittedModels(std::string_view token,
                                                           std::string_view dataset,
                                                           std::string_view operation,
                                                           const std::vector<std::string>& models,
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
  absl::Status UpdateKeys(std::string_view jwks) override {
    return parts_.verifier->UpdateKeys(jwks);
  }
  std::shared_ptr<ApprovalStore> approvals() const override { return parts_.approvals; }
  std::shared_ptr<const GrantVerifier> grant_verifier() const override {
    return parts_.grant_verifier;
  }
  std::string MetricsText() const override {
    const uint64_t depth =
        parts_.async_audit != nullptr ? parts_.async_audit->Counters().queue_depth : 0;
    return metrics_.Text(depth);
  }
  MetricValues Metrics() const override { return metrics_.Values(); }
  absl::Status Flush() override { return parts_.audit->Flush(); }
  absl::Status Close() override { return parts_.audit->Close(); }

 private:
  absl::StatusOr<std::shared_ptr<const Masker>> MaskerFor(std::string_view profile) {
    return parts_.maskers->For(*parts_.policy->Snapshot(), profile);
  }

  const guard::GuardParts parts_;
  guard::Metrics metrics_;
};

absl::StatusOr<Admission> GuardImpl::Admit(const AdmitRequest& req, absl::Time now,
                                           Refusal* refusal) {
  Refusal ignored;
  if (refusal == nullptr) refusal = &ignored;
  absl::StatusOr<std::string> random = base::RandomBytes(16);
  if (!random.ok()) return random.status();
  const std::string request_id = base::Hex(*random);
  EventLog log(parts_.audit.get(),
               RequestScope{.request_id = request_id,
                            .model = req.model,
                            .dataset = req.dataset,
                            .operation = req.operation},
               now);

  // Who is calling.
  absl::StatusOr<Identity> identity =
      guard::Authenticate(*parts_.verifier, req.bearer_token, log, metrics_);
  if (!identity.ok()) return identity.status();
  log.Identify(*identity, guard::SessionOf(req.session_id, *identity, request_id));

  // May they: the policy's decision.
  absl::StatusOr<Decision> decision = guard::Authorize(
      *parts_.policy, *identity, req, *parts_.default_masker, log, metrics_, refusal);
  if (!decision.ok()) return decision.status();

  // Someone else's yes, when the policy asks for one.
  absl::StatusOr<std::string> ticket =
      guard::Approve(*parts_.approvals, *decision, *identity, req,
                     parts_.config->approval_ttl, log, metrics_, refusal);
  if (!ticket.ok()) return ticket.status();

  // The single-use grant the data store checks.
  absl::StatusOr<IssuedGrant> grant =
      guard::IssueGrant(*parts_.grant_issuer, *decision, *identity, req, *ticket, log, metrics_);
  if (!grant.ok()) return grant.status();

  // The prompt's record, masked with the admission's profile.
  const std::string profile = decision->mask_profile.empty() ? "default" : decision->mask_profile;
  absl::StatusOr<std::shared_ptr<const Masker>> masker = MaskerFor(profile);
  if (!masker.ok()) return masker.status();
  if (absl::Status s = guard::MaskRequest(**masker, profile, req.prompt, log); !s.ok()) return s;

  Admission adm;
  adm.identity = *std::move(identity);
  adm.decision = *std::move(decision);
  adm.grant = grant->token;
  adm.grant_id = grant->id;
  adm.grant_expires_at = grant->expires_at;
  adm.mask_profile = profile;
  adm.session_id = log.scope().session_id;
  adm.request_id = request_id;
  adm.model = req.model;
  adm.dataset = req.dataset;
  adm.operation = req.operation;
  adm.approval_ticket = *std::move(ticket);
  return adm;
}

absl::Status GuardImpl::VerifyGrant(std::string_view grant, std::string_view dataset,
                                    std::string_view operation, absl::Time now) {
  GrantScope scope;
  if (!dataset.empty()) scope.dataset = std::string(dataset);
  if (!operation.empty()) scope.operation = std::string(operation);
  // The verifier writes grant.verified / grant.rejected to the Guard's sink.
  return parts_.grant_verifier->Verify(grant, scope, now).status();
}

absl::StatusOr<std::string> GuardImpl::Decide(std::string_view approver_token,
                                              std::string_view ticket_id, Verdict verdict,
                                              std::string_view comment, absl::Time now) {
  EventLog log(parts_.audit.get(), RequestScope{.ticket_id = std::string(ticket_id)}, now);
  absl::StatusOr<Identity> approver =
      guard::Authenticate(*parts_.verifier, approver_token, log, metrics_);
  if (!approver.ok()) return approver.status();
  log.Identify(*approver, /*session_id=*/"");
  ApprovalVote vote{.approver = approver->subject,
                    .groups = approver->groups,
                    .verdict = verdict,
                    .comment = std::string(comment)};
  absl::StatusOr<ApprovalTicket> ticket = parts_.approvals->Decide(ticket_id, vote, now);
  const std::string reason = ticket.ok() ? "" : ErrorReason(ticket.status());
  absl::Status s = log.Write(
      audit_type::kApprovalDecided,
      {.decision = !ticket.ok()                    ? "refused"
                   : verdict == Verdict::kApprove ? "approve"
                                                  : "deny",
       .approver = approver->subject,
       .reason = ticket.ok() ? std::nullopt : std::optional<std::string_view>(reason)});
  if (!ticket.ok()) return ticket.status();
  if (!s.ok()) return s;
  return std::string(ApprovalStateName(ticket->state));
}

absl::StatusOr<std::vector<std::string>> GuardImpl::PermittedModels(
    std::string_view token, std::string_view dataset, std::string_view operation,
    const std::vector<std::string>& models, absl::Time now) {
  EventLog log(parts_.audit.get(),
               RequestScope{.dataset = std::string(dataset), .operation = std::string(operation)},
               now);
  absl::StatusOr<Identity> identity = guard::Authenticate(*parts_.verifier, token, log, metrics_);
  if (!identity.ok()) return identity.status();
  // One request, its model changed per listed model.
  PolicyRequest request{.subject = identity->subject,
                        .groups = identity->groups,
                        .dataset = std::string(dataset),
                        .operation = std::string(operation)};
  std::vector<std::string> permitted;
  for (const std::string& model : models) {
    request.model = model;
    if (parts_.policy->Evaluate(request).effect != Effect::kDeny) permitted.push_back(model);
  }
  return permitted;
}

absl::StatusOr<std::unique_ptr<ResponseGuard>> GuardImpl::NewResponse(const Admission& admission,
                                                                      ResponseFormat format) {
  absl::StatusOr<std::shared_ptr<const Masker>> masker = MaskerFor(admission.mask_profile);
  if (!masker.ok()) return masker.status();
  // The response's record: the request's scope, the masked text and the finding counts.
  RequestScope scope{.request_id = admission.request_id,
                     .session_id = admission.session_id,
                     .subject = admission.identity.subject,
                     .groups = admission.identity.groups,
                     .model = admission.model,
                     .dataset = admission.dataset,
                     .operation = admission.operation};
  std::weak_ptr<GuardImpl> self = weak_from_this();
  guard::ResponseSink sink = [self, scope = std::move(scope), profile = admission.mask_profile](
                                 const std::string& text, const FindingCounts& counts,
                                 absl::Time now, guard::ResponseEnd end) {
    std::shared_ptr<GuardImpl> g = self.lock();
    if (g == nullptr) {
      return MakeError(absl::StatusCode::kFailedPrecondition, ErrorDomain::kAudit, "closed",
                       "the guard is gone");
    }
    for (const auto& [entity, n] : counts) g->metrics_.Add(Counter::kFindings, entity, n);
    return EventLog(g->parts_.audit.get(), scope, now)
        .Write(audit_type::kInferenceResponse,
               {.decision = end == guard::ResponseEnd::kAborted ? "aborted" : "",
                .mask_profile = profile,
                .response = text,
                .findings = &counts});
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
  const guard::GuardConfig& config = *parts_.config;
  std::string json = config.policy_json;
  if (!config.policy_file.empty()) {
    absl::StatusOr<std::string> text = guard::ReadConfigFile(config.policy_file, "policy.file");
    if (!text.ok()) return text.status();
    json = *std::move(text);
  }
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(json);
  if (!policy.ok()) return policy.status();
  // Every profile of the new policy must compile, with the same options requests will use,
  // before it goes live.
  if (absl::Status s = guard::CheckProfiles(config, **policy); !s.ok()) return s;
  parts_.policy->Swap(*std::move(policy));
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
  absl::StatusOr<guard::GuardConfig> config = guard::ParseGuardConfig(
      json, base_dir,
      options.audit_sink != nullptr ? guard::AuditSource::kExternal : guard::AuditSource::kConfig);
  if (!config.ok()) return config.status();
  absl::StatusOr<guard::GuardParts> parts = guard::BuildParts(*std::move(config), options);
  if (!parts.ok()) return parts.status();
  return std::shared_ptr<Guard>(std::make_shared<GuardImpl>(*std::move(parts)));
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
