// Masker::MaskJson: the structure walker in document mode (every string value masked, keys kept,
// configured json_keys masked whole).
#include <string>

#include "jitguard/status.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"
#include "lib/mask/structure.h"
#include "simdjson.h"

namespace jitguard::mask {
namespace {

// Parses `json` with this thread's parser (the document lives until the thread's next parse).
absl::StatusOr<simdjson::dom::element> Parse(std::string_view json, std::string_view what) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "invalid_json",
                     std::string(what) + " is not valid JSON");
  }
  return root;
}

}  // namespace

absl::StatusOr<std::string> MaskJsonDocument(const Masker& masker, std::string_view json,
                                             FindingCounts* counts) {
  absl::StatusOr<simdjson::dom::element> root = Parse(json, "mask_json input");
  if (!root.ok()) return root.status();
  std::string out;
  out.reserve(json.size() + 16);
  FindingCounts local;
  StructureWalker walker(masker, WalkMode::kDocument, nullptr,
                         counts != nullptr ? counts : &local, nullptr, nullptr);
  walker.Walk(*root, &out, nullptr);
  return out;
}

absl::StatusOr<std::string> MaskRequestDocument(const Masker& masker, std::string_view json,
                                                FindingCounts* counts) {
  absl::StatusOr<simdjson::dom::element> root = Parse(json, "the request body");
  if (!root.ok()) return root.status();
  const StructuralRules rules(ImplOf(masker).options().structural_members);
  std::string out;
  out.reserve(json.size() + 16);
  FindingCounts local;
  StructureWalker walker(masker, WalkMode::kRequest, &rules, counts != nullptr ? counts : &local,
                         nullptr, nullptr);
  walker.Walk(*root, &out, nullptr);
  return out;
}

}  // namespace jitguard::mask

namespace jitguard {

absl::StatusOr<std::string> RequestPromptText(std::string_view json) {
  absl::StatusOr<simdjson::dom::element> root = mask::Parse(json, "the request body");
  if (!root.ok()) return root.status();
  static const mask::StructuralRules* const kRules = new mask::StructuralRules(std::nullopt);
  return mask::StructureWalker::RequestText(*root, *kRules);
}

}  // namespace jitguard
