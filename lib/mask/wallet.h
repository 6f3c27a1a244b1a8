// Checksums of cryptocurrency addresses (CRYPTO_WALLET): Bitcoin Base58Check, BIP-173 bech32 /
// BIP-350 bech32m segwit addresses, and Ethereum's EIP-55 mixed-case checksum over Keccak-256.
#ifndef JITGUARD_LIB_MASK_WALLET_H_
#define JITGUARD_LIB_MASK_WALLET_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace jitguard::mask {

// A mainnet P2PKH ('1...', version 0x00) or P2SH ('3...', version 0x05) address: Base58 that
// decodes to exactly 25 bytes (leading '1's = leading zero bytes), the version matching the first
// character, and the last 4 bytes equal to the first 4 of SHA-256(SHA-256(first 21)).
bool Base58CheckAddressValid(std::string_view s);

// A mainnet segwit address ("bc1..." or "BC1...", one case throughout, at most 90 characters):
// witness version 0 with the bech32 checksum and a 20- or 32-byte program, or version 1-16 with
// the bech32m checksum and a 2-40-byte program.
bool SegwitAddressValid(std::string_view s);

// Keccak-256 (the original padding 0x01, as Ethereum uses it; not SHA3-256).
std::array<uint8_t, 32> Keccak256(std::string_view data);

// `hex40` (40 hex digits, no "0x") holds upper- and lower-case letters exactly as EIP-55 puts them:
// a letter is upper case iff the matching nibble of Keccak-256(lower-case address) is >= 8.
bool Eip55Valid(std::string_view hex40);

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_WALLET_H_
