// Guard: the whole request path of an inference server in one call per request.
//
//   bearer token -> TokenVerifier -> Policy -> (ApprovalStore) -> GrantIssuer -> Admission
//   model output -> ResponseGuard (masked with the admission's profile) -> client, audited
//
// A Guard is built from one JSON configuration (the same schema as the Python jitguard.Guard; see
// docs/deployment.md): `tokens` (JWKS inline, from a file, or fetched from the identity provider
// with `jwks_url`; issuer, audience, groups claim, leeway),
// `policy` (inline or file; ReloadPolicy re-reads the file), `grants` (signing key, issuer, replay
// cache in memory or Redis), `approvals` (memory or Redis), `audit` (file + HMAC key, or
// PostgreSQL; optionally asynchronous) and `masking` (hash key, custom rules, term lists). Mask
// profiles come from the policy; one Masker per profile is compiled once and shared. What JSON
// cannot carry comes in GuardOptions: an audit sink built in code (e.g. a Python callback) and a
// KeySource (include/jitguard/token.h) for keys that change.
//
// `tokens.jwks_url` (a JWKS URL or an OIDC discovery URL) makes the Guard fetch its keys itself, as
// Envoy's jwt_authn remote_jwks does: over HTTPS (the server certificate verified against the
// system trust store plus `tokens.ca_file`, and its host name checked; plain http:// only to
// loopback), once when the Guard is built (no keys: the Guard is not built), again in a
// background thread when they are older than `refresh_interval` (default 3600 s), and when a token
// names an unknown kid (at most once per `min_refresh_interval`, default 30 s; concurrent requests
// share one fetch, and wait for it at most `timeout`). Redirects are not followed; `max_bytes`
// (default 1 MiB) and `timeout` (default 5 s, name resolution and connect included) bound each
// response. A failed refresh keeps the last good keys. Requests never fetch on their own thread.
//
// Admit verifies the token, evaluates the policy, files or consumes an approval ticket, issues a
// short-lived single-use grant and writes an audit record for each step (prompts masked). The data
// store behind the model checks the grant once with VerifyGrant. NewResponse masks the model's
// output (plain text or OpenAI-style SSE) and writes `inference.response` with the masked text and
// the finding counts when it finishes.
//
// Thread-safety: a Guard is safe to use from many threads at once (compiled parts are immutable and
// swapped whole on reload; counters are atomic). A ResponseGuard belongs to one response and one
// thread.
#ifndef JITGUARD_GUARD_H_
#define JITGUARD_GUARD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/approval.h"
#include "jitguard/audit.h"
#include "jitguard/export.h"
#include "jitguard/grant.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/status.h"
#include "jitguard/token.h"

