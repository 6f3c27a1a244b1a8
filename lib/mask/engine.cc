#include "lib/mask/engine.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/crypto.h"
#include "lib/base/strings.h"
#include "lib/mask/validators.h"
#include "lib/text/fold.h"

namespace jitguard {

using mask::Cursor;
using mask::Hit;

namespace {

constexpr size_t kCustomWindow = 256;
// An unfinished last word shorter than this is held whole rather than examined (streams).
constexpr size_t kShortTail = 128;

absl::Status MaskConfigError(std::string_view reason, const std::string& message) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, reason, message);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(mask::ToLower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (mask::IsLower(static_cast<unsigned char>(c))) c = static_cast<char>(c - 32);
  }
  return out;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Masker::Impl>> Masker::Impl::Build(
    MaskerOptions options, const mask::Implementation* simd) {
  auto impl = std::make_unique<Impl>();
  impl->simd_ = simd;

  // Built-in entities.
  std::vector<bool> enabled(mask::kNumBuiltinEntities, false);
  for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
    enabled[e] = options.entities == std::nullopt && mask::BuiltinDefaultOn(e);
  }
  if (options.entities) {
    for (const std::string& name : *options.entities) {
      bool found = false;
      for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
        if (mask::BuiltinEntityName(e) == name) enabled[e] = found = true;
      }
      if (!found) {
        std::string known;
        for (int k = 0; k < mask::kNumBuiltinEntities; ++k) {
          absl::StrAppend(&known, k == 0 ? "" : ", ", base::AsAbsl(mask::BuiltinEntityName(k)));
        }
        return MaskConfigError("unknown_entity",
                               absl::StrCat("unknown entity '", base::AsAbsl(name),
                                            "'; built-in entities are ", known));
      }
    }
  }
  for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
    if (enabled[e]) impl->builtins_.push_back(e);
  }

  // Rule table: built-in rules first.
  for (int r = 0; r < mask::kNumBuiltinRules; ++r) {
    impl->rule_entity_.emplace_back(mask::BuiltinEntityName(mask::BuiltinRuleEntity(r)));
    impl->rule_name_.emplace_back(mask::BuiltinRuleName(r));
  }

  absl::flat_hash_set<std::string> names;
  auto check_name = [&](std::string_view kind, const std::string& name) -> absl::Status {
    if (name.empty()) {
      return MaskConfigError("bad_rule", absl::StrCat(base::AsAbsl(kind), " without a name"));
    }
    if (!names.insert(name).second) {
      return MaskConfigError("bad_rule",
                             absl::StrCat("duplicate rule name '", base::AsAbsl(name), "'"));
    }
    return absl::OkStatus();
  };

  // Custom rules.
  impl->first_custom_rule_ = static_cast<int>(impl->rule_entity_.size());
  for (const CustomRule& rule : options.custom) {
    if (absl::Status s = check_name("custom rule", rule.name); !s.ok()) return s;
    RE2::Options re_options;
    re_options.set_log_errors(false);
    re_options.set_longest_match(true);
    re_options.set_max_mem(64 << 20);
    auto re =
        std::make_unique<RE2>(re2::StringPiece(rule.regex.data(), rule.regex.size()), re_options);
    if (!re->ok()) {
      return MaskConfigError("bad_regex", absl::StrCat("custom rule '", base::AsAbsl(rule.name),
                                                       "': regex does not compile: ", re->error()));
    }
    Custom c{rule.name, std::move(re), rule.validator, {}, {}};
    for (const std::string& w : rule.context_words) {
      if (w.empty() || w.size() > mask::kContextWindow) {
        return MaskConfigError("bad_rule", absl::StrCat("custom rule '", base::AsAbsl(rule.name),
                                                        "': context words must have 1..48 bytes"));
      }
      c.context.push_back(Lower(w));
    }
    for (const std::string& w : c.context) c.context_views.push_back(w);
    impl->custom_.push_back(std::move(c));
    impl->rule_entity_.push_back(rule.name);
    impl->rule_name_.push_back(rule.name);
  }

  // Term lists.
  impl->first_term_rule_ = static_cast<int>(impl->rule_entity_.size());
  for (const TermList& list : options.terms) {
    if (absl::Status s = check_name("term list", list.name); !s.ok()) return s;
    impl->rule_entity_.push_back(list.name);
    impl->rule_name_.push_back(list.name);
  }
  if (!options.terms.empty()) {
    // Terms are matched in the folded view of the text, so they are folded too.
    std::vector<TermList> folded = options.terms;
    text::FoldedView view;
    for (TermList& list : folded) {
      for (std::string& term : list.terms) {
        if (text::IsAscii(term)) continue;
        text::Fold(term, &view);
        term = view.text;
      }
    }
    absl::StatusOr<std::unique_ptr<mask::TermMatcher>> terms = mask::TermMatcher::Build(folded);
    if (!terms.ok()) return terms.status();
    impl->terms_ = *std::move(terms);
  }

  if (impl->builtins_.empty() && impl->custom_.empty() && !impl->terms_) {
    return MaskConfigError("empty_config",
                           "nothing to detect: no built-in entity, custom rule or term list");
  }
  if (options.style == MaskStyle::kHash && options.hash_key.empty()) {
    return MaskConfigError("missing_hash_key", "style 'hash' needs a hash_key");
  }
  if (options.max_held_bytes < 1024) {
    return MaskConfigError("bad_option", "max_held_bytes must be at least 1024");
  }

  // JSON keys: each a rule of its own, entity = the key upper-cased.
  for (const std::string& key : options.json_keys) {
    if (key.empty()) return MaskConfigError("bad_option", "empty json key");
    const std::string lower = Lower(key);
    if (impl->json_key_rule_.contains(lower)) continue;
    impl->json_key_rule_[lower] = static_cast<int>(impl->rule_entity_.size());
    impl->rule_entity_.push_back(Upper(key));
    impl->rule_name_.push_back("json_key");
  }
  for (const std::string& value : options.allowlist) impl->allowlist_.insert(Lower(value));

  // Detectors in priority order, and their start bytes.
  for (size_t i = 0; i < impl->custom_.size(); ++i) {
    impl->detectors_.push_back({Detector::kCustom, static_cast<int>(i)});
  }
  if (impl->terms_) impl->detectors_.push_back({Detector::kTerms, 0});
  // Built-ins by slot: the entities of a slot are adjacent in priority order.
  for (int e : impl->builtins_) {
    Detector* last = impl->detectors_.empty() ? nullptr : &impl->detectors_.back();
    if (last != nullptr && (last->kind == Detector::kBuiltin || last->kind == Detector::kSlot) &&
        mask::BuiltinSlot(last->index) == mask::BuiltinSlot(e)) {
      last->kind = Detector::kSlot;
      last->more |= uint32_t{1} << e;
    } else {
      impl->detectors_.push_back({Detector::kBuiltin, e});
    }
  }
  if (impl->detectors_.size() > 64) {
    return MaskConfigError("bad_option", "at most 52 custom rules are supported");
  }

  uint64_t mac_slot_bit = 0;  // IPv6's slot when MAC_ADDRESS is on
  uint64_t nid_slot_bit = 0;  // US_SSN's slot when NATIONAL_ID or DATE_OF_BIRTH is on
  mask::ByteSet& trig = impl->triggers_;
  trig.AddRange('0', '9');
  trig.AddAll(mask::kBuiltinTriggers);
  for (size_t d = 0; d < impl->detectors_.size(); ++d) {
    const Detector& det = impl->detectors_[d];
    const uint64_t bit = uint64_t{1} << d;
    for (int c = 0; c < 256; ++c) {
      bool can = false;
      switch (det.kind) {
        case Detector::kBuiltin:
        case Detector::kSlot:
          can = mask::BuiltinCanStartWith(det.index, static_cast<uint8_t>(c));
          for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
            if ((det.more >> e) & 1) can |= mask::BuiltinCanStartWith(e, static_cast<uint8_t>(c));
          }
          break;
        case Detector::kTerms:
          can = impl->terms_->CanStartWith(static_cast<uint8_t>(c));
          if (can) trig.Add(static_cast<uint8_t>(c));
          break;
        case Detector::kCustom:
          break;
      }
      if (can) impl->start_mask_[c] |= bit;
    }
    if (det.kind == Detector::kCustom) {
      // Every match lies in [min, max], so its first byte lies in [min[0], max[0]].
      std::string lo, hi;
      int first = 0, last = 255;
      if (impl->custom_[det.index].re->PossibleMatchRange(&lo, &hi, 8)) {
        first = lo.empty() ? 0 : static_cast<unsigned char>(lo[0]);
        last = hi.empty() ? 255 : static_cast<unsigned char>(hi[0]);
      }
      for (int c = first; c <= last; ++c) {
        impl->start_mask_[c] |= bit;
        trig.Add(static_cast<uint8_t>(c));
      }
    }
    const bool builtin = det.kind == Detector::kBuiltin || det.kind == Detector::kSlot;
    const uint32_t members = builtin ? (uint32_t{1} << det.index) | det.more : 0;
    for (int prev = -1; prev < 256; ++prev) {
      bool ok = !builtin;
      for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
        if ((members >> e) & 1) ok |= mask::BuiltinLeftBoundaryOk(e, prev);
      }
      if (ok) impl->left_ok_[prev + 1] |= bit;
    }
    for (int e = 0; e < mask::kNumBuiltinEntities; ++e) {
      if (((members >> e) & 1) == 0) continue;
      switch (e) {
        case mask::kEmail:
          impl->email_bit_ = bit;
          break;
        case mask::kPhone:
          impl->phone_bit_ = bit;
          break;
        case mask::kUsSsn:
          impl->ssn_bit_ = bit;
          break;
        case mask::kCreditCard:
          impl->card_bit_ = bit;
          break;
        case mask::kIpv4:
          impl->ipv4_bit_ = bit;
          break;
        case mask::kIpv6:
          impl->ipv6_bit_ = bit;
          break;
        case mask::kMacAddress:
          mac_slot_bit = bit;
          break;
        case mask::kNationalId:
          nid_slot_bit = bit;
          impl->nid_on_ = true;
          break;
        case mask::kDateOfBirth:
          nid_slot_bit = bit;
          impl->dob_on_ = true;
          break;
        case mask::kCryptoWallet:
          impl->wallet_slot_bit_ = bit;
          break;
        case mask::kIban:
          impl->iban_bit_ = bit;
          break;
        case mask::kAwsAccessKey:
        case mask::kApiKey:
          impl->kv_bits_ |= bit;
          break;
      }
    }
  }
  // '=' is a trigger of the key-value rules (mask::IsKeyValueSeparator).
  if (impl->kv_bits_ != 0) trig.Add('=');
  for (const Detector& d : impl->detectors_) impl->detector_rule_.push_back(impl->DetectorRule(d));
  // With MAC_ADDRESS or NATIONAL_ID on, Scan runs ScanSpans<true>, where IPv6's slot skips IPv6's
  // filters in spans that may hold a MAC (Unfiltered) and US_SSN's slot is also kept where
  // NATIONAL_ID's shape holds; the default profile runs ScanSpans<false>, without that code.
  impl->nid_slot_bit_ = nid_slot_bit;
  impl->mac_slot_bit_ = mac_slot_bit;
  impl->unfilterable_bits_ = nid_slot_bit | mac_slot_bit | impl->wallet_slot_bit_;
  impl->shape_bits_ =
      impl->phone_bit_ | impl->ssn_bit_ | impl->card_bit_ | impl->ipv4_bit_ | impl->ipv6_bit_;
  // Every phone, SSN, card, IPv4 and IBAN has a digit within the first bytes of its first span
  // (contiguous with the start, no delimiter between), and an IPv6 address or a MAC address holds
  // a digit and never crosses a delimiter.
  impl->needs_digit_bits_ = impl->shape_bits_ | impl->iban_bit_ | mac_slot_bit | nid_slot_bit;

  // Span delimiters: whitespace; without custom rules and terms also bytes that no built-in value
  // contains, which keeps spans short in JSON and markup.
  impl->delimiters_.AddAll(" \t\n\r\f\v");
  if (impl->custom_.empty() && !impl->terms_) impl->delimiters_.AddAll(mask::kBuiltinDelimiters);
  // A trigger must never also be a delimiter (a span starts after its delimiter).
  for (int c = 0; c < 256; ++c) {
    if (impl->delimiters_.contains[c] && impl->triggers_.contains[c]) {
      return MaskConfigError("bad_option", "internal: trigger byte is a delimiter");
    }
  }
  impl->builtins_only_ = impl->custom_.empty() && !impl->terms_;
  impl->options_ = std::move(options);
  return impl;
}

