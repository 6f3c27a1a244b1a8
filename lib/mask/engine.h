// The scanning core shared by Mask, Find, MaskStream, MaskJson and the SSE stream.
//
// Scan() walks a buffer from `begin`: the SIMD prefilter jumps to the next trigger byte (a byte
// every finding's first span must contain: digits, '@', '_', '-', ':', 'A', 'J', plus the first
// bytes of custom rules and terms); the span around it (delimited by whitespace, and by bytes no
// built-in value contains when there are no custom rules or terms) is examined at each candidate
// start (a position whose previous byte is not an ASCII letter or digit). At a candidate every
// detector that can start with that byte runs anchored; the longest match wins, ties go to the
// earlier detector in priority order (custom rules, term lists, then the built-ins in
// BuiltinEntities() order; between built-ins of equal length a context-confirmed rule wins:
// mask::PreferHit). Scanning resumes after the match. Spans without a trigger are copied
// in bulk.
//
// In a non-final scan a detector that had to read past the end of the buffer has not decided;
// Scan then stops at that candidate and returns its position: everything before is final (it does
// not depend on later bytes), everything from there on is held. The same holds for the last span
// when it is not yet terminated: it is examined with every detector, and stops at the first
// undecided candidate. Detectors look back at most kMaxLookbehind bytes, so a stream only keeps
// that much of what it already emitted. docs/masking.md has the argument why the concatenated
// output equals the one-shot scan.
#ifndef JITGUARD_LIB_MASK_ENGINE_H_
#define JITGUARD_LIB_MASK_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "jitguard/mask.h"
#include "lib/mask/builtin.h"
#include "lib/mask/simd.h"
#include "lib/mask/terms.h"
#include "re2/re2.h"

namespace jitguard {
namespace mask {
// A stream keeps at most this many emitted bytes as raw left context when the last
// kMaxLookbehind bytes of it are not ASCII (code points folding to nothing make the folded context
// shorter); beyond, it keeps the folded context instead (the same bytes to every detector).
inline constexpr size_t kMaxContextBytes = 1024;
}  // namespace mask

class Masker::Impl {
 public:
  // Receives the scan result in order: clean byte ranges and findings. Clean ranges are copied
  // straight from the scanned buffer to an output string (no virtual call per range: a stream
  // hands one to it on every Write).
  class Sink {
   public:
    virtual ~Sink() = default;
    void Clean(size_t begin, size_t end) {
      if (clean_out_ != nullptr) clean_out_->append(clean_base_ + begin, end - begin);
    }
    virtual void Found(size_t begin, size_t end, int rule) = 0;
    // Where the scan resumes after a finding that ended at `end` (the scanned buffer is the text).
    size_t ResumeAfter(size_t end) const { return end; }

   protected:
    // `base` is the scanned buffer; clean bytes are appended to `out` (dropped when null).
    Sink(const char* base, std::string* out) : clean_base_(base), clean_out_(out) {}

   private:
    const char* clean_base_;
    std::string* clean_out_;
  };

  static absl::StatusOr<std::unique_ptr<Impl>> Build(MaskerOptions options,
                                                     const mask::Implementation* simd);

  // Scans p[begin, n) (p[0, begin) is context already consumed). Returns where it stopped: n when
  // everything was decided (always when `final`), else the first undecided candidate; then
  // `*pending_rule` names the rule of a detector that was undecided there. Where a finding ends,
  // the next byte may start a candidate whatever the finding's last byte was (a value glued to
  // another is found too); `after_finding` says that `begin` is such a place (a stream resuming
  // where its previous scan stopped right after a finding).
  size_t Scan(const uint8_t* p, size_t n, size_t begin, bool final, bool after_finding, Sink* sink,
              int* pending_rule) const;

  // Where a stream must keep the text it already emitted from, to give a scan starting at `at`
  // (a code point start) the same left context as the one-shot scan: the code points that fold
  // to the last kMaxLookbehind bytes before `at` (all of p[0, at) when they fold to fewer).
  size_t ContextStart(const uint8_t* p, size_t at) const;

