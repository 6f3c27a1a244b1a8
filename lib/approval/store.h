// The storage seam behind ApprovalStore: a backend only stores tickets and makes "load, apply the
// rules, save" atomic; the rules (rules.h) and the audit events live once, in the shared store.
#ifndef JITGUARD_LIB_APPROVAL_STORE_H_
#define JITGUARD_LIB_APPROVAL_STORE_H_

#include <memory>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jitguard/approval.h"

namespace jitguard::approval {

class TicketBackend {
 public:
  virtual ~TicketBackend() = default;
  // Stores a new ticket, kept until LastDeadline(ticket) + retention.
  virtual absl::Status Insert(const ApprovalTicket& ticket, absl::Time now) = 0;
  // The stored ticket (state as stored). "not_found" when absent.
  virtual absl::StatusOr<ApprovalTicket> Load(std::string_view id) = 0;
  // Atomically loads the ticket, runs `mutate` on it and, when that returns OK, saves the result.
  // Returns the mutated ticket, or mutate's refusal. `mutate` may run more than once (Redis retries
  // on a conflicting write); it must only depend on the ticket it is given.
  virtual absl::StatusOr<ApprovalTicket> Update(
      std::string_view id, absl::Time now,
      absl::FunctionRef<absl::Status(ApprovalTicket&)> mutate) = 0;
  virtual std::string_view Name() const = 0;
};

// The ApprovalStore over `backend`.
std::shared_ptr<ApprovalStore> MakeStore(std::unique_ptr<TicketBackend> backend,
                                         ApprovalStoreOptions options);

}  // namespace jitguard::approval

#endif  // JITGUARD_LIB_APPROVAL_STORE_H_
