#include "lib/mask/builtin.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "lib/base/base64url.h"
#include "lib/mask/validators.h"
#include "lib/mask/wallet.h"
#include "simdjson.h"

namespace jitguard::mask {
namespace {

using P = ptrdiff_t;

constexpr std::string_view kEntityNames[kNumBuiltinEntities] = {
    "EMAIL", "PHONE", "US_SSN", "NATIONAL_ID", "DATE_OF_BIRTH", "CREDIT_CARD", "CRYPTO_WALLET", "IPV4",    "IPV6",
    "MAC_ADDRESS", "IBAN",  "AWS_ACCESS_KEY", "API_KEY", "JWT", "PRIVATE_KEY"};

struct RuleInfo {
  std::string_view name;
  int entity;
};
constexpr RuleInfo kRules[kNumBuiltinRules] = {
    {"email", kEmail},        {"nanp", kPhone},        {"intl", kPhone},
    {"phone_context", kPhone},
    {"ssn", kUsSsn},          {"ssn_context", kUsSsn}, {"luhn", kCreditCard},
    {"ipv4", kIpv4},          {"ipv6", kIpv6},         {"iban", kIban},
    {"aws", kAwsAccessKey},   {"github", kApiKey},     {"gitlab", kApiKey},
    {"slack", kApiKey},       {"stripe", kApiKey},     {"openai", kApiKey},
    {"anthropic", kApiKey},   {"google", kApiKey},     {"npm", kApiKey},
    {"huggingface", kApiKey}, {"pypi", kApiKey},       {"shopify", kApiKey},
    {"sendgrid", kApiKey},    {"twilio", kApiKey},     {"mailgun", kApiKey},
    {"jwt", kJwt},            {"pem", kPrivateKey},    {"mac", kMacAddress},
    {"us_itin", kNationalId}, {"es_nif", kNationalId},  {"es_nie", kNationalId},
    {"in_aadhaar", kNationalId}, {"uk_nhs", kNationalId}, {"pl_pesel", kNationalId},
    {"fi_hetu", kNationalId}, {"sg_nric", kNationalId}, {"uk_nino", kNationalId},
    {"it_fiscal_code", kNationalId}, {"au_abn", kNationalId}, {"au_acn", kNationalId},
    {"au_tfn", kNationalId}, {"au_medicare", kNationalId}, {"in_pan", kNationalId},
    {"kr_rrn", kNationalId}, {"us_passport", kNationalId},
    {"btc_base58", kCryptoWallet}, {"btc_bech32", kCryptoWallet}, {"eth", kCryptoWallet},
    {"eth_context", kCryptoWallet}, {"dob", kDateOfBirth},
    {"databricks", kApiKey},  {"digitalocean", kApiKey}, {"vault", kApiKey},
    {"grafana", kApiKey},     {"postman", kApiKey},     {"linear", kApiKey},
    {"newrelic", kApiKey},    {"doppler", kApiKey},     {"age", kApiKey},
    {"aws_secret", kAwsAccessKey}, {"secret_assignment", kApiKey}, {"azure", kApiKey},
    {"azure_storage", kApiKey},
};

// Runs of a byte class starting at i; stops after `cap` + 1 bytes so callers can detect "too long".
template <typename Pred>
P Run(const Cursor& c, P i, P cap, Pred pred) {
  P k = 0;
  while (k <= cap && pred(c.At(i + k))) ++k;
  return k;
}

P DigitRun(const Cursor& c, P i, P cap) { return Run(c, i, cap, IsDigit); }

int Num(const Cursor& c, P i, P len) {
  int v = 0;
  for (P k = 0; k < len; ++k) v = v * 10 + (c.At(i + k) - '0');
  return v;
}

// ---- EMAIL
// ----------------------------------------------------------------------------------------
bool IsLocalChar(int c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

bool MatchEmail(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kEmail, c.Before(s))) return false;
  const int first = c.At(s);
  if (!IsAlnum(first) && first != '_') return false;
  P i = s;
  while (true) {
    const int ch = c.At(i);
    if (!IsLocalChar(ch)) break;
    if (ch == '.' && c.At(i - 1) == '.') return false;
    ++i;
    if (i - s > 64) return false;
  }
  if (c.At(i) != '@' || c.At(i - 1) == '.') return false;
  P j = i + 1;
  P best = -1;
  int labels = 0;
  while (true) {
    const P k = j;
    bool alpha = true;
    while (true) {
      const int ch = c.At(j);
      if (!IsAlnum(ch) && ch != '-') break;
      alpha &= IsAlpha(ch);
      ++j;
      if (j - k > 63) return best >= 0 ? (hit->end = best, hit->rule = kRuleEmail, true) : false;
    }
    if (j == k || c.At(k) == '-' || c.At(j - 1) == '-') break;
    ++labels;
    // A top-level domain is letters, or an IDNA A-label ("xn--" + punycode, RFC 5890).
    const bool punycode = j - k >= 5 && ToLower(c.At(k)) == 'x' && ToLower(c.At(k + 1)) == 'n' &&
                          c.At(k + 2) == '-' && c.At(k + 3) == '-';
    if (labels >= 2 && (alpha || punycode) && j - k >= 2) best = j;
    if (j - (i + 1) > 253) break;
    if (c.At(j) == '.' && IsAlnum(c.At(j + 1))) {
      ++j;
      continue;
    }
    break;
  }
  if (best < 0) return false;
  hit->end = static_cast<size_t>(best);
  hit->rule = kRuleEmail;
  return true;
}

// ---- PHONE
// ----------------------------------------------------------------------------------------
bool NanpArea(const Cursor& c, P i) {
  const int a = c.At(i), b = c.At(i + 1), d = c.At(i + 2);
  if (a < '2') return false;               // first digit 2-9
  if (b == '9') return false;              // X9X is reserved for expansion
  if (b == '1' && d == '1') return false;  // N11 service codes
  return true;
}
bool NanpExchange(const Cursor& c, P i) {
  const int a = c.At(i), b = c.At(i + 1), d = c.At(i + 2);
  if (a < '2') return false;
  if (b == '1' && d == '1') return false;
  return true;
}

// A phone ends here: not followed by a letter/digit, nor by a separator and another digit.
bool PhoneRightBoundary(const Cursor& c, P e) {
  const int ch = c.At(e);
  if (IsAlnum(ch) || ch == '_') return false;
  if ((ch == '-' || ch == '.' || ch == '/') && IsDigit(c.At(e + 1))) return false;
  return true;
}

// The 10-digit NANP body at i: "(AAA) EEE-NNNN" (space after ')' optional, '-', '.' or ' ' before
// the line number) or "AAA-EEE-NNNN" with one consistent separator; `contiguous` also allows
// "AAAEEENNNN". Returns the end or -1.
P NanpBody(const Cursor& c, P i, bool contiguous) {
  if (c.At(i) == '(') {
    if (DigitRun(c, i + 1, 3) != 3 || c.At(i + 4) != ')') return -1;
    if (!NanpArea(c, i + 1)) return -1;
    P j = i + 5;
    if (c.At(j) == ' ') ++j;
    if (DigitRun(c, j, 3) != 3 || !NanpExchange(c, j)) return -1;
    const int sep = c.At(j + 3);
    if (sep != '-' && sep != '.' && sep != ' ') return -1;
    if (DigitRun(c, j + 4, 4) != 4) return -1;
    return j + 8;
  }
  const P run = DigitRun(c, i, 10);
  if (run == 10 && contiguous) {
    if (!NanpArea(c, i) || !NanpExchange(c, i + 3)) return -1;
    return i + 10;
  }
  if (run != 3 || !NanpArea(c, i)) return -1;
  const int sep = c.At(i + 3);
  if (sep != '-' && sep != '.' && sep != ' ') return -1;
  if (DigitRun(c, i + 4, 3) != 3 || !NanpExchange(c, i + 4)) return -1;
  if (c.At(i + 7) != sep) return -1;
  if (DigitRun(c, i + 8, 4) != 4) return -1;
  return i + 12;
}

bool MatchPhoneStrict(const Cursor& c, P s, Hit* hit);

constexpr std::string_view kPhoneContext[] = {
    "call",    "phone",    "phones",   "tel",     "telephone", "mobile",  "cell",
    "fax",     "mob",      "whatsapp", "telefon", "telefono",  "telefone", "handy",
    "tlf",     "puhelin",  "mobil",    "portable", "contact number"};

// A national-format number (no "+CC") after a phone context word: an optional parenthesized area
// code, then digit groups split by one kind of single separator (' ', '-', '.', '/'), 8-15 digits
// in all (9 when contiguous). NANP shapes qualify here whatever their area code and exchange (the
// assignment tables go stale). Dates (YYYY-MM-DD, DD.MM.YYYY) are not numbers. Returns the end or
// -1.
P NationalPhoneBody(const Cursor& c, P s) {
  P j = s;
  int digits = 0, groups = 0;
  int len[8];
  if (c.At(j) == '(') {
    const P r = DigitRun(c, j + 1, 5);
    if (r < 1 || r > 5 || c.At(j + 1 + r) != ')') return -1;
    digits += static_cast<int>(r);
    len[groups++] = static_cast<int>(r);
    j += 2 + r;
    if (c.At(j) == ' ' || c.At(j) == '-') ++j;
  }
  int sep = -2;
  while (true) {
    const P r = DigitRun(c, j, 15);
    if (r == 0 || groups == 8) return -1;
    digits += static_cast<int>(r);
    if (digits > 15) return -1;
    len[groups++] = static_cast<int>(r);
    j += r;
    const int ch = c.At(j);
    if ((ch == ' ' || ch == '-' || ch == '.' || ch == '/') && (sep == -2 || ch == sep) &&
        IsDigit(c.At(j + 1))) {
      sep = ch;
      ++j;
      continue;
    }
    break;
  }
  // One contiguous group of 8 digits is as often a date (20240115) as a number.
  if (digits < 8 || (groups == 1 && digits < 9)) return -1;
  // National formats begin with the trunk prefix 0 or a parenthesized area code; or the number
  // has the NANP shape 3-3-4. (Keeps dates, epochs and order numbers away from the context
  // check, which is what this costs on clean prose.)
  const bool nanp = groups == 3 && len[0] == 3 && len[1] == 3 && len[2] == 4 && sep != '/';
  if (c.At(s) != '0' && c.At(s) != '(' && !nanp) return -1;
  if (groups == 3 && sep != ' ' &&
      ((len[0] == 4 && len[1] == 2 && len[2] == 2) || (len[0] == 2 && len[1] == 2 && len[2] == 4))) {
    return -1;
  }
  return j;
}

bool MatchPhoneContext(const Cursor& c, P s, Hit* hit) {
  const P end = NationalPhoneBody(c, s);
  if (end < 0 || !PhoneRightBoundary(c, end)) return false;
  if (!ContextWordBefore(c, static_cast<size_t>(s), kContextWindow, kPhoneContext,
                         std::size(kPhoneContext))) {
    return false;
  }
  hit->end = static_cast<size_t>(end);
  hit->rule = kRulePhoneContext;
  return true;
}

// International: +CC then digit groups split by single spaces, dots or dashes, with at most one
// parenthesized group (an area code "(30)" or the trunk prefix "(0)", which E.164 leaves out);
// 7-15 digits besides the trunk prefix. Returns the end or -1.
P IntlPhoneBody(const Cursor& c, P s) {
  if (!IsDigit(c.At(s + 1)) || c.At(s + 1) == '0') return -1;
  P j = s + 1;
  int digits = 0;
  bool paren = false;
  while (true) {
    const P run = DigitRun(c, j, 15);
    digits += static_cast<int>(run);
    j += run;
    if (digits > 15) return -1;
    const int sep = c.At(j);
    if ((sep == ' ' || sep == '.' || sep == '-') && IsDigit(c.At(j + 1))) {
      ++j;
      continue;
    }
    P q = -1;
    if (sep == '(') q = j;
    if (sep == ' ' && c.At(j + 1) == '(') q = j + 1;
    if (q >= 0 && !paren) {
      const P r = DigitRun(c, q + 1, 5);
      if (r < 1 || r > 5 || c.At(q + 1 + r) != ')') break;
      P k = q + 2 + r;
      if (c.At(k) == ' ' || c.At(k) == '-') ++k;
      if (!IsDigit(c.At(k))) break;
      if (!(r == 1 && c.At(q + 1) == '0')) digits += static_cast<int>(r);
      paren = true;
      j = k;
      continue;
    }
    break;
  }
  if (digits < 7) return -1;
  return j;
}

bool MatchPhone(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kPhone, c.Before(s))) return false;
  if (MatchPhoneStrict(c, s, hit)) return true;
  return c.At(s) != '+' && MatchPhoneContext(c, s, hit);
}

bool MatchPhoneStrict(const Cursor& c, P s, Hit* hit) {
  const int first = c.At(s);
  P end = -1;
  int rule = kRuleNanp;
  if (first == '+') {
    if (c.At(s + 1) == '1') {
      P j = s + 2;
      const int sep = c.At(j);
      if (sep == ' ' || sep == '-' || sep == '.') ++j;
      end = NanpBody(c, j, /*contiguous=*/j == s + 2);
      if (end < 0) return false;
    } else {
      end = IntlPhoneBody(c, s);
      if (end < 0) return false;
      rule = kRuleIntlPhone;
    }
  } else if (first == '1' && (c.At(s + 1) == '-' || c.At(s + 1) == '.' || c.At(s + 1) == ' ')) {
    end = NanpBody(c, s + 2, false);
    if (end < 0) return false;
  } else if (first == '(' || IsDigit(first)) {
    end = NanpBody(c, s, false);
    if (end < 0) return false;
  } else {
    return false;
  }
  if (!PhoneRightBoundary(c, end)) return false;
  hit->end = static_cast<size_t>(end);
  hit->rule = rule;
  return true;
}