namespace jitguard {

// One inference request as the server sees it.
struct AdmitRequest {
  std::string bearer_token;  // the access token (without "Bearer ")
  std::string model;
  std::string dataset;
  std::string operation = "infer";
  std::string prompt;  // raw; only its masked form is ever written to the audit log
  std::map<std::string, AttributeValue, std::less<>> attributes;  // for the policy's `when`
  std::string approval;    // id of an approved ticket when retrying an approval_required request
  std::string session_id;  // "" = the token's `sid` claim, else its `jti`, else the request id
};

// An admitted request.
struct Admission {
  Identity identity;  // who the verified access token names
  Decision decision;  // permit (possibly after an approval)
  std::string grant;  // the signed, single-use grant token; present it to the data store
  std::string grant_id;
  absl::Time grant_expires_at;
  std::string mask_profile;  // the profile that masks this request's prompt and response
  std::string session_id;
  std::string request_id;  // 128 random bits, hex; in every audit record of the request
  std::string model, dataset, operation;
  std::string approval_ticket;  // the consumed ticket, "" when none was needed
};

// What an OpenAI-compatible (or Ollama) request body asks of the model, read before admission.
struct InferenceRequest {
  std::string model;   // "" when the body names none
  std::string prompt;  // every text the model will read (RequestPromptText), raw: for Admit only
  bool stream = false;
};

// Reads a request body for admission. A body the guard cannot read is refused, never admitted with
// an empty prompt: kInvalidArgument, ErrorDomain::kAccess, reasons "bad_json" (not JSON),
// "not_an_object", "bad_field" (model not a string, stream not a boolean), "bad_messages"
// (messages not a list of objects, content neither text, parts nor null), "bad_prompt"
// (prompt/input of another type), "token_prompt" (token ids: text the policy cannot read),
// "no_prompt" (no messages, prompt or input at all).
JITGUARD_EXPORT absl::StatusOr<InferenceRequest> ReadInferenceRequest(std::string_view body);

// Why Admit refused, for callers that want more than the status.
struct Refusal {
  Decision
      decision;  // the policy's decision (deny or approval_required); default when the token failed
  std::string ticket_id;  // approval_required: the ticket just filed
};

enum class ResponseFormat {
  kText,    // plain text chunks (e.g. tokens of a non-streaming answer)
  kSse,     // Server-Sent Events bytes (OpenAI chat/completions/responses streams)
  kNdjson,  // newline-delimited JSON (Ollama's native API)
  kJson,    // one JSON document (a non-streaming answer); everything comes out at Finish
};

// Masks one response with its admission's profile; audits it on Finish. Single-threaded.
class JITGUARD_EXPORT ResponseGuard {
 public:
  virtual ~ResponseGuard() = default;
  // Consumes a chunk; returns what is safe to send now. kSse / kNdjson / kJson are masked
  // default-deny over their structure (jitguard::ResponseMaskStream); an event or body over the
  // size cap is an error and the response refuses further input (fail closed).
  virtual absl::StatusOr<std::string> Write(std::string_view chunk) = 0;
  // Returns the held rest, masked, and writes `inference.response` (masked text, finding counts).
  // Errors when the audit sink fails. Later calls return "".
  virtual absl::StatusOr<std::string> Finish(absl::Time now) = 0;
  // Finish(absl::Now()).
  absl::StatusOr<std::string> Finish() { return Finish(absl::Now()); }
  // Ends a response the client will not receive in full (it went away, the model server failed):
  // nothing more is emitted, the held text is dropped (a value cut short is neither sent nor
  // recorded), and `inference.response` records what was sent, with decision "aborted". Errors
  // when the audit sink fails. Later calls, and Finish after it, do nothing.
  virtual absl::Status Abort(absl::Time now) = 0;
  virtual bool finished() const = 0;
  // Findings so far, per entity.
  virtual const FindingCounts& counts() const = 0;
};

// What a Guard takes besides its JSON configuration: parts built in code.
struct GuardOptions {
  // The audit sink, instead of the config's `audit.file` / `audit.postgres` (giving both is a
  // "conflicting_keys" error). `audit.async` / `audit.queue_size` still apply. The Guard closes it
  // on Close. Null: the config names the sink.
  std::shared_ptr<AuditSink> audit_sink = nullptr;
  // Where the token keys come from besides the config's `tokens.jwks` / `jwks_file`: each new key
  // set the source publishes replaces the JWKS keys, and a token naming an unknown key asks it once
  // for fresher ones (KeySource::RefreshForUnknownKey). Null: the config's keys only (or, with
  // `tokens.jwks_url`, the Guard's own fetching source; giving both is a "conflicting_keys" error).
  std::shared_ptr<KeySource> key_source = nullptr;
};

class JITGUARD_EXPORT Guard {
 public:
  // Builds a Guard from a JSON configuration; relative paths in it are resolved against `base_dir`.
  // Errors: ErrorDomain::kConfig with a message "<key>: <problem>" naming the offending key
  // (reasons "invalid_json", "missing_key", "unknown_key", "bad_value", "conflicting_keys",
  // "unreadable_file"; "bad_url" for a jwks_url that is not https:// or loopback http://,
  // "jwks_unavailable" when its first fetch fails), or the component's own error for a bad JWKS,
  // policy, key or sink.
  static absl::StatusOr<std::shared_ptr<Guard>> FromConfigJson(std::string_view json,
                                                               std::string_view base_dir = ".");
  // As above, with the parts that come from code (see GuardOptions).
  static absl::StatusOr<std::shared_ptr<Guard>> FromConfigJson(std::string_view json,
                                                               std::string_view base_dir,
                                                               const GuardOptions& options);
  // FromConfigJson on a file's contents, relative paths resolved against the file's directory.
  static absl::StatusOr<std::shared_ptr<Guard>> FromConfigFile(std::string_view path);
  static absl::StatusOr<std::shared_ptr<Guard>> FromConfigFile(std::string_view path,
                                                               const GuardOptions& options);

  virtual ~Guard() = default;

  // Runs token -> policy -> approval -> grant for one request (see the file comment).
  // Errors:
  //   ErrorDomain::kToken (kUnauthenticated), the token's reason ("expired", "bad_signature", ...)
  //   ErrorDomain::kAccess kPermissionDenied "forbidden" | "no_permit": denied; the message is the
  //     deciding rule's message; refusal->decision.rules names the rules
  //   ErrorDomain::kAccess kFailedPrecondition "approval_required": a ticket was filed
  //     (refusal->ticket_id); retry with AdmitRequest::approval once someone else approved it
  //   ErrorDomain::kApproval: the given ticket cannot be consumed ("not_approved",
  //   "digest_mismatch",
  //     "already_consumed", "expired", ...)
  //   ErrorDomain::kAudit: the audit sink failed (nothing is admitted without its record)
  virtual absl::StatusOr<Admission> Admit(const AdmitRequest& request, absl::Time now,
                                          Refusal* refusal) = 0;
  // Admit(request, now, nullptr) and Admit(request, absl::Now(), nullptr). (Overloads, not default
  // arguments: a default on a virtual function is bound by the static type of the call.)
  absl::StatusOr<Admission> Admit(const AdmitRequest& request, absl::Time now) {
    return Admit(request, now, nullptr);
  }
  absl::StatusOr<Admission> Admit(const AdmitRequest& request) {
    return Admit(request, absl::Now(), nullptr);
  }