bool Masker::Impl::MatchSlot(const Detector& d, const Cursor& cur, size_t s, Hit* hit) {
  const int first = cur.At(static_cast<ptrdiff_t>(s));
  bool matched = mask::MatchBuiltin(d.index, cur, s, hit);
  for (uint32_t more = d.more; more != 0; more &= more - 1) {
    const int e = __builtin_ctz(more);
    Hit h;
    if (first >= 0 && mask::BuiltinCanStartWith(e, static_cast<uint8_t>(first)) &&
        mask::MatchBuiltin(e, cur, s, &h) && (!matched || mask::PreferHit(h, *hit))) {
      *hit = h;
      matched = true;
    }
  }
  return matched;
}

bool Masker::Impl::MatchDetector(const Detector& d, const Cursor& cur, size_t s, Hit* hit) const {
  switch (d.kind) {
    case Detector::kBuiltin:
      return mask::MatchBuiltin(d.index, cur, s, hit);
    case Detector::kSlot:
      return MatchSlot(d, cur, s, hit);
    case Detector::kTerms: {
      size_t end = 0;
      const int list = terms_->Match(cur, s, &end);
      if (list < 0) return false;
      hit->end = end;
      hit->rule = first_term_rule_ + list;
      return true;
    }
    case Detector::kCustom: {
      if (mask::IsAlnum(cur.At(static_cast<ptrdiff_t>(s) - 1))) return false;
      const Custom& c = custom_[d.index];
      const uint8_t* p = cur.data();
      const size_t n = cur.size();
      size_t wend = std::min(n, s + kCustomWindow);
      const void* nl = memchr(p + s, '\n', wend - s);
      if (nl != nullptr) {
        wend = static_cast<size_t>(static_cast<const uint8_t*>(nl) - p);
      } else if (wend == n && n - s < kCustomWindow) {
        cur.MarkTouchedEnd();  // the window is not complete yet
      }
      re2::StringPiece text(reinterpret_cast<const char*>(p), wend);
      re2::StringPiece m;
      if (!c.re->Match(text, s, wend, RE2::ANCHOR_START, &m, 1) || m.empty()) return false;
      const std::string_view value(m.data(), m.size());
      if (c.validator == Validator::kLuhn && !mask::LuhnValid(value)) return false;
      if (c.validator == Validator::kMod97 && !mask::Mod97Valid(value)) return false;
      if (!c.context_views.empty() &&
          !mask::ContextWordBefore(cur, s, mask::kContextWindow, c.context_views.data(),
                                   c.context_views.size())) {
        return false;
      }
      hit->end = s + m.size();
      hit->rule = first_custom_rule_ + d.index;
      return true;
    }
  }
  return false;
}

