// The events behind the audit-log fixtures in tests/data/audit/ (see its README): written by the
// file sink of jitguard 0.1.0 as it hashed chains before the HMAC moved to EVP_MAC. The test in
// legacy_chain_test.cc checks that those logs still verify and that today's sink writes the same
// events byte for byte.
#ifndef JITGUARD_TESTS_CPP_AUDIT_LEGACY_EVENTS_H_
#define JITGUARD_TESTS_CPP_AUDIT_LEGACY_EVENTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "jitguard/audit.h"

namespace jitguard::testing {

// Fixed times and every value kind, including non-ASCII text and JSON escapes.
inline std::vector<AuditEvent> LegacyEvents() {
  std::vector<AuditEvent> events;
  for (int i = 0; i < 7; ++i) {
    AuditEvent e;
    e.type = i % 2 == 0 ? "policy.decision" : "inference.response";
    e.time = absl::FromUnixMillis(1767225600000 + 1234 * i);  // 2026-01-01T00:00:00Z + i * 1.234 s
    e.session_id = "sess-" + std::to_string(i / 3);
    e.request_id = "req-" + std::to_string(i);
    e.subject = "alice";
    e.groups = {"analysts", "eu"};
    e.model = "gpt-x";
    e.dataset = "sales";
    e.operation = "read";
    e.decision = i == 3 ? "deny" : "permit";
    e.rules = {"r" + std::to_string(i)};
    e.fields.emplace_back("reason", AuditValue(i == 3 ? "no_permit" : ""));
    e.fields.emplace_back("gen_ai.usage.input_tokens", AuditValue(100 + i));
    e.fields.emplace_back("ratio", AuditValue(0.25 * i));
    e.fields.emplace_back("streamed", AuditValue(i % 2 == 1));
    e.fields.emplace_back("response", AuditValue("caf\xC3\xA9 \"quoted\"\n\t<EMAIL_1> \xE2\x9C\x93"));
    e.fields.emplace_back("gen_ai.response.finish_reasons",
                          AuditValue(std::vector<std::string>{"stop"}));
    e.fields.emplace_back("findings",
                          AuditValue::Object({{"EMAIL", AuditValue(i)}, {"IBAN", AuditValue(0)}}));
    e.fields.emplace_back("note", AuditValue());
    events.push_back(std::move(e));
  }
  return events;
}

// The chain keys of the fixtures: none (plain SHA-256), a 32-byte key, and a key longer than the
// SHA-256 block (HMAC hashes it first).
inline const std::vector<std::pair<std::string, std::string>>& LegacyKeys() {
  static const auto* keys = new std::vector<std::pair<std::string, std::string>>{
      {"sha256.log", ""},
      {"hmac32.log", "0123456789abcdef0123456789abcdef"},
      {"hmac100.log", std::string(100, 'k')},
  };
  return *keys;
}

}  // namespace jitguard::testing

#endif  // JITGUARD_TESTS_CPP_AUDIT_LEGACY_EVENTS_H_