// ---- US_SSN
// ---------------------------------------------------------------------------------------
bool SsaValid(int area, int group, int serial) {
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

constexpr std::string_view kSsnContext[] = {
    "ssn", "ssns", "ss#", "ssn#", "social security", "social sec", "soc sec", "socsec"};

bool MatchSsn(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kUsSsn, c.Before(s))) return false;
  const P run = DigitRun(c, s, 9);
  if (run == 3) {
    const int sep = c.At(s + 3);
    if (sep != '-' && sep != ' ' && sep != '.') return false;
    if (DigitRun(c, s + 4, 2) != 2 || c.At(s + 6) != sep || DigitRun(c, s + 7, 4) != 4) {
      return false;
    }
    const int next = c.At(s + 11);
    if (IsAlnum(next) || next == '_') return false;
    if ((next == '-' || next == '.') && IsDigit(c.At(s + 12))) return false;
    if (!SsaValid(Num(c, s, 3), Num(c, s + 4, 2), Num(c, s + 7, 4))) return false;
    hit->end = static_cast<size_t>(s + 11);
    hit->rule = kRuleSsn;
    return true;
  }
  if (run == 9) {
    const int next = c.At(s + 9);
    if (IsAlnum(next) || next == '_') return false;
    if ((next == '-' || next == '.' || next == ',') && IsDigit(c.At(s + 10))) return false;
    if (!SsaValid(Num(c, s, 3), Num(c, s + 3, 2), Num(c, s + 5, 4))) return false;
    if (!ContextWordBefore(c, static_cast<size_t>(s), kContextWindow, kSsnContext,
                           std::size(kSsnContext))) {
      return false;
    }
    hit->end = static_cast<size_t>(s + 9);
    hit->rule = kRuleSsnContext;
    return true;
  }
  return false;
}

// ---- CREDIT_CARD
// ---------------------------------------------------------------------------------- Issuer prefix
// and allowed lengths.
bool IssuerAccepts(const char* d, int len) {
  auto pre = [&](int k) {
    int v = 0;
    for (int i = 0; i < k; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  const int p1 = pre(1), p2 = pre(2), p3 = pre(3), p4 = pre(4);
  if (p1 == 4) return len == 13 || len == 16 || len == 19;                             // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len == 16;          // Mastercard
  if (p2 == 34 || p2 == 37) return len == 15;                                          // Amex
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) return len >= 16;            // Discover
  if (p4 >= 3528 && p4 <= 3589) return len >= 16;                                      // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return len >= 14;  // Diners
  if (p2 == 62) return len >= 16;                                                      // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return len >= 13;                            // Maestro
  return false;
}

bool CardValid(const char* digits, int len) {
  if (len < 13 || len > 19) return false;
  if (!IssuerAccepts(digits, len)) return false;
  return LuhnValid(std::string_view(digits, static_cast<size_t>(len)));
}

// The separator after the first group of a grouped number at s, or -2 (matches no byte).
int sep_of_group(const Cursor& c, P s) {
  const int sep = c.At(s + 4);
  return (sep == ' ' || sep == '-') ? sep : -2;
}

// True when the four-character groups before the group at s (each followed by `sep`) are upper-case
// letters or digits and reach back, over at most seven groups, to "CCdd" (an IBAN's country code
// and check digits) at a word boundary.
bool ContinuesIbanGroups(const Cursor& c, P s, int sep) {
  P g = s - 5;  // the start of the group before
  for (int groups = 0; groups < 7 && g >= 0; ++groups, g -= 5) {
    for (P k = 0; k < 4; ++k) {
      const int ch = c.At(g + k);
      if (!IsUpper(ch) && !IsDigit(ch)) return false;
    }
    const int before = c.At(g - 1);
    if (IsUpper(c.At(g)) && IsUpper(c.At(g + 1)) && IsDigit(c.At(g + 2)) && IsDigit(c.At(g + 3)) &&
        !IsAlnum(before) && before != '_') {
      return true;
    }
    if (before != sep) return false;
  }
  return false;
}

bool MatchCard(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kCreditCard, c.Before(s))) return false;
  char digits[24];
  P run = DigitRun(c, s, 19);
  if (run > 19) return false;
  for (P k = 0; k < run; ++k) digits[k] = static_cast<char>(c.At(s + k));
  const int sep = c.At(s + run);
  const bool grouped = (sep == ' ' || sep == '-') && IsDigit(c.At(s + run + 1));
  // A contiguous run of 13+ digits is a card on its own even when a space or a dash and more
  // digits follow (an expiry, a CVV, a second card, a suffix glued on: "4111111111111111-1").
  if (!grouped || run >= 13) {
    if (run < 13) return false;
    // A '.' and digits after it do not hide it either ("4111111111111111.1"): a decimal whose
    // integer part is 13-19 digits with an issuer prefix and a valid Luhn digit is rare, a card
    // dressed as one is not, so the fail-closed answer is to mask it.
    // Letters right after the digits do not hide them ("4111111111111111exp", a model told to
    // glue a word on): the number starts at a word boundary, issuer, length and Luhn decide.
    if (!CardValid(digits, static_cast<int>(run))) return false;
    hit->end = static_cast<size_t>(s + run);
    hit->rule = kRuleCard;
    return true;
  }
  // Grouped: 4-4-4-4(-3) style groups of four with a last group of 1-4, or Amex/Diners 4-6-5 /
  // 4-6-4; the separator never changes.
  if (run != 4) return false;
  // A run of groups that continues an IBAN is no card ("SE83 9594 4036 8070 4311 9690", one with a
  // wrong check digit: a valid one is masked whole as IBAN before the card is looked at): the
  // groups before it, same separator, are four upper-case letters or digits back to a first group
  // of country code and check digits at a word boundary. Any other group before it ("17rd 4111
  // 1111 1111 1111") does not hide the card.
  if (c.At(s - 1) == sep_of_group(c, s) && ContinuesIbanGroups(c, s, c.At(s - 1))) return false;
  int groups[6] = {4};
  int ngroups = 1;
  int total = 4;
  P j = s + 4;
  P best = -1;
  // The card is the longest run of groups of a card's shape that is a valid number, also when more
  // groups follow (fail closed: "4111 1111 1111 1111 1@example.com", "... 1 415 555 0132" and
  // "... 123-45-6789" would otherwise leave the four groups standing once another value took the
  // next one; a longer account number whose first groups happen to form a valid card is masked).
  while (ngroups < 6 && c.At(j) == sep && IsDigit(c.At(j + 1))) {
    const P g = DigitRun(c, j + 1, 6);
    if (g > 6 || total + g > 19) break;
    for (P k = 0; k < g; ++k) digits[total + k] = static_cast<char>(c.At(j + 1 + k));
    groups[ngroups++] = static_cast<int>(g);
    total += static_cast<int>(g);
    j += 1 + g;
    bool shape_ok = false;
    if (ngroups == 3 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4)) {
      shape_ok = true;  // Amex 4-6-5, Diners 4-6-4
    } else {
      shape_ok = true;
      for (int k = 1; k < ngroups - 1; ++k) shape_ok &= groups[k] == 4;
      shape_ok &= groups[ngroups - 1] >= 1 && groups[ngroups - 1] <= 4;
    }
    if (shape_ok && CardValid(digits, total)) best = j;
    if (groups[ngroups - 1] != 4 && !(ngroups == 2 && groups[1] == 6)) break;
  }
  if (best < 0) return false;
  hit->end = static_cast<size_t>(best);
  hit->rule = kRuleCard;
  return true;
}

// ---- IPV4
// ----------------------------------------------------------------------------------------- Dotted
// quad at i without boundary checks; returns the end or -1.
P Ipv4Body(const Cursor& c, P i) {
  P j = i;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (c.At(j) != '.') return -1;
      ++j;
    }
    const P run = DigitRun(c, j, 3);
    if (run == 0 || run > 3 || Num(c, j, run) > 255) return -1;
    j += run;
  }
  return j;
}

bool MatchIpv4(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kIpv4, c.Before(s))) return false;
  const P end = Ipv4Body(c, s);
  if (end < 0) return false;
  const int next = c.At(end);
  if (IsAlnum(next) || next == '_') return false;
  if (next == '.' && IsDigit(c.At(end + 1))) return false;  // part of a longer dotted number
  if (next == '-' && IsAlpha(c.At(end + 1))) return false;  // a version such as 2.0.0.1-rc
  hit->end = static_cast<size_t>(end);
  hit->rule = kRuleIpv4;
  return true;
}

// ---- IPV6
// -----------------------------------------------------------------------------------------
bool MatchIpv6(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kIpv6, c.Before(s))) return false;
  P i = s;
  int groups = 0;
  bool compressed = false;
  bool has_digit = false;
  if (c.At(i) == ':') {
    if (c.At(i + 1) != ':') return false;
    compressed = true;
    i += 2;
  }
  while (true) {
    const P run = Run(c, i, 4, IsHex);
    if (run == 0) break;
    if (c.At(i + run) == '.' && IsDigit(c.At(i + run + 1))) {
      // Embedded IPv4 in the last 32 bits.
      const P end = Ipv4Body(c, i);
      if (end < 0 || groups > 6) return false;
      groups += 2;
      has_digit = true;
      i = end;
      break;
    }
    if (run > 4) return false;
    for (P k = 0; k < run; ++k) has_digit |= IsDigit(c.At(i + k));
    ++groups;
    i += run;
    if (groups > 8) return false;
    if (c.At(i) != ':') break;
    if (c.At(i + 1) == ':') {
      if (compressed) return false;  // two "::" (RFC 4291 allows one): not an address
      compressed = true;
      i += 2;
      continue;
    }
    if (!IsHex(c.At(i + 1))) break;  // a trailing ':' is not part of it
    ++i;
  }
  // A digit somewhere keeps "dead::beef" and C++'s "a::b" out (and lets the prefilter rely on
  // digits as the trigger of every address).
  if (!has_digit || (compressed ? (groups > 7 || groups == 0) : groups != 8)) return false;
  const int next = c.At(i);
  if (IsAlnum(next) || next == '_') return false;
  if (next == '.' && IsDigit(c.At(i + 1))) return false;
  hit->end = static_cast<size_t>(i);
  hit->rule = kRuleIpv6;
  return true;
}

// ---- IBAN
// -----------------------------------------------------------------------------------------
bool MatchIban(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kIban, c.Before(s))) return false;
  if (!IsUpper(c.At(s)) || !IsUpper(c.At(s + 1)) || !IsDigit(c.At(s + 2)) ||
      !IsDigit(c.At(s + 3))) {
    return false;
  }
  const int length = IbanLength(static_cast<char>(c.At(s)), static_cast<char>(c.At(s + 1)));
  if (length == 0) return false;
  auto bban = [](int ch) { return IsUpper(ch) || IsDigit(ch); };
  char buf[40];
  int n = 0;
  P j = s;
  if (c.At(s + 4) == ' ' || c.At(s + 4) == '-') {
    // Groups of four separated by single spaces (or single dashes, one kind throughout); the last
    // group has 1-4 characters.
    const int sep = c.At(s + 4);
    while (n < length) {
      if (n > 0) {
        if (c.At(j) != sep) return false;
        ++j;
      }
      const P g = Run(c, j, 4, bban);
      const int want = length - n < 4 ? length - n : 4;
      if (g != want) return false;
      for (P k = 0; k < g; ++k) buf[n + k] = static_cast<char>(c.At(j + k));
      n += static_cast<int>(g);
      j += g;
    }
  } else {
    const P run = Run(c, s, 34, bban);
    if (run != length) return false;
    for (P k = 0; k < run; ++k) buf[k] = static_cast<char>(c.At(s + k));
    n = static_cast<int>(run);
    j = s + run;
  }
  if (IsAlnum(c.At(j)) || c.At(j) == '_') return false;
  if (c.At(j) == '-' && IsAlnum(c.At(j + 1))) return false;
  if (!Mod97Valid(std::string_view(buf, static_cast<size_t>(n)))) return false;
  hit->end = static_cast<size_t>(j);
  hit->rule = kRuleIban;
  return true;
}

// ---- AWS_ACCESS_KEY
// -------------------------------------------------------------------------------
constexpr std::string_view kAwsPrefixes[] = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA",
                                             "ANPA", "ANVA", "APKA", "ABIA", "ACCA", "A3T"};

bool HasPrefix(const Cursor& c, P s, std::string_view prefix) {
  for (size_t k = 0; k < prefix.size(); ++k) {
    if (c.At(s + static_cast<P>(k)) != static_cast<unsigned char>(prefix[k])) return false;
  }
  return true;
}

// The left boundary of a prefixed key (AKIA..., ghp_...): not inside a word or an identifier.
bool PrefixBoundaryOk(int prev) { return !(IsAlnum(prev) || prev == '_' || prev == '-'); }

[[gnu::noinline]] bool MatchKeyValue(const Cursor& c, P s, int entity, Hit* hit);

bool MatchAws(const Cursor& c, P s, Hit* hit) {
  const int first = c.At(s);
  if (IsKeyValueSeparator(first)) return MatchKeyValue(c, s, kAwsAccessKey, hit);
  if (first != 'A' || !PrefixBoundaryOk(c.Before(s))) return false;
  for (std::string_view prefix : kAwsPrefixes) {
    if (!HasPrefix(c, s, prefix)) continue;
    const P body_start = s + static_cast<P>(prefix.size());
    const P body_len = 20 - static_cast<P>(prefix.size());
    auto upper_digit = [](int ch) { return IsUpper(ch) || IsDigit(ch); };
    if (Run(c, body_start, body_len, upper_digit) != body_len) return false;
    if (IsAlnum(c.At(s + 20)) || c.At(s + 20) == '_') return false;
    hit->end = static_cast<size_t>(s + 20);
    hit->rule = kRuleAws;
    return true;
  }
  return false;
}

// ---- API_KEY
// --------------------------------------------------------------------------------------
enum class Body {
  kAlnum,
  kAlnumUnderscore,
  kAlnumDash,
  kAlnumDashUnderscore,
  kHex,
  kSendgrid,
  kLowerHex,     // [a-f0-9]
  kHexDash,      // [A-Fa-f0-9-] (Postman: 24 hex, '-', 34 hex)
  kBase64,       // [A-Za-z0-9+/], then up to three '=' (Grafana Cloud)
  kBech32Upper,  // the upper-case bech32 alphabet (age)
};