int Masker::Impl::DetectorRule(const Detector& d) const {
  switch (d.kind) {
    case Detector::kCustom:
      return first_custom_rule_ + d.index;
    case Detector::kTerms:
      return first_term_rule_;
    case Detector::kBuiltin:
    case Detector::kSlot:
      for (int r = 0; r < mask::kNumBuiltinRules; ++r) {
        if (mask::BuiltinRuleEntity(r) == d.index) return r;
      }
  }
  return 0;
}

bool Masker::Impl::Allowlisted(std::string_view value) const {
  if (allowlist_.empty()) return false;
  return allowlist_.contains(Lower(value));
}

// Forced inline: left to itself, the compiler stopped inlining it into ShapeFilterOfSpan when the
// opt-in instantiation of ScanSpans was added (+1% on clean prose, no work added).
[[gnu::always_inline]] inline uint64_t Masker::Impl::ShapeKeep(const uint8_t* p, size_t n,
                                                               size_t s, size_t hex,
                                                               size_t d) const {
  // Necessary conditions on the shape of what starts at s, so that most numbers and words reach
  // no detector at all. Each condition is what the matcher itself checks first; a byte at or past
  // the end of the buffer filters nothing (the matchers decide what more input could change).
  if (hex == n) return ~uint64_t{0};
  uint64_t drop = 0;
  if (hex - s > 4 || p[hex] != ':') drop |= ipv6_bit_;
  if (!mask::IsDigit(p[s])) return ~drop;
  if (d == n) return ~drop;
  const size_t run = d - s;
  const uint8_t next = p[d];
  // p[i] passes `pred`, or lies past the end of the buffer.
  auto may = [&](size_t i, auto pred) { return i >= n || pred(p[i]); };
  auto digit = [](uint8_t c) { return mask::IsDigit(c); };
  auto is_next = [next](uint8_t c) { return c == next; };
  const bool sep = next == '-' || next == '.' || next == ' ';
  // NANP "AAA-EEE-NNNN": three digits and the same separator follow; "1-AAA..." / "1 (AAA)...".
  const bool phone = (run == 3 && sep && may(d + 1, digit) && may(d + 2, digit) &&
                      may(d + 3, digit) && may(d + 4, is_next)) ||
                     (run == 1 && p[s] == '1' && sep &&
                      may(d + 1, [](uint8_t c) { return mask::IsDigit(c) || c == '('; })) ||
                     // A national-format number after a context word: trunk prefix 0, 9+
                     // digits contiguous or in groups (MatchPhoneContext).
                     (p[s] == '0' && (run >= 9 || ((sep || next == '/') && may(d + 1, digit))));
  if (!phone) drop |= phone_bit_;
  // SSN "AAA-GG-SSSS" (two digits and the same separator follow) or nine digits.
  const bool ssn = (run == 3 && (next == '-' || next == ' ' || next == '.') && may(d + 1, digit) &&
                    may(d + 2, digit) && may(d + 3, is_next)) ||
                   run == 9;
  if (!ssn) drop |= ssn_bit_;
  // A card of 13+ contiguous digits, or groups: after a first group of four, a second group of
  // four or six digits (shorter ones cannot reach 13 digits in an accepted shape).
  bool card = run >= 13;
  if (run == 4 && (next == ' ' || next == '-')) {
    size_t g = d + 1;
    while (g < n && g - d <= 7 && mask::IsDigit(p[g])) ++g;
    card = g == n || g - d - 1 == 4 || g - d - 1 == 6;
  }
  if (!card) drop |= card_bit_;
  // IPv4: an octet of one to three digits, '.', and the next octet's first digit.
  if (!(run <= 3 && next == '.' && may(d + 1, digit))) drop |= ipv4_bit_;
  return ~drop;
}

uint64_t Masker::Impl::ShapeFilter(const uint8_t* p, size_t n, size_t s) const {
  size_t hex = s;
  while (hex < n && hex - s < 5 && mask::IsHex(p[hex])) ++hex;
  size_t d = s;
  while (d < n && d - s < 13 && mask::IsDigit(p[d])) ++d;
  return ShapeKeep(p, n, s, hex, d);
}

uint64_t Masker::Impl::ShapeFilterOfSpan(const uint8_t* p, size_t n, size_t s, size_t a,
                                         uint64_t digit_bits, uint64_t hex_bits) const {
  // The runs read off the bitmaps. A run stops at the end of the span, where the next byte is a
  // delimiter (neither hex nor digit) or the end of the buffer, exactly where the byte loops of
  // ShapeFilter stop. Bit 63 caps the runs (both caps are below 63).
  const size_t off = s - a;
  constexpr uint64_t kTop = uint64_t{1} << 63;
  const size_t hex = s + std::min<size_t>(5, __builtin_ctzll(~(hex_bits >> off) | kTop));
  const size_t d = s + std::min<size_t>(13, __builtin_ctzll(~(digit_bits >> off) | kTop));
  return ShapeKeep(p, n, s, hex, d);
}

