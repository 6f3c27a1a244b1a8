#include "jitguard/status.h"

#include <algorithm>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/strings.h"

namespace jitguard {
namespace {

constexpr std::string_view kReasonUrl = "type.googleapis.com/jitguard.Reason";
constexpr std::string_view kDomainUrl = "type.googleapis.com/jitguard.Domain";
constexpr std::string_view kFieldUrlPrefix = "type.googleapis.com/jitguard.Field/";

constexpr std::pair<ErrorDomain, std::string_view> kDomains[] = {
    {ErrorDomain::kInternal, "internal"}, {ErrorDomain::kConfig, "config"},
    {ErrorDomain::kMask, "mask"},         {ErrorDomain::kToken, "token"},
    {ErrorDomain::kPolicy, "policy"},     {ErrorDomain::kGrant, "grant"},
    {ErrorDomain::kApproval, "approval"}, {ErrorDomain::kAudit, "audit"},
    {ErrorDomain::kAccess, "access"},
};

}  // namespace

std::string_view DomainName(ErrorDomain domain) {
  for (const auto& [d, name] : kDomains) {
    if (d == domain) return name;
  }
  return "internal";
}

ErrorDomain DomainFromName(std::string_view name) {
  for (const auto& [d, n] : kDomains) {
    if (n == name) return d;
  }
  return ErrorDomain::kInternal;
}

absl::Status MakeError(absl::StatusCode code, ErrorDomain domain, std::string_view reason,
                       std::string_view message) {
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  absl::Status status(code, base::AsAbsl(message));
  status.SetPayload(base::AsAbsl(kReasonUrl), absl::Cord(base::AsAbsl(reason)));
  status.SetPayload(base::AsAbsl(kDomainUrl), absl::Cord(base::AsAbsl(DomainName(domain))));
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  if (status.ok()) return "";
  absl::optional<absl::Cord> reason = status.GetPayload(base::AsAbsl(kReasonUrl));
  return reason ? std::string(*reason) : "internal";
}

ErrorDomain GetErrorDomain(const absl::Status& status) {
  absl::optional<absl::Cord> domain = status.GetPayload(base::AsAbsl(kDomainUrl));
  return domain ? DomainFromName(std::string(*domain)) : ErrorDomain::kInternal;
}

void SetErrorField(absl::Status* status, std::string_view name, std::string_view value) {
  if (status == nullptr || status->ok()) return;
  status->SetPayload(absl::StrCat(base::AsAbsl(kFieldUrlPrefix), base::AsAbsl(name)),
                     absl::Cord(base::AsAbsl(value)));
}

std::vector<std::pair<std::string, std::string>> ErrorFields(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> fields;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    if (absl::StartsWith(url, base::AsAbsl(kFieldUrlPrefix))) {
      fields.emplace_back(std::string(url.substr(kFieldUrlPrefix.size())), std::string(value));
    }
  });
  std::sort(fields.begin(), fields.end());
  return fields;
}

std::string ErrorField(const absl::Status& status, std::string_view name) {
  absl::optional<absl::Cord> value =
      status.GetPayload(absl::StrCat(base::AsAbsl(kFieldUrlPrefix), base::AsAbsl(name)));
  return value ? std::string(*value) : std::string();
}

}  // namespace jitguard
