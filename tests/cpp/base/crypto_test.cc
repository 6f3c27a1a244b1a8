#include "lib/base/crypto.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jitguard::base {
namespace {

TEST(CryptoTest, Sha256KnownAnswers) {
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(Hex(Hmac("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacAcceptsEmptyKey) {
  EXPECT_EQ(Hex(Hmac("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoTest, Sha256OfPartsIsSha256OfTheirConcatenation) {
  std::optional<Sha256Digest> d = Sha256({"a", "", "bc"});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Hex(*d), Hex(Sha256("abc")));
  ASSERT_TRUE(Sha256({}).has_value());
  EXPECT_EQ(Hex(*Sha256({})), Hex(Sha256("")));
}

std::string Tag(const HmacKey& key, std::initializer_list<std::string_view> parts) {
  std::string out(key.size(), '\0');
  EXPECT_TRUE(key.Sign(parts, reinterpret_cast<unsigned char*>(out.data())));
  return Hex(out);
}

TEST(CryptoTest, HmacKeyKnownAnswers) {
  // RFC 4231 test case 2, the message split across parts.
  absl::StatusOr<HmacKey> jefe = HmacKey::Create("Jefe");
  ASSERT_TRUE(jefe.ok());
  EXPECT_EQ(jefe->size(), 32u);
  EXPECT_EQ(Tag(*jefe, {"what do ya ", "", "want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Again: the thread's context is re-initialised with the same key.
  EXPECT_EQ(Tag(*jefe, {"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  absl::StatusOr<HmacKey> jefe384 = HmacKey::Create("Jefe", "SHA384");
  ASSERT_TRUE(jefe384.ok());
  EXPECT_EQ(Tag(*jefe384, {"what do ya want for nothing?"}),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  absl::StatusOr<HmacKey> big = HmacKey::Create(std::string(131, '\xaa'));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Tag(*big, {"Test Using Larger Than Block-Size Key - Hash Key First"}),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  absl::StatusOr<HmacKey> empty = HmacKey::Create("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Tag(*empty, {}), Hex(Hmac("", "")));
  EXPECT_FALSE(HmacKey::Create("k", "NO-SUCH-DIGEST").ok());
}

TEST(CryptoTest, HmacKeysInterleavedAndAcrossThreadsKeepTheirOwnKey) {
  // More keys than a thread caches, used in turn from several threads at once.
  std::vector<HmacKey> keys;
  std::vector<std::string> expected;
  for (int i = 0; i < 9; ++i) {
    const std::string k = "key-" + std::to_string(i);
    absl::StatusOr<HmacKey> key = HmacKey::Create(k);
    ASSERT_TRUE(key.ok());
    keys.push_back(*key);
    expected.push_back(Hex(Hmac(k, "message")));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const size_t i = static_cast<size_t>((round * 7 + t) % 9);
        std::string out(32, '\0');
        if (!keys[i].Sign({"mess", "age"}, reinterpret_cast<unsigned char*>(out.data())) ||
            Hex(out) != expected[i]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
  // A copy shares the key and outlives the original.
  HmacKey copy = keys[3];
  keys.clear();
  EXPECT_EQ(Tag(copy, {"message"}), expected[3]);
}

TEST(CryptoTest, RandomBytesAreRandomAndSized) {
  auto a = RandomBytes(16);
  auto b = RandomBytes(16);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace jitguard::base