namespace {

// Walks the trigger and delimiter bitmaps of a buffer, 4 KiB at a time: the SIMD classifier runs
// once per window, and finding the next trigger, the start and the end of its span are bit
// operations (simdjson's stage-1 habit).
class Prefilter {
 public:
  Prefilter(const mask::Implementation* simd, const mask::ByteSet& triggers,
            const mask::ByteSet& delimiters, const uint8_t* p, size_t n)
      : simd_(simd), triggers_(triggers), delimiters_(delimiters), p_(p), n_(n) {}

  // The first trigger at or after `from`; n when there is none.
  [[gnu::always_inline]] size_t NextTrigger(size_t from) {
    while (from < n_) {
      if (from < base_ || from >= end_) Fill(from);
      const size_t off = from - base_;
      size_t k = off / 64;
      uint64_t w = trig_[k] & (~uint64_t{0} << (off % 64));
      while (true) {
        if (w != 0) return base_ + k * 64 + static_cast<size_t>(__builtin_ctzll(w));
        if (++k == blocks_) break;
        w = trig_[k];
      }
      from = end_;
    }
    return n_;
  }

  // Start of the span holding t (inside the current window): one past the last delimiter in
  // [floor, t), or floor.
  size_t SpanStart(size_t t, size_t floor) const {
    const size_t off = t - base_;
    const size_t k = off / 64;
    return LastDelimiterFrom(k, delim_[k] & ((uint64_t{1} << (off % 64)) - 1), floor);
  }

  // One past the last delimiter in [floor, n), or floor. Only right after NextTrigger returned n
  // (the current window then ends at n).
  size_t SpanStartAtEnd(size_t floor) const {
    const size_t off = n_ - base_;
    const size_t k = off / 64;
    if (k == blocks_) return LastDelimiterFrom(k - 1, delim_[k - 1], floor);
    return LastDelimiterFrom(k, delim_[k] & ((uint64_t{1} << (off % 64)) - 1), floor);
  }

  // One past the last delimiter at or before block k (whose delimiter bits not yet looked at are
  // `w`) and at or after floor; floor when there is none; scans back before the window if needed.
  size_t LastDelimiterFrom(size_t k, uint64_t w, size_t floor) const {
    while (true) {
      if (w != 0) {
        const size_t at = base_ + k * 64 + 63 - static_cast<size_t>(__builtin_clzll(w));
        return std::max(at + 1, floor);
      }
      if (base_ + k * 64 <= floor) return floor;
      if (k == 0) break;
      w = delim_[--k];
    }
    size_t a = base_;  // the span began before this window
    while (a > floor && !delimiters_.contains[p_[a - 1]]) --a;
    return a;
  }

  // The first delimiter after t (inside the current window), or n.
  [[gnu::always_inline]] size_t SpanEnd(size_t t) const {
    const size_t from = t + 1;
    if (from < end_) {
      const size_t off = from - base_;
      size_t k = off / 64;
      uint64_t w = delim_[k] & (~uint64_t{0} << (off % 64));
      while (true) {
        if (w != 0) return base_ + k * 64 + static_cast<size_t>(__builtin_ctzll(w));
        if (++k == blocks_) break;
        w = delim_[k];
      }
    }
    const size_t rest = std::max(from, end_);
    if (rest >= n_) return n_;
    return rest + simd_->FindFirst(p_ + rest, n_ - rest, delimiters_);
  }

 private:
  static constexpr size_t kBlocks = 64;

  void Fill(size_t base) {
    const size_t rest = n_ - base;
    if (rest < kBlocks * 64 && rest % 64 != 0 && n_ >= (rest / 64 + 1) * 64) {
      // The rest of the buffer ends inside a block: classify whole blocks ending at n, starting
      // a little before `base` (the bits before it are never looked at: every query starts at or
      // after it), in one call.
      blocks_ = rest / 64 + 1;
      base_ = n_ - blocks_ * 64;
      end_ = n_;
      simd_->Classify(p_ + base_, blocks_, triggers_, delimiters_, trig_, delim_);
      return;
    }
    base_ = base;
    const size_t full = std::min(kBlocks, (n_ - base) / 64);
    simd_->Classify(p_ + base, full, triggers_, delimiters_, trig_, delim_);
    blocks_ = full;
    end_ = base + full * 64;
    if (full < kBlocks && end_ < n_) {
      // The tail of the buffer: classify a padded copy and drop the padding bits.
      const size_t rem = n_ - end_;
      if (n_ >= 64) {
        // Classify the last 64 bytes of the buffer and shift out the ones already covered.
        simd_->Classify(p_ + n_ - 64, 1, triggers_, delimiters_, &trig_[full], &delim_[full]);
        trig_[full] >>= 64 - rem;
        delim_[full] >>= 64 - rem;
      } else {
        uint8_t tail[64] = {};
        std::memcpy(tail, p_ + end_, rem);
        simd_->Classify(tail, 1, triggers_, delimiters_, &trig_[full], &delim_[full]);
        const uint64_t keep = (uint64_t{1} << rem) - 1;
        trig_[full] &= keep;
        delim_[full] &= keep;
      }
      blocks_ = full + 1;
      end_ = n_;
    }
  }

  const mask::Implementation* simd_;
  const mask::ByteSet& triggers_;
  const mask::ByteSet& delimiters_;
  const uint8_t* p_;
  size_t n_;
  size_t base_ = 0, end_ = 0, blocks_ = 0;
  uint64_t trig_[kBlocks];
  uint64_t delim_[kBlocks];
};

// True when p[from, n) folds to itself, `from` moved back to the start of its code point.
bool FoldsToItself(const uint8_t* p, size_t n, size_t from, bool final) {
  for (int k = 0; k < 3 && from > 0 && (p[from] & 0xC0) == 0x80; ++k) --from;
  return text::FoldsToItself(std::string_view(reinterpret_cast<const char*>(p) + from, n - from),
                             !final);
}

// The '=' of a span (their bits among `colon`, bit k = byte a + k) after a key name.
[[gnu::noinline]] uint64_t KeyValueCandidates(const uint8_t* p, size_t a, uint64_t colon) {
  uint64_t out = 0;
  for (uint64_t w = colon; w != 0; w &= w - 1) {
    const size_t x = a + static_cast<size_t>(__builtin_ctzll(w));
    if (mask::KeyTailMayEnd(p, x) && mask::IsKeyValueSeparator(p[x]) &&
        mask::KeyNameMayEndBefore(p, x)) {
      out |= w & -w;
    }
  }
  return out;
}

}  // namespace

