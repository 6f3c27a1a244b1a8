// CRYPTO_WALLET: the checksums against the vectors of their specifications (Bitcoin Base58Check,
// BIP-173 / BIP-350, Keccak-256 and EIP-55), the detector on valid values, broken checksums and
// near-miss shapes (on when named; off in the default profile), streams.
#include "lib/mask/wallet.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/stream_check.h"
#include "lib/base/crypto.h"

namespace jitguard {
namespace {

// Every built-in entity on (CRYPTO_WALLET is off in the default profile).
const std::shared_ptr<const Masker>& Default() { return mask::testing::EveryEntityMasker(); }

TEST(WalletTest, OffInTheDefaultProfile) {
  EXPECT_TRUE((*Masker::Create({}))->Find("pay 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa now").empty());
}

std::shared_ptr<const Masker> WithMac() {
  static const std::shared_ptr<const Masker> m = [] {
    MaskerOptions o;
    o.entities = std::vector<std::string>{"MAC_ADDRESS", "CRYPTO_WALLET", "IPV6", "PHONE"};
    return *Masker::Create(std::move(o));
  }();
  return m;
}

// "ENTITY/rule:value" for each finding, space-separated.
std::string Found(std::string_view text, const Masker& m = *Default()) {
  return mask::testing::DescribeFindings(m, text);
}

// A copy of `s` with the character at `i` replaced by `c`.
std::string With(std::string s, size_t i, char c) {
  s[i] = c;
  return s;
}

TEST(WalletTest, Keccak256KnownAnswers) {
  const auto hex = [](std::string_view in) {
    const std::array<uint8_t, 32> h = mask::Keccak256(in);
    return base::Hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
  };
  EXPECT_EQ(hex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  // More than one 136-byte block.
  EXPECT_EQ(hex(std::string(200, 'a')).size(), 64u);
  EXPECT_NE(hex(std::string(136, 'a')), hex(std::string(135, 'a')));
}

TEST(WalletTest, Eip55Vectors) {
  // The examples of EIP-55.
  for (std::string_view a :
       {"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    EXPECT_TRUE(mask::Eip55Valid(a)) << a;
    // One letter in the other case breaks the checksum.
    const size_t i = std::string(a).find_first_of("abcdefABCDEF");
    std::string b(a);
    b[i] = static_cast<char>(b[i] >= 'a' ? b[i] - 32 : b[i] + 32);
    EXPECT_FALSE(mask::Eip55Valid(b)) << b;
  }
}

TEST(WalletTest, Base58CheckVectors) {
  for (std::string_view a :
       {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3P14159f73E4gFr7JterCCQh9QjiTjiZrG"}) {
    EXPECT_TRUE(mask::Base58CheckAddressValid(a)) << a;
  }
  const std::string a = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
  EXPECT_FALSE(mask::Base58CheckAddressValid(With(a, a.size() - 1, 'b')));  // checksum
  EXPECT_FALSE(mask::Base58CheckAddressValid(With(a, 5, 'Q')));
  EXPECT_FALSE(mask::Base58CheckAddressValid("3A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));   // version
  EXPECT_FALSE(mask::Base58CheckAddressValid("11A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));  // extra 1
  EXPECT_FALSE(mask::Base58CheckAddressValid("1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a"));   // '0'
  EXPECT_FALSE(mask::Base58CheckAddressValid(""));
}

TEST(WalletTest, SegwitVectors) {
  // BIP-173 (version 0, bech32) and BIP-350 (version 1, bech32m).
  for (std::string_view a :
       {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"}) {
    EXPECT_TRUE(mask::SegwitAddressValid(a)) << a;
  }
  const std::string v0 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
  EXPECT_FALSE(mask::SegwitAddressValid(With(v0, v0.size() - 1, '5')));                  // checksum
  EXPECT_FALSE(mask::SegwitAddressValid("bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));  // mixed
  EXPECT_FALSE(mask::SegwitAddressValid("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));  // testnet
  // A version-1 program under the bech32 (not bech32m) checksum: BIP-350 rejects it.
  EXPECT_FALSE(mask::SegwitAddressValid(With(v0, 3, 'p')));
  EXPECT_FALSE(mask::SegwitAddressValid("bc1b"));
}

TEST(WalletTest, Detector) {
  EXPECT_EQ(Found("send 0.1 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa today"),
            "CRYPTO_WALLET/btc_base58:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
  EXPECT_EQ(Found("\"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\""),
            "CRYPTO_WALLET/btc_base58:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
  EXPECT_EQ(Found("pay bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq."),
            "CRYPTO_WALLET/btc_bech32:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
  EXPECT_EQ(Found("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"),
            "CRYPTO_WALLET/btc_bech32:BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
  EXPECT_EQ(Found("to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed please"),
            "CRYPTO_WALLET/eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  // One case: no checksum, so only after a context word.
  EXPECT_EQ(Found("my ETH address: 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            "CRYPTO_WALLET/eth_context:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  EXPECT_EQ(Found("wallet 0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359"),
            "CRYPTO_WALLET/eth_context:0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359");
  // Hard negatives.
  for (const char* text : {
           "hash 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",  // no context word
           "to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",    // EIP-55 broken
           "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",     // 42 hex digits
           "wallet 0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea",  // 38
           "tx 0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b",  // a tx hash
           "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",           // Base58Check broken
           "order 1234567890123456789012345678",           // digits, no checksum
           "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",   // bech32 broken
           "abc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  // inside a word
           "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy_x",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
}

TEST(WalletTest, StreamsEqualOneShot) {
  const std::string text =
      "a 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa b bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq "
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed wallet "
      "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed "
      "mac 00:1a:2b:3c:4d:5e, 001a.2b3c.4d5e 00:1A:2B:3C:4D:5E:6F\n";
  const std::string want = WithMac()->Mask(text);
  ASSERT_EQ(want.find("1A1zP1"), std::string::npos);
  ASSERT_EQ(want.find("4d:5e"), std::string::npos);
  mask::testing::ExpectStreamEqualsOneShot(*WithMac(), text, 13);
}

}  // namespace
}  // namespace jitguard
