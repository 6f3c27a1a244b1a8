#include "lib/base/base64url.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace jitguard::base {
namespace {

TEST(Base64UrlTest, DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlDecodeStrict(""), "");
  EXPECT_EQ(Base64UrlDecodeStrict("Zg"), "f");
  EXPECT_EQ(Base64UrlDecodeStrict("Zm8"), "fo");
  EXPECT_EQ(Base64UrlDecodeStrict("Zm9v"), "foo");
  EXPECT_EQ(Base64UrlDecodeStrict("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Base64UrlDecodeStrict("-_8"), "\xfb\xff");
}

TEST(Base64UrlTest, RejectsPaddingWhitespaceAndStandardAlphabet) {
  EXPECT_FALSE(Base64UrlDecodeStrict("Zg=="));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm8="));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm 9v"));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm9v\n"));
  EXPECT_FALSE(Base64UrlDecodeStrict("+/8"));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm9v?"));
}

TEST(Base64UrlTest, RejectsImpossibleLengthAndNonZeroTrailingBits) {
  EXPECT_FALSE(Base64UrlDecodeStrict("Z"));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm9vY"));
  EXPECT_FALSE(Base64UrlDecodeStrict("Zh"));   // "Zg" is the canonical form of "f"
  EXPECT_FALSE(Base64UrlDecodeStrict("Zm9"));  // "Zm8" is the canonical form of "fo"
}

TEST(Base64UrlTest, RoundTripsRandomBytesAndEncodingIsUnique) {
  std::mt19937 rng(42);
  for (int n = 0; n < 300; ++n) {
    std::string bytes(n % 67, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    ASSERT_EQ(Base64UrlDecodeStrict(encoded), bytes);
    // Flipping any single character either fails or decodes to different bytes.
    for (size_t i = 0; i < encoded.size(); ++i) {
      std::string mutated = encoded;
      mutated[i] = mutated[i] == 'A' ? 'B' : 'A';
      auto decoded = Base64UrlDecodeStrict(mutated);
      if (decoded) {
        EXPECT_NE(*decoded, bytes);
      }
    }
  }
}

}  // namespace
}  // namespace jitguard::base