  // Verifies a grant where the data store is called: signature, issuer, expiry, scope (the dataset
  // and operation must be in it; "" skips that check) and single use; audited (grant.verified or
  // grant.rejected). Errors: ErrorDomain::kGrant ("replayed", "expired", "scope", "bad_signature",
  // "revoked", ...). Same as grant_verifier()->Verify.
  virtual absl::Status VerifyGrant(std::string_view grant, std::string_view dataset,
                                   std::string_view operation, absl::Time now) = 0;
  // VerifyGrant(grant, dataset, operation, absl::Now()).
  absl::Status VerifyGrant(std::string_view grant, std::string_view dataset,
                           std::string_view operation) {
    return VerifyGrant(grant, dataset, operation, absl::Now());
  }

  // Records an approver's verdict on a ticket. The approver is identified by their own access token
  // (verified like any other); returns the ticket's state name after the vote.
  virtual absl::StatusOr<std::string> Decide(std::string_view approver_token,
                                             std::string_view ticket_id, Verdict verdict,
                                             std::string_view comment, absl::Time now) = 0;
  // Decide(approver_token, ticket_id, verdict, comment, absl::Now()).
  absl::StatusOr<std::string> Decide(std::string_view approver_token, std::string_view ticket_id,
                                     Verdict verdict, std::string_view comment) {
    return Decide(approver_token, ticket_id, verdict, comment, absl::Now());
  }

  // Which of `models` the bearer of `token` may use for `operation` on `dataset`, for listings such
  // as /v1/models: the token verified as Admit verifies it (a rejected token is audited and
  // returned as its ErrorDomain::kToken error), then one policy decision per model on an empty
  // prompt; a model is listed unless the decision is deny (approval_required is listed: asking is
  // allowed). Nothing is filed, granted or audited for the listing itself. Order is kept.
  virtual absl::StatusOr<std::vector<std::string>> PermittedModels(
      std::string_view token, std::string_view dataset, std::string_view operation,
      const std::vector<std::string>& models, absl::Time now) = 0;

  // `text` masked with the admission's profile (e.g. the prompt before the model reads it).
  virtual absl::StatusOr<std::string> MaskPrompt(const Admission& admission,
                                                 std::string_view text) = 0;

  // A request body masked with the admission's profile, default-deny over its structure
  // (Masker::MaskRequestJson): what the model server may read.
  virtual absl::StatusOr<std::string> MaskRequestBody(const Admission& admission,
                                                      std::string_view body) = 0;

  // A masker for one response of this admission.
  virtual absl::StatusOr<std::unique_ptr<ResponseGuard>> NewResponse(const Admission& admission,
                                                                     ResponseFormat format) = 0;

  // Re-reads the policy file (or recompiles the inline document). A bad policy leaves the current
  // one in force and returns its error.
  virtual absl::Status ReloadPolicy() = 0;

  // Replaces the token verifier's keys (rotation; atomic, a bad JWKS changes nothing and returns
  // its error). With `tokens.jwks_url`, the next fetched JWKS that differs replaces these.
  virtual absl::Status UpdateKeys(std::string_view jwks) = 0;

  // The approval store (for approver tooling that does not go through Decide).
  virtual std::shared_ptr<ApprovalStore> approvals() const = 0;

  // The grant verifier VerifyGrant uses (same replay cache; writes to the Guard's audit sink), for
  // data stores that want the verified Grant itself.
  virtual std::shared_ptr<const GrantVerifier> grant_verifier() const = 0;

  // Counters in Prometheus text exposition format: jitguard_decisions_total{effect},
  // jitguard_token_rejections_total{reason}, jitguard_findings_total{entity},
  // jitguard_grants_issued_total, jitguard_audit_queue_depth.
  virtual std::string MetricsText() const = 0;

  // The same counters as values: counter name ("decisions", "token_rejections", "findings",
  // "approvals", "grants") -> label (effect, reason, entity, ...; "" for the unlabelled) -> count.
  using MetricValues = std::map<std::string, std::map<std::string, uint64_t>>;
  virtual MetricValues Metrics() const = 0;

  // Makes every audit record written so far durable (the sink's Flush).
  virtual absl::Status Flush() = 0;

  // Flushes and closes the audit sink. Later requests fail (fail closed).
  virtual absl::Status Close() = 0;
};

}  // namespace jitguard

#endif  // JITGUARD_GUARD_H_
