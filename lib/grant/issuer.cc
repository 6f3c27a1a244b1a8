// GrantIssuer: builds the claims, signs with the token layer's JwsKey. The header and its base64url
// form are computed once at Create; Issue only encodes the payload and signs.
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jitguard/audit.h"
#include "jitguard/grant.h"
#include "jitguard/status.h"
#include "lib/base/base64url.h"
#include "lib/base/crypto.h"
#include "lib/base/json.h"
#include "lib/base/strings.h"
#include "lib/grant/grant_internal.h"
#include "lib/token/jws.h"

namespace jitguard {

GrantIssuer::~GrantIssuer() = default;

namespace grant_internal {

absl::Status GrantError(absl::StatusCode code, std::string_view reason, std::string_view message) {
  return MakeError(code, ErrorDomain::kGrant, reason, message);
}

absl::Status AsGrantError(const absl::Status& status) {
  if (status.ok() || GetErrorDomain(status) != ErrorDomain::kToken) return status;
  return GrantError(status.code(), ErrorReason(status), base::AsStd(status.message()));
}

}  // namespace grant_internal

namespace {

using grant_internal::AsGrantError;
using grant_internal::GrantError;

absl::Status InvalidRequest(std::string_view message) {
  return GrantError(absl::StatusCode::kInvalidArgument, "invalid_request", message);
}

void AppendMember(std::string* out, std::string_view name, std::string_view value) {
  out->push_back(',');
  base::AppendJsonString(out, name);
  out->push_back(':');
  base::AppendJsonString(out, value);
}

void AppendList(std::string* out, std::string_view name, const std::vector<std::string>& list) {
  out->push_back(',');
  base::AppendJsonString(out, name);
  out->append(":[");
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out->push_back(',');
    base::AppendJsonString(out, list[i]);
  }
  out->push_back(']');
}

bool AnyEmpty(const std::vector<std::string>& list) {
  for (const std::string& s : list) {
    if (s.empty()) return true;
  }
  return false;
}

class Issuer final : public GrantIssuer {
 public:
  Issuer(token::JwsKey key, token::Algorithm alg, GrantIssuerOptions options)
      : key_(std::move(key)), alg_(alg), options_(std::move(options)) {
    const std::string header = token::MakeHeaderJson(
        alg_,
        options_.key_id.empty() ? std::nullopt : std::optional<std::string_view>(options_.key_id),
        kGrantType);
    header_b64_dot_ = absl::StrCat(base::Base64UrlEncode(header), ".");
  }

  absl::StatusOr<IssuedGrant> Issue(const GrantRequest& request, absl::Time now) const override {
    if (request.subject.empty()) return InvalidRequest("the subject is empty");
    if (request.operations.empty()) return InvalidRequest("a grant needs at least one operation");
    if (AnyEmpty(request.operations) || AnyEmpty(request.datasets)) {
      return InvalidRequest("dataset and operation names must not be empty");
    }
    if (request.model && request.model->empty()) return InvalidRequest("the model name is empty");
    if (request.ttl <= absl::ZeroDuration() || request.ttl > options_.max_ttl) {
      return InvalidRequest("the ttl must be positive and at most max_ttl");
    }
    absl::StatusOr<std::string> random = base::RandomBytes(16);
    if (!random.ok()) return random.status();
    IssuedGrant out;
    out.id = base::Hex(*random);
    const int64_t iat = absl::ToUnixSeconds(now);
    const int64_t exp = iat + absl::ToInt64Seconds(absl::Ceil(request.ttl, absl::Seconds(1)));
    out.expires_at = absl::FromUnixSeconds(exp);

    std::string payload;
    payload.reserve(256);
    payload.append("{\"iss\":");
    base::AppendJsonString(&payload, options_.issuer);
    AppendMember(&payload, "sub", request.subject);
    absl::StrAppend(&payload, ",\"iat\":", iat, ",\"exp\":", exp);
    AppendMember(&payload, "jti", out.id);
    AppendList(&payload, grant_internal::kClaimDatasets, request.datasets);
    AppendList(&payload, grant_internal::kClaimOperations, request.operations);
    if (request.model) AppendMember(&payload, grant_internal::kClaimModel, *request.model);
    if (!request.request_id.empty()) {
      AppendMember(&payload, grant_internal::kClaimRequestId, request.request_id);
    }
    if (!request.approval_id.empty()) {
      AppendMember(&payload, grant_internal::kClaimApprovalId, request.approval_id);
    }
    payload.push_back('}');

    std::string token = header_b64_dot_;
    token.append(base::Base64UrlEncode(payload));
    absl::StatusOr<std::string> signature = token::Sign(key_, alg_, token);
    if (!signature.ok()) return AsGrantError(signature.status());
    token.push_back('.');
    token.append(base::Base64UrlEncode(*signature));
    out.token = std::move(token);

    if (options_.audit != nullptr) {
      AuditEvent event;
      event.type = std::string(audit_type::kGrantIssued);
      event.time = now;
      event.subject = request.subject;
      event.request_id = request.request_id;
      if (request.model) event.model = *request.model;
      if (request.datasets.size() == 1) event.dataset = request.datasets[0];
      if (request.operations.size() == 1) event.operation = request.operations[0];
      event.decision = "issued";
      event.Set(audit_field::kGrantId, out.id)
          .Set("datasets", request.datasets)
          .Set("operations", request.operations)
          .Set("expires_at", exp)
          .Set("algorithm", std::string(token::AlgorithmName(alg_)));
      if (!request.approval_id.empty()) {
        event.Set(audit_field::kTicketId, request.approval_id);
      }
      if (absl::Status s = options_.audit->Write(event); !s.ok()) return s;
    }
    return out;
  }

