#include "lib/text/fold.h"

#include <algorithm>
#include <cstring>

#include "lib/simd/simd.h"
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

// The SIMD kernels (lib/simd) chosen for this process. A JITGUARD_SIMD value that names none is
// Masker::Create's error to report; the folded view then runs on the scalar kernels.
const simd::Implementation& Kernels() {
  static const simd::Implementation* const kernels = [] {
    const absl::StatusOr<const simd::Implementation*> selected = simd::SelectedImplementation();
    return selected.ok() ? *selected : &simd::ScalarImplementation();
  }();
  return *kernels;
}

// The first byte >= 0x80 in p[i, n), or n. Non-ASCII text is mostly non-ASCII bytes: look at the
// byte itself before calling the kernel.
inline size_t NextNonAscii(const uint8_t* p, size_t i, size_t n) {
  if (i >= n || p[i] >= 0x80) return i;
  return i + Kernels().FindNonAscii(p + i, n - i);
}

// The folding table entry of a non-ASCII code point: 0 = unchanged, else result index + 1.
constexpr uint16_t Entry(uint32_t c) {
  return fold_data::kStage2[(size_t{fold_data::kStage1[c >> fold_data::kBlockBits]}
                             << fold_data::kBlockBits) |
                            (c & ((1u << fold_data::kBlockBits) - 1))];
}

inline int Decode(const uint8_t* p, size_t n, uint32_t* c) {
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

// Bit c - 0x80 set: the two-byte code point c (U+0080..U+07FF) is changed by folding.
struct TwoByteChanged {
  uint64_t bits[(0x800 - 0x80 + 63) / 64] = {};
  constexpr TwoByteChanged() {
    for (uint32_t c = 0x80; c < 0x800; ++c) {
      if (Entry(c) != 0) bits[(c - 0x80) / 64] |= uint64_t{1} << ((c - 0x80) % 64);
    }
  }
};
constexpr TwoByteChanged kTwoByteChanged;  // computed at compile time: no init order

// Decodes and looks up every non-ASCII code point; the kernel skips ASCII.
bool FoldsToItselfLoop(const uint8_t* p, size_t n, bool end_may_grow) {
  size_t i = 0;
  while (true) {
    i = NextNonAscii(p, i, n);
    if (i >= n) return true;
    const uint8_t b0 = p[i];
    if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
      // The common case in Latin, Greek and Cyrillic text: a two-byte sequence, one bit test.
      const uint32_t c = ((b0 & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu)) - 0x80;
      if ((kTwoByteChanged.bits[c / 64] >> (c % 64)) & 1) return false;
      i += 2;
      continue;
    }
    uint32_t c;
    const int len = Decode(p + i, n - i, &c);
    if (len <= 0) {
      if (len < 0 && end_may_grow) return false;
      ++i;  // an invalid byte stays as it is
      continue;
    }
    if (Entry(c) != 0) return false;
    i += static_cast<size_t>(len);
  }
}


}  // namespace

bool IsAscii(const uint8_t* p, size_t n) {
  if (n < 32) return IsAsciiScalar(p, n);
  return Kernels().FindNonAscii(p, n) == n;
}

