// ResponseGuard implementations: a plain-text stream and an OpenAI SSE stream, each masked with one
// profile's Masker and audited (inference.response) when finished.
#ifndef JITGUARD_LIB_GUARD_RESPONSE_H_
#define JITGUARD_LIB_GUARD_RESPONSE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"

namespace jitguard::guard {

// Called once by Finish with the masked response text and the finding counts.
using ResponseSink = std::function<absl::Status(const std::string& masked_text,
                                                const FindingCounts& counts, absl::Time now)>;

std::unique_ptr<ResponseGuard> NewTextResponse(std::shared_ptr<const Masker> masker,
                                               ResponseSink sink);
std::unique_ptr<ResponseGuard> NewSseResponse(std::shared_ptr<const Masker> masker,
                                              ResponseSink sink);

// Appends the text of every choice (delta.content, text, message.content) of the complete SSE
// events in `*pending` to `*text`, leaving an incomplete trailing event in `*pending`.
void CollectSseText(std::string* pending, std::string* text);

}  // namespace jitguard::guard

#endif  // JITGUARD_LIB_GUARD_RESPONSE_H_