struct VendorKey {
  std::string_view prefix;
  Body body;
  int min_body;
  int rule;
  bool mixed = false;  // the body must hold letters and digits (generic prefixes such as "sk-")
  int exact = 0;       // when nonzero, the body has exactly this length
  int sep_at = 0;      // when nonzero, the body holds `sep` there and nowhere else
  char sep = 0;
};
// Grouped by first byte (the matcher only walks the group of the byte at the candidate); within a
// group, longer prefixes first where one is a prefix of another (sk-ant- before sk-). The patterns
// after "gitleaks:" are those of gitleaks' default configuration (docs/masking.md).
constexpr VendorKey kVendorKeys[] = {
    {"github_pat_", Body::kAlnumUnderscore, 22, kRuleGithub},
    {"ghp_", Body::kAlnum, 30, kRuleGithub},
    {"gho_", Body::kAlnum, 30, kRuleGithub},
    {"ghu_", Body::kAlnum, 30, kRuleGithub},
    {"ghs_", Body::kAlnum, 30, kRuleGithub},
    {"ghr_", Body::kAlnum, 30, kRuleGithub},
    {"glpat-", Body::kAlnumDashUnderscore, 20, kRuleGitlab},
    // gitleaks: glc_[A-Za-z0-9+/]{32,400}={0,3}; glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}.
    {"glc_", Body::kBase64, 32, kRuleGrafana},
    {"glsa_", Body::kAlnumUnderscore, 41, kRuleGrafana, false, 41, 32, '_'},
    {"xoxa-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxb-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxe-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxo-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxp-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxr-", Body::kAlnumDash, 10, kRuleSlack},
    {"xoxs-", Body::kAlnumDash, 10, kRuleSlack},
    {"shpat_", Body::kHex, 32, kRuleShopify, false, 32},
    {"shpca_", Body::kHex, 32, kRuleShopify, false, 32},
    {"shppa_", Body::kHex, 32, kRuleShopify, false, 32},
    {"shpss_", Body::kHex, 32, kRuleShopify, false, 32},
    {"sk_live_", Body::kAlnum, 16, kRuleStripe},
    {"sk_test_", Body::kAlnum, 16, kRuleStripe},
    {"sk-ant-", Body::kAlnumDashUnderscore, 20, kRuleAnthropic, true},
    {"sk-proj-", Body::kAlnumDashUnderscore, 20, kRuleOpenai, true},
    {"sk-svcacct-", Body::kAlnumDashUnderscore, 20, kRuleOpenai, true},
    {"sk-", Body::kAlnumDashUnderscore, 20, kRuleOpenai, true},
    {"rk_live_", Body::kAlnum, 16, kRuleStripe},
    {"rk_test_", Body::kAlnum, 16, kRuleStripe},
    {"whsec_", Body::kAlnum, 24, kRuleStripe},
    {"AIza", Body::kAlnumDashUnderscore, 35, kRuleGoogle},
    // gitleaks: AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}.
    {"AGE-SECRET-KEY-1", Body::kBech32Upper, 58, kRuleAge, false, 58},
    {"npm_", Body::kAlnum, 36, kRuleNpm},
    // gitleaks: NRAK-[a-z0-9]{27} (case-insensitive).
    {"NRAK-", Body::kAlnum, 27, kRuleNewrelic, false, 27},
    {"pypi-AgEIcHlwaS5vcmc", Body::kAlnumDashUnderscore, 50, kRulePypi},
    // gitleaks: PMAK-[a-f0-9]{24}-[a-f0-9]{34} (case-insensitive).
    {"PMAK-", Body::kHexDash, 59, kRulePostman, false, 59, 24, '-'},
    {"SG.", Body::kSendgrid, 66, kRuleSendgrid, false, 66, 22, '.'},
    {"SK", Body::kHex, 32, kRuleTwilio, false, 32},
    {"key-", Body::kHex, 32, kRuleMailgun, false, 32},
    {"hf_", Body::kAlnum, 30, kRuleHuggingface},
    // gitleaks: hvs\.[\w-]{90,120}; hvb\.[\w-]{138,300}.
    {"hvs.", Body::kAlnumDashUnderscore, 90, kRuleVault},
    {"hvb.", Body::kAlnumDashUnderscore, 138, kRuleVault},
    // gitleaks: dapi[a-f0-9]{32}(?:-\d)?; do[opr]_v1_[a-f0-9]{64}; dp\.pt\.[a-z0-9]{43} (i).
    {"dapi", Body::kLowerHex, 32, kRuleDatabricks, false, 32},
    {"dop_v1_", Body::kLowerHex, 64, kRuleDigitalocean, false, 64},
    {"doo_v1_", Body::kLowerHex, 64, kRuleDigitalocean, false, 64},
    {"dor_v1_", Body::kLowerHex, 64, kRuleDigitalocean, false, 64},
    {"dp.pt.", Body::kAlnum, 43, kRuleDoppler, false, 43},
    // gitleaks: lin_api_[a-z0-9]{40} (case-insensitive).
    {"lin_api_", Body::kAlnum, 40, kRuleLinear, false, 40},
};

// [first, last) index range of kVendorKeys per first byte.
struct VendorIndex {
  uint8_t first[256] = {};
  uint8_t last[256] = {};
  constexpr VendorIndex() {
    for (size_t i = 0; i < std::size(kVendorKeys); ++i) {
      const auto c = static_cast<unsigned char>(kVendorKeys[i].prefix[0]);
      if (first[c] == last[c]) first[c] = static_cast<uint8_t>(i);
      last[c] = static_cast<uint8_t>(i + 1);
    }
  }
};
constexpr VendorIndex kVendorIndex;

bool ApiKeyPrefixCanStartWith(int c) { return kVendorIndex.first[c] != kVendorIndex.last[c]; }

// A vendor key's body is read up to this many bytes (a longer run is masked for its first 255;
// Grafana Cloud tokens run to 400).
constexpr P kMaxKeyBody = 255;
constexpr P kMaxBase64Body = 400;

bool IsBech32Upper(int ch) {
  // The bech32 alphabet (BIP-173) upper-cased: digits and letters except 1, B, I, O.
  return (IsDigit(ch) && ch != '1') || (IsUpper(ch) && ch != 'B' && ch != 'I' && ch != 'O');
}

bool InBody(Body b, int ch) {
  switch (b) {
    case Body::kHex:
      return IsHex(ch);
    case Body::kLowerHex:
      return IsDigit(ch) || (ch >= 'a' && ch <= 'f');
    case Body::kHexDash:
      return IsHex(ch) || ch == '-';
    case Body::kBase64:
      return IsAlnum(ch) || ch == '+' || ch == '/';
    case Body::kBech32Upper:
      return IsBech32Upper(ch);
    case Body::kAlnum:
      return IsAlnum(ch);
    case Body::kAlnumUnderscore:
      return IsAlnum(ch) || ch == '_';
    case Body::kAlnumDash:
      return IsAlnum(ch) || ch == '-';
    case Body::kAlnumDashUnderscore:
      return IsAlnum(ch) || ch == '-' || ch == '_';
    case Body::kSendgrid:
      return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.';
  }
  return false;
}

// The vendor key whose prefix is at s (the first one of its group that matches decides).
bool MatchVendorKey(const Cursor& c, P s, int first, Hit* hit) {
  if (!ApiKeyPrefixCanStartWith(first)) return false;
  const int second = c.At(s + 1);
  for (size_t i = kVendorIndex.first[first]; i < kVendorIndex.last[first]; ++i) {
    const VendorKey& key = kVendorKeys[i];
    if (static_cast<unsigned char>(key.prefix[1]) != second || !HasPrefix(c, s, key.prefix)) {
      continue;
    }
    const P b = s + static_cast<P>(key.prefix.size());
    bool digit = false, alpha = false;
    int seps = 0;
    const P cap = key.body == Body::kBase64 ? kMaxBase64Body : kMaxKeyBody;
    P k = 0;
    while (k < cap) {
      const int ch = c.At(b + k);
      if (!InBody(key.body, ch)) break;
      digit |= IsDigit(ch);
      alpha |= IsAlpha(ch);
      seps += key.sep != 0 && ch == key.sep;
      ++k;
    }
    // A generic prefix needs a random-looking body: letters and digits (keeps
    // "sk-some-long-identifier" out).
    if (k < key.min_body || (key.mixed && (!digit || !alpha))) return false;
    if (key.exact != 0) {
      // Fixed-length tokens (gitleaks' rules): exactly that long, and for SendGrid, Postman and
      // Grafana service accounts the separator at its place ("SG." + 22 + "." + 43).
      if (key.body == Body::kSendgrid && k == key.exact + 1 && c.At(b + k - 1) == '.') {
        --k;
        --seps;
      }
      if (k != key.exact) return false;
      if (key.sep_at != 0) {
        if (c.At(b + key.sep_at) != key.sep) return false;
        // Postman and Grafana: the separator once; SendGrid's body may hold more dots.
        if (key.body != Body::kSendgrid && seps != 1) return false;
      }
      if ((key.body == Body::kHex || key.body == Body::kLowerHex) && !digit) return false;
      if (key.rule == kRuleGrafana) {
        // glsa_: 32 letters or digits, '_', 8 hex digits.
        for (P j = key.sep_at + 1; j < k; ++j) {
          if (!IsHex(c.At(b + j))) return false;
        }
      }
    } else if (key.body == Body::kBase64) {
      for (int pad = 0; pad < 3 && c.At(b + k) == '='; ++pad) ++k;
    }
    if (key.rule == kRuleDatabricks && c.At(b + k) == '-' && IsDigit(c.At(b + k + 1)) &&
        !IsAlnum(c.At(b + k + 2))) {
      k += 2;  // the optional "-<digit>" suffix
    }
    hit->end = static_cast<size_t>(b + k);
    hit->rule = key.rule;
    return true;
  }
  return false;
}

bool MatchApiKey(const Cursor& c, P s, Hit* hit) {
  const int first = c.At(s);
  if (IsKeyValueSeparator(first)) return MatchKeyValue(c, s, kApiKey, hit);
  if (first < 0 || !PrefixBoundaryOk(c.Before(s))) return false;
  return MatchVendorKey(c, s, first, hit);
}

// ---- JWT
// ------------------------------------------------------------------------------------------
bool IsB64Url(int ch) { return IsAlnum(ch) || ch == '-' || ch == '_'; }

bool HeaderIsJsonObject(std::string_view segment) {
  std::optional<std::string> decoded = base::Base64UrlDecodeStrict(segment);
  if (!decoded || decoded->empty() || (*decoded)[0] != '{') return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  return parser.parse(*decoded).get(object) == simdjson::SUCCESS;
}

bool MatchJwt(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kJwt, c.Before(s))) return false;
  if (!HasPrefix(c, s, "eyJ")) return false;
  constexpr P kMaxSegment[5] = {1024, 12288, 1024, 4096, 1024};
  P seg_start[5], seg_len[5];
  int segments = 0;
  P j = s;
  while (segments < 5) {
    const P run = Run(c, j, kMaxSegment[segments], IsB64Url);
    if (run > kMaxSegment[segments]) return false;
    seg_start[segments] = j;
    seg_len[segments] = run;
    ++segments;
    j += run;
    if (c.At(j) != '.') break;
    if (segments == 5) break;
    ++j;
  }
  if (segments < 3 || seg_len[1] == 0 || seg_len[0] < 4) return false;
  const int used = segments == 5 ? 5 : 3;
  const P end = seg_start[used - 1] + seg_len[used - 1];
  std::string_view header(reinterpret_cast<const char*>(c.data()) + seg_start[0],
                          static_cast<size_t>(seg_len[0]));
  if (!HeaderIsJsonObject(header)) return false;
  hit->end = static_cast<size_t>(end);
  hit->rule = kRuleJwt;
  return true;
}

// ---- PRIVATE_KEY
// ----------------------------------------------------------------------------------
// "-----BEGIN <label>PRIVATE KEY-----" ... "-----END <label>PRIVATE KEY-----"; a block whose END
// never comes runs to the end of the text.
bool PemLabelAt(const Cursor& c, P i, P* label_end) {
  // [A-Z0-9 ]* ending in "PRIVATE KEY-----"; returns the position after the dashes.
  P j = i;
  while (j - i < 64) {
    const int ch = c.At(j);
    if (!(IsUpper(ch) || IsDigit(ch) || ch == ' ')) break;
    ++j;
  }
  constexpr std::string_view kTail = "PRIVATE KEY";
  if (j - i < static_cast<P>(kTail.size())) return false;
  for (size_t k = 0; k < kTail.size(); ++k) {
    if (c.At(j - static_cast<P>(kTail.size()) + static_cast<P>(k)) !=
        static_cast<unsigned char>(kTail[k])) {
      return false;
    }
  }
  if (!HasPrefix(c, j, "-----")) return false;
  *label_end = j + 5;
  return true;
}

bool MatchPem(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kPrivateKey, c.Before(s))) return false;
  if (!HasPrefix(c, s, "-----BEGIN ")) return false;
  P header_end;
  if (!PemLabelAt(c, s + 11, &header_end)) return false;
  const char* base = reinterpret_cast<const char*>(c.data());
  const size_t n = c.size();
  size_t from = static_cast<size_t>(header_end);
  constexpr std::string_view kEnd = "-----END ";
  while (from < n) {
    const void* found = memmem(base + from, n - from, kEnd.data(), kEnd.size());
    if (found == nullptr) break;
    const P at = static_cast<const char*>(found) - base;
    P end;
    if (PemLabelAt(c, at + static_cast<P>(kEnd.size()), &end)) {
      hit->end = static_cast<size_t>(end);
      hit->rule = kRulePem;
      return true;
    }
    if (c.touched_end()) return false;  // the END line itself is incomplete
    from = static_cast<size_t>(at) + 1;
  }
  // No END yet: in a stream, wait for it; at the end of the text, mask to the end (fail closed).
  c.MarkTouchedEnd();
  hit->end = n;
  hit->rule = kRulePem;
  return true;
}

// ---- key-value secrets (AWS_ACCESS_KEY aws_secret; API_KEY secret_assignment, azure,
// azure_storage)
// ------------------------------------------------------------------------------------------------
// Anchored at the '=' after a key name ("password=", "AWS_SECRET_ACCESS_KEY = ",
// "client_secret=\"", "secret := '"); the value alone is masked (Hit::begin). Issue 14, item 3.

// KeyNameMayEndBefore through the cursor (the bytes before a candidate are always in the
// buffer).
bool KeyNameMayEndBeforeCursor(const Cursor& c, P t) {
  return KeyNameMayEndBefore(c.data(), static_cast<size_t>(t));
}

bool IsKeyNameByte(int ch) { return IsAlnum(ch) || ch == '_' || ch == '-' || ch == '.'; }

// The longest key name read back from the separator; a longer one is not a key of ours (and a
// stream, which keeps 64 bytes of left context, reads the same bytes as one-shot).
constexpr P kMaxKeyName = 48;

enum class KeyKind { kNone, kAws, kGeneric, kAccountKey };

