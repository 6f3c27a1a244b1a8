#include "lib/text/fold.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace jitguard::text {
namespace {

std::string Folded(std::string_view in) {
  FoldedView v;
  Fold(in, &v);
  return v.text;
}

TEST(IsAscii, AgreesWithAByteLoopAtEveryLengthAndPosition) {
  for (size_t n = 0; n < 300; ++n) {
    std::string s(n, 'a');
    EXPECT_TRUE(IsAscii(s)) << n;
    for (size_t k = 0; k < n; k += 7) {
      std::string t = s;
      t[k] = static_cast<char>(0x80 | (k & 0x7F));
      EXPECT_FALSE(IsAscii(t)) << n << " " << k;
    }
  }
}

TEST(Fold, AsciiFoldsToItself) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(Folded(all), all);
  // The confusable skeleton is not applied to ASCII ('m' would become "rn", '0' would become 'O').
  EXPECT_EQ(Folded("m0l1I|"), "m0l1I|");
}

TEST(Fold, EachEvasionClass) {
  EXPECT_EQ(Folded("ex\u200Bp\u200Co\u200Dr\u2060t\uFEFF"), "export");  // zero-width
  EXPECT_EQ(Folded("exp\u00ADort"), "export");                          // soft hyphen
  EXPECT_EQ(Folded("\uFF45\uFF58\uFF50\uFF4F\uFF52\uFF54"), "export");   // fullwidth
  EXPECT_EQ(Folded("\uFF11\uFF12\uFF13"), "123");
  EXPECT_EQ(Folded("a\u00A0b\u202Fc\u3000d\u2009e\u2028f"), "a b c d e f");  // spaces
  EXPECT_EQ(Folded("\u0435\u0445\u0440\u043Ert"), "export");           // Cyrillic е х р о
  EXPECT_EQ(Folded("\u03BF"), "o");                                     // Greek omicron
  EXPECT_EQ(Folded("a\uFF20b\uFF0Ec"), "a@b.c");                        // fullwidth ＠ ．
  EXPECT_EQ(Folded("1\u20132\u20143\u22124\u20115"), "1-2-3-4-5");      // dashes, minus
  EXPECT_EQ(Folded("\u0661\u0662\u0663\u06F4\u0966\u09EF"), "123409");  // Nd of other scripts
  EXPECT_EQ(Folded("4\u03011\u0308"), "41");                            // combining marks
  EXPECT_EQ(Folded("a\u3002b"), "a.b");                                 // ideographic full stop
}

TEST(Fold, KeepsOtherTextAndInvalidBytes) {
  EXPECT_EQ(Folded("日本語 \u00E9t\u00E9"), "日本語 \u00E9t\u00E9");
  const std::string bad = "a\xC0\xAF" "b\xED\xA0\x80" "c\xF4\x90\x80\x80" "d\xE2\x82";
  EXPECT_EQ(Folded(bad), bad);
}

TEST(Fold, OriginMapsEveryByteToItsCodePoint) {
  const std::string in = "a\u200Bb\uFF11\u2474z\u00E9!";  // ZWSP, １, ⑴ -> "(1)", é
  FoldedView v;
  Fold(in, &v);
  EXPECT_EQ(v.text, "ab1(1)z\u00E9!");
  const size_t want[] = {0, 4, 5, 8, 8, 8, 11, 12, 13, 14, in.size()};
  ASSERT_EQ(v.text.size() + 1, std::size(want));
  for (size_t i = 0; i <= v.text.size(); ++i) EXPECT_EQ(v.Origin(i), want[i]) << i;
  // A range ending inside the expansion rounds up to the end of ⑴; one ending at 'a' leaves the
  // ZWSP after it outside; one ending inside é rounds up to its end.
  EXPECT_EQ(v.OriginalEnd(in, 4), 11u);
  EXPECT_EQ(v.OriginalEnd(in, 1), 1u);
  EXPECT_EQ(v.OriginalEnd(in, 8), 14u);
  EXPECT_EQ(v.OriginalEnd(in, 10), in.size());
  // The first folded byte at or after an input offset.
  EXPECT_EQ(v.FoldedIndex(0), 0u);
  EXPECT_EQ(v.FoldedIndex(1), 1u);  // the ZWSP folds to nothing: 'b' is next
  EXPECT_EQ(v.FoldedIndex(4), 1u);
  EXPECT_EQ(v.FoldedIndex(8), 3u);
  EXPECT_EQ(v.FoldedIndex(9), 6u);  // inside ⑴: after it
  EXPECT_EQ(v.FoldedIndex(in.size()), v.text.size());
}

