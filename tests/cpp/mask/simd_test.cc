// Every SIMD implementation against scalar on the same inputs: the kernel itself on random bytes
// and sets, and whole maskers built on each implementation.
#include "lib/mask/simd.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "lib/mask/internal.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard::mask {
namespace {

const Implementation& Scalar() { return *FindImplementation("scalar"); }

TEST(SimdTest, ScalarIsAlwaysSupportedAndActiveIsOneOfThem) {
  ASSERT_NE(FindImplementation("scalar"), nullptr);
  bool found = false;
  for (const Implementation* impl : SupportedImplementations()) {
    found |= impl == &ActiveImplementation();
  }
  EXPECT_TRUE(found);
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_NE(FindImplementation("avx2"), nullptr);
  }
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_NE(FindImplementation("sse42"), nullptr);
  }
#endif
}

TEST(SimdTest, FindFirstAgreesWithScalarOnRandomInputs) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 3000; ++round) {
    ByteSet set;
    const int members = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < members; ++i) set.Add(static_cast<uint8_t>(rng()));
    const size_t n = rng() % 300;
    std::string buf(n, '\0');
    for (char& c : buf) {
      // Mostly bytes outside the set, so the first hit lands anywhere (or nowhere).
      c = static_cast<char>(rng() % 8 == 0 ? rng() : 'a' + rng() % 3);
    }
    const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
    for (size_t offset : {size_t{0}, size_t{1}, size_t{7}}) {
      if (offset > n) continue;
      const size_t want = Scalar().FindFirst(p + offset, n - offset, set);
      for (const Implementation* impl : SupportedImplementations()) {
        ASSERT_EQ(impl->FindFirst(p + offset, n - offset, set), want)
            << impl->name() << " round " << round;
      }
    }
  }
}

TEST(SimdTest, ClassifyAgreesWithScalarOnRandomInputs) {
  // Sets with and without members >= 0x80 (the kernels take a cheaper path for ASCII-only sets).
  std::mt19937_64 rng(43);
  for (int round = 0; round < 2000; ++round) {
    ByteSet a, b;
    const bool ascii = round % 2 == 0;
    for (ByteSet* set : {&a, &b}) {
      const int members = 1 + static_cast<int>(rng() % 20);
      for (int i = 0; i < members; ++i) {
        set->Add(static_cast<uint8_t>(ascii ? rng() % 128 : rng()));
      }
    }
    const size_t blocks = 1 + rng() % 4;
    std::string buf(blocks * 64, '\0');
    for (char& c : buf) c = static_cast<char>(rng());
    const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
    uint64_t want_a[4], want_b[4];
    Scalar().Classify(p, blocks, a, b, want_a, want_b);
    for (const Implementation* impl : SupportedImplementations()) {
      uint64_t got_a[4], got_b[4];
      impl->Classify(p, blocks, a, b, got_a, got_b);
      for (size_t k = 0; k < blocks; ++k) {
        ASSERT_EQ(got_a[k], want_a[k]) << impl->name() << " round " << round << " block " << k;
        ASSERT_EQ(got_b[k], want_b[k]) << impl->name() << " round " << round << " block " << k;
      }
    }
  }
}

TEST(SimdTest, EveryByteValueIsClassifiedCorrectly) {
  // Each of the 256 byte values alone in a set, found at every position of a 100-byte buffer.
  for (int b = 0; b < 256; ++b) {
    ByteSet set;
    set.Add(static_cast<uint8_t>(b));
    for (const Implementation* impl : SupportedImplementations()) {
      std::string buf(100, static_cast<char>(b ^ 0x55));
      const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
      EXPECT_EQ(impl->FindFirst(p, buf.size(), set), buf.size()) << impl->name() << " " << b;
      for (size_t at : {size_t{0}, size_t{15}, size_t{16}, size_t{31}, size_t{32}, size_t{63},
                        size_t{64}, size_t{99}}) {
        buf.assign(100, static_cast<char>(b ^ 0x55));
        buf[at] = static_cast<char>(b);
        ASSERT_EQ(impl->FindFirst(p, buf.size(), set), at) << impl->name() << " byte " << b;
      }
    }
  }
}

TEST(SimdTest, MaskersOnEveryImplementationProduceTheSameOutput) {
  testing::CorpusGenerator gen(99);
  std::string text;
  for (int d = 0; d < 20; ++d) text += gen.Generate(4000, d % 2 ? 200 : 0).text;
  text += std::string("\0\xff binary \x80", 12);
  const auto scalar = *CreateMaskerWith({}, &Scalar());
  const std::string want = scalar->Mask(text);
  for (const Implementation* impl : SupportedImplementations()) {
    const auto m = *CreateMaskerWith({}, impl);
    EXPECT_EQ(m->Mask(text), want) << impl->name();
    EXPECT_EQ(m->Find(text), scalar->Find(text)) << impl->name();
  }
}

}  // namespace
}  // namespace jitguard::mask