size_t Masker::Impl::HoldOfTriggerFreeTail(const uint8_t* p, size_t n, size_t scan, size_t word,
                                           size_t resume_at, int* pending_rule) const {
  // With NATIONAL_ID on, two capitals and a space may begin a spaced UK National Insurance number
  // ("QQ 12 34 56 C"), the one value whose first span holds no trigger: held until what follows.
  if (nid_on_ && n >= scan + 3 && p[n - 1] == ' ' && mask::IsUpper(p[n - 2]) &&
      mask::IsUpper(p[n - 3])) {
    if (pending_rule != nullptr) *pending_rule = detector_rule_[__builtin_ctzll(nid_slot_bit_)];
    return n - 3;
  }
  const size_t a = n >= kShortTail ? std::max(word, n - kShortTail) : word;
  if (a == n) return n;
  if (n - a >= kShortTail || (a != scan && !delimiters_.contains[p[a - 1]])) return kExamineTail;
  // A short unfinished word without a trigger yet: hold it from its first possible candidate
  // start without running detectors (the next scan decides it with more bytes). A ':' after a
  // key name inside the word is a candidate whatever precedes it ("password:s3cr3t"; a
  // trigger-free word holds no '=', the other separator).
  size_t s = a;
  uint64_t mask = 0;
  for (; s < n; ++s) {
    mask = start_mask_[p[s]];
    if (mask != 0 && (s == 0 || s == resume_at || !mask::IsAlnum(p[s - 1]) ||
                      (p[s] == ':' && (mask & kv_bits_) != 0))) {
      break;
    }
  }
  // A word after "key: " becomes a key-value candidate anchored before it if a trigger comes
  // (mask::ColonBeforeValue): held whole.
  if (s != a && ValueMayFollowKeyAt(p, a)) {
    s = a;
    mask = kv_bits_;
  }
  if (s != n && pending_rule != nullptr) *pending_rule = detector_rule_[__builtin_ctzll(mask)];
  return s;
}

size_t Masker::Impl::Scan(const uint8_t* p, size_t n, size_t begin, bool final,
                          bool after_finding, Sink* sink, int* pending_rule) const {
  // Text that folds to itself (ASCII, and most text in other scripts), with the detectors' left
  // context, is its own folded view: scan the bytes as they are.
  if (FoldsToItself(p, n, begin > mask::kMaxLookbehind ? begin - mask::kMaxLookbehind : 0, final)) {
    return unfilterable_bits_ != 0
               ? ScanSpans<true>(p, n, begin, final, after_finding, sink, pending_rule)
               : ScanSpans<false>(p, n, begin, final, after_finding, sink, pending_rule);
  }
  return ScanFolded(p, n, begin, final, after_finding, sink, pending_rule);
}

namespace {

// Hands the scan of a folded view to the caller's sink in original offsets: clean ranges end at
// the code point that produced the first folded byte after them (so ignorables between clean text
// and a finding stay clean); a finding starts at the code point of its first folded byte and ends
// at the end of the code point of its last one (ignorables inside it are masked with it, and an
// end inside a multi-byte expansion rounds up). `base` is where the folded input starts.
class FoldSink {
 public:
  FoldSink(Masker::Impl::Sink* sink, const text::FoldedView& view, std::string_view in,
           size_t base, size_t begin)
      : sink_(sink), view_(view), in_(in), base_(base), opos_(begin) {}

  void Clean(size_t /*fb*/, size_t fe) {
    const size_t oe = base_ + view_.Origin(fe);
    if (oe > opos_) {
      sink_->Clean(opos_, oe);
      opos_ = oe;
    }
  }
  void Found(size_t fb, size_t fe, int rule) {
    const size_t ob = std::max(opos_, base_ + view_.Origin(fb));
    if (ob > opos_) sink_->Clean(opos_, ob);
    opos_ = ob;
    const size_t oe = base_ + view_.OriginalEnd(in_, fe);
    if (oe > ob) {
      sink_->Found(ob, oe, rule);
      opos_ = oe;
    }
  }
  // The folded position after the last finding's original end (past the rest of an expansion
  // the finding ended inside).
  size_t ResumeAfter(size_t fe) const {
    const size_t at = view_.FoldedIndex(opos_ - base_);
    return at > fe ? at : fe;
  }
  size_t opos() const { return opos_; }

 private:
  Masker::Impl::Sink* sink_;
  const text::FoldedView& view_;
  std::string_view in_;
  size_t base_;
  size_t opos_;
};

// The folded view a scan reuses (folding a large text allocates once per thread, not per call).
text::FoldedView& ScratchView() {
  thread_local text::FoldedView view;
  return view;
}

}  // namespace

size_t Masker::Impl::ContextStart(const uint8_t* p, size_t at) const {
  if (at <= mask::kMaxLookbehind) return 0;
  if (FoldsToItself(p, at, at - mask::kMaxLookbehind, /*final=*/true)) {
    return at - mask::kMaxLookbehind;
  }
  // The folded context is decided by the code points nearest `at`; a short window usually holds
  // enough of them (and gives the same answer as a longer one when it does). Code points that fold
  // to nothing (a run of zero-width spaces between a key name and its value) may need every byte
  // before `at`: a stream keeps at most kCompactAt raw bytes and a folded context before them.
  for (const size_t window : {size_t{4} * mask::kMaxLookbehind, mask::kMaxContextBytes, at}) {
    size_t lo = at > window ? at - window : 0;
    // Start at a byte that begins a sequence however the text before it decodes (every byte that
    // is not a continuation byte does).
    while (lo > 0 && lo < at && (p[lo] & 0xC0) == 0x80) ++lo;
    text::FoldedView view;
    text::Fold(std::string_view(reinterpret_cast<const char*>(p) + lo, at - lo), &view);
    const size_t f = view.text.size();
    if (f > mask::kMaxLookbehind) return lo + view.Origin(f - mask::kMaxLookbehind);
    if (lo == 0) return lo;
  }
  return 0;
}

size_t Masker::Impl::ScanFolded(const uint8_t* p, size_t n, size_t begin, bool final,
                                bool after_finding, Sink* sink, int* pending_rule) const {
  const size_t ctx = ContextStart(p, begin);
  // In a non-final scan a sequence cut by the end of the buffer is held until its last byte.
  size_t m = n;
  if (!final) {
    for (size_t j = n; j > begin && n - j < 4;) {
      --j;
      if ((p[j] & 0xC0) == 0x80) continue;
      uint32_t c;
      if (text::DecodeUtf8(p + j, n - j, &c) < 0) m = j;
      break;
    }
  }
  const std::string_view in(reinterpret_cast<const char*>(p) + ctx, m - ctx);
  text::FoldedView& view = ScratchView();
  text::Fold(in.substr(0, begin - ctx), &view);  // the left context
  const size_t fbegin = view.text.size();
  text::FoldAppend(in.substr(begin - ctx), &view);
  FoldSink fold_sink(sink, view, in, ctx, begin);
  const uint8_t* folded = reinterpret_cast<const uint8_t*>(view.text.data());
  if (unfilterable_bits_ != 0) {
    ScanSpans<true>(folded, view.text.size(), fbegin, final, after_finding, &fold_sink,
                    pending_rule);
  } else {
    ScanSpans<false>(folded, view.text.size(), fbegin, final, after_finding, &fold_sink,
                     pending_rule);
  }
  const size_t stop = fold_sink.opos();
  if (view.text.capacity() > (size_t{16} << 20)) {
    view = text::FoldedView();  // don't keep a huge buffer for the life of the thread
  }
  return stop;
}

