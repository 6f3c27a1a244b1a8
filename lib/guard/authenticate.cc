// Step 1 of the request path: the bearer token.
#include <string>

#include "jitguard/status.h"
#include "lib/guard/steps.h"
#include "simdjson.h"

namespace jitguard::guard {
namespace {

// The `sid` claim of a verified token's payload, "" when absent.
std::string SessionClaim(const std::string& claims_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view sid;
  if (parser.parse(claims_json).get(doc) != simdjson::SUCCESS) return "";
  if (doc["sid"].get(sid) != simdjson::SUCCESS) return "";
  return std::string(sid);
}

}  // namespace

absl::StatusOr<Identity> Authenticate(const TokenVerifier& verifier, std::string_view token,
                                      EventLog& log, Metrics& metrics) {
  absl::StatusOr<Identity> identity = verifier.Verify(token, log.now());
  if (identity.ok()) return identity;
  const std::string reason = ErrorReason(identity.status());
  metrics.Add(Counter::kTokenRejections, reason);
  if (absl::Status s = log.Write(audit_type::kTokenRejected, {.reason = reason}); !s.ok()) return s;
  return identity.status();
}

std::string SessionOf(std::string_view requested, const Identity& identity,
                      std::string_view request_id) {
  if (!requested.empty()) return std::string(requested);
  std::string sid = SessionClaim(identity.claims_json);
  if (!sid.empty()) return sid;
  if (!identity.token_id.empty()) return identity.token_id;
  return std::string(request_id);
}

}  // namespace jitguard::guard