// Origin() agrees with a per-code-point reference on random mixes, and appending in pieces at code
// point boundaries gives the same view as folding at once.
TEST(Fold, MarksAgreeWithAPerCodePointReference) {
  std::mt19937 rng(3);
  const char* atoms[] = {"a", "1", " ", "\u200B", "\u00AD", "\uFF11", "\u0435", "\u2474", "\xC0",
                         "\u00A0", "\u0661", "\u0301", "日", "\U0001D7CF", "\u00E9", "\uFB01"};
  for (int round = 0; round < 300; ++round) {
    std::string s;
    std::string want_text;
    std::vector<uint32_t> want_origin;
    FoldedView pieces;
    pieces.Clear();
    const int k = static_cast<int>(rng() % 50);
    for (int i = 0; i < k; ++i) {
      const std::string atom = atoms[rng() % std::size(atoms)];
      FoldedView one;
      Fold(atom, &one);
      for (size_t b = 0; b < one.text.size(); ++b) {
        want_text += one.text[b];
        // An unchanged code point maps byte to byte; a changed one maps every byte to its start.
        want_origin.push_back(static_cast<uint32_t>(
            s.size() + (one.marks.empty() ? b : 0)));
      }
      FoldAppend(atom, &pieces);
      s += atom;
    }
    want_origin.push_back(static_cast<uint32_t>(s.size()));
    FoldedView whole;
    Fold(s, &whole);
    ASSERT_EQ(whole.text, want_text);
    EXPECT_EQ(pieces.text, want_text);
    for (size_t i = 0; i <= whole.text.size(); ++i) {
      ASSERT_EQ(whole.Origin(i), want_origin[i]) << round << " " << i;
      ASSERT_EQ(pieces.Origin(i), want_origin[i]);
    }
  }
}

TEST(Fold, DecodeTellsTruncatedFromInvalid) {
  uint32_t c = 0;
  const uint8_t zwsp[] = {0xE2, 0x80, 0x8B};
  EXPECT_EQ(DecodeUtf8(zwsp, 3, &c), 3);
  EXPECT_EQ(c, 0x200Bu);
  EXPECT_EQ(DecodeUtf8(zwsp, 2, &c), -1);
  EXPECT_EQ(DecodeUtf8(zwsp, 1, &c), -1);
  const uint8_t bad[] = {0xE2, 0x41};
  EXPECT_EQ(DecodeUtf8(bad, 2, &c), 0);
  const uint8_t overlong[] = {0xE0, 0x80};
  EXPECT_EQ(DecodeUtf8(overlong, 2, &c), 0);
  const uint8_t cont[] = {0x80};
  EXPECT_EQ(DecodeUtf8(cont, 1, &c), 0);
}

// Folding a text equals folding its pieces at code point boundaries (folding has no context):
// what the streaming masker relies on.
TEST(Fold, IsAHomomorphismOverCodePointBoundaries) {
  std::mt19937 rng(7);
  const char* atoms[] = {"a", "1", " ", "\u200B", "\u00AD", "\uFF11", "\u0435", "\u2474", "\xC0",
                         "\u00A0", "\u0661", "\u0301", "日", "\U0001D7CF", "\xE2\x82"};
  for (int round = 0; round < 200; ++round) {
    std::string s;
    std::vector<size_t> cuts;
    const int k = static_cast<int>(rng() % 40);
    for (int i = 0; i < k; ++i) {
      s += atoms[rng() % std::size(atoms)];
      cuts.push_back(s.size());
    }
    FoldedView whole;
    Fold(s, &whole);
    std::string pieces;
    size_t prev = 0;
    for (size_t cut : cuts) {
      if (rng() % 3 != 0) continue;
      // Invalid bytes split from a following byte fold the same only when no sequence spans the
      // cut: the atoms are whole sequences or single invalid bytes.
      pieces += Folded(std::string_view(s).substr(prev, cut - prev));
      prev = cut;
    }
    pieces += Folded(std::string_view(s).substr(prev));
    EXPECT_EQ(pieces, whole.text);
  }
}

TEST(Fold, DataVersionIsNamed) { EXPECT_NE(FoldDataVersion().find("ICU "), std::string::npos); }

}  // namespace
}  // namespace jitguard::text