  std::string_view Algorithm() const override { return token::AlgorithmName(alg_); }

 private:
  const token::JwsKey key_;
  const token::Algorithm alg_;
  const GrantIssuerOptions options_;
  std::string header_b64_dot_;
};

absl::Status BadKey(std::string_view message) {
  return GrantError(absl::StatusCode::kInvalidArgument, "bad_key", message);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const GrantIssuer>> GrantIssuer::Create(const GrantKey& key,
                                                                       GrantIssuerOptions options) {
  if (options.issuer.empty() || options.max_ttl <= absl::ZeroDuration()) {
    return GrantError(absl::StatusCode::kInvalidArgument, "invalid_options",
                      "GrantIssuerOptions: issuer must be set and max_ttl positive");
  }
  const std::optional<std::string> kid =
      options.key_id.empty() ? std::nullopt : std::optional<std::string>(options.key_id);
  switch (key.kind) {
    case GrantKey::Kind::kSecret: {
      absl::StatusOr<token::JwsKey> k =
          token::JwsKey::FromSecret(key.material.Reveal(), token::Algorithm::kHS256, kid);
      if (!k.ok()) return BadKey("an HS256 secret must be at least 32 bytes");
      return std::shared_ptr<const GrantIssuer>(
          std::make_shared<Issuer>(*std::move(k), token::Algorithm::kHS256, std::move(options)));
    }
    case GrantKey::Kind::kPem: {
      absl::StatusOr<token::JwsKey> k = token::JwsKey::FromPem(
          key.material.Reveal(), token::KeyPart::kPrivate, std::nullopt, kid);
      if (!k.ok()) return BadKey("the PEM text is not a usable private key");
      if (k->type() == token::KeyType::kEc && k->curve() == token::Curve::kP256) {
        return std::shared_ptr<const GrantIssuer>(
            std::make_shared<Issuer>(*std::move(k), token::Algorithm::kES256, std::move(options)));
      }
      if (k->type() == token::KeyType::kOkp && k->curve() == token::Curve::kEd25519) {
        return std::shared_ptr<const GrantIssuer>(
            std::make_shared<Issuer>(*std::move(k), token::Algorithm::kEdDSA, std::move(options)));
      }
      return BadKey("grants are signed with P-256 (ES256) or Ed25519 (EdDSA) keys");
    }
    case GrantKey::Kind::kJwks:
      break;
  }
  return BadKey("an issuer takes a private PEM key or an HMAC secret, not a JWKS");
}

}  // namespace jitguard