// The key name [ks, ke): lower-cased with '-' and '.' read as '_'.
KeyKind ClassifyKey(const Cursor& c, P ks, P ke, int entity) {
  char low[kMaxKeyName];
  const P len = ke - ks;
  for (P i = 0; i < len; ++i) {
    const int ch = c.At(ks + i);
    low[i] = static_cast<char>(ch == '-' || ch == '.' ? '_' : ToLower(ch));
  }
  const std::string_view id(low, static_cast<size_t>(len));
  auto ends_with = [&](std::string_view name) {
    if (id.size() < name.size() || id.substr(id.size() - name.size()) != name) return false;
    const size_t at = id.size() - name.size();
    if (at == 0) return true;
    // A word boundary before the name: '_', a digit, or a lower-case to upper-case step
    // ("clientSecret", "SecretAccessKey").
    const char before = id[at - 1];
    return before == '_' || IsDigit(before) ||
           (IsUpper(c.At(ks + static_cast<P>(at))) && IsLower(c.At(ks + static_cast<P>(at) - 1)));
  };
  if (entity == kAwsAccessKey) {
    for (std::string_view name :
         {"secret_access_key", "secretaccesskey", "aws_secret_key", "aws_secret"}) {
      if (ends_with(name)) return KeyKind::kAws;
    }
    return KeyKind::kNone;
  }
  if (id == "accountkey") return KeyKind::kAccountKey;
  // The shell's current directory, not a password.
  if (id == "pwd" || id == "oldpwd") {
    if (IsUpper(c.At(ks))) return KeyKind::kNone;
  }
  for (std::string_view name : {"password", "passwd", "pwd", "secret", "secret_key", "api_key",
                                "apikey", "token"}) {
    if (ends_with(name)) return KeyKind::kGeneric;
  }
  return KeyKind::kNone;
}

// The longest value of a key-value secret (a bare one may end one byte later).
constexpr P kMaxSecretValue = 256;

// k * log2(k) for the byte counts of a value (at most kMaxSecretValue + 1 bytes).
struct XLog2X {
  double value[kMaxSecretValue + 2];
  XLog2X() {
    value[0] = 0;
    for (size_t k = 1; k < std::size(value); ++k) {
      value[k] = static_cast<double>(k) * std::log2(static_cast<double>(k));
    }
  }
};

// Shannon entropy of the value's bytes, in bits per byte: log2(n) - sum(k log2 k) / n over the
// counts k of its distinct bytes.
double Entropy(const Cursor& c, P vb, P ve) {
  static const XLog2X table;
  uint16_t count[256] = {};
  uint8_t distinct[256];
  int nd = 0;
  for (P i = vb; i < ve; ++i) {
    const uint8_t ch = static_cast<uint8_t>(c.At(i));
    if (count[ch]++ == 0) distinct[nd++] = ch;
  }
  const P n = ve - vb;
  double sum = 0;
  for (int k = 0; k < nd; ++k) sum += table.value[count[distinct[k]]];
  return table.value[n] / static_cast<double>(n) - sum / static_cast<double>(n);
}

// Classes of characters in the value: lower-case, upper-case after the first byte (a capitalized
// word is one class), digits, others.
int CharClasses(const Cursor& c, P vb, P ve) {
  bool lower = false, upper = false, digit = false, other = false;
  for (P i = vb; i < ve; ++i) {
    const int ch = c.At(i);
    lower |= IsLower(ch);
    upper |= IsUpper(ch) && i > vb;
    digit |= IsDigit(ch);
    other |= !IsAlnum(ch);
  }
  return lower + upper + digit + other;
}

// The entropy floor of a generic secret, by the classes of characters it mixes: gitleaks'
// generic-api-key floor (3.5 bits per byte) for one class, lower for passwords that mix classes
// (an 8-byte value has at most 3 bits per byte).
double EntropyFloor(int classes) { return classes <= 1 ? 3.5 : classes == 2 ? 3.0 : 2.5; }

// Values that stand for a secret, or describe one, instead of being one.
bool IsPlaceholder(const Cursor& c, P vb, P ve) {
  const int first = c.At(vb);
  if (first == '$' || first == '{' || first == '%' || first == '[' || first == '<' ||
      first == '*' || first == '(') {
    return true;  // ${PASSWORD}, $PASSWORD, {{ token }}, %PASSWORD%, [REDACTED], <password>, ***
  }
  // A path (/run/secrets/db_password, /etc/app/secret_2.key): '/', then lower-case path bytes with
  // a second '/' (a base64 secret may start with '/' too, and holds capitals).
  if (first == '/') {
    int slashes = 0;
    bool path = true;
    for (P k = vb; k < ve && path; ++k) {
      const int ch = c.At(k);
      slashes += ch == '/';
      path = IsLower(ch) || IsDigit(ch) || ch == '/' || ch == '_' || ch == '-' || ch == '.';
    }
    if (path && slashes >= 2) return true;
  }
  // A date or time ("2024-01-01T12:30:45Z") or a version ("v2.3.1-rc1", "10.4.2+build7"), whole:
  // what a key names in prose and configuration, not the secret.
  if (DigitRun(c, vb, 4) == 4 && c.At(vb + 4) == '-' && DigitRun(c, vb + 5, 2) == 2 &&
      c.At(vb + 7) == '-' && DigitRun(c, vb + 8, 2) == 2) {
    P k = vb + 10;
    if (k < ve && (c.At(k) == 'T' || c.At(k) == 't')) ++k;
    while (k < ve && (IsDigit(c.At(k)) || c.At(k) == ':' || c.At(k) == '.' || c.At(k) == 'Z' ||
                      c.At(k) == '+' || c.At(k) == '-')) {
      ++k;
    }
    if (k == ve) return true;
  }
  P k = vb + (first == 'v' || first == 'V' ? 1 : 0);
  if (IsDigit(c.At(k))) {
    int dots = 0;
    while (k < ve && (IsDigit(c.At(k)) || c.At(k) == '.')) dots += c.At(k++) == '.';
    if (dots >= 1 && k < ve && (c.At(k) == '-' || c.At(k) == '+')) {
      ++k;
      while (k < ve && (IsLower(c.At(k)) || IsDigit(c.At(k)) || c.At(k) == '.')) ++k;
    }
    if (dots >= 1 && k == ve) return true;
  }
  char buf[kMaxSecretValue + 2];
  size_t len = 0;
  bool same = true;
  for (P i = vb; i < ve; ++i) {
    const int ch = c.At(i);
    buf[len++] = static_cast<char>(ToLower(ch));
    same &= ch == first;
  }
  if (same) return true;  // xxxxxxxx
  const std::string_view low(buf, len);
  for (std::string_view word : {"changeme", "password", "passw0rd", "secret", "null", "none",
                                "true", "false", "undefined", "example", "placeholder",
                                "redacted", "required", "optional", "string", "hidden", "masked",
                                "notasecret"}) {
    if (low == word) return true;
  }
  for (std::string_view part : {"xxxx", "****", "...", "your_", "your-", "<", "example",
                                "placeholder", "changeme", "redacted", "dummy", "process.env",
                                "os.environ", "getenv", "("}) {
    if (low.find(part) != std::string::npos) return true;
  }
  return false;
}

bool IsBase64Byte(int ch) { return IsAlnum(ch) || ch == '+' || ch == '/'; }

// A bare (unquoted) value runs to whitespace or one of these.
bool EndsBareValue(int ch) {
  return ch < 0 || IsSpace(ch) || ch == '"' || ch == '\'' || ch == '`' || ch == ',' ||
         ch == ';' || ch == '&' || ch == '<' || ch == '>' || ch == ')' || ch == ']' ||
         ch == '}' || ch == '\\' || ch == 0x7f || ch < 0x20;
}

bool MatchKeyValue(const Cursor& c, P s, int entity, Hit* hit) {
  const bool colon = c.At(s) == ':';
  // Not a ':' of "::" (IPv6, C++ scopes), ":=" (the '=' is the separator), "://" (a URL) or
  // "a:b:c" chains of one value.
  if (colon && (c.At(s + 1) == ':' || c.At(s + 1) == '=' || c.At(s + 1) == '/' ||
                c.At(s - 1) == ':')) {
    return false;
  }
  if (!KeyNameMayEndBeforeCursor(c, s)) return false;
  // The key name before the separator (the spaces and the quote KeyNameMayEndBeforeCursor
  // skipped).
  P ke = s;
  if (!colon && c.At(ke - 1) == ':') --ke;  // ":="
  for (int k = 0; k < 8 && (c.At(ke - 1) == ' ' || c.At(ke - 1) == '\t'); ++k) --ke;
  int key_quote = 0;
  if (c.At(ke - 1) == '"' || c.At(ke - 1) == '\'') {
    key_quote = c.At(ke - 1);
    --ke;
    // Escaped, or doubled (curly quotes fold to two apostrophes).
    if (c.At(ke - 1) == '\\' || c.At(ke - 1) == key_quote) --ke;
  }
  P ks = ke;
  while (ke - ks <= kMaxKeyName && IsKeyNameByte(c.At(ks - 1))) --ks;
  if (ke - ks > kMaxKeyName || ks == ke) return false;
  if (key_quote != 0 && c.At(ks - 1) != key_quote && c.At(ks - 1) != '\\') return false;
  // One field of a colon- or slash-separated name ("arn:aws:secretsmanager:...:secret:db-x"; a
  // log prefix such as "INFO:root:password: ..." has a space after the separator).
  if (colon && key_quote == 0 && (c.At(ks - 1) == ':' || c.At(ks - 1) == '/') &&
      !IsSpace(c.At(s + 1))) {
    return false;
  }
  const KeyKind kind = ClassifyKey(c, ks, ke, entity);
  if (kind == KeyKind::kNone) return false;

  // The value: after '=' (or "=>", "=="), spaces, and an optional quote ('"', '\'', '`' or an
  // escaped "\"" inside a JSON string).
  P i = s + 1;
  if (!colon && (c.At(i) == '=' || c.At(i) == '>')) ++i;
  for (int k = 0; k < 8 && (c.At(i) == ' ' || c.At(i) == '\t'); ++k) ++i;
  int quote = 0;
  bool escaped = false;
  if (c.At(i) == '\\' && c.At(i + 1) == '"') {
    quote = '"';
    escaped = true;
    i += 2;
  } else if (c.At(i) == '"' || c.At(i) == '\'' || c.At(i) == '`') {
    quote = c.At(i);
    ++i;
    if (quote != '`' && c.At(i) == quote) {
      ++i;  // doubled: curly quotes fold to ''
    } else if (quote == '"' && c.At(i) == '\\' && c.At(i + 1) == '"') {
      // A JSON string holding a quoted value ("\"s3cr3t\""): the value ends at the escaped quote.
      escaped = true;
      i += 2;
    }
  }
  // Spaces inside the quote are not part of the value.
  if (quote != 0) {
    for (int k = 0; k < 8 && (c.At(i) == ' ' || c.At(i) == '\t'); ++k) ++i;
  }
  const P vb = i;
  if (IsKeyValueSeparator(c.At(vb))) return false;
  P ve = vb;
  if (quote != 0) {
    while (true) {
      const int ch = c.At(ve);
      if (ch < 0 || ch == '\n' || ch == '\r' || ve - vb > kMaxSecretValue) return false;
      if (escaped ? (ch == '\\' && c.At(ve + 1) == '"') : ch == quote) break;
      if (ch == '\\' && !escaped && quote == '"') ++ve;  // an escaped byte inside the string
      ++ve;
    }
  } else {
    while (!EndsBareValue(c.At(ve))) {
      if (ve - vb > kMaxSecretValue) return false;
      ++ve;
    }
    // An empty value and the next field ("password= user=alice"): a bare value not right after
    // the separator that starts with a name of letters and '_' and a '=' (not base64 padding).
    if (vb > s + 1) {
      P k = vb;
      while (k < ve && (IsAlpha(c.At(k)) || c.At(k) == '_')) ++k;
      if (k > vb && k + 1 < ve && c.At(k) == '=' && c.At(k + 1) != '=') return false;
    }
    // A sentence's '.' after the value is not part of it.
    if (ve > vb && c.At(ve - 1) == '.') --ve;
  }
  if (colon) {
    // After ':' (not a trigger) the scanner examines a value only where its span holds a trigger
    // (mask::ColonBeforeValue): the first word of the value must hold one of the built-ins'.
    bool trigger = false;
    for (P k = vb; k < ve && !trigger; ++k) {
      const int ch = c.At(k);
      if (IsSpace(ch) || kBuiltinDelimiters.find(static_cast<char>(ch)) != kBuiltinDelimiters.npos) {
        break;
      }
      trigger = IsBuiltinTrigger(ch);
    }
    if (!trigger) return false;
  }
  const P len = ve - vb;
  int rule = -1;
  switch (kind) {
    case KeyKind::kAws:
      // 40 characters of base64 (AWS documents the secret access key as 40 characters).
      if (len != 40 || Run(c, vb, 40, IsBase64Byte) != 40 || Entropy(c, vb, ve) < 3.0) {
        return false;
      }
      rule = kRuleAwsSecret;
      break;
    case KeyKind::kAccountKey:
      // An Azure storage account key: 64 bytes in base64, 86 characters and "==".
      if (len != 88 || Run(c, vb, 86, IsBase64Byte) != 86 || c.At(vb + 86) != '=' ||
          c.At(vb + 87) != '=') {
        return false;
      }
      rule = kRuleAzureStorage;
      break;
    case KeyKind::kGeneric: {
      if (len < 8) return false;
      // Azure AD client secret (gitleaks' azure-ad-client-secret): three of [A-Za-z0-9_~.], a
      // digit, "Q~", then 31-34 of [A-Za-z0-9_~.-]; no entropy floor.
      auto azure_char = [](int ch) { return IsAlnum(ch) || ch == '_' || ch == '~' || ch == '.'; };
      const bool azure =
          len >= 37 && len <= 40 && Run(c, vb, 3, azure_char) >= 3 && IsDigit(c.At(vb + 3)) &&
          c.At(vb + 4) == 'Q' && c.At(vb + 5) == '~' &&
          Run(c, vb + 6, 34, [&](int ch) { return azure_char(ch) || ch == '-'; }) == len - 6;
      // The entropy floor first: the cheapest test, and the one most non-secrets fail.
      if (!azure && Entropy(c, vb, ve) < EntropyFloor(CharClasses(c, vb, ve))) return false;
      if (IsPlaceholder(c, vb, ve)) return false;
      if (quote == 0) {
        // Code, not a secret: a call ("getPassword()") or a dotted name ("self.token",
        // "config.db.password").
        if (c.At(ve) == '(') return false;
        bool dot = false, name = true;
        for (P k = vb; k < ve; ++k) {
          const int ch = c.At(k);
          dot |= ch == '.';
          name &= IsAlpha(ch) || ch == '_' || ch == '.';
        }
        if (dot && name) return false;
      }
      // A value another secret detector recognizes is left to it (it starts a candidate of its
      // own): a JWT stays a JWT, a GitHub token a github API_KEY.
      Hit other;
      if (MatchApiKey(c, vb, &other) || MatchAws(c, vb, &other) || MatchJwt(c, vb, &other) ||
          MatchPem(c, vb, &other)) {
        return false;
      }
      rule = azure ? kRuleAzure : kRuleSecretAssignment;
      break;
    }
    case KeyKind::kNone:
      return false;
  }
  hit->begin = static_cast<size_t>(vb);
  hit->end = static_cast<size_t>(ve);
  hit->rule = rule;
  return true;
}

}  // namespace

