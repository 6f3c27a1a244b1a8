// The stored form of a ticket (Redis value): one JSON object, times in Unix microseconds.
#ifndef JITGUARD_LIB_APPROVAL_CODEC_H_
#define JITGUARD_LIB_APPROVAL_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "jitguard/approval.h"

namespace jitguard::approval {

std::string EncodeTicket(const ApprovalTicket& ticket);

// Inverse of EncodeTicket; "corrupt_ticket" (kDataLoss) for anything it did not write.
absl::StatusOr<ApprovalTicket> DecodeTicket(std::string_view json);

}  // namespace jitguard::approval

#endif  // JITGUARD_LIB_APPROVAL_CODEC_H_
