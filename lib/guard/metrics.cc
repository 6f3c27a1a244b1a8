#include "lib/guard/metrics.h"

#include "absl/strings/str_cat.h"

namespace jitguard::guard {
namespace {

struct CounterInfo {
  const char* metric;
  const char* label;  // "" for an unlabelled counter
  const char* help;
};

constexpr CounterInfo kInfo[] = {
    {"jitguard_decisions_total", "effect", "Policy decisions, by effect."},
    {"jitguard_token_rejections_total", "reason", "Rejected bearer tokens, by reason."},
    {"jitguard_findings_total", "entity", "Values masked in responses, by entity."},
    {"jitguard_approval_tickets_total", "event", "Approval tickets filed and consumed."},
    {"jitguard_grants_issued_total", "", "Just-in-time grants issued."},
};

void AppendEscaped(std::string* out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

void Metrics::Add(Counter counter, std::string_view label, uint64_t n) {
  base::MutexLock lock(&mu_);
  auto& values = values_[static_cast<int>(counter)];
  auto it = values.find(label);
  if (it == values.end()) it = values.emplace(std::string(label), 0).first;
  it->second += n;
}

uint64_t Metrics::Value(Counter counter, std::string_view label) const {
  base::MutexLock lock(&mu_);
  const auto& values = values_[static_cast<int>(counter)];
  auto it = values.find(label);
  return it == values.end() ? 0 : it->second;
}

std::map<std::string, std::map<std::string, uint64_t>> Metrics::Values() const {
  static constexpr const char* kNames[5] = {"decisions", "token_rejections", "findings",
                                            "approvals", "grants"};
  std::map<std::string, std::map<std::string, uint64_t>> out;
  base::MutexLock lock(&mu_);
  for (int i = 0; i < 5; ++i) {
    std::map<std::string, uint64_t>& counter = out[kNames[i]];
    for (const auto& [label, n] : values_[i]) counter[label] = n;
  }
  return out;
}

std::string Metrics::Text(uint64_t queue_depth) const {
  std::string out;
  base::MutexLock lock(&mu_);
  for (int i = 0; i < 5; ++i) {
    const CounterInfo& info = kInfo[i];
    absl::StrAppend(&out, "# HELP ", info.metric, " ", info.help, "\n# TYPE ", info.metric,
                    " counter\n");
    if (*info.label == '\0') {
      uint64_t total = 0;
      for (const auto& [label, n] : values_[i]) total += n;
      absl::StrAppend(&out, info.metric, " ", total, "\n");
      continue;
    }
    for (const auto& [label, n] : values_[i]) {
      absl::StrAppend(&out, info.metric, "{", info.label, "=\"");
      AppendEscaped(&out, label);
      absl::StrAppend(&out, "\"} ", n, "\n");
    }
  }
  absl::StrAppend(&out, "# HELP jitguard_audit_queue_depth Audit records waiting to be written.\n",
                  "# TYPE jitguard_audit_queue_depth gauge\njitguard_audit_queue_depth ",
                  queue_depth, "\n");
  return out;
}

}  // namespace jitguard::guard
