// The policy parser and evaluator on arbitrary input: never crashes, never half-loads, and what it
// accepts evaluates consistently (Evaluate and Explain agree; errors always carry a location).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jitguard/policy.h"
#include "jitguard/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jitguard;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(in);
  if (!policy.ok()) {
    // Every rejection is a policy error of the documented shape "<location>: <problem>".
    if (GetErrorDomain(policy.status()) != ErrorDomain::kPolicy) std::abort();
    if (policy.status().message().find(": ") == std::string_view::npos) std::abort();
    return 0;
  }
  // Derive a request from the input itself so that accepted policies meet matching values.
  PolicyRequest request;
  request.subject = std::string(in.substr(0, 8));
  request.groups = {"admins", std::string(in.substr(size / 2, 6))};
  request.model = "llama-3";
  request.dataset = std::string(in.substr(size / 3, 5));
  request.operation = "infer";
  request.prompt = std::string(in);
  request.attributes = {{"max_tokens", 5000.0}, {"tier", std::string("gold")}, {"flag", true}};
  const Decision d = (*policy)->Evaluate(request);
  const Explanation e = (*policy)->Explain(request);
  if (e.decision.effect != d.effect || e.decision.rules != d.rules ||
      e.decision.reasons != d.reasons)
    std::abort();
  if (e.rules.size() != (*policy)->rule_count()) std::abort();
  if (d.effect == Effect::kDeny && (d.grant_ttl != 0 || !d.approvers.empty())) std::abort();
  if (d.effect != Effect::kDeny && d.grant_ttl <= 0) std::abort();
  return 0;
}
