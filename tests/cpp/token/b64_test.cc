// The token hot path's base64url decoder against the reference strict decoder in lib/base.
#include "lib/token/b64.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "lib/base/base64url.h"

namespace jitguard::token {
namespace {

void ExpectSame(const std::string& in) {
  std::optional<std::string> want = base::Base64UrlDecodeStrict(in);
  std::string got = "stale";
  const bool ok = DecodeBase64UrlInto(in, &got);
  ASSERT_EQ(ok, want.has_value()) << "input: " << in;
  if (ok) {
    EXPECT_EQ(got, *want) << "input: " << in;
    EXPECT_GE(got.capacity(), got.size() + 64);
  }
}

TEST(B64Test, AgreesWithTheReferenceOnEdgeCases) {
  for (const char* in :
       {"",     "A",     "AA",     "AAA",  "AAAA", "QQ",       "QR",   "QUE", "QUF",
        "QUFB", "Zm9v",  "Zm9v=",  "Zm9",  "Zm9=", "Zg==",     "Zg",   "Zh",  "a+b/",
        "a-b_", "ab cd", "ab\ncd", "____", "----", "\xff\xfe", "AB.C", "A\0B"}) {
    ExpectSame(in);
  }
}

TEST(B64Test, AgreesWithTheReferenceOnRandomInput) {
  std::mt19937 rng(42);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .\n\x80";
  for (int i = 0; i < 20000; ++i) {
    std::string in(rng() % 24, 'A');
    // Mostly valid characters, sometimes one outside the alphabet.
    for (char& c : in) c = alphabet[rng() % (rng() % 8 == 0 ? alphabet.size() : 64)];
    ExpectSame(in);
  }
  // Round trips of random bytes.
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 100, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string out;
    ASSERT_TRUE(DecodeBase64UrlInto(base::Base64UrlEncode(bytes), &out));
    EXPECT_EQ(out, bytes);
  }
}

}  // namespace
}  // namespace jitguard::token
