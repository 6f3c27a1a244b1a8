#include "lib/mask/wallet.h"

#include <openssl/evp.h>

#include <cstring>

namespace jitguard::mask {
namespace {

constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

int IndexIn(std::string_view alphabet, char c) {
  const size_t at = alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

bool Sha256(const uint8_t* data, size_t n, uint8_t out[32]) {
  unsigned int len = 0;
  return EVP_Digest(data, n, out, &len, EVP_sha256(), nullptr) == 1 && len == 32;
}

uint32_t Bech32Polymod(const uint8_t* v, size_t n) {
  constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v[i];
    for (int k = 0; k < 5; ++k) {
      if ((top >> k) & 1) chk ^= kGen[k];
    }
  }
  return chk;
}

uint64_t Rotl(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

// Keccak-f[1600] (FIPS 202, section 3): 24 rounds of theta, rho, pi, chi, iota.
void KeccakF(uint64_t st[25]) {
  constexpr uint64_t kRc[24] = {
      0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
      0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
      0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
      0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
      0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008};
  constexpr int kRot[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                            27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
  constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                           15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};
  for (uint64_t rc : kRc) {
    uint64_t bc[5];
    for (int i = 0; i < 5; ++i) bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
    for (int i = 0; i < 5; ++i) {
      const uint64_t t = bc[(i + 4) % 5] ^ Rotl(bc[(i + 1) % 5], 1);
      for (int j = 0; j < 25; j += 5) st[j + i] ^= t;
    }
    uint64_t t = st[1];
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const uint64_t next = st[j];
      st[j] = Rotl(t, kRot[i]);
      t = next;
    }
    for (int j = 0; j < 25; j += 5) {
      for (int i = 0; i < 5; ++i) bc[i] = st[j + i];
      for (int i = 0; i < 5; ++i) st[j + i] ^= ~bc[(i + 1) % 5] & bc[(i + 2) % 5];
    }
    st[0] ^= rc;
  }
}

}  // namespace

bool Base58CheckAddressValid(std::string_view s) {
  if (s.size() < 25 || s.size() > 35 || (s[0] != '1' && s[0] != '3')) return false;
  uint8_t b[25] = {};
  for (char c : s) {
    int carry = IndexIn(kBase58, c);
    if (carry < 0) return false;
    for (int i = 24; i >= 0; --i) {
      carry += 58 * b[i];
      b[i] = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    if (carry != 0) return false;  // more than 25 bytes
  }
  size_t ones = 0, zeros = 0;
  while (ones < s.size() && s[ones] == '1') ++ones;
  while (zeros < 25 && b[zeros] == 0) ++zeros;
  if (ones != zeros) return false;
  if (b[0] != (s[0] == '1' ? 0x00 : 0x05)) return false;
  uint8_t h1[32], h2[32];
  if (!Sha256(b, 21, h1) || !Sha256(h1, 32, h2)) return false;
  return std::memcmp(h2, b + 21, 4) == 0;
}

bool SegwitAddressValid(std::string_view s) {
  if (s.size() < 14 || s.size() > 90) return false;
  bool lower = false, upper = false;
  for (char c : s) {
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
  }
  if (lower && upper) return false;
  if (!((s[0] == 'b' && s[1] == 'c') || (s[0] == 'B' && s[1] == 'C')) || s[2] != '1') return false;
  // hrp "bc" expanded, then the data part.
  uint8_t v[96];
  size_t n = 0;
  v[n++] = 'b' >> 5;
  v[n++] = 'c' >> 5;
  v[n++] = 0;
  v[n++] = 'b' & 31;
  v[n++] = 'c' & 31;
  const size_t data = n;
  for (size_t i = 3; i < s.size(); ++i) {
    const char c = static_cast<char>(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    const int d = IndexIn(kBech32, c);
    if (d < 0) return false;
    v[n++] = static_cast<uint8_t>(d);
  }
  const size_t values = n - data;  // witness version + program + 6 checksum values
  if (values < 1 + 6) return false;
  const uint32_t check = Bech32Polymod(v, n);
  const int version = v[data];
  if (version > 16) return false;
  if (check != (version == 0 ? 1u : 0x2bc830a3u)) return false;
  // The program: 5-bit groups to bytes, no leftover of 5+ bits, the padding bits zero.
  uint32_t acc = 0;
  int bits = 0;
  size_t bytes = 0;
  for (size_t i = data + 1; i < n - 6; ++i) {
    acc = (acc << 5) | v[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      ++bytes;
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return false;
  if (bytes < 2 || bytes > 40) return false;
  return version != 0 || bytes == 20 || bytes == 32;
}

std::array<uint8_t, 32> Keccak256(std::string_view data) {
  constexpr size_t kRate = 136;
  uint64_t st[25] = {};
  auto absorb = [&](const uint8_t* block, size_t len) {
    for (size_t i = 0; i < len; ++i) st[i / 8] ^= uint64_t{block[i]} << (8 * (i % 8));
  };
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  while (n >= kRate) {
    absorb(p, kRate);
    KeccakF(st);
    p += kRate;
    n -= kRate;
  }
  uint8_t last[kRate] = {};
  std::memcpy(last, p, n);
  last[n] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  absorb(last, kRate);
  KeccakF(st);
  std::array<uint8_t, 32> out;
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(st[i / 8] >> (8 * (i % 8)));
  return out;
}

bool Eip55Valid(std::string_view hex40) {
  if (hex40.size() != 40) return false;
  char lower[40];
  for (size_t i = 0; i < 40; ++i) {
    const char c = hex40[i];
    lower[i] = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
  }
  const std::array<uint8_t, 32> h = Keccak256(std::string_view(lower, 40));
  for (size_t i = 0; i < 40; ++i) {
    const char c = hex40[i];
    if (c >= '0' && c <= '9') continue;
    const int nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0xf;
    const bool want_upper = nibble >= 8;
    if ((c >= 'A' && c <= 'F') != want_upper) return false;
  }
  return true;
}

}  // namespace jitguard::mask
