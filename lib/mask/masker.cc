// The public Masker API over the scanning core (engine.cc).
#include <array>

#include "absl/strings/str_cat.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"

namespace jitguard {
namespace {

constexpr std::array<std::string_view, mask::kNumBuiltinEntities> kBuiltinEntities = {
    "EMAIL", "PHONE", "US_SSN",         "NATIONAL_ID", "DATE_OF_BIRTH", "CREDIT_CARD", "CRYPTO_WALLET", "IPV4",
    "IPV6",  "MAC_ADDRESS", "IBAN", "AWS_ACCESS_KEY", "API_KEY", "JWT", "PRIVATE_KEY"};

// Writes masked output into a string (and counts findings).
class AppendSink final : public Masker::Impl::Sink {
 public:
  AppendSink(const Masker::Impl& impl, const char* base, std::string* out, FindingCounts* counts)
      : Sink(base, out), impl_(impl), base_(base), out_(out), counts_(counts) {}
  void Found(size_t begin, size_t end, int rule) override {
    impl_.AppendReplacement(out_, std::string_view(base_ + begin, end - begin), rule);
    if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(rule)];
  }

 private:
  const Masker::Impl& impl_;
  const char* base_;
  std::string* out_;
  FindingCounts* counts_;
};

class FindSink final : public Masker::Impl::Sink {
 public:
  FindSink(const Masker::Impl& impl, std::vector<Finding>* out)
      : Sink(nullptr, nullptr), impl_(impl), out_(out) {}
  void Found(size_t begin, size_t end, int rule) override {
    out_->push_back(Finding{impl_.EntityOfRule(rule), begin, end, impl_.NameOfRule(rule)});
  }

 private:
  const Masker::Impl& impl_;
  std::vector<Finding>* out_;
};

}  // namespace

std::span<const std::string_view> BuiltinEntities() { return kBuiltinEntities; }

bool IsBuiltinEntity(std::string_view name) {
  for (std::string_view e : kBuiltinEntities) {
    if (e == name) return true;
  }
  return false;
}

absl::StatusOr<MaskStyle> ParseMaskStyle(std::string_view name) {
  if (name == "label") return MaskStyle::kLabel;
  if (name == "redact") return MaskStyle::kRedact;
  if (name == "partial") return MaskStyle::kPartial;
  if (name == "hash") return MaskStyle::kHash;
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "bad_style",
                   absl::StrCat("unknown mask style '", base::AsAbsl(name.substr(0, 32)),
                                "'; expected label, redact, partial or hash"));
}

std::string_view MaskStyleName(MaskStyle style) {
  switch (style) {
    case MaskStyle::kLabel:
      return "label";
    case MaskStyle::kRedact:
      return "redact";
    case MaskStyle::kPartial:
      return "partial";
    case MaskStyle::kHash:
      return "hash";
  }
  return "label";
}

absl::StatusOr<Validator> ParseValidator(std::string_view name) {
  if (name == "none" || name.empty()) return Validator::kNone;
  if (name == "luhn") return Validator::kLuhn;
  if (name == "mod97") return Validator::kMod97;
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig, "bad_validator",
                   absl::StrCat("unknown validator '", base::AsAbsl(name.substr(0, 32)),
                                "'; expected none, luhn or mod97"));
}

Masker::Masker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<const Masker> mask::MaskerAccess::Make(std::unique_ptr<Masker::Impl> impl) {
  return std::shared_ptr<const Masker>(new Masker(std::move(impl)));
}
Masker::~Masker() = default;

absl::StatusOr<std::shared_ptr<const Masker>> Masker::Create(MaskerOptions options) {
  absl::StatusOr<const mask::Implementation*> simd = mask::SelectedImplementation();
  if (!simd.ok()) return simd.status();
  return mask::CreateMaskerWith(std::move(options), *simd);
}

absl::StatusOr<std::shared_ptr<const Masker>> mask::CreateMaskerWith(MaskerOptions options,
                                                                     const Implementation* simd) {
  absl::StatusOr<std::unique_ptr<Masker::Impl>> impl =
      Masker::Impl::Build(std::move(options), simd);
  if (!impl.ok()) return impl.status();
  return mask::MaskerAccess::Make(*std::move(impl));
}

std::string Masker::Mask(std::string_view text) const {
  std::string out;
  out.reserve(text.size() + 16);
  MaskAppend(text, &out, nullptr);
  return out;
}

void Masker::MaskAppend(std::string_view text, std::string* out) const {
  MaskAppend(text, out, nullptr);
}

void Masker::MaskAppend(std::string_view text, std::string* out, FindingCounts* counts) const {
  AppendSink sink(*impl_, text.data(), out, counts);
  impl_->Scan(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0, /*final=*/true,
               /*after_finding=*/false, &sink,
              nullptr);
}

std::vector<Finding> Masker::Find(std::string_view text) const {
  std::vector<Finding> findings;
  FindSink sink(*impl_, &findings);
  impl_->Scan(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0, /*final=*/true,
               /*after_finding=*/false, &sink,
              nullptr);
  return findings;
}

absl::StatusOr<std::string> Masker::MaskJson(std::string_view json) const {
  return MaskJson(json, nullptr);
}

absl::StatusOr<std::string> Masker::MaskJson(std::string_view json, FindingCounts* counts) const {
  return mask::MaskJsonDocument(*this, json, counts);
}

absl::StatusOr<std::string> Masker::MaskRequestJson(std::string_view json) const {
  return MaskRequestJson(json, nullptr);
}

absl::StatusOr<std::string> Masker::MaskRequestJson(std::string_view json,
                                                    FindingCounts* counts) const {
  return mask::MaskRequestDocument(*this, json, counts);
}

std::unique_ptr<MaskStream> Masker::NewStream() const {
  return mask::NewMaskStream(shared_from_this());
}

std::unique_ptr<ResponseMaskStream> Masker::NewResponseStream(ResponseFraming framing) const {
  return mask::NewResponseMaskStream(shared_from_this(), framing);
}

std::unique_ptr<ResponseMaskStream> Masker::NewSseStream() const {
  return NewResponseStream(ResponseFraming::kSse);
}

std::vector<std::string> Masker::Entities() const { return impl_->Entities(); }
MaskStyle Masker::style() const { return impl_->options().style; }
size_t Masker::max_held_bytes() const { return impl_->options().max_held_bytes; }

}  // namespace jitguard
