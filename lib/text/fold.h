// The normalized ("folded") view that the masker and the policy's prompt rules match through, so
// that zero-width characters, soft hyphens, fullwidth forms, Unicode spaces and digits, dashes and
// look-alike letters cannot hide a value or a keyword, while the caller keeps working on the
// original bytes.
//
// Every code point is folded on its own (no context), to its matching form:
//   - default-ignorable code points (UCHAR_DEFAULT_IGNORABLE_CODE_POINT: U+00AD, U+200B..U+200F,
//     U+2060.., U+FEFF, variation selectors, tags, ...) and nonspacing marks (gc=Mn): removed;
//   - decimal digits of any script (gc=Nd): the ASCII digit of the same value;
//   - space separators (gc=Zs: U+00A0, U+202F, U+3000, ...) and U+2028/U+2029: ' ';
//   - dash punctuation (gc=Pd: U+2010..U+2015, U+FF0D, ...) and U+2212 MINUS SIGN: '-';
//   - U+3002 and U+FF61 (ideographic full stops, label separators in IDNA / UTS #46): '.';
//   - otherwise NFKC of the code point when that is ASCII (fullwidth letters and digits, '＠',
//     '．', mathematical alphanumerics, ligatures such as U+FB01 -> "fi");
//   - otherwise the UTS #39 confusable skeleton (ICU uspoof_getSkeleton) when that is ASCII
//     (Cyrillic 'е' -> 'e', Greek 'ο' -> 'o', ...).
// Everything else stays as it is. ASCII is never changed (the skeleton would map 'm' to "rn" and
// '0' to 'O'; none of that happens), so ASCII text folds to itself.
//
// Data: the table is generated at build time by lib/text/gen/fold_table_gen.cc, a host program
// linked against ICU (Debian libicu-dev), and compiled into the library as a two-level lookup of
// about 100 KB; the library does not link ICU at run time. FoldDataVersion() names the ICU and
// Unicode versions it was generated with (ICU 72.1 / Unicode 15.0 on Debian 12).
//
// Thread-safety: plain functions over immutable tables; a FoldedView belongs to its caller.
#ifndef JITGUARD_LIB_TEXT_FOLD_H_
#define JITGUARD_LIB_TEXT_FOLD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jitguard::text {

// True when every byte is < 0x80 (word at a time, SSE2 / AVX2 where available).
bool IsAscii(std::string_view s);
bool IsAscii(const uint8_t* p, size_t n);

// True when Fold(s) == s: every code point in s is one that folding leaves as it is (ASCII, most
// letters with diacritics, CJK, ...); invalid bytes are left as they are too. When `end_may_grow`,
// a sequence cut by the end of s counts as changed (the bytes still to come could complete it to
// a code point that folding changes). Skips ASCII a vector at a time.
bool FoldsToItself(std::string_view s, bool end_may_grow);

// The folded view of a text, and where each folded byte came from. Folded bytes map one to one
// onto input bytes except where a code point was changed by folding; each such code point leaves a
// Mark. Keeping only the marks (not an offset per byte) keeps folding mostly-ASCII text close to a
// memcpy.
struct FoldedView {
  struct Mark {
    uint32_t folded;    // its folded bytes are text[folded, folded + folded_len)
    uint32_t input;     // ... produced by the code point at input bytes [input, input + input_len)
    uint8_t folded_len;
    uint8_t input_len;
  };
  std::string text;
  std::vector<Mark> marks;  // in order
  size_t input_size = 0;    // bytes folded so far

  void Clear() {
    text.clear();
    marks.clear();
    input_size = 0;
  }
  // The input offset of the code point that produced text[i]; input_size for i == text.size().
  size_t Origin(size_t i) const;
  // The end of the input span that produced text[fb, fe) (fe > fb): the end of the code point
  // that produced text[fe - 1], so an end inside a multi-byte expansion rounds up to the next code
  // point, while code points folded to nothing right after the range stay outside. `in` is the
  // whole folded input (bytes of an unchanged multi-byte code point are skipped to its end).
  size_t OriginalEnd(std::string_view in, size_t fe) const;
  // The first folded byte produced at or after input offset `at`.
  size_t FoldedIndex(size_t at) const;
};

// Folds `in` into *out (replacing its contents). Invalid UTF-8 bytes are copied as they are, one
// byte each. Inputs must be shorter than 4 GiB.
void Fold(std::string_view in, FoldedView* out);
// Folds `in` as the continuation of what *out already holds (input offsets continue from
// out->input_size). Folding has no context, so Fold(a + b) == Fold(a) then FoldAppend(b) whenever
// the cut does not split a code point that folding changes.
void FoldAppend(std::string_view in, FoldedView* out);

// The folding of code point `c` alone: false when it stays as it is; else true with its ASCII
// matching form in *out (possibly empty: removed). ASCII code points always stay.
bool FoldCodePoint(uint32_t c, std::string_view* out);

// Decodes one UTF-8 sequence at p[0, n) (n > 0): its length (1..4) with *c set when valid; 0 when
// p[0] does not start a valid sequence (the byte is taken alone); -1 when p[0, n) is a proper
// prefix of a valid sequence that the end of the buffer cut (more bytes could complete it).
int DecodeUtf8(const uint8_t* p, size_t n, uint32_t* c);

// Length of the UTF-8 sequence at p[0, n) as Fold() takes it: 1..4 (an invalid byte counts 1).
size_t SequenceLength(const uint8_t* p, size_t n);

// "ICU <version>, Unicode <version>" of the generated table.
std::string_view FoldDataVersion();

}  // namespace jitguard::text

#endif  // JITGUARD_LIB_TEXT_FOLD_H_
