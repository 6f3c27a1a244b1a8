// The built-in detectors. Each is an anchored matcher: given a candidate start `s`, it decides
// whether a value of its entity starts exactly there and where the longest one ends. Matchers read
// the text only through a Cursor; a matcher that reads at or past the end of a non-final buffer
// has not decided (the bytes still to come could change its verdict), and the engine turns its
// verdict into "need more input" (see docs/masking.md, "Streaming").
#ifndef JITGUARD_LIB_MASK_BUILTIN_H_
#define JITGUARD_LIB_MASK_BUILTIN_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/mask/simd.h"

namespace jitguard::mask {

// Byte classes shared by the detectors.
inline bool IsDigit(int c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(int c) { return c >= 'A' && c <= 'Z'; }
inline bool IsLower(int c) { return c >= 'a' && c <= 'z'; }
inline bool IsAlpha(int c) { return IsUpper(c) || IsLower(c); }
inline bool IsAlnum(int c) { return IsDigit(c) || IsAlpha(c); }
inline bool IsHex(int c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool IsSpace(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// Letters, digits and every non-ASCII byte: the bytes words are made of.
inline bool IsWordByte(int c) { return IsAlnum(c) || c >= 0x80; }
inline int ToLower(int c) { return IsUpper(c) ? c + 32 : c; }

class Cursor {
 public:
  // `simd` runs the byte-class kernels of the matchers (context words).
  Cursor(const uint8_t* p, size_t n, bool final,
         const Implementation* simd = &ScalarImplementation())
      : p_(p), n_(n), final_(final), simd_(simd) {}

  // The byte at `i`, or -1 before the start of the text or at/after the end of the buffer.
  // Reading at/after the end of a non-final buffer is remembered.
  int At(ptrdiff_t i) const {
    if (i < 0) return -1;
    if (static_cast<size_t>(i) >= n_) {
      touched_end_ |= !final_;
      return -1;
    }
    return p_[i];
  }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }
  bool final() const { return final_; }
  const Implementation& simd() const { return *simd_; }
  // The byte before a candidate at s, as its left-boundary check reads it: -1 (the start of the
  // text) where the scan resumes right after a finding (SetResumeAt), so a value glued to the end
  // of another ("[CREDIT_CARD]john.doe@example.com" from "4111 1111 1111 1john.doe@...") is judged
  // as if it began the text.
  int Before(ptrdiff_t s) const { return s == resume_at_ ? -1 : At(s - 1); }
  void SetResumeAt(size_t s) const { resume_at_ = static_cast<ptrdiff_t>(s); }
  void MarkTouchedEnd() const { touched_end_ |= !final_; }
  bool touched_end() const { return touched_end_; }
  void ResetTouchedEnd() const { touched_end_ = false; }

 private:
  const uint8_t* p_;
  size_t n_;
  bool final_;
  const Implementation* simd_;
  mutable bool touched_end_ = false;
  mutable ptrdiff_t resume_at_ = -1;
};

// Built-in entities, in the order of BuiltinEntities().
enum BuiltinEntity : int {
  kEmail,
  kPhone,
  kUsSsn,
  kNationalId,
  kDateOfBirth,
  kCreditCard,
  kCryptoWallet,
  kIpv4,
  kIpv6,
  kMacAddress,
  kIban,
  kAwsAccessKey,
  kApiKey,
  kJwt,
  kPrivateKey,
  kNumBuiltinEntities
};

// Rules: which pattern of an entity matched (Finding::rule).
enum BuiltinRule : int {
  kRuleEmail,
  kRuleNanp,
  kRuleIntlPhone,
  kRulePhoneContext,
  kRuleSsn,
  kRuleSsnContext,
  kRuleCard,
  kRuleIpv4,
  kRuleIpv6,
  kRuleIban,
  kRuleAws,
  kRuleGithub,
  kRuleGitlab,
  kRuleSlack,
  kRuleStripe,
  kRuleOpenai,
  kRuleAnthropic,
  kRuleGoogle,
  kRuleNpm,
  kRuleHuggingface,
  kRulePypi,
  kRuleShopify,
  kRuleSendgrid,
  kRuleTwilio,
  kRuleMailgun,
  kRuleJwt,
  kRulePem,
  kRuleMac,
  kRuleUsItin,
  kRuleEsNif,
  kRuleEsNie,
  kRuleInAadhaar,
  kRuleUkNhs,
  kRulePlPesel,
  kRuleFiHetu,
  kRuleSgNric,
  kRuleUkNino,
  kRuleItFiscalCode,
  kRuleAuAbn,
  kRuleAuAcn,
  kRuleAuTfn,
  kRuleAuMedicare,
  kRuleInPan,
  kRuleKrRrn,
  kRuleUsPassport,
  kRuleBtcBase58,
  kRuleBtcBech32,
  kRuleEth,
  kRuleEthContext,
  kRuleDob,
  // Secrets added for issue 14 (item 3), after the NATIONAL_ID and wallet rules.
  kRuleDatabricks,
  kRuleDigitalocean,
  kRuleVault,
  kRuleGrafana,
  kRulePostman,
  kRuleLinear,
  kRuleNewrelic,
  kRuleDoppler,
  kRuleAge,
  kRuleAwsSecret,
  kRuleSecretAssignment,
  kRuleAzure,
  kRuleAzureStorage,
  kNumBuiltinRules
};

std::string_view BuiltinEntityName(int entity);
// Whether `entity` is on when MaskerOptions::entities is std::nullopt. MAC_ADDRESS is off: the
// labelled corpus counts MAC addresses as hard negatives (a device's id, not a person's data).
// NATIONAL_ID, DATE_OF_BIRTH and CRYPTO_WALLET are off for their cost (docs/masking.md, "What the
// added entities cost").
bool BuiltinDefaultOn(int entity);
// The built-in whose detector slot `entity` shares (itself for the eleven original entities). A
// slot is one bit of the engine's 64-bit detector masks, which custom rules share ("at most 52
// custom rules"): an entity added later runs in the slot of an older one whose start bytes, left
// boundary and shape it resembles, right after it in priority order (it follows it in
// BuiltinEntities()). A slot's filters drop it only when no entity of it can match.
int BuiltinSlot(int entity);
int BuiltinRuleEntity(int rule);
std::string_view BuiltinRuleName(int rule);

// The bytes a value of `entity` can start with (for dispatch at a candidate start).
bool BuiltinCanStartWith(int entity, uint8_t c);

// The left boundary of `entity`: false when no value of it can start right after the byte `prev`
// (-1 at the start of the text). Each matcher checks it first; the engine tabulates it to skip
// such candidates without calling the matcher.
bool BuiltinLeftBoundaryOk(int entity, int prev);

// Necessary conditions of a numeric NATIONAL_ID at s (p[s] a digit) whose digit run ends at
// d < n (a run is counted up to 13 digits): what MatchNationalId checks first, by the run's length
// (2: ABN 2-3-3-3; 3: ITIN, NHS 3-3-4, ACN and TFN 3-3-3; 4: Aadhaar 4-4-4, Medicare 4-5-1;
// 6: henkilötunnus, RRN; 8: NIF; 9: ITIN, ACN, TFN, passport; 10-12: NHS, PESEL, Aadhaar, ABN,
// Medicare; 13: RRN). Reads p[s - 6, s) and never at or past n (a byte past the end filters
// nothing).
bool NationalIdShape(const uint8_t* p, size_t n, size_t s, size_t d);
// The same for a DATE_OF_BIRTH at s: a run of 4 digits and '-', '/' or '.' (YYYY-MM-DD), 8 digits
// (YYYYMMDD), or 1-2 digits and '-', '/', '.', ' ', ',' or an ordinal's letter (DD/MM/YYYY,
// "3 March 1985", "March 3, 1985", "3rd").
bool DateOfBirthShape(const uint8_t* p, size_t s, size_t d);
// The same for a letters-first NATIONAL_ID at s (p[s] a capital): the run of capitals and the byte
// after it. Reads p[s + 1, s + 7) below n only.
bool NationalIdLetterShape(const uint8_t* p, size_t n, size_t s);

struct Hit {
  size_t end = 0;
  int rule = -1;
  // Where the masked value starts when it is not the candidate start: a key-value secret is
  // anchored at its separator (the ':' or '=' after the key name) and masks the value only, so
  // the key name, the separator and the quotes stay. 0: the value starts at the candidate.
  size_t begin = 0;
};

// Rules that match only after a context word (ssn_context, uk_nhs, dob, ...). False for any other
// rule, custom rules and term lists included.
bool BuiltinRuleNeedsContext(int rule);

// Whether `h` replaces `best` as the match at a candidate: the longer one wins; at equal length a
// rule confirmed by a context word wins over one that was not ("NHS number 943 476 5919" is an NHS
// number, not the NANP phone number of the same shape), else the earlier one stays (a custom rule
// or term list, earlier than every built-in, always stays).
inline bool PreferHit(const Hit& h, const Hit& best) {
  return h.end > best.end ||
         (h.end == best.end && best.rule >= 0 && best.rule < kNumBuiltinRules &&
          BuiltinRuleNeedsContext(h.rule) && !BuiltinRuleNeedsContext(best.rule));
}

// Key-value secrets (AWS secret access keys and generic assignments such as "password=..."): the
// separator after a key name is '=' ("=", ":=", "=>") or ':' ("key: value" in YAML, headers, JSON
// quoted in text). Both are candidate starts whatever precedes them, but only '=' is a trigger:
// about one byte in 73 of the clean-prose benchmark is a ':', and a trigger on it cost 23-32% more
// instructions there. A value after ':' is found where its span is examined anyway (it holds a
// trigger: a digit, '_', '-', ...): at the ':' inside the span ("password:s3cr3t...") or, when
// spaces or a quote put the value in a span of its own, at the ':' before it (ColonBeforeValue).
inline bool IsKeyValueSeparator(int c) { return c == '=' || c == ':'; }

// Bytes that start the examination of a span for the built-in entities (the scanner's triggers
// besides '=' and those of custom rules and term lists), and the bytes that end a span besides
// whitespace when only built-ins are on (no built-in value holds one).
inline constexpr std::string_view kBuiltinTriggers = "@_-AJ";  // and the digits
inline constexpr std::string_view kBuiltinDelimiters = "\"'<>{}[]`,;|\\";
inline bool IsBuiltinTrigger(int c) {
  return IsDigit(c) || (c > 0 && kBuiltinTriggers.find(static_cast<char>(c)) != kBuiltinTriggers.npos);
}

// The ':' of "key: value", "key: 'value'", "\"key\": \"value\"" for a value whose span starts at
// a: p[a - 1] is the ':', or up to eight spaces or tabs, an opening quote (escaped or doubled, as
// curly quotes fold to '') and up to eight more spaces or tabs inside it lie between the ':' and
// a, and a key name may end before the ':'. SIZE_MAX when not. Reads p[0, a) only.
size_t ColonBeforeValue(const uint8_t* p, size_t a);

// Bytes that may lie between the ':' of "key: value" and the value (or be the byte before an
// opening quote: '\\' of an escaped quote, ':' itself).
inline constexpr struct ColonLeadTable {
  bool lead[256] = {};
  constexpr ColonLeadTable() {
    for (char c : {':', ' ', '\t', '"', '\'', '`', '\\'}) lead[static_cast<uint8_t>(c)] = true;
  }
} kColonLead;

// The first test of ColonBeforeValue, cheap enough for every span the scanner examines (a span
// starts after a delimiter, nearly always a space, so the byte before that decides): p[a - 1] is
// ':', or p[a - 2] is one of kColonLead. Needs a >= 2.
[[gnu::always_inline]] inline bool MayFollowColon(const uint8_t* p, size_t a) {
  return kColonLead.lead[p[a - 2]] || p[a - 1] == ':';
}

// Necessary condition of a key-value secret anchored at the separator p[t]: the key name before
// it (after an optional ':' of ":=", up to eight spaces or tabs and one closing quote) ends like
// one of the key names (password, passwd, pwd, secret, token, key). Reads p[0, t) only.
// The first test of KeyNameMayEndBefore, cheap enough for every '=' of a span: the two bytes
// before p[t] end a key name ("rd", "wd", "et", "en", "ey", either case), or p[t - 1] is a quote,
// a space, a tab or ':' (KeyNameMayEndBefore looks further).
[[gnu::always_inline]] inline bool KeyTailMayEnd(const uint8_t* p, size_t t) {
  if (t < 2) return t == 1;
  // By the last byte: 'd' wants 'r' or 'w' before it, 't', 'n' and 'y' want 'e'; a quote, a space,
  // a tab or ':' pass; every other byte fails.
  switch (p[t - 1] | 0x20) {
    case 'd': {
      const int c2 = p[t - 2] | 0x20;
      return c2 == 'r' || c2 == 'w';
    }
    case 't':
    case 'n':
    case 'y':
      return (p[t - 2] | 0x20) == 'e';
    case '"':  // 0x22, '\'' 0x27, ' ' 0x20, '\t' 0x09 | 0x20 = 0x29 ')', ':' 0x3a
    case '\'':
    case ' ':
    case ':':
      return true;
    case ')':
      return p[t - 1] == '\t';
  }
  return false;
}

inline bool KeyNameMayEndBefore(const uint8_t* p, size_t t) {
  size_t j = t;
  if (j > 0 && p[j - 1] == ':') --j;
  for (int k = 0; k < 8 && j > 0 && (p[j - 1] == ' ' || p[j - 1] == '\t'); ++k) --j;
  if (j > 0 && (p[j - 1] == '"' || p[j - 1] == '\'')) {
    const uint8_t quote = p[--j];
    // An escaped quote, or a doubled one (curly quotes fold to two apostrophes).
    if (j > 0 && (p[j - 1] == '\\' || p[j - 1] == quote)) --j;
  }
  if (j < 3) return false;
  // Lower-cased with | 0x20 (no byte that is not a letter becomes one).
  const int c1 = p[j - 1] | 0x20, c2 = p[j - 2] | 0x20, c3 = p[j - 3] | 0x20;
  switch (c1) {
    case 'd':  // password, passwd, pwd
      return (c2 == 'r' && c3 == 'o') || (c2 == 'w' && (c3 == 's' || c3 == 'p'));
    case 't':  // secret
      return c2 == 'e' && c3 == 'r';
    case 'n':  // token
    case 'y':  // key
      return c2 == 'e' && c3 == 'k';
  }
  return false;
}

// A JSON member whose name is a secret's key name and whose string value is that secret (the
// key-value rules of AWS_ACCESS_KEY and API_KEY, as if written `key="value"`): the rule, or -1.
// `entity` is kAwsAccessKey or kApiKey. Structured bodies have no '=' between name and value.
int SecretRuleOfMember(std::string_view key, std::string_view value, int entity);

// Anchored match of built-in `entity` at `s`. True with `*hit` set on a match. The caller resets
// and checks cursor.touched_end() around the call.
bool MatchBuiltin(int entity, const Cursor& cur, size_t s, Hit* hit);

// True when one of `words` (lowercase, matched case-insensitively as whole words) occurs in the
// `window` bytes before `s`. Never reads at or after `s`.
bool ContextWordBefore(const Cursor& cur, size_t s, size_t window, const std::string_view* words,
                       size_t count);

// The maximum bytes before a candidate any detector reads (context words and boundaries).
inline constexpr size_t kMaxLookbehind = 64;
inline constexpr size_t kContextWindow = 48;

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_BUILTIN_H_
