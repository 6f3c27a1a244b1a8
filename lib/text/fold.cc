#include "lib/text/fold.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "lib/text/fold_table.inc"

namespace jitguard::text {
namespace {

inline bool IsCont(uint8_t b) { return (b & 0xC0) == 0x80; }

bool IsAsciiScalar(const uint8_t* p, size_t n) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; ++i) acc |= p[i];
  return (acc & 0x8080808080808080ULL) == 0;
}

#if defined(__x86_64__)
// 128 bytes per step: four loads OR-ed together, one movemask.
__attribute__((target("avx2"))) bool IsAsciiAvx2(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96));
    const __m256i x = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
    if (_mm256_movemask_epi8(x) != 0) return false;
  }
  for (; i + 32 <= n; i += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    if (_mm256_movemask_epi8(a) != 0) return false;
  }
  return IsAsciiScalar(p + i, n - i);
}

bool IsAsciiSse2(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 48));
    const __m128i x = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
    if (_mm_movemask_epi8(x) != 0) return false;
  }
  return IsAsciiScalar(p + i, n - i);
}

using IsAsciiFn = bool (*)(const uint8_t*, size_t);
IsAsciiFn PickIsAscii() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? IsAsciiAvx2 : IsAsciiSse2;
}
const IsAsciiFn kIsAscii = PickIsAscii();
#endif

// The folding table entry of a non-ASCII code point: 0 = unchanged, else result index + 1.
inline uint16_t Entry(uint32_t c) {
  return fold_data::kStage2[(size_t{fold_data::kStage1[c >> fold_data::kBlockBits]}
                             << fold_data::kBlockBits) |
                            (c & ((1u << fold_data::kBlockBits) - 1))];
}

}  // namespace

bool IsAscii(const uint8_t* p, size_t n) {
  if (n < 32) return IsAsciiScalar(p, n);
#if defined(__x86_64__)
  return kIsAscii(p, n);
#else
  return IsAsciiScalar(p, n);
#endif
}

bool IsAscii(std::string_view s) {
  return IsAscii(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

int DecodeUtf8(const uint8_t* p, size_t n, uint32_t* c) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) {
    *c = b0;
    return 1;
  }
  int len;
  uint32_t cp;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // not above U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (static_cast<size_t>(k) >= n) return -1;
    const uint8_t b = p[k];
    if (k == 1 ? (b < lo || b > hi) : !IsCont(b)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  *c = cp;
  return len;
}

size_t SequenceLength(const uint8_t* p, size_t n) {
  uint32_t c;
  const int len = DecodeUtf8(p, n, &c);
  return len > 0 ? static_cast<size_t>(len) : 1;
}

bool FoldCodePoint(uint32_t c, std::string_view* out) {
  if (c < 0x80 || c > 0x10FFFF) return false;
  const uint16_t e = Entry(c);
  if (e == 0) return false;
  const uint32_t ref = fold_data::kResult[e];
  *out = std::string_view(fold_data::kPool + (ref >> 8), ref & 0xFF);
  return true;
}

void Fold(std::string_view in, FoldedView* out) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  std::string& text = out->text;
  std::vector<uint32_t>& origin = out->origin;
  text.resize(n + 16);  // grown below when expansions need more
  origin.resize(n + 17);
  size_t o = 0;
  size_t i = 0;
  while (i < n) {
    if (text.size() < o + 32) {
      text.resize(text.size() * 2 + 32);
      origin.resize(text.size() + 1);
    }
    if (p[i] < 0x80) {
      // A run of ASCII: copied as it is.
      size_t j = i;
      const size_t room = text.size() - o;
      while (j < n && j - i < room && p[j] < 0x80) ++j;
      std::memcpy(text.data() + o, p + i, j - i);
      for (size_t k = i; k < j; ++k) origin[o++] = static_cast<uint32_t>(k);
      i = j;
      continue;
    }
    uint32_t c;
    const int len = DecodeUtf8(p + i, n - i, &c);
    std::string_view f;
    if (len > 0 && FoldCodePoint(c, &f)) {
      for (char ch : f) {
        text[o] = ch;
        origin[o++] = static_cast<uint32_t>(i);
      }
      i += static_cast<size_t>(len);
      continue;
    }
    const size_t take = len > 0 ? static_cast<size_t>(len) : 1;
    for (size_t k = 0; k < take; ++k) {
      text[o] = static_cast<char>(p[i + k]);
      origin[o++] = static_cast<uint32_t>(i);
    }
    i += take;
  }
  text.resize(o);
  origin.resize(o + 1);
  origin[o] = static_cast<uint32_t>(n);
}

size_t FoldedView::OriginalEnd(std::string_view in, size_t fe) const {
  const size_t at = origin[fe - 1];
  return at + SequenceLength(reinterpret_cast<const uint8_t*>(in.data()) + at, in.size() - at);
}

std::string_view FoldDataVersion() {
  static const std::string v = std::string("ICU ") + fold_data::kIcuVersion + ", Unicode " +
                               fold_data::kUnicodeVersion;
  return v;
}

}  // namespace jitguard::text
