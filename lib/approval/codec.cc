#include "lib/approval/codec.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/json.h"
#include "simdjson.h"

namespace jitguard::approval {
namespace {

constexpr int kVersion = 1;

void AppendKey(std::string* out, std::string_view key) {
  out->push_back(',');
  base::AppendJsonString(out, key);
  out->push_back(':');
}

void AppendStringList(std::string* out, const std::vector<std::string>& list) {
  out->push_back('[');
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out->push_back(',');
    base::AppendJsonString(out, list[i]);
  }
  out->push_back(']');
}

void AppendTime(std::string* out, std::string_view key, absl::Time t) {
  if (t == absl::InfinitePast()) return;  // unset
  AppendKey(out, key);
  absl::StrAppend(out, absl::ToUnixMicros(t));
}

std::string_view StateCode(ApprovalState s) { return ApprovalStateName(s); }

absl::Status Corrupt() {
  return MakeError(absl::StatusCode::kDataLoss, ErrorDomain::kApproval, "corrupt_ticket",
                   "a stored approval ticket could not be decoded");
}

bool GetString(simdjson::dom::object o, std::string_view key, std::string* out) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return false;
  out->assign(v);
  return true;
}

bool GetInt(simdjson::dom::object o, std::string_view key, int64_t* out) {
  return o[key].get_int64().get(*out) == simdjson::SUCCESS;
}

bool GetTime(simdjson::dom::object o, std::string_view key, absl::Time* out, bool optional) {
  int64_t us = 0;
  simdjson::dom::element el;
  if (o[key].get(el) != simdjson::SUCCESS) {
    if (!optional) return false;
    *out = absl::InfinitePast();
    return true;
  }
  if (el.get_int64().get(us) != simdjson::SUCCESS) return false;
  *out = absl::FromUnixMicros(us);
  return true;
}

bool GetStringList(simdjson::dom::object o, std::string_view key, std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (o[key].get_array().get(arr) != simdjson::SUCCESS) return false;
  out->clear();
  for (simdjson::dom::element el : arr) {
    std::string_view s;
    if (el.get_string().get(s) != simdjson::SUCCESS) return false;
    out->emplace_back(s);
  }
  return true;
}

bool ParseState(std::string_view s, ApprovalState* out) {
  for (ApprovalState st :
       {ApprovalState::kPending, ApprovalState::kApproved, ApprovalState::kDenied,
        ApprovalState::kExpired, ApprovalState::kConsumed}) {
    if (ApprovalStateName(st) == s) {
      *out = st;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string EncodeTicket(const ApprovalTicket& t) {
  std::string out;
  out.reserve(512 + t.reason.size());
  absl::StrAppend(&out, "{\"v\":", kVersion);
  AppendKey(&out, "id");
  base::AppendJsonString(&out, t.id);
  AppendKey(&out, "subject");
  base::AppendJsonString(&out, t.subject);
  AppendKey(&out, "digest");
  base::AppendJsonString(&out, t.request_digest);
  AppendKey(&out, "reason");
  base::AppendJsonString(&out, t.reason);
  AppendKey(&out, "groups");
  AppendStringList(&out, t.approver_groups);
  AppendKey(&out, "min");
  absl::StrAppend(&out, t.min_approvals);
  AppendTime(&out, "created", t.created_at);
  AppendTime(&out, "expires", t.expires_at);
  AppendKey(&out, "window_us");
  absl::StrAppend(&out, absl::ToInt64Microseconds(t.access_window));
  AppendTime(&out, "decided", t.decided_at);
  AppendTime(&out, "consumed", t.consumed_at);
  AppendKey(&out, "state");
  base::AppendJsonString(&out, StateCode(t.state));
  AppendKey(&out, "decisions");
  out.push_back('[');
  for (size_t i = 0; i < t.decisions.size(); ++i) {
    const ApprovalDecision& d = t.decisions[i];
    if (i > 0) out.push_back(',');
    out.append("{\"who\":");
    base::AppendJsonString(&out, d.approver);
    AppendKey(&out, "groups");
    AppendStringList(&out, d.groups);
    AppendKey(&out, "verdict");
    base::AppendJsonString(&out, d.verdict == Verdict::kApprove ? "approve" : "deny");
    AppendKey(&out, "at");
    absl::StrAppend(&out, absl::ToUnixMicros(d.at));
    AppendKey(&out, "comment");
    base::AppendJsonString(&out, d.comment);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

absl::StatusOr<ApprovalTicket> DecodeTicket(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return Corrupt();
  simdjson::dom::object o;
  if (root.get_object().get(o) != simdjson::SUCCESS) return Corrupt();
  int64_t version = 0, min = 0, window_us = 0;
  std::string state;
  ApprovalTicket t;
  if (!GetInt(o, "v", &version) || version != kVersion || !GetString(o, "id", &t.id) ||
      !GetString(o, "subject", &t.subject) || !GetString(o, "digest", &t.request_digest) ||
      !GetString(o, "reason", &t.reason) || !GetStringList(o, "groups", &t.approver_groups) ||
      !GetInt(o, "min", &min) || !GetTime(o, "created", &t.created_at, false) ||
      !GetTime(o, "expires", &t.expires_at, false) || !GetInt(o, "window_us", &window_us) ||
      !GetTime(o, "decided", &t.decided_at, true) ||
      !GetTime(o, "consumed", &t.consumed_at, true) || !GetString(o, "state", &state) ||
      !ParseState(state, &t.state) || min < 1 || min > 100) {
    return Corrupt();
  }
  t.min_approvals = static_cast<int>(min);
  t.access_window = absl::Microseconds(window_us);
  simdjson::dom::array decisions;
  if (o["decisions"].get_array().get(decisions) != simdjson::SUCCESS) return Corrupt();
  for (simdjson::dom::element el : decisions) {
    simdjson::dom::object d;
    if (el.get_object().get(d) != simdjson::SUCCESS) return Corrupt();
    ApprovalDecision decision;
    std::string verdict;
    if (!GetString(d, "who", &decision.approver) || !GetStringList(d, "groups", &decision.groups) ||
        !GetString(d, "verdict", &verdict) || !GetTime(d, "at", &decision.at, false) ||
        !GetString(d, "comment", &decision.comment) ||
        (verdict != "approve" && verdict != "deny")) {
      return Corrupt();
    }
    decision.verdict = verdict == "approve" ? Verdict::kApprove : Verdict::kDeny;
    t.decisions.push_back(std::move(decision));
  }
  return t;
}

}  // namespace jitguard::approval
