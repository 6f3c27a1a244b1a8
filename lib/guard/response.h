// ResponseGuard implementations: a plain-text stream, and a structured body (SSE, NDJSON or JSON)
// masked by the Masker's ResponseMaskStream; each audited (inference.response) when finished with
// the masked text the client was sent.
#ifndef JITGUARD_LIB_GUARD_RESPONSE_H_
#define JITGUARD_LIB_GUARD_RESPONSE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"

namespace jitguard::guard {

// How a response ended.
enum class ResponseEnd { kComplete, kAborted };

// Called once by Finish or Abort with the masked text that was sent and the finding counts.
using ResponseSink = std::function<absl::Status(const std::string& masked_text,
                                                const FindingCounts& counts, absl::Time now,
                                                ResponseEnd end)>;

std::unique_ptr<ResponseGuard> NewTextResponse(std::shared_ptr<const Masker> masker,
                                               ResponseSink sink);
// `framing`: how the body is framed (SSE, NDJSON, JSON).
std::unique_ptr<ResponseGuard> NewStructuredResponse(std::shared_ptr<const Masker> masker,
                                                     ResponseFraming framing, ResponseSink sink);

// The audit text of a transcript: the choices' texts in index order, separated by a blank line.
std::string TranscriptText(const ResponseTranscript& transcript);

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_RESPONSE_H_
