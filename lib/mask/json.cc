// Masker::MaskJson: parse with simdjson, walk the DOM, write it back minified with string values
// masked (and the values of configured keys masked whole).
#include "lib/base/json.h"

#include <string>

#include "jitguard/status.h"
#include "lib/mask/engine.h"
#include "lib/mask/internal.h"
#include "simdjson.h"

namespace jitguard::mask {
namespace {

class JsonSink final : public Masker::Impl::Sink {
 public:
  JsonSink(const Masker::Impl& impl, std::string_view text, std::string* out, FindingCounts* counts)
      : Sink(text.data(), out), impl_(impl), text_(text), out_(out), counts_(counts) {}
  void Found(size_t begin, size_t end, int rule) override {
    impl_.AppendReplacement(out_, text_.substr(begin, end - begin), rule);
    if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(rule)];
  }

 private:
  const Masker::Impl& impl_;
  std::string_view text_;
  std::string* out_;
  FindingCounts* counts_;
};

class Walker {
 public:
  Walker(const Masker::Impl& impl, FindingCounts* counts) : impl_(impl), counts_(counts) {}

  // `whole_rule` >= 0: inside a configured key, every string and number is masked whole.
  void Emit(simdjson::dom::element el, int whole_rule, std::string* out) {
    switch (el.type()) {
      case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object object = el.get_object().value_unsafe();
        out->push_back('{');
        bool first = true;
        for (simdjson::dom::key_value_pair field : object) {
          if (!first) out->push_back(',');
          first = false;
          base::AppendJsonString(out, field.key);
          out->push_back(':');
          int rule = whole_rule;
          if (rule < 0) {
            std::string lower(field.key);
            for (char& c : lower) c = static_cast<char>(ToLower(static_cast<unsigned char>(c)));
            rule = impl_.RuleOfJsonKey(lower);
          }
          Emit(field.value, rule, out);
        }
        out->push_back('}');
        return;
      }
      case simdjson::dom::element_type::ARRAY: {
        simdjson::dom::array array = el.get_array().value_unsafe();
        out->push_back('[');
        bool first = true;
        for (simdjson::dom::element child : array) {
          if (!first) out->push_back(',');
          first = false;
          Emit(child, whole_rule, out);
        }
        out->push_back(']');
        return;
      }
      case simdjson::dom::element_type::STRING: {
        const std::string_view value = el.get_string().value_unsafe();
        scratch_.clear();
        if (whole_rule >= 0) {
          Whole(value, whole_rule);
        } else {
          JsonSink sink(impl_, value, &scratch_, counts_);
          impl_.Scan(reinterpret_cast<const uint8_t*>(value.data()), value.size(), 0, true, &sink,
                     nullptr);
        }
        base::AppendJsonString(out, scratch_);
        return;
      }
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        if (whole_rule >= 0) {
          const std::string text = simdjson::minify(el);
          scratch_.clear();
          Whole(text, whole_rule);
          base::AppendJsonString(out, scratch_);
          return;
        }
        out->append(simdjson::minify(el));
        return;
      default:  // booleans and null carry no value worth masking
        out->append(simdjson::minify(el));
        return;
    }
  }

 private:
  void Whole(std::string_view value, int rule) {
    impl_.AppendReplacement(&scratch_, value, rule);
    if (counts_ != nullptr) ++(*counts_)[impl_.EntityOfRule(rule)];
  }

  const Masker::Impl& impl_;
  FindingCounts* counts_;
  std::string scratch_;
};

}  // namespace

absl::StatusOr<std::string> MaskJsonDocument(const Masker::Impl& impl, std::string_view json,
                                             FindingCounts* counts) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "invalid_json",
                     "mask_json input is not valid JSON");
  }
  std::string out;
  out.reserve(json.size() + 16);
  FindingCounts local;
  Walker walker(impl, counts != nullptr ? counts : &local);
  walker.Emit(root, -1, &out);
  return out;
}

}  // namespace jitguard::mask
