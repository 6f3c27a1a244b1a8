// Checksums and registries the detectors validate candidates with.
#ifndef JITGUARD_LIB_MASK_VALIDATORS_H_
#define JITGUARD_LIB_MASK_VALIDATORS_H_

#include <string_view>

namespace jitguard::mask {

// Luhn over the ASCII digits of `s` (other bytes ignored); false when there are fewer than 2.
bool LuhnValid(std::string_view s);

// ISO 13616 / ISO 7064 mod-97 over the ASCII letters and digits of `s` (spaces ignored): the first
// four characters move to the end, letters become 10..35, and the number mod 97 must be 1. False
// for anything else in `s` or fewer than 5 characters.
bool Mod97Valid(std::string_view s);

// The IBAN length registered for a two-letter country code; 0 when the country has no IBAN.
int IbanLength(char c0, char c1);

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_VALIDATORS_H_