[[gnu::noinline]] int Masker::Impl::MatchKeyValueAtColon(const Cursor& cur, size_t colon,
                                                          Hit* best) const {
  for (uint64_t m = kv_bits_; m != 0; m &= m - 1) {
    const int d = __builtin_ctzll(m);
    const Detector& det = detectors_[d];
    cur.ResetTouchedEnd();
    Hit hit;
    const bool matched = det.kind == Detector::kBuiltin ? mask::MatchBuiltin(det.index, cur, colon, &hit)
                                                        : MatchDetector(det, cur, colon, &hit);
    if (cur.touched_end()) return matched ? hit.rule : detector_rule_[d];
    if (matched && hit.end > colon && mask::PreferHit(hit, *best)) *best = hit;
  }
  return -1;
}

namespace {

// At least `k` bits set in w (no popcount instruction in the baseline x86-64 ISA).
bool AtLeast(uint64_t w, int k) {
  for (int i = 1; i < k && w != 0; ++i) w &= w - 1;
  return w != 0;
}

}  // namespace

uint64_t Masker::Impl::Unfiltered(bool small, const mask::SpanBits& bits) const {
  uint64_t out = 0;
  // (NATIONAL_ID is kept by its own shape at each candidate, in ScanSpans.)
  // A MAC address never crosses a delimiter: five ':' or five '-' or two '.'.
  if (mac_slot_bit_ != 0 &&
      (!small || AtLeast(bits.colon, 5) || AtLeast(bits.dash, 5) || AtLeast(bits.dot, 2))) {
    out |= mac_slot_bit_;
  }
  return out;
}