bool IsAscii(std::string_view s) {
  return IsAscii(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

int DecodeUtf8(const uint8_t* p, size_t n, uint32_t* c) { return Decode(p, n, c); }

bool FoldsToItself(std::string_view s, bool end_may_grow) {
  return FoldsToItselfLoop(reinterpret_cast<const uint8_t*>(s.data()), s.size(), end_may_grow);
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


void FoldAppend(std::string_view in, FoldedView* out) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  const size_t base = out->input_size;
  std::string& text = out->text;
  // Folding never makes ASCII, unchanged code points or invalid bytes longer; only expansions
  // (at most kMaxFolded bytes) can outgrow the room, which is checked before each.
  constexpr size_t kSlack = 64;
  size_t o = text.size();
  text.resize(o + n + kSlack);
  char* w = text.data();
  size_t i = 0;
  while (i < n) {
    const size_t j = NextNonAscii(p, i, n);
    std::memcpy(w + o, p + i, j - i);  // ASCII: as it is
    o += j - i;
    i = j;
    // A run of non-ASCII code points.
    while (i < n && p[i] >= 0x80) {
      uint32_t c;
      const int len = Decode(p + i, n - i, &c);
      const uint16_t e = len > 0 ? Entry(c) : 0;
      if (e == 0) {
        // Unchanged code points and invalid bytes are copied as they are.
        const size_t take = len > 0 ? static_cast<size_t>(len) : 1;
        for (size_t k = 0; k < take; ++k) w[o + k] = static_cast<char>(p[i + k]);
        o += take;
        i += take;
        continue;
      }
      const uint32_t ref = fold_data::kResult[e];
      const size_t flen = ref & 0xFF;
      if (o + flen + (n - i) + kSlack > text.size()) {
        text.resize(2 * text.size() + flen);
        w = text.data();
      }
      out->marks.push_back(FoldedView::Mark{static_cast<uint32_t>(o),
                                            static_cast<uint32_t>(base + i),
                                            static_cast<uint8_t>(flen), static_cast<uint8_t>(len)});
      const char* f = fold_data::kPool + (ref >> 8);
      for (size_t k = 0; k < flen; ++k) w[o + k] = f[k];
      o += flen;
      i += static_cast<size_t>(len);
    }
  }
  text.resize(o);
  out->input_size = base + n;
}

void Fold(std::string_view in, FoldedView* out) {
  out->Clear();
  FoldAppend(in, out);
}

namespace {

// The last mark whose folded start is at or before i, or nullptr.
const FoldedView::Mark* MarkAtOrBefore(const std::vector<FoldedView::Mark>& marks, size_t i) {
  auto it = std::upper_bound(marks.begin(), marks.end(), i,
                             [](size_t x, const FoldedView::Mark& m) { return x < m.folded; });
  return it == marks.begin() ? nullptr : &*(it - 1);
}

}  // namespace

size_t FoldedView::Origin(size_t i) const {
  if (i >= text.size()) return input_size;
  const Mark* m = MarkAtOrBefore(marks, i);
  if (m == nullptr) return i;
  if (i < size_t{m->folded} + m->folded_len) return m->input;
  return size_t{m->input} + m->input_len + (i - m->folded - m->folded_len);
}

size_t FoldedView::OriginalEnd(std::string_view in, size_t fe) const {
  const size_t i = fe - 1;
  const Mark* m = MarkAtOrBefore(marks, i);
  if (m != nullptr && i < size_t{m->folded} + m->folded_len) return size_t{m->input} + m->input_len;
  // A byte copied as it is: round up over the rest of its code point, if it has one.
  const size_t o = Origin(i);
  const auto* q = reinterpret_cast<const uint8_t*>(in.data());
  if (q[o] < 0x80) return o + 1;
  size_t lead = o;
  while (lead > 0 && o - lead < 3 && IsCont(q[lead])) --lead;
  const size_t end = lead + SequenceLength(q + lead, in.size() - lead);
  return end > o ? end : o + 1;
}

size_t FoldedView::FoldedIndex(size_t at) const {
  // Marks are in input order too: find the last mark starting before `at`.
  auto it = std::lower_bound(marks.begin(), marks.end(), at,
                             [](const Mark& m, size_t x) { return m.input < x; });
  if (it == marks.begin()) return std::min(at, text.size());
  const Mark& m = *(it - 1);
  const size_t after = size_t{m.input} + m.input_len;
  if (at <= after) {
    // `at` is inside (or at the end of) that code point: its first folded byte after it.
    return size_t{m.folded} + m.folded_len;
  }
  return std::min(size_t{m.folded} + m.folded_len + (at - after), text.size());
}

std::string_view FoldDataVersion() {
  static const std::string v = std::string("ICU ") + fold_data::kIcuVersion + ", Unicode " +
                               fold_data::kUnicodeVersion;
  return v;
}

}  // namespace jitguard::text
