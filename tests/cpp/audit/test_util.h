// Helpers shared by the audit tests.
#ifndef JITGUARD_TESTS_CPP_AUDIT_TEST_UTIL_H_
#define JITGUARD_TESTS_CPP_AUDIT_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "jitguard/audit.h"

namespace jitguard::audit_test {

inline AuditEvent MakeEvent(int i, std::string session = "s-1") {
  AuditEvent e;
  e.type = std::string(audit_type::kPolicyDecision);
  e.time = absl::FromUnixMicros(1'800'000'000'000'000 + i);
  e.session_id = std::move(session);
  e.request_id = absl::StrCat("r-", i);
  e.subject = "alice";
  e.groups = {"analysts", "eu"};
  e.model = "llama-3-70b";
  e.dataset = "claims";
  e.operation = "infer";
  e.decision = "permit";
  e.rules = {"allow-analysts"};
  e.Set("n", i).Set(std::string(audit_field::kInputTokens), 12);
  return e;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// The lines of a file without their newlines (a torn tail is kept as the last element).
inline std::vector<std::string> ReadLines(const std::string& path) {
  std::string data = ReadFile(path);
  std::vector<std::string> lines = absl::StrSplit(data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

inline void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string data;
  for (const auto& l : lines) absl::StrAppend(&data, l, "\n");
  WriteFile(path, data);
}

}  // namespace jitguard::audit_test

#endif  // JITGUARD_TESTS_CPP_AUDIT_TEST_UTIL_H_