  // What a non-final Scan from `scan` does when p[scan, n) holds no trigger byte: everything
  // before the returned position is clean; n = nothing held; kExamineTail = the unfinished last
  // word is long and Scan examines it with the detectors (only Scan can say where it stops);
  // otherwise the position where the short last word's first candidate starts (held, its rule in
  // *pending_rule). `word` is one past the last delimiter in [scan, n), or scan.
  static constexpr size_t kExamineTail = ~size_t{0};
  // `resume_at` is a position right after a finding (a candidate start whatever precedes it), or
  // kNoResume.
  static constexpr size_t kNoResume = ~size_t{0};
  size_t HoldOfTriggerFreeTail(const uint8_t* p, size_t n, size_t scan, size_t word,
                               size_t resume_at, int* pending_rule) const;
  // The trigger bytes (the prefilter's set).
  const mask::ByteSet& triggers() const { return triggers_; }

  // Appends the replacement of `value` (a finding of `rule`).
  void AppendReplacement(std::string* out, std::string_view value, int rule) const;
  // What a stream emits for bytes of a finding after its first piece was already replaced (the
  // fail-closed continuation): '*' per character for kRedact, nothing otherwise.
  void AppendContinuation(std::string* out, std::string_view value) const;

  const std::string& EntityOfRule(int rule) const { return rule_entity_[rule]; }
  const std::string& NameOfRule(int rule) const { return rule_name_[rule]; }
  int RuleOfJsonKey(std::string_view key_lower) const;  // -1 when the key is not configured
  // A JSON member holding a secret under its key name (mask::SecretRuleOfMember, for the enabled
  // AWS_ACCESS_KEY and API_KEY; not an allowlisted value): the rule, or -1.
  int RuleOfSecretMember(std::string_view key, std::string_view value) const;
  bool IsPemRule(int rule) const { return rule == mask::kRulePem; }
  bool IsDelimiter(uint8_t c) const { return delimiters_.contains[c]; }
  // AWS_ACCESS_KEY's or API_KEY's key-value rules are on (HoldOfTriggerFreeTail then reads up to
  // kKeyLeadBytes before the unfinished word for a "key: " lead).
  bool HasKeyValueRules() const { return kv_bits_ != 0; }
  static constexpr size_t kKeyLeadBytes = 32;

  const MaskerOptions& options() const { return options_; }
  std::vector<std::string> Entities() const;
  const mask::Implementation* simd() const { return simd_; }

 private:
  struct Custom {
    std::string name;
    std::unique_ptr<RE2> re;
    Validator validator;
    std::vector<std::string> context;             // lowercase
    std::vector<std::string_view> context_views;  // into `context` (heap storage: stable on move)
  };
  // A detector in priority order.
  struct Detector {
    // kSlot: a built-in slot (mask::BuiltinSlot) with more than one enabled entity.
    enum Kind { kCustom, kTerms, kBuiltin, kSlot } kind;
    int index;  // custom rule index, 0 for terms, or the (first enabled) BuiltinEntity
    // kSlot: the slot's other enabled entities (bit e = BuiltinEntity e), matched after `index`;
    // the longest match wins, ties as mask::PreferHit says.
    uint32_t more = 0;
  };

  // Scan over bytes as they are (the folded view when they are ASCII). S has Clean(begin, end) and
  // Found(begin, end, rule): the caller's Sink, or the FoldSink that maps a folded view back.
  // kOptIn: some slot has an opt-in entity on (unfilterable_bits_ != 0); the default profile runs
  // the instantiation without that code.
  template <bool kOptIn, class S>
  size_t ScanSpans(const uint8_t* p, size_t n, size_t begin, bool final, bool after_finding,
                   S* sink, int* pending_rule) const;
  // Scan through the folded view of the text (lib/text/fold.h), for text that is not ASCII.
  size_t ScanFolded(const uint8_t* p, size_t n, size_t begin, bool final, bool after_finding,
                    Sink* sink, int* pending_rule) const;

