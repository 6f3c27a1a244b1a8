// A deterministic generator of model-response-like text for the masking tests, benchmarks and
// fuzz seeds: prose with numbers, dates, times, versions, UUIDs, git hashes, prices, order
// numbers, ZIP codes and code, mixed (when asked) with valid PII and secrets of every built-in
// entity. Every PII value it writes is labelled with its entity and byte range, so tests can check
// Find() against the labels exactly. The hard negatives are never labelled and must not be found.
#ifndef JITGUARD_TESTS_CPP_MASK_CORPUS_H_
#define JITGUARD_TESTS_CPP_MASK_CORPUS_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace jitguard::mask::testing {

struct Label {
  std::string entity;
  size_t start;
  size_t end;
};

struct Document {
  std::string text;
  std::vector<Label> labels;
};

class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint64_t seed) : rng_(seed) {}

  // One filler token in `n` is technical (numbers, code, markup); the rest are plain words.
  // Hard negatives come at 4% of tokens, or 1% when n > 10.
  CorpusGenerator& set_technical_one_in(int n) {
    technical_one_in_ = n;
    return *this;
  }

  // ---- valid values of each entity ------------------------------------------------------------
  std::string Email() {
    static const char* kNames[] = {"john", "jane.doe", "a.b-c",   "support",
                                   "x_y",  "mary+tag", "ops2024", "li.wei"};
    static const char* kDomains[] = {"example.com", "mail.example.org", "corp.co.uk", "acme.io",
                                     "uni-berlin.de"};
    return std::string(Pick(kNames)) + "@" + Pick(kDomains);
  }

  std::string Phone() {
    switch (Uniform(0, 5)) {
      case 0:
        return "(" + Area() + ") " + Exchange() + "-" + Digits(4);
      case 1:
        return Area() + "-" + Exchange() + "-" + Digits(4);
      case 2:
        return Area() + "." + Exchange() + "." + Digits(4);
      case 3:
        return "+1 " + Area() + " " + Exchange() + " " + Digits(4);
      case 4:
        return "+1-" + Area() + "-" + Exchange() + "-" + Digits(4);
      default: {
        static const char* kIntl[] = {"+44 20 7946 ", "+49 30 1234 ", "+33 1 42 68 ", "+81 3 1234 ",
                                      "+61 2 9374 "};
        return std::string(Pick(kIntl)) + Digits(4);
      }
    }
  }

  std::string Ssn(bool* needs_context) {
    int area;
    do {
      area = Uniform(1, 899);
    } while (area == 666);
    const std::string a = Pad(area, 3), g = Pad(Uniform(1, 99), 2), s = Pad(Uniform(1, 9999), 4);
    *needs_context = false;
    switch (Uniform(0, 2)) {
      case 0:
        return a + "-" + g + "-" + s;
      case 1:
        return a + " " + g + " " + s;
      default:
        *needs_context = true;
        return a + g + s;
    }
  }

  std::string CreditCard() {
    std::string digits;
    int len = 16;
    switch (Uniform(0, 3)) {
      case 0:
        digits = "4";
        break;
      case 1:
        digits = std::to_string(Uniform(51, 55));
        break;
      case 2:
        digits = Uniform(0, 1) ? "34" : "37";
        len = 15;
        break;
      default:
        digits = "6011";
        break;
    }
    while (static_cast<int>(digits.size()) < len - 1)
      digits.push_back(static_cast<char>('0' + Uniform(0, 9)));
    digits.push_back(LuhnDigit(digits));
    if (len == 15 || Uniform(0, 2) == 0) return digits;
    const char sep = Uniform(0, 1) ? ' ' : '-';
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && i % 4 == 0) out.push_back(sep);
      out.push_back(digits[i]);
    }
    return out;
  }

  std::string Ipv4() {
    return std::to_string(Uniform(1, 255)) + "." + std::to_string(Uniform(0, 255)) + "." +
           std::to_string(Uniform(0, 255)) + "." + std::to_string(Uniform(1, 254));
  }

  std::string Ipv6() {
    switch (Uniform(0, 3)) {
      case 0: {
        std::string out;
        for (int i = 0; i < 8; ++i) {
          if (i) out += ':';  // not `(i ? ":" : "") + Hex(..)`: GCC 12 -Wrestrict false positive
          out += Hex(Uniform(1, 4));
        }
        return out;
      }
      case 1:
        return "2001:db8::" + std::to_string(Uniform(1, 9999));
      case 2:
        return "fe80::" + Hex(4) + ":" + std::to_string(Uniform(10, 99)) + "ff";
      default:
        return "::ffff:" + Ipv4();
    }
  }

  std::string Iban(bool grouped) {
    static const std::pair<const char*, int> kCountries[] = {
        {"DE", 22}, {"GB", 22}, {"FR", 27}, {"NL", 18}, {"ES", 24}};
    const auto& [cc, len] = kCountries[Uniform(0, 4)];
    std::string bban;
    if (std::string_view(cc) == "GB" || std::string_view(cc) == "NL") {
      for (int i = 0; i < 4; ++i) bban.push_back(static_cast<char>('A' + Uniform(0, 25)));
    }
    while (static_cast<int>(bban.size()) < len - 4)
      bban.push_back(static_cast<char>('0' + Uniform(0, 9)));
    // Check digits: 98 - (BBAN + CC + "00") mod 97.
    const std::string rearranged = bban + cc + "00";
    int rem = 0;
    for (char c : rearranged) {
      if (c >= 'A' && c <= 'Z') {
        rem = (rem * 100 + (c - 'A' + 10)) % 97;
      } else {
        rem = (rem * 10 + (c - '0')) % 97;
      }
    }
    const std::string iban = std::string(cc) + Pad(98 - rem, 2) + bban;
    if (!grouped) return iban;
    std::string out;
    for (size_t i = 0; i < iban.size(); ++i) {
      if (i > 0 && i % 4 == 0) out.push_back(' ');
      out.push_back(iban[i]);
    }
    return out;
  }

  std::string AwsKey() {
    std::string out = Uniform(0, 1) ? "AKIA" : "ASIA";
    static const char kB32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (int i = 0; i < 16; ++i) out.push_back(kB32[Uniform(0, 31)]);
    return out;
  }

  std::string ApiKey() {
    switch (Uniform(0, 6)) {
      case 0:
        return "ghp_" + Alnum(36);
      case 1:
        return "github_pat_" + Alnum(22) + "_" + Alnum(59);
      case 2:
        return "glpat-" + Alnum(20);
      case 3:
        return "xoxb-" + std::to_string(Uniform(100000, 999999)) + "-" + Alnum(24);
      case 4:
        return "sk_live_" + Alnum(24);
      case 5:
        return "sk-proj-" + Alnum(48);
      default:
        return "AIza" + Alnum(35);
    }
  }

  std::string Jwt() {
    static const char* kHeaders[] = {
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",  // {"alg":"HS256","typ":"JWT"}
        "eyJhbGciOiJSUzI1NiJ9"};                 // {"alg":"RS256"}
    return std::string(Pick(kHeaders)) + ".eyJzdWIiOiI" + Alnum(20) + "In0." + Alnum(43);
  }

  std::string PrivateKey() {
    std::string out = "-----BEGIN PRIVATE KEY-----\n";
    const int lines = Uniform(2, 6);
    for (int i = 0; i < lines; ++i) out += Alnum(64) + "\n";
    out += "-----END PRIVATE KEY-----";
    return out;
  }

  // ---- hard negatives ------------------------------------------------------------------------
  std::string Negative() {
    switch (Uniform(0, 19)) {
      case 0:
        return "2024-" + Pad(Uniform(1, 12), 2) + "-" + Pad(Uniform(1, 28), 2);
      case 1:
        return Pad(Uniform(1, 28), 2) + "/" + Pad(Uniform(1, 12), 2) + "/2023";
      case 2:
        return Pad(Uniform(0, 23), 2) + ":" + Pad(Uniform(0, 59), 2) + ":" + Pad(Uniform(0, 59), 2);
      case 3:
        return "v" + std::to_string(Uniform(0, 9)) + "." + std::to_string(Uniform(0, 20)) + "." +
               std::to_string(Uniform(0, 99));
      case 4:
        return Hex(8) + "-" + Hex(4) + "-4" + Hex(3) + "-a" + Hex(3) + "-" + Hex(12);  // UUID
      case 5:
        return Hex(40);  // git hash
      case 6:
        return "$" + std::to_string(Uniform(1, 999)) + "," + Pad(Uniform(0, 999), 3) + ".99";
      case 7:
        return "ORD-" + Digits(8);
      case 8:
        return "#" + Digits(9);  // a bare 9-digit business id
      case 9:
        return Pad(Uniform(10000, 99999), 5) + "-" + Digits(4);  // ZIP+4
      case 10:
        return "5555 5555 5555 4445";  // Luhn-invalid
      case 11:
        return "000-" + Pad(Uniform(1, 99), 2) + "-" + Pad(Uniform(1, 9999), 4);  // never issued
      case 12:
        return "666-12-3456";
      case 13:
        return std::to_string(Uniform(256, 999)) + ".1.2.3";  // octet out of range
      case 14:
        return "1.2.3.4.5";
      case 15:
        return "12:30";
      case 16:
        return "3.14159";
      case 17:
        return "(555) 012-3456";  // exchange starting with 0
      case 18:
        return "DE00 1234 5678 9012 3456 78";  // bad IBAN check digits
      default:
        return Digits(9);  // bare 9 digits without any context word
    }
  }

  // Prose around the values: mostly plain words; one token in ten is technical (numbers,
  // punctuation, markdown, code, non-ASCII).
  std::string Filler() {
    static const char* kPlain[] = {"the",
                                   "model",
                                   "returned",
                                   "a",
                                   "summary",
                                   "of",
                                   "quarterly",
                                   "results",
                                   "and",
                                   "notes",
                                   "revenue",
                                   "grew",
                                   "by",
                                   "percent",
                                   "in",
                                   "while",
                                   "costs",
                                   "fell",
                                   "see",
                                   "table",
                                   "below",
                                   "for",
                                   "details",
                                   "deployment",
                                   "uses",
                                   "replicas",
                                   "per",
                                   "region",
                                   "this",
                                   "that",
                                   "with",
                                   "from",
                                   "customer",
                                   "support",
                                   "team",
                                   "reviewed",
                                   "report",
                                   "was",
                                   "is",
                                   "are",
                                   "we",
                                   "recommend",
                                   "updating",
                                   "configuration",
                                   "before",
                                   "next",
                                   "release",
                                   "because",
                                   "latency",
                                   "improved",
                                   "significantly",
                                   "after",
                                   "caching",
                                   "layer",
                                   "added",
                                   "Overall",
                                   "The",
                                   "It",
                                   "However",
                                   "Finally",
                                   "service",
                                   "handles",
                                   "requests",
                                   "users"};
    if (Uniform(0, technical_one_in_ - 1) != 0) return Pick(kPlain);
    static const char* kWords[] = {"the",
                                   "model",
                                   "returned",
                                   "a",
                                   "summary",
                                   "of",
                                   "quarterly",
                                   "results",
                                   "and",
                                   "notes",
                                   "revenue",
                                   "grew",
                                   "by",
                                   "percent",
                                   "in",
                                   "Q3",
                                   "while",
                                   "costs",
                                   "fell",
                                   "see",
                                   "table",
                                   "below",
                                   "for",
                                   "details",
                                   "Kubernetes",
                                   "deployment",
                                   "uses",
                                   "replicas",
                                   "per",
                                   "region",
                                   "café",
                                   "naïve",
                                   "über",
                                   "données",
                                   "résumé",
                                   "日本語",
                                   "テキスト",
                                   "well-known",
                                   "e.g.",
                                   "i.e.",
                                   "data_frame",
                                   "std::vector<int>",
                                   "x->y",
                                   "a = b + c;",
                                   "```python",
                                   "```",
                                   "| col | val |",
                                   "**bold**",
                                   "Note:",
                                   "step",
                                   "1)",
                                   "42",
                                   "3.5",
                                   "2024",
                                   "100%",
                                   "10x",
                                   "A",
                                   "JSON",
                                   "HTTP/1.1 200 OK",
                                   "user_id",
                                   "id=7",
                                   "https://example.com/docs",
                                   "items[3]",
                                   "f(x)",
                                   "- bullet",
                                   "# Heading"};
    return Pick(kWords);
  }

  // A document of about `bytes` bytes; `pii_every` = average bytes between PII values (0 = none).
  Document Generate(size_t bytes, size_t pii_every) {
    Document doc;
    while (doc.text.size() < bytes) {
      const int roll = Uniform(0, 99);
      if (pii_every > 0 && Uniform(0, static_cast<int>(pii_every / 8)) == 0) {
        AppendPii(&doc);
        // A value never runs on into the next word (a grouped card followed by " 100" could
        // legitimately be read as a 19-digit card).
        static const char* kAfter[] = {", ", ". ", "\n", "; ", ") ", " and "};
        doc.text += Pick(kAfter);
        continue;
      }
      if (roll < (technical_one_in_ > 10 ? 1 : 4)) {
        std::string negative = Negative();
        // A bare 9-digit number is only a negative when no SSN context word is near.
        const size_t from = doc.text.size() > 64 ? doc.text.size() - 64 : 0;
        if (negative.size() == 9 && negative[0] >= '0' && negative[0] <= '9' &&
            doc.text.find("SSN", from) != std::string::npos) {
          negative = "ok";
        }
        doc.text += negative;
      } else {
        doc.text += Filler();
      }
      static const char* kSeps[] = {" ", " ", " ", " ", ", ", ". ", "\n", "\n\n", " (", ") ", ": "};
      doc.text += Pick(kSeps);
    }
    return doc;
  }

  void AppendPii(Document* doc) {
    std::string value;
    std::string entity;
    switch (Uniform(0, 11)) {
      case 0:
        entity = "EMAIL";
        value = Email();
        break;
      case 1:
        entity = "PHONE";
        value = Phone();
        break;
      case 2: {
        bool context = false;
        value = Ssn(&context);
        entity = "US_SSN";
        if (context) doc->text += "SSN ";
        break;
      }
      case 3:
        entity = "CREDIT_CARD";
        value = CreditCard();
        break;
      case 4:
        entity = "IPV4";
        value = Ipv4();
        break;
      case 5:
        entity = "IPV6";
        value = Ipv6();
        break;
      case 6:
        entity = "IBAN";
        value = Iban(Uniform(0, 1) == 1);
        break;
      case 7:
        entity = "AWS_ACCESS_KEY";
        value = AwsKey();
        break;
      case 8:
        entity = "API_KEY";
        value = ApiKey();
        break;
      case 9:
        entity = "JWT";
        value = Jwt();
        break;
      case 10:
        entity = "PRIVATE_KEY";
        value = PrivateKey();
        break;
      default:
        entity = "EMAIL";
        value = Email();
        break;
    }
    // Values stand apart from their surroundings (a space before, a separator after).
    if (!doc->text.empty() && doc->text.back() != ' ' && doc->text.back() != '\n') doc->text += ' ';
    doc->labels.push_back({entity, doc->text.size(), doc->text.size() + value.size()});
    doc->text += value;
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  template <size_t N>
  const char* Pick(const char* (&arr)[N]) {
    return arr[Uniform(0, static_cast<int>(N) - 1)];
  }

  std::string Area() {
    while (true) {
      const int a = Uniform(2, 9), b = Uniform(0, 8), c = Uniform(0, 9);
      if (b == 1 && c == 1) continue;
      return std::to_string(a * 100 + b * 10 + c);
    }
  }
  std::string Exchange() {
    while (true) {
      const int a = Uniform(2, 9), b = Uniform(0, 9), c = Uniform(0, 9);
      if (b == 1 && c == 1) continue;
      return std::to_string(a * 100 + b * 10 + c);
    }
  }
  std::string Digits(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + Uniform(0, 9)));
    return out;
  }
  std::string Hex(int n) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(kHex[Uniform(0, 15)]);
    return out;
  }
  std::string Alnum(int n) {
    static const char kAl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(kAl[Uniform(0, 61)]);
    // Secrets are random: make sure there is a digit and a letter.
    out[static_cast<size_t>(n / 2)] = static_cast<char>('0' + Uniform(0, 9));
    out[static_cast<size_t>(n / 2 + 1)] = static_cast<char>('a' + Uniform(0, 25));
    return out;
  }
  static std::string Pad(int v, int width) {
    std::string s = std::to_string(v);
    while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
    return s;
  }
  static char LuhnDigit(const std::string& body) {
    int sum = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      int d = body[body.size() - 1 - i] - '0';
      if (i % 2 == 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return static_cast<char>('0' + (10 - sum % 10) % 10);
  }

  std::mt19937_64 rng_;
  int technical_one_in_ = 10;
};

}  // namespace jitguard::mask::testing

#endif  // JITGUARD_TESTS_CPP_MASK_CORPUS_H_
