// Unicode obfuscation of ASCII text for the masker's tests: every character may be replaced by one
// that folds to it (fullwidth forms, Cyrillic/Greek look-alikes, digits of other scripts, Unicode
// spaces and dashes, '＠', '．') and code points that fold to nothing (zero-width characters, soft
// hyphen, combining marks) may be inserted anywhere. Candidates are checked against the folding
// table at run time, so Fold(Obfuscate(s)) == s holds by construction.
#ifndef JITGUARD_TESTS_CPP_MASK_UNICODE_OBFUSCATION_H_
#define JITGUARD_TESTS_CPP_MASK_UNICODE_OBFUSCATION_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/text/fold.h"

namespace jitguard::mask::testing {

inline std::string Utf8(uint32_t c) {
  std::string out;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return out;
}

class Obfuscator {
 public:
  // `rate`: the chance that a character is replaced; `insert_rate`: the chance that a code point
  // folding to nothing follows a character.
  Obfuscator(uint64_t seed, double rate, double insert_rate)
      : rng_(seed), rate_(rate), insert_rate_(insert_rate) {
    for (int c = 0; c < 128; ++c) {
      std::vector<uint32_t> cands;
      if (c >= '0' && c <= '9') {
        for (uint32_t zero : {0xFF10u, 0x0660u, 0x06F0u, 0x0966u, 0x09E6u, 0x1D7CEu, 0x1D7ECu}) {
          cands.push_back(zero + static_cast<uint32_t>(c - '0'));
        }
      } else if (c >= 'A' && c <= 'Z') {
        cands.push_back(0xFF21u + static_cast<uint32_t>(c - 'A'));
        cands.push_back(0x1D400u + static_cast<uint32_t>(c - 'A'));  // mathematical bold
        for (uint32_t k : {0x0410u, 0x0412u, 0x0415u, 0x041Au, 0x041Cu, 0x041Du, 0x041Eu, 0x0420u,
                           0x0421u, 0x0422u, 0x0425u, 0x0391u, 0x0392u, 0x0395u, 0x039Fu}) {
          cands.push_back(k);  // Cyrillic and Greek capitals; kept only where they fold to c
        }
      } else if (c >= 'a' && c <= 'z') {
        cands.push_back(0xFF41u + static_cast<uint32_t>(c - 'a'));
        for (uint32_t k : {0x0430u, 0x0435u, 0x043Eu, 0x0440u, 0x0441u, 0x0445u, 0x0443u, 0x0455u,
                           0x0456u, 0x0458u, 0x03BFu, 0x03B1u}) {
          cands.push_back(k);
        }
      } else if (c == ' ') {
        cands = {0x00A0, 0x202F, 0x2009, 0x2007, 0x3000, 0x205F};
      } else if (c == '-') {
        cands = {0x2010, 0x2011, 0x2013, 0x2014, 0x2212, 0xFF0D, 0xFE63};
      } else if (c == '@') {
        cands = {0xFF20, 0xFE6B};
      } else if (c == '.') {
        cands = {0xFF0E, 0x3002, 0xFE52};
      } else if (c == '_' || c == ':' || c == '/' || c == '+' || c == '(' || c == ')') {
        cands = {0xFF00u + static_cast<uint32_t>(c - 0x20)};  // fullwidth punctuation
      }
      for (uint32_t k : cands) {
        std::string_view f;
        if (text::FoldCodePoint(k, &f) && f == std::string(1, static_cast<char>(c))) {
          subst_[c].push_back(Utf8(k));
        }
      }
    }
    for (uint32_t k : {0x200Bu, 0x200Cu, 0x200Du, 0x2060u, 0xFEFFu, 0x00ADu, 0x0301u, 0x0308u,
                       0x034Fu, 0xFE0Fu}) {
      std::string_view f;
      if (text::FoldCodePoint(k, &f) && f.empty()) removed_.push_back(Utf8(k));
    }
  }

  std::string Obfuscate(std::string_view s) {
    std::string out;
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 128 && !subst_[c].empty() && Chance(rate_)) {
        out += subst_[c][rng_() % subst_[c].size()];
      } else {
        out.push_back(ch);
      }
      if (Chance(insert_rate_)) out += removed_[rng_() % removed_.size()];
    }
    return out;
  }

  const std::vector<std::string>& Substitutes(char c) const {
    return subst_[static_cast<unsigned char>(c)];
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  std::mt19937_64 rng_;
  double rate_, insert_rate_;
  std::vector<std::string> subst_[128];
  std::vector<std::string> removed_;
};

}  // namespace jitguard::mask::testing

#endif  // JITGUARD_TESTS_CPP_MASK_UNICODE_OBFUSCATION_H_