  bool MatchDetector(const Detector& d, const mask::Cursor& cur, size_t s, mask::Hit* hit) const;
  // A kSlot detector.
  static bool MatchSlot(const Detector& d, const mask::Cursor& cur, size_t s, mask::Hit* hit);
  // The key-value rules at the ':' before a value's span (mask::ColonBeforeValue): the rule of an
  // undecided one (the scan must hold the value) or -1, with the match, if any, in *best.
  int MatchKeyValueAtColon(const mask::Cursor& cur, size_t colon, mask::Hit* best) const;
  // A value after "key: " may start at `at` (the end of a finding inside a span): the scan then
  // goes on from `at` as from a span's start, where that is checked (the ':' may lie inside the
  // finding: the key is the value's context, as in a stream that resumes there).
  bool ValueMayFollowKeyAt(const uint8_t* p, size_t at) const {
    return kv_bits_ != 0 && at >= 2 && mask::MayFollowColon(p, at) &&
           mask::ColonBeforeValue(p, at) != SIZE_MAX;
  }
  bool Allowlisted(std::string_view value) const;
  // The detectors whose left boundary accepts the byte before s.
  uint64_t LeftOk(const uint8_t* p, size_t s) const { return left_ok_[s == 0 ? 0 : p[s - 1] + 1]; }
  int DetectorRule(const Detector& d) const;  // a rule of the detector's entity
  // Detector bits that can still match at s, judged from the digit/hex run there.
  uint64_t ShapeFilter(const uint8_t* p, size_t n, size_t s) const;
  // The same for s inside the span starting at a, from the span's digit and hex bitmaps (bit i =
  // byte a + i; zero past the span, whose end is a delimiter or n).
  uint64_t ShapeFilterOfSpan(const uint8_t* p, size_t n, size_t s, size_t a, uint64_t digit_bits,
                             uint64_t hex_bits) const;
  // Both, given where the hex run (at most 5) and the digit run (at most 13) at s end.
  uint64_t ShapeKeep(const uint8_t* p, size_t n, size_t s, size_t hex, size_t d) const;

  MaskerOptions options_;
  const mask::Implementation* simd_ = nullptr;
  std::vector<int> builtins_;  // enabled BuiltinEntity values, priority order
  std::vector<Custom> custom_;
  std::unique_ptr<mask::TermMatcher> terms_;
  std::vector<Detector> detectors_;
  std::vector<int> detector_rule_;  // DetectorRule() of each detector
  uint64_t start_mask_[256] = {};   // bit d: detector d can start with this byte
  // Bit d: detector d's left boundary accepts the previous byte c (index c + 1; 0 = start of text).
  uint64_t left_ok_[257] = {};
  uint64_t email_bit_ = 0;  // the EMAIL detector's bit (needs an '@' in its span)
  uint64_t phone_bit_ = 0, ssn_bit_ = 0, card_bit_ = 0, ipv4_bit_ = 0, ipv6_bit_ = 0;
  uint64_t iban_bit_ = 0;
  // AWS_ACCESS_KEY's and API_KEY's bits: their key-value rules start at the '=' after a key name
  // (mask::KeyNameMayEndBefore); '=' is then a trigger and a candidate start.
  uint64_t kv_bits_ = 0;
  // The slots of NATIONAL_ID and MAC_ADDRESS when on (they share US_SSN's and IPV6's). With
  // either on, Scan runs ScanSpans<true>: MAC_ADDRESS's slot skips IPv6's filters in spans with a
  // MAC's separators (Unfiltered), NATIONAL_ID's slot is kept by mask::NationalIdShape.
  uint64_t nid_slot_bit_ = 0, mac_slot_bit_ = 0, wallet_slot_bit_ = 0, unfilterable_bits_ = 0;
  // Which opt-in entities share US_SSN's slot (nid_slot_bit_): each keeps it by its own shape.
  bool nid_on_ = false, dob_on_ = false;
  uint64_t Unfiltered(bool small, const mask::SpanBits& bits) const;
  uint64_t shape_bits_ = 0;        // the detectors ShapeFilter can drop
  uint64_t needs_digit_bits_ = 0;  // detectors whose match puts a digit in its first span
  bool builtins_only_ = false;     // no custom rules and no terms
  mask::ByteSet triggers_;
  mask::ByteSet delimiters_;
  absl::flat_hash_set<std::string> allowlist_;           // lowercase
  absl::flat_hash_map<std::string, int> json_key_rule_;  // lowercase key -> rule
  // Rule id -> entity and rule names: built-in rules, then custom rules, term lists, json keys.
  std::vector<std::string> rule_entity_;
  std::vector<std::string> rule_name_;
  int first_custom_rule_ = 0;
  int first_term_rule_ = 0;
};

}  // namespace jitguard

#endif  // JITGUARD_LIB_MASK_ENGINE_H_
