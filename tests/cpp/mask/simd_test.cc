// Every SIMD implementation against scalar on the same inputs: each kernel on random bytes (the
// prefilter on random sets, the span and context-window classes also against their byte-by-byte
// definitions), whole maskers built on each implementation, and the JITGUARD_SIMD choice.
#include "lib/mask/simd.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "lib/mask/builtin.h"
#include "lib/mask/internal.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard::mask {
namespace {

const Implementation& Scalar() { return ScalarImplementation(); }

TEST(SimdTest, ScalarIsAlwaysSupportedAndTheBestIsChosenByDefault) {
  ASSERT_EQ(FindImplementation("scalar"), &Scalar());
  EXPECT_EQ(SupportedImplementations().back(), &Scalar());
  const absl::StatusOr<const Implementation*> chosen = ChooseImplementation(nullptr);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(*chosen, SupportedImplementations().front());
#if defined(__x86_64__)
  EXPECT_EQ(FindImplementation("avx2") != nullptr, __builtin_cpu_supports("avx2") != 0);
  EXPECT_EQ(FindImplementation("sse42") != nullptr, __builtin_cpu_supports("sse4.2") != 0);
  EXPECT_EQ(FindImplementation("neon"), nullptr);
#elif defined(__aarch64__)
  EXPECT_NE(FindImplementation("neon"), nullptr);
#endif
}

TEST(SimdTest, JitguardSimdNamesASupportedImplementation) {
  for (const Implementation* impl : SupportedImplementations()) {
    const std::string name(impl->name());
    const absl::StatusOr<const Implementation*> chosen = ChooseImplementation(name.c_str());
    ASSERT_TRUE(chosen.ok()) << name << ": " << chosen.status();
    EXPECT_EQ(*chosen, impl);
  }
}

TEST(SimdTest, UnknownJitguardSimdIsABadSimdErrorNamingTheAcceptedValues) {
  for (const char* bad : {"", "AVX2", "avx512", "sse2", "scalar ", "bogus-value-that-is-long"}) {
    const absl::StatusOr<const Implementation*> chosen = ChooseImplementation(bad);
    ASSERT_FALSE(chosen.ok()) << "'" << bad << "'";
    EXPECT_EQ(chosen.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(chosen.status()), "bad_simd");
    EXPECT_EQ(GetErrorDomain(chosen.status()), ErrorDomain::kMask);
    const std::string message(chosen.status().message());
    EXPECT_NE(message.find("accepted: avx2, sse42, neon, scalar"), std::string::npos) << message;
    EXPECT_NE(message.find("is not an implementation"), std::string::npos) << message;
  }
  // A real name this CPU (or this build) cannot run is refused too, not silently replaced.
  for (std::string_view name : {"avx2", "sse42", "neon"}) {
    if (FindImplementation(name) != nullptr) continue;
    const std::string n(name);
    const absl::StatusOr<const Implementation*> chosen = ChooseImplementation(n.c_str());
    ASSERT_FALSE(chosen.ok()) << name;
    EXPECT_EQ(ErrorReason(chosen.status()), "bad_simd");
    EXPECT_NE(std::string(chosen.status().message()).find("not supported by this CPU"),
              std::string::npos);
  }
}

TEST(SimdDeathTest, MaskerCreateFailsWithBadSimdWhenTheEnvironmentNamesNoImplementation) {
  // The choice is made once per process, so the check runs in a fresh one (the death test
  // re-executes this binary with the variable set).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_EQ(setenv("JITGUARD_SIMD", "avx-512", 1), 0);
  EXPECT_EXIT(
      {
        const auto m = Masker::Create({});
        std::cerr << (m.ok() ? std::string("created") : ErrorReason(m.status())) << " "
                  << (m.ok() ? "" : std::string(m.status().message())) << std::endl;
        std::exit(m.ok() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "bad_simd JITGUARD_SIMD='avx-512' is not an implementation");
  ASSERT_EQ(setenv("JITGUARD_SIMD", "scalar", 1), 0);
  EXPECT_EXIT(
      {
        const auto m = Masker::Create({});
        std::exit(m.ok() && (*m)->Mask("mail a@b.co") == "mail [EMAIL]" ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  ASSERT_EQ(unsetenv("JITGUARD_SIMD"), 0);
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

TEST(SimdTest, FindNonAsciiFindsTheFirstHighByteInEveryImplementation) {
  // One byte >= 0x80 (every value, at every position of buffers up to 300 bytes, at several
  // offsets), none, or several: the answer is the byte-by-byte definition.
  std::mt19937_64 rng(44);
  for (int round = 0; round < 4000; ++round) {
    const size_t n = rng() % 300;
    std::string buf(n, '\0');
    for (char& c : buf) c = static_cast<char>(rng() % 128);
    const int high = static_cast<int>(rng() % 3);
    for (int k = 0; k < high && n > 0; ++k) buf[rng() % n] = static_cast<char>(0x80 + rng() % 128);
    const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
    for (size_t offset : {size_t{0}, size_t{1}, size_t{13}}) {
      if (offset > n) continue;
      size_t want = offset;
      while (want < n && p[want] < 0x80) ++want;
      for (const Implementation* impl : SupportedImplementations()) {
        ASSERT_EQ(impl->FindNonAscii(p + offset, n - offset), want - offset)
            << impl->name() << " round " << round << " offset " << offset;
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

// The span classes by their byte-by-byte definition.
SpanBits NaiveSpanBits(const uint8_t* p, size_t len) {
  SpanBits bits{};
  for (size_t i = 0; i < len; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (p[i] == '@') bits.at |= bit;
    if (p[i] >= ':' && p[i] <= '=') bits.colon |= bit;  // ':', ';', '<', '='
    if (p[i] == '-') bits.dash |= bit;
    if (p[i] == '.') bits.dot |= bit;
    if (IsDigit(p[i])) bits.digit |= bit;
    if (IsAlnum(p[i])) bits.alnum |= bit;
    if (IsHex(p[i])) bits.hex |= bit;
  }
  return bits;
}

void ExpectSameSpanBits(const SpanBits& got, const SpanBits& want, const std::string& where) {
  EXPECT_EQ(got.at, want.at) << where;
  EXPECT_EQ(got.digit, want.digit) << where;
  EXPECT_EQ(got.colon, want.colon) << where;
  EXPECT_EQ(got.dash, want.dash) << where;
  EXPECT_EQ(got.dot, want.dot) << where;
  EXPECT_EQ(got.alnum, want.alnum) << where;
  EXPECT_EQ(got.hex, want.hex) << where;
}

TEST(SimdTest, ClassifySpanAgreesWithScalarAndTheByteDefinitions) {
  std::mt19937_64 rng(44);
  // Every byte value at every position of a 64-byte span, then random spans of every length,
  // with bytes past the span that must not leak into the bits.
  for (int b = 0; b < 256; ++b) {
    uint8_t buf[80];
    std::memset(buf, b, sizeof(buf));
    for (size_t len : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{33}, size_t{64}}) {
      const SpanBits want = NaiveSpanBits(buf, len);
      for (const Implementation* impl : SupportedImplementations()) {
        SpanBits got;
        impl->ClassifySpan(buf, len, &got);
        ExpectSameSpanBits(got, want, std::string(impl->name()) + " byte " + std::to_string(b));
      }
    }
  }
  static const char kAlphabet[] = "@:-.09afAFgzGZ`{/[ \t\n\x80\xff_#";
  for (int round = 0; round < 5000; ++round) {
    uint8_t buf[80];
    for (uint8_t& c : buf) {
      c = rng() % 2 ? static_cast<uint8_t>(rng()) : kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
    const size_t len = rng() % 65;
    const SpanBits want = NaiveSpanBits(buf, len);
    for (const Implementation* impl : SupportedImplementations()) {
      // Stale values in *out must be overwritten.
      SpanBits got{~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
      impl->ClassifySpan(buf, len, &got);
      ExpectSameSpanBits(got, want, std::string(impl->name()) + " round " + std::to_string(round));
      if (HasFailure()) return;
    }
  }
}

TEST(SimdTest, ClassifyContextAgreesWithScalarAndTheByteDefinitions) {
  std::mt19937_64 rng(46);
  static const char kAlphabet[] = "sSnN#.,;\n\r\t\v\f 09azAZ@[`{\x80\xc3\xff";
  for (int round = 0; round < 20000; ++round) {
    const size_t len = round < 256 ? 64 : rng() % 65;
    alignas(16) uint8_t original[64] = {};
    for (size_t i = 0; i < len; ++i) {
      original[i] = round < 256 ? static_cast<uint8_t>(round)
                    : rng() % 2 ? static_cast<uint8_t>(rng())
                                : kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
    ContextBits want;
    uint8_t want_low[64] = {};
    for (size_t k = 0; k < len; ++k) {
      const uint8_t ch = original[k];
      const uint64_t bit = uint64_t{1} << k;
      if (ch == '\n' || ch == '\r' || IsDigit(ch) || ch == ',' || ch == ';') want.stop |= bit;
      if (ch == '.') want.dot |= bit;
      if (IsSpace(ch)) want.space |= bit;
      if (IsAlnum(ch)) want.alnum |= bit;
      want_low[k] = static_cast<uint8_t>(ToLower(ch));
    }
    for (const Implementation* impl : SupportedImplementations()) {
      alignas(16) uint8_t window[64];
      std::memcpy(window, original, sizeof(window));
      const ContextBits got = impl->ClassifyContext(window, len);
      const std::string where = std::string(impl->name()) + " round " + std::to_string(round);
      ASSERT_EQ(got.stop, want.stop) << where;
      ASSERT_EQ(got.dot, want.dot) << where;
      ASSERT_EQ(got.space, want.space) << where;
      ASSERT_EQ(got.alnum, want.alnum) << where;
      ASSERT_EQ(std::memcmp(window, want_low, len), 0) << where;
    }
  }
}

TEST(SimdTest, MaskersOnEveryImplementationProduceTheSameOutput) {
  testing::CorpusGenerator gen(99);
  std::string text;
  for (int d = 0; d < 20; ++d) text += gen.Generate(4000, d % 2 ? 200 : 0).text;
  text += std::string("\0\xff binary \x80", 12);
  // Context words (ClassifyContext) and spans near the end of the buffer (the padded span copy).
  text += "\nSSN 123456789, ss# 078051120; Social Security: 219099999 but order 123456789.";
  text += " see SSN: 536-22-1234 and the custom EMP-123456 for the employee 555-0100";
  MaskerOptions with_context;
  with_context.custom.push_back(
      {.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})", .context_words = {"custom", "employee"}});
  for (const MaskerOptions& options : {MaskerOptions{}, with_context}) {
    const auto scalar = *CreateMaskerWith(options, &Scalar());
    const std::string want = scalar->Mask(text);
    EXPECT_NE(want.find("[US_SSN]"), std::string::npos);
    for (const Implementation* impl : SupportedImplementations()) {
      const auto m = *CreateMaskerWith(options, impl);
      EXPECT_EQ(m->Mask(text), want) << impl->name();
      EXPECT_EQ(m->Find(text), scalar->Find(text)) << impl->name();
      // Every suffix, so spans end at every distance from the end of the buffer.
      for (size_t from = text.size() - 200; from < text.size(); from += 7) {
        ASSERT_EQ(m->Mask(std::string_view(text).substr(from)),
                  scalar->Mask(std::string_view(text).substr(from)))
            << impl->name() << " from " << from;
      }
    }
  }
}

}  // namespace
}  // namespace jitguard::mask
