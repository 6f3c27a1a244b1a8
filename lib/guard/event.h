// The Guard's audit records: one builder for every event the request path writes, with typed
// fields, and the per-request log the pipeline steps write through.
#ifndef JITGUARD_LIB_GUARD_EVENT_H_
#define JITGUARD_LIB_GUARD_EVENT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "jitguard/audit.h"
#include "jitguard/mask.h"
#include "jitguard/token.h"

namespace jitguard::guard {

// What every record of one request carries (empty fields are left out of the record).
struct RequestScope {
  std::string request_id{};
  std::string session_id{};
  std::string subject{};
  std::vector<std::string> groups{};
  std::string model{};
  std::string dataset{};
  std::string operation{};
  std::string ticket_id{};  // Decide: the ticket the call is about (EventFields::ticket_id wins)
};

// What one step adds to its record. Unset members are left out; the extra fields are written in
// the order of the members below, whatever the event type. Views must outlive the BuildEvent call.
struct EventFields {
  std::string_view decision{};
  const std::vector<std::string>* rules = nullptr;
  std::string_view mask_profile{};
  std::string_view grant_id{};
  std::optional<absl::Time> expires_at{};  // written as RFC 3339 seconds, UTC
  std::string_view ticket_id{};
  std::string_view approver{};
  const std::vector<std::string>* approvers = nullptr;
  std::optional<std::string_view> reason{};    // written when set, even when empty
  std::optional<std::string_view> prompt{};    // masked; written even when empty
  std::optional<std::string_view> response{};  // masked; written even when empty
  const FindingCounts* findings = nullptr;     // an object: entity -> count
};

// The one place an audit event of the request path is put together.
AuditEvent BuildEvent(std::string_view type, const RequestScope& scope, const EventFields& fields,
                      absl::Time now);

// One request's audit log: the sink, the request's scope (filled in as the steps learn who is
// calling) and the request's time. Not thread-safe: one per request.
class EventLog {
 public:
  EventLog(AuditSink* sink, RequestScope scope, absl::Time now)
      : sink_(sink), scope_(std::move(scope)), now_(now) {}

  // Writes one record; the sink's error when it fails (nothing goes on without its record).
  absl::Status Write(std::string_view type, const EventFields& fields) const {
    return sink_->Write(BuildEvent(type, scope_, fields, now_));
  }
  // After authentication: who the records are about from now on.
  void Identify(const Identity& identity, std::string session_id) {
    scope_.subject = identity.subject;
    scope_.groups = identity.groups;
    scope_.session_id = std::move(session_id);
  }
  const RequestScope& scope() const { return scope_; }
  absl::Time now() const { return now_; }

 private:
  AuditSink* sink_;
  RequestScope scope_;
  absl::Time now_;
};

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_EVENT_H_
