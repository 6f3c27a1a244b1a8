#include "lib/mask/validators.h"

#include <cstdint>
#include <cstring>

namespace jitguard::mask {

bool LuhnValid(std::string_view s) {
  int sum = 0, count = 0;
  for (size_t i = s.size(); i-- > 0;) {
    const char c = s[i];
    if (c < '0' || c > '9') continue;
    int d = c - '0';
    if (count % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++count;
  }
  return count >= 2 && sum % 10 == 0;
}

namespace {

// The value of an IBAN character in the mod-97 check: 0-9 for digits, 10-35 for letters (either
// case), kNotAlnum otherwise.
constexpr uint8_t kNotAlnum = 0xff;
struct Mod97Values {
  uint8_t value[256] = {};
  constexpr Mod97Values() {
    for (int c = 0; c < 256; ++c) value[c] = kNotAlnum;
    for (int c = '0'; c <= '9'; ++c) value[c] = static_cast<uint8_t>(c - '0');
    for (int c = 'A'; c <= 'Z'; ++c) value[c] = static_cast<uint8_t>(c - 'A' + 10);
    for (int c = 'a'; c <= 'z'; ++c) value[c] = static_cast<uint8_t>(c - 'a' + 10);
  }
};
constexpr Mod97Values kMod97;

// Appends the characters of buf[from, to) to the decimal number acc (a letter adds two digits),
// reducing mod 97 only when acc could overflow: it stays below 10^16 before a step that
// multiplies it by at most 100. False on a character that is not a letter or digit.
bool Mod97Append(const uint8_t* buf, size_t from, size_t to, uint64_t* acc) {
  uint64_t a = *acc;
  for (size_t k = from; k < to; ++k) {
    const uint64_t v = kMod97.value[buf[k]];
    if (v == kNotAlnum) return false;
    a = a * (v < 10 ? 10 : 100) + v;
    if (a >= uint64_t{10000000000000000}) a %= 97;
  }
  *acc = a;
  return true;
}

}  // namespace

bool Mod97Valid(std::string_view s) {
  uint8_t buf[64];
  size_t n = 0;
  for (char c : s) {
    if (c == ' ') continue;
    if (n == sizeof(buf)) return false;
    buf[n++] = static_cast<uint8_t>(c);
  }
  if (n < 5) return false;
  // The rearranged string: the first four characters moved to the end.
  uint64_t acc = 0;
  return Mod97Append(buf, 4, n, &acc) && Mod97Append(buf, 0, 4, &acc) && acc % 97 == 1;
}

namespace {

// SWIFT IBAN registry (release 2024): country code and total length.
struct IbanCountry {
  char code[3];
  int length;
};
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

// Length by country code, indexed [c0 - 'A'][c1 - 'A'].
struct IbanLengths {
  uint8_t length[26][26] = {};
  constexpr IbanLengths() {
    for (const IbanCountry& c : kIbanCountries) {
      length[c.code[0] - 'A'][c.code[1] - 'A'] = static_cast<uint8_t>(c.length);
    }
  }
};
constexpr IbanLengths kIbanLengths;

}  // namespace

int IbanLength(char c0, char c1) {
  if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z') return 0;
  return kIbanLengths.length[c0 - 'A'][c1 - 'A'];
}

}  // namespace jitguard::mask