template <bool kOptIn, class S>
size_t Masker::Impl::ScanSpans(const uint8_t* p, size_t n, size_t begin, bool final,
                               bool after_finding, S* sink, int* pending_rule) const {
  const Cursor cur(p, n, final, simd_);
  // Right after a finding a candidate may start whatever the finding's last byte is: the
  // position, and its left boundary reads as the start of the text (Cursor::Before).
  size_t resume_at = after_finding ? begin : kNoResume;
  cur.SetResumeAt(resume_at);
  Prefilter pre(simd_, triggers_, delimiters_, p, n);
  size_t pos = begin;   // everything before pos has been handed to the sink
  size_t scan = begin;  // where to look for the next trigger
  const bool kv_on = kv_bits_ != 0;
  // Hands a match decided before the span walk (a spaced UK NINO, a value after "key: ") to the
  // sink unless allowlisted, [from, hit.end); returns where the scan goes on.
  auto take_before_span = [&](size_t from, const Hit& hit) {
    if (Allowlisted(std::string_view(reinterpret_cast<const char*>(p) + from, hit.end - from))) {
      return hit.end;
    }
    sink->Clean(pos, from);
    sink->Found(from, hit.end, hit.rule);
    pos = sink->ResumeAfter(hit.end);
    resume_at = pos;
    cur.SetResumeAt(pos);
    return pos;
  };
  while (scan < n) {
    const size_t t = pre.NextTrigger(scan);
    size_t a, b;
    if (t == n) {
      if (final) break;
      // The last span may still receive a trigger: examine it unless it is terminated.
      const size_t word = pre.SpanStartAtEnd(scan);  // start of the unfinished last word
      const size_t hold = HoldOfTriggerFreeTail(p, n, scan, word, resume_at, pending_rule);
      if (hold == n) break;
      if (hold != kExamineTail) {
        sink->Clean(pos, hold);
        return hold;
      }
      a = word;
      b = n;
    } else {
      a = pre.SpanStart(t, scan);
      b = pre.SpanEnd(t);
    }
    if constexpr (kOptIn) {
      // A spaced UK National Insurance number starts with two capitals, a span without a trigger
      // (only digits follow): tried here, before the span of its first digits, when the scan
      // has not passed it.
      if (nid_on_ && a >= scan + 3 && p[a - 1] == ' ' && mask::IsUpper(p[a - 2]) &&
          mask::IsUpper(p[a - 3])) {
        const size_t c = a - 3;
        const bool start = c == 0 || c == resume_at || !mask::IsAlnum(p[c - 1]);
        if (start && ((c == resume_at ? left_ok_[0] : LeftOk(p, c)) & nid_slot_bit_) != 0) {
          const int d = __builtin_ctzll(nid_slot_bit_);
          cur.ResetTouchedEnd();
          Hit hit;
          const bool matched = MatchDetector(detectors_[d], cur, c, &hit);
          if (cur.touched_end()) {
            sink->Clean(pos, c);
            if (pending_rule != nullptr) *pending_rule = matched ? hit.rule : detector_rule_[d];
            return c;
          }
          if (matched && hit.end > c) {
            scan = take_before_span(c, hit);
            continue;
          }
        }
      }
    }
    const bool open = b == n && !final;  // the span may still grow: no span-level shortcuts
    // A value after "key: " whose span starts here: the key-value rules at the ':' before the span
    // (which may lie inside the finding before: the key is the value's left context) come first.
    if (kv_on && a >= 2 && mask::MayFollowColon(p, a)) {
      if (const size_t colon = mask::ColonBeforeValue(p, a); colon != SIZE_MAX) {
        Hit hit;
        const int pending = MatchKeyValueAtColon(cur, colon, &hit);
        if (pending != -1) {
          sink->Clean(pos, a);  // held from the value's span
          if (pending_rule != nullptr) *pending_rule = pending;
          return a;
        }
        if (hit.rule >= 0 && hit.begin >= a) {
          scan = take_before_span(hit.begin, hit);
          continue;  // the rest of the span after the value is a span of its own
        }
      }
    }
    // Spans of at most 64 bytes are classified with one vector compare per 16 bytes (a copy when
    // the span ends within 16 bytes of the end of the buffer).
    const size_t len = b - a;
    const bool small = len <= 64;
    mask::SpanBits bits;
    if (small) {
      if (a + ((len + 15) & ~size_t{15}) <= n) {
        simd_->ClassifySpan(p + a, len, &bits);
      } else {
        uint8_t padded[64] = {};
        std::memcpy(padded, p + a, len);
        simd_->ClassifySpan(padded, len, &bits);
      }
    }
    // The key-value candidates of a small span: each '=' after a key name, whatever precedes it
    // (bit k = byte a + k; `colon` holds the '=' bits, and ':', ';', '<').
    uint64_t kv_cand = 0;
    if (__builtin_expect(small && bits.colon != 0, 0) && kv_bits_ != 0) {
      // Not after a digit ("12:30", "a1=") or a second '=': a key name ends in a letter, a quote,
      // a space or the ':' of ":=".
      const uint64_t w = bits.colon & ~(bits.digit << 1);
      // The usual span holds one '=' ("status=200"): its last two bytes decide without a call.
      if (w != 0 && ((w & (w - 1)) != 0 ||
                     mask::KeyTailMayEnd(p, a + static_cast<size_t>(__builtin_ctzll(w))))) {
        kv_cand = KeyValueCandidates(p, a, w);
      }
    }
    uint64_t span_filter = ~uint64_t{0};
    // Slots of opt-in entities (NATIONAL_ID, MAC_ADDRESS) that skip the shape filter in this span:
    // those whose span-level condition holds (all of them in a span that may still grow).
    uint64_t unfiltered = kOptIn && open ? unfilterable_bits_ : 0;
    if (!open) {
      // Span-level necessary conditions: an e-mail needs an '@'; an IPv6 address (never split by
      // a delimiter) needs "::" or at least six ':'.
      bool at = false, double_colon = false, digit = false, pem = false, kv = kv_cand != 0;
      int colons = 0, dots = 0;
      if (small) {
        at = bits.at != 0;
        digit = bits.digit != 0;
        uint64_t c = bits.colon;
        double_colon = (c & (c >> 1)) != 0;
        if (c != 0 && !double_colon) {
          // Only "at least six" matters (eight groups, or six and an embedded IPv4): clear the
          // five lowest bits (no popcount instruction in the baseline x86-64 ISA).
          for (int k = 0; k < 5 && c != 0; ++k) c &= c - 1;
          colons = c != 0 ? 6 : 0;
        }
        // Likewise only "at least three" dots matter.
        uint64_t dt = bits.dot;
        for (int k = 0; k < 2 && dt != 0; ++k) dt &= dt - 1;
        dots = dt != 0 ? 3 : 0;
        // Only looked at below for short spans without a digit, '@' or "::".
        const uint64_t d = bits.dash;
        pem = d != 0 && !digit && (d & (d >> 1) & (d >> 2) & (d >> 3) & (d >> 4)) != 0;
      } else {
        int dashes = 0;
        for (size_t i = a; i < b; ++i) {
          at |= p[i] == '@';
          digit |= mask::IsDigit(p[i]);
          dashes = p[i] == '-' ? dashes + 1 : 0;
          dots += p[i] == '.';
          pem |= dashes >= 5;
          if (p[i] == ':') {
            ++colons;
            double_colon |= i > a && p[i - 1] == ':';
          }
          if (kv_bits_ != 0 && mask::IsKeyValueSeparator(p[i])) {
            kv |= mask::KeyNameMayEndBefore(p, i);
          }
        }
      }
      // A span under 13 bytes without a digit, '@', "::", "-----" or a '=' after a key name
      // ("well-known", "user_id", "method=GET") cannot hold the start of any built-in value:
      // keys, tokens and key IDs are longer, and everything shorter is numeric.
      // With NATIONAL_ID on, a span ending in two capitals before a space and a digit may begin
      // a spaced UK National Insurance number ("QQ 12 34 56 C"; "JG" holds the trigger 'J').
      bool nino_head = false;
      if constexpr (kOptIn) {
        nino_head = nid_on_ && !digit && b - a >= 2 && b < n && p[b] == ' ' &&
                    mask::IsUpper(p[b - 1]) && mask::IsUpper(p[b - 2]) &&
                    (b + 1 < n ? mask::IsDigit(p[b + 1]) : !final);
      }
      if (builtins_only_ && b - a < 13 && !digit && !at && !double_colon && !pem && !kv &&
          !nino_head) {
        scan = b;
        continue;
      }
      if constexpr (kOptIn) unfiltered = Unfiltered(small, bits);
      if (!at) span_filter &= ~email_bit_;
      if (!double_colon && colons < 6) {
        if constexpr (kOptIn) {
          span_filter &= ~ipv6_bit_ | unfiltered;
        } else {
          span_filter &= ~ipv6_bit_;
        }
      }
      if (!digit) span_filter &= ~needs_digit_bits_ | (nino_head ? nid_slot_bit_ : 0);
      // An IPv4 address (digits and dots, never split by a delimiter) needs three dots.
      if (dots < 3) span_filter &= ~ipv4_bit_;
      // A short span ("42", "3.5", "2024", "10x") holds no built-in value unless it is "::"-style
      // IPv6 or the first group of a value that goes on after one space with a digit, a capital
      // (IBAN groups) or '(' ("+1 (415) ..."). Most numbers in prose end here.
      if (builtins_only_ && b - a < 6 && !double_colon && !kv) {
        bool goes_on = false;
        if (b < n && p[b] == ' ') {
          if (b + 1 < n) {
            const uint8_t c = p[b + 1];
            goes_on = mask::IsDigit(c) || mask::IsUpper(c) || c == '(';
            // DATE_OF_BIRTH: "3 march 1985", "3rd of March 1985".
            if constexpr (kOptIn) goes_on |= dob_on_ && mask::IsLower(c);
          } else {
            goes_on = !final;
          }
        } else if constexpr (kOptIn) {
          // DATE_OF_BIRTH: the day of "March 3, 1985" (',' ends the span).
          if (dob_on_ && b < n && p[b] == ',') {
            goes_on = b + 2 < n ? p[b + 1] == ' ' && mask::IsDigit(p[b + 2])
                                : !final && (b + 1 == n || p[b + 1] == ' ');
          }
        }
        if (!goes_on) {
          scan = b;
          continue;
        }
      }
    }

    // Runs the detectors that can start with p[s]; returns the rule of an undecided detector
    // (the scan must stop at s) or -1, with the longest decided match in *best.
    auto examine = [&](size_t s, uint64_t mask, Hit* best) {
      if ((mask & shape_bits_) != 0 && mask::IsHex(p[s])) {
        if constexpr (kOptIn) {
          uint64_t keep = (small ? ShapeFilterOfSpan(p, n, s, a, bits.digit, bits.hex)
                                 : ShapeFilter(p, n, s)) |
                          unfiltered;
          // NATIONAL_ID (US_SSN's slot) and CRYPTO_WALLET (CREDIT_CARD's) by their own shapes
          // where the older entity's shape dropped the slot.
          if ((mask & ~keep & (nid_slot_bit_ | wallet_slot_bit_)) != 0 && mask::IsDigit(p[s])) {
            size_t d = s;
            while (d < n && d - s < 13 && mask::IsDigit(p[d])) ++d;
            if ((mask & ~keep & nid_slot_bit_) != 0 &&
                (d == n || (nid_on_ && mask::NationalIdShape(p, n, s, d)) ||
                 (dob_on_ && mask::DateOfBirthShape(p, s, d)))) {
              keep |= nid_slot_bit_;
            }
            // "0x" + hex; Base58 '1'/'3' with a letter after its leading digits (or 13+ digits).
            const bool wallet = d == n || (p[s] == '0' ? d - s == 1 && p[d] == 'x'
                                                       : (p[s] == '1' || p[s] == '3') &&
                                                             (d - s >= 13 || mask::IsAlpha(p[d])));
            if (wallet) keep |= wallet_slot_bit_;
          }
          mask &= keep;
        } else {
          mask &= small ? ShapeFilterOfSpan(p, n, s, a, bits.digit, bits.hex) : ShapeFilter(p, n, s);
        }
      }
      if constexpr (kOptIn) {
        // A capital reaches NATIONAL_ID only in a letters-first scheme's shape (US_SSN, the
        // slot's other entity, starts with a digit).
        if ((mask & nid_slot_bit_) != 0 && mask::IsUpper(p[s]) &&
            !mask::NationalIdLetterShape(p, n, s)) {
          mask &= ~nid_slot_bit_;
        }
      }
      while (mask != 0) {
        const int d = __builtin_ctzll(mask);
        mask &= mask - 1;
        cur.ResetTouchedEnd();
        Hit hit;
        const Detector& det = detectors_[d];
        const bool matched = det.kind == Detector::kBuiltin
                                 ? mask::MatchBuiltin(det.index, cur, s, &hit)
                                 : MatchDetector(det, cur, s, &hit);
        if (cur.touched_end()) return matched ? hit.rule : detector_rule_[d];
        if (matched && hit.end > s && mask::PreferHit(hit, *best)) *best = hit;
      }
      return -1;
    };
    // Hands a decided match at s to the sink (unless allowlisted).
    // Returns where scanning resumes: the end of the match, or (in a folded view) past the rest
    // of a code point whose expansion the match ended inside, which the finding covers whole.
    auto accept = [&](size_t s, const Hit& best) {
      const size_t from = std::max(s, best.begin);  // a key-value secret masks its value only
      const std::string_view value(reinterpret_cast<const char*>(p) + from, best.end - from);
      if (Allowlisted(value)) return best.end;
      sink->Clean(pos, from);
      sink->Found(from, best.end, best.rule);
      pos = sink->ResumeAfter(best.end);
      resume_at = pos;
      cur.SetResumeAt(pos);
      return pos;
    };
    // The detectors whose left boundary accepts what precedes s.
    auto left_ok = [&](size_t s) { return s == resume_at ? left_ok_[0] : LeftOk(p, s); };

    if (small) {
      // Candidate starts: positions whose previous byte is not a letter or digit.
      const uint64_t keep = len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1;
      uint64_t cand = ~(bits.alnum << 1) & keep;
      if (a > 0 && mask::IsAlnum(p[a - 1]) && a != resume_at) cand &= ~uint64_t{1};
      cand |= kv_cand;
      size_t resume = b;
      while (cand != 0) {
        const size_t s = a + static_cast<size_t>(__builtin_ctzll(cand));
        cand &= cand - 1;
        const uint64_t mask = start_mask_[p[s]] & span_filter & left_ok(s);
        if (mask == 0) continue;
        Hit best;
        const int pending = examine(s, mask, &best);
        if (pending != -1) {
          sink->Clean(pos, s);
          if (pending_rule != nullptr) *pending_rule = pending;
          return s;
        }
        if (best.rule < 0) continue;
        const size_t end = accept(s, best);
        if (end < b && ValueMayFollowKeyAt(p, end)) {
          resume = end;  // the rest of the span is a span of its own, which checks that first
          break;
        }
        resume = std::max(resume, end);
        const size_t skip = end - a;
        cand = skip >= 64 ? 0 : cand & (~uint64_t{0} << skip);
        if (end == resume_at && skip < len) cand |= uint64_t{1} << skip;
      }
      scan = resume;
      continue;
    }

    size_t s = a;
    while (s < b) {
      const uint64_t mask = start_mask_[p[s]] & span_filter & left_ok(s);
      if (mask == 0 || (s > 0 && mask::IsAlnum(p[s - 1]) && s != resume_at &&
                        !mask::IsKeyValueSeparator(p[s]))) {
        ++s;
        continue;
      }
      Hit best;
      const int pending = examine(s, mask, &best);
      if (pending != -1) {
        sink->Clean(pos, s);
        if (pending_rule != nullptr) *pending_rule = pending;
        return s;
      }
      if (best.rule < 0) {
        ++s;
        continue;
      }
      s = accept(s, best);
      if (s < b && ValueMayFollowKeyAt(p, s)) break;  // as in the small path above
    }
    scan = s;  // >= b, or where a value after "key: " may start
  }
  sink->Clean(pos, n);
  return n;
}

