// Build-time generator of the folding table of lib/text/fold.h (a host program, linked against
// ICU; the library itself never links ICU). It walks every code point, asks ICU for the matching
// form described in fold.h and writes a two-level lookup table as C++ source.
//
//   jitguard_fold_gen <output.inc>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/uversion.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr UChar32 kMaxCodePoint = 0x10FFFF;
constexpr int kBlockBits = 8;
constexpr int kBlockSize = 1 << kBlockBits;

bool IsAsciiString(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string Utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

// The matching form of a non-ASCII code point, or nullptr-like `keep` when it stays as it is.
bool FoldOf(UChar32 c, const icu::Normalizer2& nfkc, USpoofChecker* spoof, std::string* out) {
  const int8_t type = u_charType(c);
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || type == U_NON_SPACING_MARK) {
    out->clear();  // removed
    return true;
  }
  if (type == U_DECIMAL_DIGIT_NUMBER) {
    const int32_t v = u_charDigitValue(c);
    if (v >= 0 && v <= 9) {
      *out = std::string(1, static_cast<char>('0' + v));
      return true;
    }
  }
  if (type == U_SPACE_SEPARATOR || c == 0x2028 || c == 0x2029) {
    *out = " ";
    return true;
  }
  if (type == U_DASH_PUNCTUATION || c == 0x2212) {
    *out = "-";
    return true;
  }
  // IDNA (UTS #46) label separators: ideographic full stops act as '.' in domain names.
  if (c == 0x3002 || c == 0xFF61) {
    *out = ".";
    return true;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString nf = nfkc.normalize(icu::UnicodeString(c), status);
  if (U_SUCCESS(status)) {
    const std::string s = Utf8(nf);
    if (IsAsciiString(s) && s != Utf8(icu::UnicodeString(c))) {
      *out = s;
      return true;
    }
    if (!IsAsciiString(s)) {
      // UTS #39 skeleton (confusables.txt prototypes) for code points whose NFKC is not ASCII.
      UChar in[2];
      int32_t len = 0;
      U16_APPEND_UNSAFE(in, len, c);
      UChar sk[64];
      status = U_ZERO_ERROR;
      const int32_t n = uspoof_getSkeleton(spoof, 0, in, len, sk, 64, &status);
      if (U_SUCCESS(status) && n > 0) {
        const std::string k = Utf8(icu::UnicodeString(sk, n));
        if (IsAsciiString(k)) {
          *out = k;
          return true;
        }
      }
    }
  }
  return false;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F || c == '?') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output.inc>\n", argv[0]);
    return 2;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  USpoofChecker* spoof = uspoof_open(&status);
  if (U_FAILURE(status)) {
    std::fprintf(stderr, "ICU: %s\n", u_errorName(status));
    return 1;
  }

  // Results: 0 = unchanged; else index + 1 into `results`.
  std::vector<std::string> results;
  std::map<std::string, uint16_t> result_ids;
  std::vector<uint16_t> value(kMaxCodePoint + 1, 0);
  size_t mapped = 0;
  for (UChar32 c = 0x80; c <= kMaxCodePoint; ++c) {
    if (U_IS_SURROGATE(c)) continue;
    std::string f;
    if (!FoldOf(c, *nfkc, spoof, &f)) continue;
    auto [it, inserted] = result_ids.try_emplace(f, static_cast<uint16_t>(results.size() + 1));
    if (inserted) results.push_back(f);
    value[c] = it->second;
    ++mapped;
  }
  uspoof_close(spoof);
  if (results.size() >= 0xFFFF) {
    std::fprintf(stderr, "too many distinct results\n");
    return 1;
  }

  // Two levels: blocks of 256 code points, identical blocks shared.
  std::vector<uint16_t> stage1;
  std::vector<std::vector<uint16_t>> blocks;
  std::map<std::vector<uint16_t>, uint16_t> block_ids;
  for (UChar32 b = 0; b <= kMaxCodePoint; b += kBlockSize) {
    std::vector<uint16_t> block(value.begin() + b, value.begin() + b + kBlockSize);
    auto [it, inserted] = block_ids.try_emplace(block, static_cast<uint16_t>(blocks.size()));
    if (inserted) blocks.push_back(block);
    stage1.push_back(it->second);
  }

  std::string pool;
  std::vector<uint32_t> result_ref;  // offset << 8 | length
  for (const std::string& r : results) {
    result_ref.push_back(static_cast<uint32_t>(pool.size()) << 8 | static_cast<uint32_t>(r.size()));
    pool += r;
  }

  FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  UVersionInfo uv;
  u_getUnicodeVersion(uv);
  char uver[U_MAX_VERSION_STRING_LENGTH];
  u_versionToString(uv, uver);
  std::fprintf(out,
               "// Generated at build time by lib/text/gen/fold_table_gen.cc from ICU %s "
               "(Unicode %s)."
               "\n// Do not edit. %zu code points mapped, %zu distinct results, %zu blocks.\n",
               U_ICU_VERSION, uver, mapped, results.size(), blocks.size());
  std::fprintf(out, "namespace jitguard::text::fold_data {\n");
  std::fprintf(out, "inline constexpr char kIcuVersion[] = \"%s\";\n", U_ICU_VERSION);
  std::fprintf(out, "inline constexpr char kUnicodeVersion[] = \"%s\";\n", uver);
  std::fprintf(out, "inline constexpr int kBlockBits = %d;\n", kBlockBits);
  std::fprintf(out, "inline constexpr uint16_t kStage1[%zu] = {", stage1.size());
  for (size_t i = 0; i < stage1.size(); ++i) {
    std::fprintf(out, "%s%u,", i % 24 == 0 ? "\n" : "", stage1[i]);
  }
  std::fprintf(out, "\n};\ninline constexpr uint16_t kStage2[%zu] = {", blocks.size() * kBlockSize);
  size_t k = 0;
  for (const auto& block : blocks) {
    for (uint16_t v : block) std::fprintf(out, "%s%u,", k++ % 24 == 0 ? "\n" : "", v);
  }
  std::fprintf(out, "\n};\ninline constexpr uint32_t kResult[%zu] = {\n0,", results.size() + 1);
  for (size_t i = 0; i < result_ref.size(); ++i) {
    std::fprintf(out, "%s%u,", (i + 1) % 12 == 0 ? "\n" : "", result_ref[i]);
  }
  std::fprintf(out, "\n};\ninline constexpr char kPool[] =");
  for (size_t i = 0; i < pool.size(); i += 64) {
    std::fprintf(out, "\n    \"%s\"", Escape(pool.substr(i, 64)).c_str());
  }
  std::fprintf(out, ";\n}  // namespace jitguard::text::fold_data\n");
  if (std::fclose(out) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