size_t ColonBeforeValue(const uint8_t* p, size_t a) {
  size_t j = a;
  auto spaces = [&] {
    for (int k = 0; k < 8 && j > 0 && (p[j - 1] == ' ' || p[j - 1] == '\t'); ++k) --j;
  };
  spaces();  // inside the quote, or between ':' and a bare value
  // Up to two opening quotes (a JSON string holding a quoted value: "\"s3cr3t\""), each escaped
  // or doubled or not, with spaces around them.
  for (int q = 0; q < 2 && j > 0 && (p[j - 1] == '"' || p[j - 1] == '\'' || p[j - 1] == '`'); ++q) {
    const uint8_t quote = p[--j];
    if (j > 0 && (p[j - 1] == '\\' || p[j - 1] == quote)) --j;  // escaped or doubled
    spaces();
  }
  if (j == 0 || p[j - 1] != ':' || !KeyTailMayEnd(p, j - 1) || !KeyNameMayEndBefore(p, j - 1)) {
    return SIZE_MAX;
  }
  return j - 1;
}

int SecretRuleOfMember(std::string_view key, std::string_view value, int entity) {
  // Whitespace around the value and one pair of quotes inside it ("\"s3cr3t\"\n") are not part
  // of the secret; the caller masks the whole member value.
  auto trim = [](std::string_view v) {
    while (!v.empty() && IsSpace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && IsSpace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  value = trim(value);
  for (int q = 0; q < 2 && value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
                  value.back() == value.front();
       ++q) {
    value = trim(value.substr(1, value.size() - 2));
  }
  if (key.empty() || key.size() > static_cast<size_t>(kMaxKeyName) ||
      value.size() > static_cast<size_t>(kMaxSecretValue)) {
    return -1;
  }
  // The key-value rule reads `key="value"`; it must take the whole value.
  std::string text;
  text.reserve(key.size() + value.size() + 3);
  text.append(key).append("=\"").append(value).push_back('"');
  const Cursor c(reinterpret_cast<const uint8_t*>(text.data()), text.size(), /*final=*/true);
  const P sep = static_cast<P>(key.size());
  Hit hit;
  if (!MatchKeyValue(c, sep, entity, &hit) || hit.begin != key.size() + 2 ||
      hit.end != text.size() - 1) {
    return -1;
  }
  return hit.rule;
}

namespace {

// ---- MAC_ADDRESS
// ----------------------------------------------------------------------------------
// IEEE 802 MAC-48 in its three text forms: "00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E" (one
// separator throughout) and Cisco's "001a.2b3c.4d5e". At least one decimal digit (so
// "de:ad:be:ef:ca:fe" and the broadcast ff:ff:ff:ff:ff:ff are not addresses, and digits stay the
// trigger); all-zero is not an address either.
[[gnu::noinline]] bool MatchMac(const Cursor& c, P s, Hit* hit) {
  const int prev = c.Before(s);
  if (!BuiltinLeftBoundaryOk(kMacAddress, prev)) return false;
  if (!IsHex(c.At(s)) || !IsHex(c.At(s + 1))) return false;
  const int sep2 = c.At(s + 2);
  P end;
  int sep;
  if (sep2 == ':' || sep2 == '-') {
    sep = sep2;
    for (int g = 0; g < 6; ++g) {
      const P at = s + 3 * g;
      if (g > 0 && c.At(at - 1) != sep) return false;
      if (!IsHex(c.At(at)) || !IsHex(c.At(at + 1))) return false;
    }
    end = s + 17;
    // Not the second group of a longer run of groups ("01:00:11:22:33:44:55", a fingerprint).
    if (prev == sep && IsHex(c.At(s - 2)) && IsHex(c.At(s - 3)) && !IsAlnum(c.At(s - 4))) {
      return false;
    }
  } else {
    if (!IsHex(c.At(s + 2)) || !IsHex(c.At(s + 3)) || c.At(s + 4) != '.') return false;
    sep = '.';
    for (int g = 0; g < 3; ++g) {
      const P at = s + 5 * g;
      if (g > 0 && c.At(at - 1) != '.') return false;
      for (P k = 0; k < 4; ++k) {
        if (!IsHex(c.At(at + k))) return false;
      }
    }
    end = s + 14;
  }
  const int next = c.At(end);
  if (IsAlnum(next) || next == '_') return false;
  if (next == sep && IsAlnum(c.At(end + 1))) return false;  // a longer run of groups
  bool digit = false, nonzero = false;
  for (P k = s; k < end; ++k) {
    const int ch = c.At(k);
    digit |= IsDigit(ch);
    nonzero |= ch != '0' && IsHex(ch);
  }
  if (!digit || !nonzero) return false;
  hit->end = static_cast<size_t>(end);
  hit->rule = kRuleMac;
  return true;
}

// ---- CRYPTO_WALLET
// --------------------------------------------------------------------------------
constexpr std::string_view kEthContext[] = {
    "eth",    "ether", "ethereum", "wallet",   "address", "addr",
    "erc20",  "erc-20", "metamask", "recipient", "send to", "deposit"};

bool IsBase58(int ch) {
  return IsAlnum(ch) && ch != '0' && ch != 'O' && ch != 'I' && ch != 'l';
}

[[gnu::noinline]] bool MatchWallet(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kCryptoWallet, c.Before(s))) return false;
  const int first = c.At(s);
  const char* base = reinterpret_cast<const char*>(c.data());
  if (first == '0') {
    // Ethereum: "0x" + 40 hex digits.
    if (c.At(s + 1) != 'x' || Run(c, s + 2, 40, IsHex) != 40) return false;
    const int next = c.At(s + 42);
    if (IsAlnum(next) || next == '_') return false;
    bool lower = false, upper = false;
    for (P k = s + 2; k < s + 42; ++k) {
      lower |= IsLower(c.At(k));
      upper |= IsUpper(c.At(k));
    }
    if (lower && upper) {
      // Mixed case carries the EIP-55 checksum.
      if (!Eip55Valid(std::string_view(base + s + 2, 40))) return false;
      hit->rule = kRuleEth;
    } else {
      // One case: no checksum; an address only after a context word.
      if (!ContextWordBefore(c, static_cast<size_t>(s), kContextWindow, kEthContext,
                             std::size(kEthContext))) {
        return false;
      }
      hit->rule = kRuleEthContext;
    }
    hit->end = static_cast<size_t>(s + 42);
    return true;
  }
  if (first == '1' || first == '3') {
    const P run = Run(c, s, 35, IsBase58);
    if (run < 25 || run > 35) return false;
    const int next = c.At(s + run);
    if (IsAlnum(next) || next == '_') return false;
    if (!Base58CheckAddressValid(std::string_view(base + s, static_cast<size_t>(run)))) {
      return false;
    }
    hit->end = static_cast<size_t>(s + run);
    hit->rule = kRuleBtcBase58;
    return true;
  }
  if ((first == 'b' && c.At(s + 1) == 'c') || (first == 'B' && c.At(s + 1) == 'C')) {
    if (c.At(s + 2) != '1') return false;
    const P run = Run(c, s + 3, 87, IsAlnum);
    if (run < 11 || run > 87) return false;
    const int next = c.At(s + 3 + run);
    if (next == '_') return false;
    if (!SegwitAddressValid(std::string_view(base + s, static_cast<size_t>(3 + run)))) {
      return false;
    }
    hit->end = static_cast<size_t>(s + 3 + run);
    hit->rule = kRuleBtcBech32;
    return true;
  }
  return false;
}

// ---- NATIONAL_ID
// ----------------------------------------------------------------------------------
// Digits, and capitals: NIE (X, Y, Z), NRIC/FIN (S, T, F, G, M), the UK National Insurance number,
// the Italian codice fiscale, the Indian PAN and the US passport start with any of several.
bool NationalIdCanStart(int ch) { return IsDigit(ch) || IsUpper(ch); }

// One entity for national identifiers with a checksum or a strict structure; the rule names the
// country and scheme. Right boundary shared by the numeric ones: not followed by a letter, digit or
// '_', nor by '-', '.', '/' or ',' and a digit (a longer number).
bool IdRightBoundary(const Cursor& c, P e) {
  const int ch = c.At(e);
  if (IsAlnum(ch) || ch == '_') return false;
  if ((ch == '-' || ch == '.' || ch == '/' || ch == ',') && IsDigit(c.At(e + 1))) return false;
  return true;
}

// Digits at [i, i + n) into d (no checks).
void Digits(const Cursor& c, P i, P n, int* d) {
  for (P k = 0; k < n; ++k) d[k] = c.At(i + k) - '0';
}

// Three digit groups of lengths g0, g1, g2 at s, joined by one separator (' ' or '-', the same
// for both) or contiguous; fills d and returns the end, or -1. `contiguous` tells which.
P DigitGroups(const Cursor& c, P s, P g0, P g1, P g2, int* d, bool* contiguous) {
  const P total = g0 + g1 + g2;
  const P run = DigitRun(c, s, total);
  if (run == total) {
    Digits(c, s, total, d);
    *contiguous = true;
    return s + total;
  }
  *contiguous = false;
  if (run != g0) return -1;
  const int sep = c.At(s + g0);
  if (sep != ' ' && sep != '-') return -1;
  const P second = s + g0 + 1, third = second + g1 + 1;
  if (DigitRun(c, second, g1) != g1 || c.At(second + g1) != sep || DigitRun(c, third, g2) != g2) {
    return -1;
  }
  Digits(c, s, g0, d);
  Digits(c, second, g1, d + g0);
  Digits(c, third, g2, d + g0 + g1);
  return third + g2;
}

constexpr std::string_view kItinContext[] = {"itin", "itins", "tin", "taxpayer identification",
                                             "individual taxpayer"};
constexpr std::string_view kAadhaarContext[] = {"aadhaar", "aadhar", "adhaar", "uidai", "uid"};
constexpr std::string_view kNhsContext[] = {"nhs", "nhs no", "nhs number", "nhs#"};
constexpr std::string_view kPeselContext[] = {"pesel"};

bool Context(const Cursor& c, P s, const std::string_view* words, size_t count) {
  return ContextWordBefore(c, static_cast<size_t>(s), kContextWindow, words, count);
}

// US ITIN: 9XX-GG-SSSS (or nine digits), group 50-65, 70-88, 90-92 or 94-99 (IRS), after a
// context word in every form: the same shape is what a never-issued SSN looks like, and the
// labelled corpus counts "9XX-XX-XXXX" without such a word as a hard negative.
P MatchItin(const Cursor& c, P s) {
  int d[9];
  bool contiguous;
  const P e = DigitGroups(c, s, 3, 2, 4, d, &contiguous);
  if (e < 0 || d[0] != 9 || !IdRightBoundary(c, e)) return -1;
  const int group = d[3] * 10 + d[4];
  if (!((group >= 50 && group <= 65) || (group >= 70 && group <= 88) ||
        (group >= 90 && group <= 92) || group >= 94)) {
    return -1;
  }
  (void)contiguous;
  if (!Context(c, s, kItinContext, std::size(kItinContext))) return -1;
  return e;
}

// Spain: DNI/NIF eight digits and the letter "TRWAGMYFPDXBNJZSQVHLCKE"[n mod 23]; NIE the same
// with X, Y or Z (0, 1, 2) before seven digits. An optional '-' or ' ' before the letter.
P MatchEsId(const Cursor& c, P s, int* rule) {
  constexpr std::string_view kLetters = "TRWAGMYFPDXBNJZSQVHLCKE";
  const int first = c.At(s);
  long n = 0;
  P j = s;
  if (first == 'X' || first == 'Y' || first == 'Z') {
    n = first - 'X';
    ++j;
    if (DigitRun(c, j, 7) != 7) return -1;
    for (P k = 0; k < 7; ++k) n = n * 10 + (c.At(j + k) - '0');
    j += 7;
    *rule = kRuleEsNie;
  } else {
    if (DigitRun(c, j, 8) != 8) return -1;
    for (P k = 0; k < 8; ++k) n = n * 10 + (c.At(j + k) - '0');
    j += 8;
    *rule = kRuleEsNif;
  }
  if (c.At(j) == '-' || c.At(j) == ' ') ++j;
  const int letter = c.At(j);
  if (letter != static_cast<unsigned char>(kLetters[static_cast<size_t>(n % 23)])) return -1;
  const int next = c.At(j + 1);
  if (IsAlnum(next) || next == '_') return -1;
  return j + 1;
}

// Verhoeff's dihedral-group check (Aadhaar's last digit).
bool VerhoeffValid(const int* d, int n) {
  static constexpr uint8_t kMul[10][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
      {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
      {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
  static constexpr uint8_t kPerm[8][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
      {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
      {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
  int check = 0;
  for (int i = 0; i < n; ++i) check = kMul[check][kPerm[i % 8][d[n - 1 - i]]];
  return check == 0;
}

// India: Aadhaar, twelve digits, the first 2-9, Verhoeff-valid; grouped 4-4-4 (space or '-') on
// its own, contiguous only after a context word.
P MatchAadhaar(const Cursor& c, P s) {
  int d[12];
  bool contiguous;
  const P e = DigitGroups(c, s, 4, 4, 4, d, &contiguous);
  if (e < 0 || d[0] < 2 || !IdRightBoundary(c, e)) return -1;
  if (!contiguous) {
    // Not three groups of a longer run (a card, an account number, the middle of an IBAN).
    const int sep = c.At(s + 4);
    if (c.At(e) == sep && IsDigit(c.At(e + 1))) return -1;
    if (c.At(s - 1) == sep) {  // after a four-character group holding a digit
      int len = 0;
      bool digit = false;
      while (len < 5 && IsAlnum(c.At(s - 2 - len))) digit |= IsDigit(c.At(s - 2 - len++));
      if (len == 4 && digit) return -1;
    }
  }
  if (!VerhoeffValid(d, 12)) return -1;
  if (contiguous && !Context(c, s, kAadhaarContext, std::size(kAadhaarContext))) return -1;
  return e;
}

// UK NHS number: ten digits (3-3-4 grouped or contiguous), mod 11 with weights 10..2 (a remainder
// giving check 10 is never issued), only after a context word: ten-digit numbers are common.
P MatchNhs(const Cursor& c, P s) {
  int d[10];
  bool contiguous;
  const P e = DigitGroups(c, s, 3, 3, 4, d, &contiguous);
  if (e < 0 || !IdRightBoundary(c, e)) return -1;
  int sum = 0;
  for (int k = 0; k < 9; ++k) sum += d[k] * (10 - k);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10 || check != d[9]) return -1;
  if (!Context(c, s, kNhsContext, std::size(kNhsContext))) return -1;
  return e;
}

bool ValidDate(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

// Poland: PESEL, eleven digits YYMMDDZZZZC, the century in the month (+80 1800s, +0 1900s,
// +20 2000s, +40 2100s, +60 2200s), weights 1,3,7,9,1,3,7,9,1,3; after a context word.
P MatchPesel(const Cursor& c, P s) {
  if (DigitRun(c, s, 11) != 11 || !IdRightBoundary(c, s + 11)) return -1;
  int d[11];
  Digits(c, s, 11, d);
  int month = d[2] * 10 + d[3];
  int year = d[0] * 10 + d[1];
  const int century = month / 20;  // 0: 1900s, 1: 2000s, 2: 2100s, 3: 2200s, 4: 1800s
  static constexpr int kBase[5] = {1900, 2000, 2100, 2200, 1800};
  year += kBase[century];
  month -= 20 * century;
  if (!ValidDate(year, month, d[4] * 10 + d[5])) return -1;
  static constexpr int kW[10] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
  int sum = 0;
  for (int k = 0; k < 10; ++k) sum += d[k] * kW[k];
  if ((10 - sum % 10) % 10 != d[10]) return -1;
  if (!Context(c, s, kPeselContext, std::size(kPeselContext))) return -1;
  return s + 11;
}

// Finland: henkilötunnus DDMMYYCZZZQ, C the century sign ('+' 1800s; '-', U-Y 1900s; A-F
// 2000s), ZZZ 002-899, Q = "0123456789ABCDEFHJKLMNPRSTUVWXY"[DDMMYYZZZ mod 31].
P MatchHetu(const Cursor& c, P s) {
  if (DigitRun(c, s, 6) != 6) return -1;
  const int sign = c.At(s + 6);
  int century;
  if (sign == '+') {
    century = 1800;
  } else if (sign == '-' || (sign >= 'U' && sign <= 'Y')) {
    century = 1900;
  } else if (sign >= 'A' && sign <= 'F') {
    century = 2000;
  } else {
    return -1;
  }
  // The individual number; a digit after it is the check character.
  if (DigitRun(c, s + 7, 3) < 3) return -1;
  int d[9];
  Digits(c, s, 6, d);
  Digits(c, s + 7, 3, d + 6);
  if (!ValidDate(century + d[4] * 10 + d[5], d[2] * 10 + d[3], d[0] * 10 + d[1])) return -1;
  const int individual = d[6] * 100 + d[7] * 10 + d[8];
  if (individual < 2 || individual > 899) return -1;
  long n = 0;
  for (int k : d) n = n * 10 + k;
  constexpr std::string_view kCheck = "0123456789ABCDEFHJKLMNPRSTUVWXY";
  if (c.At(s + 10) != static_cast<unsigned char>(kCheck[static_cast<size_t>(n % 31)])) return -1;
  const int next = c.At(s + 11);
  if (IsAlnum(next) || next == '_') return -1;
  return s + 11;
}

// Singapore: NRIC (S, T) and FIN (F, G, and M from 2022): the letter, seven digits and a check
// letter — weights 2,7,6,5,4,3,2, plus 4 for T and G and 3 for M, the sum mod 11 indexing
// "JZIHGFEDCBA" (S, T), "XWUTRQPNMLK" (F, G) or "KLJNPQRTUWX" (M). ICA publishes no specification;
// the M offset and table are those of the public validators that agree on them.
P MatchNric(const Cursor& c, P s) {
  const int prefix = c.At(s);
  if (DigitRun(c, s + 1, 7) != 7) return -1;
  static constexpr int kW[7] = {2, 7, 6, 5, 4, 3, 2};
  int sum = (prefix == 'T' || prefix == 'G') ? 4 : prefix == 'M' ? 3 : 0;
  for (P k = 0; k < 7; ++k) sum += (c.At(s + 1 + k) - '0') * kW[k];
  const std::string_view table = (prefix == 'S' || prefix == 'T') ? std::string_view("JZIHGFEDCBA")
                                 : prefix == 'M'                  ? "KLJNPQRTUWX"
                                                                  : "XWUTRQPNMLK";
  if (c.At(s + 8) != static_cast<unsigned char>(table[static_cast<size_t>(sum % 11)])) return -1;
  const int next = c.At(s + 9);
  if (IsAlnum(next) || next == '_') return -1;
  return s + 9;
}

// ---- DATE_OF_BIRTH
// --------------------------------------------------------------------------------
// A calendar date after a birth-date context word, in the forms people and systems write it:
// YYYY-MM-DD (also '/' or '.'; YYYYMMDD), DD/MM/YYYY and MM/DD/YYYY (also '-' or '.', a two-digit
// year), "3 March 1985" (an ordinal suffix, "of", an abbreviated month, a comma allowed) and the
// day and year of "March 3, 1985" (the match starts at the day: the month name before it is
// context, not value). The date must exist (either order of day and month for the slashed form)
// and a four-digit year lie in 1900-2099.
constexpr std::string_view kDobContext[] = {
    "dob",        "d.o.b",          "date of birth",     "birth date",    "birthdate",
    "birthday",   "born",           "date_of_birth",     "birth_date",    "dateofbirth",
    "geburtsdatum", "geboren",      "geb",               "fecha de nacimiento", "nacido",
    "nacida",     "date de naissance", "data di nascita", "nato il",      "nata il",
    "geboortedatum", "data de nascimento", "data urodzenia"};

constexpr std::string_view kMonths[] = {"january", "february", "march",     "april",
                                        "may",     "june",     "july",      "august",
                                        "september", "october", "november", "december"};

// The month (1-12) whose full name or three-letter abbreviation ("sept" too) is the word
// [b, e), any case; 0 otherwise.
int MonthOfWord(const Cursor& c, P b, P e) {
  const P len = e - b;
  if (len < 3 || len > 9) return 0;
  for (int m = 0; m < 12; ++m) {
    const std::string_view name = kMonths[m];
    if (len != 3 && len != static_cast<P>(name.size()) && !(m == 8 && len == 4)) continue;
    bool same = true;
    for (P k = 0; k < len && same; ++k) same = ToLower(c.At(b + k)) == name[static_cast<size_t>(k)];
    if (same) return m + 1;
  }
  return 0;
}

// The end of a month word at i ("March", "Mar", "Mar."), its month in *month; -1 if none.
P MonthAt(const Cursor& c, P i, int* month) {
  const P len = Run(c, i, 9, IsAlpha);
  *month = MonthOfWord(c, i, i + len);
  if (*month == 0) return -1;
  return c.At(i + len) == '.' && len < 5 ? i + len + 1 : i + len;
}

// A four-digit year in 1900-2099 at i, not followed by a digit; its value or -1.
int YearAt(const Cursor& c, P i) {
  if (DigitRun(c, i, 4) != 4) return -1;
  const int y = Num(c, i, 4);
  return y >= 1900 && y <= 2099 ? y : -1;
}

// One or two digits at i (not three): their value, the end in *e; -1 if none.
int SmallNum(const Cursor& c, P i, P* e) {
  const P run = DigitRun(c, i, 2);
  if (run < 1 || run > 2) return -1;
  *e = i + run;
  return Num(c, i, run);
}

// Past an ordinal suffix ("st", "nd", "rd", "th", any case) at i, if there is one.
P AfterOrdinal(const Cursor& c, P i) {
  const int a = ToLower(c.At(i)), b = ToLower(c.At(i + 1));
  const bool ordinal = (a == 's' && b == 't') || (a == 'n' && b == 'd') ||
                       (a == 'r' && b == 'd') || (a == 't' && b == 'h');
  return ordinal ? i + 2 : i;
}

// ", 1985" or " 1985" at i closing a date of `month` and `day`: the end, or -1.
P YearAfterDayAndMonth(const Cursor& c, P i, int month, int day) {
  if (c.At(i) == ',') ++i;
  if (c.At(i) != ' ') return -1;
  const int year = YearAt(c, i + 1);
  if (year < 0 || !ValidDate(year, month, day)) return -1;
  return i + 5;
}

// "3 March 1985", "3rd of March, 1985", "03 Mar. 1985": the end, or -1. `day_end` follows the day.
P DayMonthYear(const Cursor& c, P day_end, int day) {
  P i = AfterOrdinal(c, day_end);
  if (c.At(i) != ' ') return -1;
  ++i;
  if (ToLower(c.At(i)) == 'o' && ToLower(c.At(i + 1)) == 'f' && c.At(i + 2) == ' ') i += 3;
  int month;
  i = MonthAt(c, i, &month);
  if (i < 0) return -1;
  return YearAfterDayAndMonth(c, i, month, day);
}

// The day and year of "March 3, 1985" / "Mar. 3rd 1985" at s (the month word before it): the end,
// or -1.
P DayYearAfterMonth(const Cursor& c, P s, P day_end, int day) {
  if (c.At(s - 1) != ' ') return -1;
  P b = s - 1;
  if (c.At(b - 1) == '.') --b;  // "Mar. 3"
  P w = b;
  while (w > s - 11 && IsAlpha(c.At(w - 1))) --w;
  const int month = MonthOfWord(c, w, b);
  if (month == 0 || IsAlnum(c.At(w - 1))) return -1;
  return YearAfterDayAndMonth(c, AfterOrdinal(c, day_end), month, day);
}

[[gnu::noinline]] bool MatchDateOfBirth(const Cursor& c, P s, Hit* hit) {
  if (!BuiltinLeftBoundaryOk(kDateOfBirth, c.Before(s))) return false;
  const P run = DigitRun(c, s, 8);
  P e = -1;
  if (run == 4) {  // YYYY-MM-DD
    const int year = YearAt(c, s);
    const int sep = c.At(s + 4);
    P me, de;
    const int month = year < 0 || (sep != '-' && sep != '/' && sep != '.') ? -1
                                                                            : SmallNum(c, s + 5, &me);
    if (month > 0 && c.At(me) == sep) {
      const int day = SmallNum(c, me + 1, &de);
      if (day > 0 && ValidDate(year, month, day)) e = de;
    }
  } else if (run == 8) {  // YYYYMMDD
    const int year = Num(c, s, 4);
    if (year >= 1900 && year <= 2099 && ValidDate(year, Num(c, s + 4, 2), Num(c, s + 6, 2))) {
      e = s + 8;
    }
  } else if (run == 1 || run == 2) {
    const int first = Num(c, s, run);
    const int sep = c.At(s + run);
    if (sep == '/' || sep == '-' || sep == '.') {  // DD/MM/YYYY or MM/DD/YYYY
      P se;
      const int second = SmallNum(c, s + run + 1, &se);
      if (second > 0 && c.At(se) == sep) {
        const P yrun = DigitRun(c, se + 1, 4);
        int years[2] = {-1, -1};
        if (yrun == 4) {
          years[0] = YearAt(c, se + 1);
        } else if (yrun == 2) {
          years[0] = 1900 + Num(c, se + 1, 2);
          years[1] = years[0] + 100;
        }
        for (const int year : years) {
          if (year > 0 && (ValidDate(year, first, second) || ValidDate(year, second, first))) {
            e = se + 1 + yrun;
          }
        }
      }
    } else {
      e = DayMonthYear(c, s + run, first);
      if (e < 0) e = DayYearAfterMonth(c, s, s + run, first);
    }
  }
  // An ISO date may go on with its time ("1985-03-14T00:00:00Z"): the date is the value.
  const bool iso_time = run == 4 && c.At(e) == 'T' && IsDigit(c.At(e + 1));
  if (e < 0 || !(IdRightBoundary(c, e) || iso_time)) return false;
  if (!Context(c, s, kDobContext, std::size(kDobContext))) return false;
  hit->end = static_cast<size_t>(e);
  hit->rule = kRuleDob;
  return true;
}

// UK National Insurance number (HMRC): two prefix letters, six digits, the suffix A-D. Neither
// prefix letter is D, F, I, Q, U or V, the second is not O, and BG, GB, KN, NK, NT, TN and ZZ are
// never allocated (so the specimen QQ 12 34 56 C is not a NINO). Contiguous, or spaced as
// "QQ 12 34 56 C" or "QQ 123456 C".
bool NinoPrefixOk(int a, int b) {
  auto never = [](int x) {
    return x == 'D' || x == 'F' || x == 'I' || x == 'Q' || x == 'U' || x == 'V';
  };
  if (!IsUpper(a) || !IsUpper(b) || never(a) || never(b) || b == 'O') return false;
  static constexpr char kUnallocated[][3] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
  for (const char* u : kUnallocated) {
    if (a == u[0] && b == u[1]) return false;
  }
  return true;
}

P MatchNino(const Cursor& c, P s) {
  if (!NinoPrefixOk(c.At(s), c.At(s + 1))) return -1;
  P j = s + 2;
  if (c.At(j) == ' ') {
    ++j;
    if (DigitRun(c, j, 6) == 6) {
      j += 6;
    } else {
      for (int g = 0; g < 3; ++g, j += 3) {
        if (DigitRun(c, j, 2) != 2 || c.At(j + 2) != ' ') return -1;
      }
      --j;
    }
    if (c.At(j) != ' ') return -1;
    ++j;
  } else {
    if (DigitRun(c, j, 6) != 6) return -1;
    j += 6;
  }
  const int suffix = c.At(j);
  if (suffix < 'A' || suffix > 'D') return -1;
  const int next = c.At(j + 1);
  if (IsAlnum(next) || next == '_') return -1;
  return j + 1;
}

// Italy: codice fiscale (DM 23/12/1976), sixteen characters: six letters (surname, name), the
// year (two digits), the month letter (ABCDEHLMPRST), the day (two digits, +40 for women), the
// municipality (a letter and three digits) and the check letter: the characters at odd positions
// through the odd table, those at even positions by their value (0-9, A-Z = 0-25), the sum mod
// 26 as a letter. Omocodia: any digit may be replaced by LMNPQRSTUV (0-9); at least one must stay.
int FiscalDigit(int ch) {
  if (IsDigit(ch)) return ch - '0';
  constexpr std::string_view kOmocodia = "LMNPQRSTUV";
  const size_t k = ch < 0 ? std::string_view::npos : kOmocodia.find(static_cast<char>(ch));
  return k == std::string_view::npos ? -1 : static_cast<int>(k);
}

P MatchFiscalCode(const Cursor& c, P s) {
  // 'L': a letter; 'D': a digit or its omocodia letter; 'M': the month; 'C': the check letter.
  constexpr std::string_view kShape = "LLLLLLDDMDDLDDDC";
  constexpr std::string_view kMonths = "ABCDEHLMPRST";
  int day = 0;
  bool digit = false;
  for (P k = 0; k < 15; ++k) {
    const int ch = c.At(s + k);
    digit |= IsDigit(ch);
    switch (kShape[static_cast<size_t>(k)]) {
      case 'L':
        if (!IsUpper(ch)) return -1;
        break;
      case 'M':
        if (ch < 0 || kMonths.find(static_cast<char>(ch)) == std::string_view::npos) return -1;
        break;
      default: {
        const int v = FiscalDigit(ch);
        if (v < 0) return -1;
        if (k == 9 || k == 10) day = day * 10 + v;
      }
    }
  }
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return -1;
  // At least one digit left: a code with all seven replaced (never issued in practice) holds no
  // trigger byte, so the scanner would find it only where it shares a span with one, and a stream
  // not even there (the mask fuzzer found the two differing).
  if (!digit) return -1;
  // Odd positions (1-based): 0-9 and A-Z.
  static constexpr uint8_t kOdd[36] = {1,  0, 5,  7,  9,  13, 15, 17, 19, 21, 1,  0,
                                       5,  7, 9,  13, 15, 17, 19, 21, 2,  4,  18, 20,
                                       11, 3, 6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
  int sum = 0;
  for (P k = 0; k < 15; ++k) {
    const int ch = c.At(s + k);
    const int v = IsDigit(ch) ? ch - '0' : ch - 'A' + (k % 2 == 0 ? 10 : 0);
    sum += k % 2 == 0 ? kOdd[v] : v;
  }
  if (c.At(s + 15) != 'A' + sum % 26) return -1;
  const int next = c.At(s + 16);
  if (IsAlnum(next) || next == '_') return -1;
  return s + 16;
}

// k digit groups of the lengths `lens` at s, joined by one separator (' ' or '-', the same
// throughout) or contiguous; fills d and returns the end, or -1. Grouped, the run must not go on
// with the separator and a digit (a longer run of groups) unless `more_ok`.
P Grouped(const Cursor& c, P s, const int* lens, int k, int* d, bool* contiguous,
          bool more_ok = false) {
  int total = 0;
  for (int g = 0; g < k; ++g) total += lens[g];
  const P run = DigitRun(c, s, total);
  if (run == total) {
    Digits(c, s, total, d);
    *contiguous = true;
    return s + total;
  }
  *contiguous = false;
  if (run != lens[0]) return -1;
  const int sep = c.At(s + lens[0]);
  if (sep != ' ' && sep != '-') return -1;
  P j = s;
  int filled = 0;
  for (int g = 0; g < k; ++g) {
    if (g > 0 && c.At(j++) != sep) return -1;
    if (DigitRun(c, j, lens[g]) != lens[g]) return -1;
    Digits(c, j, lens[g], d + filled);
    filled += lens[g];
    j += lens[g];
  }
  if (!more_ok && c.At(j) == sep && IsDigit(c.At(j + 1))) return -1;
  return j;
}

constexpr std::string_view kAbnContext[] = {"abn", "australian business number"};
constexpr std::string_view kAcnContext[] = {"acn", "a.c.n", "australian company number"};
constexpr std::string_view kTfnContext[] = {"tfn", "tax file number", "tax file no"};
constexpr std::string_view kMedicareContext[] = {"medicare"};

// Australia: ABN (ATO), eleven digits, 1 subtracted from the first, weights 10,1,3,5,...,19,
// the sum a multiple of 89; grouped 2-3-3-3 on its own, contiguous after a context word.
P MatchAbn(const Cursor& c, P s) {
  static constexpr int kLens[4] = {2, 3, 3, 3};
  int d[11];
  bool contiguous;
  const P e = Grouped(c, s, kLens, 4, d, &contiguous);
  if (e < 0 || d[0] == 0 || !IdRightBoundary(c, e)) return -1;
  static constexpr int kW[11] = {10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
  int sum = (d[0] - 1) * kW[0];
  for (int k = 1; k < 11; ++k) sum += d[k] * kW[k];
  if (sum % 89 != 0) return -1;
  if (contiguous && !Context(c, s, kAbnContext, std::size(kAbnContext))) return -1;
  return e;
}

// ACN (ASIC), nine digits (3-3-3 or contiguous), weights 8..1 over the first eight, check digit
// (10 - sum mod 10) mod 10; TFN (ATO), nine digits, weights 1,4,3,7,5,8,6,9,10, the sum a
// multiple of 11. One number in ten (eleven) passes either check, so both need a context word.
// One look at the digits for both; the rule in *rule.
P MatchAcnOrTfn(const Cursor& c, P s, int* rule) {
  static constexpr int kLens[3] = {3, 3, 3};
  int d[9];
  bool contiguous;
  const P e = Grouped(c, s, kLens, 3, d, &contiguous);
  if (e < 0 || !IdRightBoundary(c, e)) return -1;
  int acn = 0;
  for (int k = 0; k < 8; ++k) acn += d[k] * (8 - k);
  if ((10 - acn % 10) % 10 == d[8] && Context(c, s, kAcnContext, std::size(kAcnContext))) {
    *rule = kRuleAuAcn;
    return e;
  }
  static constexpr int kW[9] = {1, 4, 3, 7, 5, 8, 6, 9, 10};
  int tfn = 0;
  for (int k = 0; k < 9; ++k) tfn += d[k] * kW[k];
  if (tfn % 11 == 0 && Context(c, s, kTfnContext, std::size(kTfnContext))) {
    *rule = kRuleAuTfn;
    return e;
  }
  return -1;
}

// Medicare card number (Services Australia): ten digits, the first 2-6, the ninth the check
// digit (weights 1,3,7,9,1,3,7,9 over the first eight, mod 10), the tenth the issue number;
// grouped 4-5-1 or contiguous, then an optional individual reference number (one digit, glued to
// a contiguous number or after the separator); after a context word.
P MatchMedicare(const Cursor& c, P s) {
  static constexpr int kLens[3] = {4, 5, 1};
  int d[10];
  bool contiguous;
  P e;
  if (DigitRun(c, s, 11) == 11) {  // with the reference number
    Digits(c, s, 10, d);
    e = s + 11;
  } else {
    e = Grouped(c, s, kLens, 3, d, &contiguous, /*more_ok=*/true);
    if (e < 0) return -1;
    if (!contiguous && c.At(e) == c.At(s + 4) && IsDigit(c.At(e + 1))) e += 2;
  }
  if (d[0] < 2 || d[0] > 6 || !IdRightBoundary(c, e)) return -1;
  static constexpr int kW[8] = {1, 3, 7, 9, 1, 3, 7, 9};
  int sum = 0;
  for (int k = 0; k < 8; ++k) sum += d[k] * kW[k];
  if (sum % 10 != d[8]) return -1;
  if (!Context(c, s, kMedicareContext, std::size(kMedicareContext))) return -1;
  return e;
}

// India: PAN (Income Tax Department), five letters, four digits and a letter, the fourth letter
// the holder's type (A association, B body of individuals, C company, F firm, G government,
// H Hindu undivided family, L local authority, J artificial juridical person, P person, T trust).
P MatchPan(const Cursor& c, P s) {
  constexpr std::string_view kHolder = "ABCFGHLJPT";
  if (kHolder.find(static_cast<char>(c.At(s + 3))) == std::string_view::npos) return -1;
  if (DigitRun(c, s + 5, 4) != 4 || !IsUpper(c.At(s + 9))) return -1;
  const int next = c.At(s + 10);
  if (IsAlnum(next) || next == '_') return -1;
  return s + 10;
}

// South Korea: resident registration number YYMMDD-GSSSSSC: a valid date, the century in G
// (1, 2, 5, 6: 1900s; 3, 4, 7, 8: 2000s; 9, 0: 1800s), C = (11 - sum mod 11) mod 10 over weights
// 2,3,4,5,6,7,8,9,2,3,4,5. Numbers issued from October 2020 have no check digit: those, and the
// thirteen digits written without the hyphen, only after a context word.
constexpr std::string_view kRrnContext[] = {"rrn", "resident registration",
                                            "\xEC\xA3\xBC\xEB\xAF\xBC\xEB\x93\xB1\xEB\xA1\x9D"
                                            "\xEB\xB2\x88\xED\x98\xB8",  // 주민등록번호
                                            "\xEC\xA3\xBC\xEB\xAF\xBC\xEB\xB2\x88\xED\x98\xB8"};  // 주민번호

P MatchRrn(const Cursor& c, P s) {
  int d[13];
  P e;
  bool contiguous = DigitRun(c, s, 13) == 13;
  if (contiguous) {
    Digits(c, s, 13, d);
    e = s + 13;
  } else {
    if (DigitRun(c, s, 6) != 6 || c.At(s + 6) != '-' || DigitRun(c, s + 7, 7) != 7) return -1;
    Digits(c, s, 6, d);
    Digits(c, s + 7, 7, d + 6);
    e = s + 14;
  }
  if (!IdRightBoundary(c, e)) return -1;
  const int g = d[6];
  const int century = (g == 1 || g == 2 || g == 5 || g == 6)   ? 1900
                      : (g == 3 || g == 4 || g == 7 || g == 8) ? 2000
                                                               : 1800;
  if (!ValidDate(century + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5])) return -1;
  static constexpr int kW[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (int k = 0; k < 12; ++k) sum += d[k] * kW[k];
  if ((contiguous || (11 - sum % 11) % 10 != d[12]) &&
      !Context(c, s, kRrnContext, std::size(kRrnContext))) {
    return -1;
  }
  return e;
}

// US passport: nine digits, or a letter and eight digits (the next-generation book), only after
// "passport" ("passport no", "passport number", "passport #": the word is enough); the one
// NATIONAL_ID value that may follow '#'.
constexpr std::string_view kPassportContext[] = {"passport"};

P MatchUsPassport(const Cursor& c, P s) {
  const P j = IsUpper(c.At(s)) ? s + 1 : s;
  const P digits = j == s ? 9 : 8;
  if (DigitRun(c, j, digits) != digits || !IdRightBoundary(c, j + digits)) return -1;
  if (!Context(c, s, kPassportContext, std::size(kPassportContext))) return -1;
  return j + digits;
}

}  // namespace

bool NationalIdShape(const uint8_t* p, size_t n, size_t s, size_t d) {
  // What MatchNationalId checks first, by the length of the digit run at s (d < n, p[s] a digit);
  // a byte past the end of the buffer filters nothing.
  const size_t run = d - s;
  const uint8_t next = p[d];
  auto may = [&](size_t i, auto pred) { return i >= n || pred(p[i]); };
  auto digit = [](uint8_t c) { return IsDigit(c); };
  auto digits = [&](size_t i, size_t k) {
    for (size_t j = i; j < i + k; ++j) {
      if (!may(j, digit)) return false;
    }
    return true;
  };
  auto is_next = [next](uint8_t c) { return c == next; };
  const bool group_sep = next == ' ' || next == '-';
  switch (run) {
    case 2:  // AU ABN XX XXX XXX XXX
      return group_sep && digits(d + 1, 3) && may(d + 4, is_next);
    case 3:  // US ITIN 9XX-GG-SSSS, UK NHS XXX-XXX-XXXX, AU ACN/TFN XXX XXX XXX
      return group_sep && digits(d + 1, 2) &&
             ((p[s] == '9' && may(d + 3, is_next)) || (may(d + 3, digit) && may(d + 4, is_next)));
    case 4: {  // AU Medicare XXXX XXXXX X; IN Aadhaar XXXX XXXX XXXX: exactly three groups
      if (group_sep && digits(d + 1, 5) && may(d + 6, is_next)) return true;
      if (!group_sep || !digits(d + 1, 4) || !may(d + 5, is_next) || !digits(d + 6, 4)) {
        return false;
      }
      if (d + 11 < n && p[d + 10] == next && IsDigit(p[d + 11])) return false;
      // Not after a group of four letters or digits holding a digit (MatchAadhaar's rule).
      if (s > 0 && p[s - 1] == next) {
        size_t len = 0;
        bool dig = false;
        while (len < 5 && s >= 2 + len && IsAlnum(p[s - 2 - len])) {
          dig |= IsDigit(p[s - 2 - len]);
          ++len;
        }
        if (len == 4 && dig) return false;
      }
      return true;
    }
    case 6:  // FI henkilötunnus DDMMYY and the century sign; KR RRN YYMMDD-
      return next == '+' || next == '-' || (next >= 'A' && next <= 'F') ||
             (next >= 'U' && next <= 'Y');
    case 8:  // ES DNI/NIF and its letter
      return IsUpper(next) ||
             (group_sep && may(d + 1, [](uint8_t c) { return IsUpper(c); }));
    case 9:   // US ITIN 9XXGGSSSS, AU ACN and TFN
    case 10:  // UK NHS, PL PESEL, IN Aadhaar, AU ABN and Medicare: the matcher decides
    case 11:
    case 12:
    case 13:  // KR RRN written without its hyphen (13 means 13 or more)
      return true;
    default:
      return false;
  }
}

bool DateOfBirthShape(const uint8_t* p, size_t s, size_t d) {
  // What MatchDateOfBirth needs after the digit run at s (d < n); the bytes after it decide.
  const size_t run = d - s;
  const uint8_t next = p[d];
  const bool sep = next == '-' || next == '/' || next == '.';
  if (run == 4) return sep && (p[s] == '1' || p[s] == '2');
  if (run == 8) return p[s] == '1' || p[s] == '2';
  if (run == 1 || run == 2) {
    const uint8_t lower = next | 0x20;
    return sep || next == ' ' || next == ',' || lower == 's' || lower == 'n' || lower == 'r' ||
           lower == 't';
  }
  return false;
}

bool NationalIdLetterShape(const uint8_t* p, size_t n, size_t s) {
  // What MatchNationalId's letters-first schemes need (p[s] a capital): a digit after one capital
  // (NIE, NRIC/FIN, passport), a digit or ' ' after two (NINO), a digit after five (PAN), a digit
  // or an omocodia letter after six (codice fiscale). A byte past the end filters nothing.
  for (size_t i = s + 1; i <= s + 6; ++i) {
    if (i >= n) return true;
    const int ch = p[i];
    if (IsDigit(ch)) return i == s + 1 || i == s + 2 || i >= s + 5;
    if (ch == ' ') return i == s + 2;
    if (!IsUpper(ch)) return false;
    if (i == s + 6) return FiscalDigit(ch) >= 0;
  }
  return false;
}

namespace {

// Not inlined into MatchBuiltin: the older matchers inlined there keep their code (clean-prose
// instructions grew by a sixth when this one was inlined with them).
[[gnu::noinline]] bool MatchNationalId(const Cursor& c, P s, Hit* hit) {
  const int prev = c.Before(s);
  if (!BuiltinLeftBoundaryOk(kNationalId, prev)) return false;
  const int first = c.At(s);
  if (!NationalIdCanStart(first)) return false;
  if (IsDigit(first)) {
    // The shape the engine's filter checks (US_SSN's slot also runs this matcher at SSN shapes).
    const uint8_t* p = c.data();
    const size_t n = c.size(), us = static_cast<size_t>(s);
    size_t d = us;
    while (d < n && d - us < 13 && IsDigit(p[d])) ++d;
    if (d < n && !NationalIdShape(p, n, us, d)) return false;
  } else if (!NationalIdLetterShape(c.data(), c.size(), static_cast<size_t>(s))) {
    return false;
  }
  // Every rule that applies; the longest match wins (ties: the order below).
  P best = -1;
  int rule = -1;
  auto consider = [&](P end, int r) {
    if (end > best) {
      best = end;
      rule = r;
    }
  };
  if (prev == '#') {
    consider(MatchUsPassport(c, s), kRuleUsPassport);
  } else if (!IsDigit(first)) {
    // By the run of capitals at s (a codice fiscale's may go on through omocodia letters).
    const P letters = Run(c, s, 6, IsUpper);
    if (letters == 1) {
      consider(MatchUsPassport(c, s), kRuleUsPassport);
      if (first == 'S' || first == 'T' || first == 'F' || first == 'G' || first == 'M') {
        consider(MatchNric(c, s), kRuleSgNric);
      } else if (first == 'X' || first == 'Y' || first == 'Z') {
        int es_rule = kRuleEsNie;
        consider(MatchEsId(c, s, &es_rule), es_rule);
      }
    } else if (letters == 2) {
      consider(MatchNino(c, s), kRuleUkNino);
    } else if (letters == 5) {
      consider(MatchPan(c, s), kRuleInPan);
    } else if (letters >= 6) {
      consider(MatchFiscalCode(c, s), kRuleItFiscalCode);
    }
  } else {
    // One look at the leading digit run decides which schemes can apply (most numbers in text
    // are short and reach none of them).
    const P run = DigitRun(c, s, 12);
    const int next = c.At(s + run);
    const bool grouped = (next == ' ' || next == '-') && IsDigit(c.At(s + run + 1));
    if (run == 8) {
      int es_rule = kRuleEsNif;
      consider(MatchEsId(c, s, &es_rule), es_rule);
    }
    if (run == 6) {
      consider(MatchHetu(c, s), kRuleFiHetu);
      consider(MatchRrn(c, s), kRuleKrRrn);
    }
    if (run == 13) consider(MatchRrn(c, s), kRuleKrRrn);
    if (run == 9) consider(MatchUsPassport(c, s), kRuleUsPassport);
    if (first == '9' && ((run == 3 && grouped) || run == 9)) consider(MatchItin(c, s), kRuleUsItin);
    if ((run == 4 && grouped) || run == 12) consider(MatchAadhaar(c, s), kRuleInAadhaar);
    if ((run == 3 && grouped) || run == 10) consider(MatchNhs(c, s), kRuleUkNhs);
    if (run == 11) consider(MatchPesel(c, s), kRulePlPesel);
    if ((run == 2 && grouped) || run == 11) consider(MatchAbn(c, s), kRuleAuAbn);
    if ((run == 3 && grouped) || run == 9) {
      int au_rule = kRuleAuAcn;
      const P au_end = MatchAcnOrTfn(c, s, &au_rule);
      consider(au_end, au_rule);
    }
    if ((run == 4 && grouped) || run == 10 || run == 11) {
      consider(MatchMedicare(c, s), kRuleAuMedicare);
    }
  }
  if (best < 0) return false;
  hit->end = static_cast<size_t>(best);
  hit->rule = rule;
  return true;
}

// The entities added after the first eleven, out of MatchBuiltin's switch (so that adding one does
// not change how the compiler inlines the older matchers there: it did, at +2% on clean prose).
[[gnu::noinline]] bool MatchAdded(int entity, const Cursor& cur, P s, Hit* hit) {
  switch (entity) {
    case kMacAddress:
      return MatchMac(cur, s, hit);
    case kNationalId:
      return MatchNationalId(cur, s, hit);
    case kDateOfBirth:
      return MatchDateOfBirth(cur, s, hit);
    case kCryptoWallet:
      return MatchWallet(cur, s, hit);
  }
  return false;
}

// Likewise their left boundaries.
[[gnu::noinline]] bool AddedLeftBoundaryOk(int entity, int prev) {
  const bool word = IsAlnum(prev);
  switch (entity) {
    case kMacAddress:  // after ':' or '-' too ("mac:00:1a:..."); MatchMac rejects a longer run
      return !(word || prev == '_' || prev == '.');
    case kNationalId:  // as US_SSN, but a passport number may follow '#' ("passport #...")
      return !(word || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev == '+' ||
               prev == '$' || prev == ',');
    case kDateOfBirth:  // as US_SSN
      return !(word || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev == '+' ||
               prev == '$' || prev == '#' || prev == ',');
    case kCryptoWallet:
      return !(word || prev == '_' || prev == '-' || prev == '.' || prev == '/' || prev == '+');
  }
  return true;
}

}  // namespace

std::string_view BuiltinEntityName(int entity) { return kEntityNames[entity]; }
bool BuiltinDefaultOn(int entity) {
  return entity != kMacAddress && entity != kNationalId && entity != kDateOfBirth &&
         entity != kCryptoWallet;
}
int BuiltinSlot(int entity) {
  switch (entity) {
    case kMacAddress:
      return kIpv6;
    case kNationalId:
    case kDateOfBirth:
      return kUsSsn;
    case kCryptoWallet:
      return kCreditCard;
  }
  return entity;
}
int BuiltinRuleEntity(int rule) { return kRules[rule].entity; }
bool BuiltinRuleNeedsContext(int rule) {
  switch (rule) {
    case kRulePhoneContext:
    case kRuleSsnContext:
    case kRuleUsItin:
    case kRuleUkNhs:
    case kRulePlPesel:
    case kRuleAuAcn:
    case kRuleAuTfn:
    case kRuleAuMedicare:
    case kRuleUsPassport:
    case kRuleEthContext:
    case kRuleDob:
    case kRuleAwsSecret:  // after its key name
    case kRuleSecretAssignment:
    case kRuleAzure:
      return true;
  }
  return false;
}
std::string_view BuiltinRuleName(int rule) { return kRules[rule].name; }

bool BuiltinLeftBoundaryOk(int entity, int prev) {
  if (prev < 0) return true;  // the start of the text
  const bool word = IsAlnum(prev);
  switch (entity) {
    case kEmail:  // after an '@' too: "a@b.comjohn@example.com" runs two addresses together
      return !IsLocalChar(prev);
    case kPhone:
      return !(word || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev == '+' ||
               prev == '$' || prev == '#');
    case kUsSsn:
      return !(word || prev == '.' || prev == '-' || prev == '_' || prev == '/' || prev == '+' ||
               prev == '$' || prev == '#' || prev == ',');
    case kCreditCard:  // after a comma too: CSV rows and JSON arrays ("7392,4111111111111111"); a
                       // thousands group after a comma is 3 digits, never a 13-19 digit card;
                       // after '/', '+', '$', '#' (a URL path, "#4111...") too. Not after '.'
                       // (the digits of a decimal: a logprob) or '-' (a longer identifier).
      return !(word || prev == '.' || prev == '-' || prev == '_');
    case kIpv4:  // "host:10.0.0.1", "inet addr:10.0.0.1", "::ffff:10.0.0.1"
      return !(word || prev == '.' || prev == '_');
    case kIpv6:
      return !(word || prev == '.' || prev == '_' || prev == ':');
    case kIban:
      return !(word || prev == '_');
    case kAwsAccessKey:
    case kApiKey:
      // Any byte: the key-value rules start at the separator after a key name ("password=");
      // the prefixed keys check PrefixBoundaryOk (not after a letter, digit, '_' or '-').
      return true;
    case kJwt:
      return !(IsB64Url(prev) || prev == '.');
    case kPrivateKey:
      return prev != '-';
    default:
      return AddedLeftBoundaryOk(entity, prev);
  }
}

bool BuiltinCanStartWith(int entity, uint8_t ch) {
  switch (entity) {
    case kEmail:
      return IsAlnum(ch) || ch == '_';
    case kPhone:
      return IsDigit(ch) || ch == '+' || ch == '(';
    case kUsSsn:
    case kDateOfBirth:
    case kCreditCard:
    case kIpv4:
      return IsDigit(ch);
    case kIpv6:
      return IsHex(ch) || ch == ':';
    case kMacAddress:
      return IsHex(ch);
    case kNationalId:
      return NationalIdCanStart(ch);
    case kCryptoWallet:
      return ch == '0' || ch == '1' || ch == '3' || ch == 'b' || ch == 'B';
    case kIban:
      return IsUpper(ch);
    case kAwsAccessKey:
      return ch == 'A' || IsKeyValueSeparator(ch);
    case kApiKey:
      return ApiKeyPrefixCanStartWith(ch) || IsKeyValueSeparator(ch);
    case kJwt:
      return ch == 'e';
    case kPrivateKey:
      return ch == '-';
  }
  return false;
}

bool MatchBuiltin(int entity, const Cursor& cur, size_t s, Hit* hit) {
  const P ps = static_cast<P>(s);
  switch (entity) {
    case kEmail:
      return MatchEmail(cur, ps, hit);
    case kPhone:
      return MatchPhone(cur, ps, hit);
    case kUsSsn:
      return MatchSsn(cur, ps, hit);
    case kCreditCard:
      return MatchCard(cur, ps, hit);
    case kIpv4:
      return MatchIpv4(cur, ps, hit);
    case kIpv6:
      return MatchIpv6(cur, ps, hit);
    case kIban:
      return MatchIban(cur, ps, hit);
    case kAwsAccessKey:
      return MatchAws(cur, ps, hit);
    case kApiKey:
      return MatchApiKey(cur, ps, hit);
    case kJwt:
      return MatchJwt(cur, ps, hit);
    case kPrivateKey:
      return MatchPem(cur, ps, hit);
    default:
      return MatchAdded(entity, cur, ps, hit);
  }
}

bool ContextWordBefore(const Cursor& cur, size_t s, size_t window, const std::string_view* words,
                       size_t count) {
  // The context word must belong to this value: the window also stops at a line break, at a
  // digit (another number sits between the word and the value), at ',' or ';' (another field) and
  // at the end of a sentence ('.' before whitespace).
  //
  // The window (at most kMaxLookbehind bytes) is copied once and classified into bitmaps (bit k =
  // byte start + k): the last stop byte, the word starts and the lower-cased text come from them.
  const uint8_t* d = cur.data();
  window = std::min(window, kMaxLookbehind);
  const size_t start = s > window ? s - window : 0;
  const size_t len = s - start;
  // ClassifyContext reads and writes the first 64; the byte after them is read as a word's
  // second byte (0, which no word holds).
  alignas(16) uint8_t low[65] = {};
  std::memcpy(low, d + start, len);
  const ContextBits bits = cur.simd().ClassifyContext(low, len);
  uint64_t stop = bits.stop;
  const uint64_t dot = bits.dot, space = bits.space, alnum = bits.alnum;
  const uint64_t valid = len == 64 ? ~uint64_t{0} : (uint64_t{1} << len) - 1;
  stop &= valid;
  // '.' + whitespace after a word of four or more letters ("Administration. "), not after
  // abbreviations such as "no." or "No." (the letters may lie before the window).
  uint64_t dots = dot & (space >> 1) & valid;
  const uint64_t above_stop =
      stop == 0 ? ~uint64_t{0} : ~((uint64_t{2} << (63 - __builtin_clzll(stop))) - 1);
  dots &= above_stop;
  while (dots != 0) {
    const size_t k = 63 - static_cast<size_t>(__builtin_clzll(dots));
    dots &= ~(uint64_t{1} << k);
    const size_t i = start + k + 1;  // one past the '.'
    size_t letters = 0;
    while (letters < 4 && i >= 2 + letters && IsAlpha(d[i - 2 - letters])) ++letters;
    if (letters >= 4) {
      stop |= uint64_t{1} << k;
      break;
    }
  }
  // The window begins after the last stop byte.
  const size_t f = stop == 0 ? 0 : 64 - static_cast<size_t>(__builtin_clzll(stop));
  // Word starts in [f, len): the previous byte is not a letter or digit.
  uint64_t starts = ~(alnum << 1) & valid & ~((uint64_t{1} << f) - 1);
  if (f == 0 && start > 0 && IsAlnum(d[start - 1])) starts &= ~uint64_t{1};
  uint64_t first = 0;  // the words' first bytes, hashed to 6 bits
  for (size_t w = 0; w < count; ++w) first |= uint64_t{1} << (words[w][0] & 63);
  const std::string_view hay(reinterpret_cast<const char*>(low), len);
  while (starts != 0) {
    const size_t pos = static_cast<size_t>(__builtin_ctzll(starts));
    starts &= starts - 1;
    if (((first >> (low[pos] & 63)) & 1) == 0) continue;
    const uint8_t c0 = low[pos], c1 = low[pos + 1];
    for (size_t w = 0; w < count; ++w) {
      const std::string_view word = words[w];
      // The first two bytes before the whole word (a custom rule's word may have one).
      if (static_cast<uint8_t>(word[0]) != c0 ||
          (word.size() > 1 && static_cast<uint8_t>(word[1]) != c1) ||
          word.size() > len - pos || hay.compare(pos, word.size(), word) != 0) {
        continue;
      }
      // The word ends a word of the text, unless it ends in punctuation itself ("ss#").
      const size_t after = pos + word.size();
      if (after == len || !IsAlnum(low[after]) ||
          !IsAlnum(static_cast<unsigned char>(word.back()))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace jitguard::mask