void Masker::Impl::AppendReplacement(std::string* out, std::string_view value, int rule) const {
  const std::string& entity = rule_entity_[rule];
  switch (options_.style) {
    case MaskStyle::kLabel:
      out->push_back('[');
      out->append(entity);
      out->push_back(']');
      return;
    case MaskStyle::kRedact:
      out->append(CodePoints(value), '*');
      return;
    case MaskStyle::kPartial: {
      const size_t chars = CodePoints(value);
      if (chars < 8) {
        out->append(chars, '*');
        return;
      }
      // Keep the bytes of the last four code points.
      size_t keep_from = value.size();
      for (int k = 0; k < 4; ++k) {
        do {
          --keep_from;
        } while (keep_from > 0 && (static_cast<unsigned char>(value[keep_from]) & 0xC0) == 0x80);
      }
      out->append(chars - 4, '*');
      out->append(value.substr(keep_from));
      return;
    }
    case MaskStyle::kHash: {
      const std::string tag = base::Hmac(options_.hash_key.Reveal(), value);
      out->push_back('[');
      out->append(entity);
      out->push_back(':');
      out->append(base::Hex(std::string_view(tag).substr(0, 4)));
      out->push_back(']');
      return;
    }
  }
}

void Masker::Impl::AppendContinuation(std::string* out, std::string_view value) const {
  if (options_.style == MaskStyle::kRedact) out->append(CodePoints(value), '*');
}

int Masker::Impl::RuleOfJsonKey(std::string_view key_lower) const {
  auto it = json_key_rule_.find(base::AsAbsl(key_lower));
  return it == json_key_rule_.end() ? -1 : it->second;
}

int Masker::Impl::RuleOfSecretMember(std::string_view key, std::string_view value) const {
  if (kv_bits_ == 0 || key.size() < 3 ||
      !mask::KeyNameMayEndBefore(reinterpret_cast<const uint8_t*>(key.data()), key.size())) {
    return -1;
  }
  for (const int e : builtins_) {
    if (e != mask::kAwsAccessKey && e != mask::kApiKey) continue;
    const int rule = mask::SecretRuleOfMember(key, value, e);
    if (rule >= 0) return Allowlisted(value) ? -1 : rule;
  }
  return -1;
}

std::vector<std::string> Masker::Impl::Entities() const {
  std::vector<std::string> out;
  for (int e : builtins_) out.emplace_back(mask::BuiltinEntityName(e));
  for (const Custom& c : custom_) out.push_back(c.name);
  for (const TermList& t : options_.terms) out.push_back(t.name);
  return out;
}

}  // namespace jitguard
