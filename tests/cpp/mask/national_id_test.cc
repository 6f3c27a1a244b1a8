// NATIONAL_ID: each scheme's check digit or structure from its specification (IRS ITIN ranges,
// Spain's mod-23 letter, Aadhaar's Verhoeff digit, the NHS mod-11 digit, PESEL's weights and date,
// the Finnish mod-31 character, Singapore's mod-11 letter), valid examples, broken checksums and
// near-miss shapes; off by default, on when named.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/stream_check.h"

namespace jitguard {
namespace {

// Every built-in entity on (NATIONAL_ID is off in the default profile).
const std::shared_ptr<const Masker>& Default() { return mask::testing::EveryEntityMasker(); }

// "ENTITY/rule:value" for each finding, space-separated.
std::string Found(std::string_view text) {
  return mask::testing::DescribeFindings(*Default(), text);
}

// The NATIONAL_ID findings only (other entities may take a hard negative of this one).
std::string FoundNationalIds(std::string_view text) {
  std::string out;
  for (const Finding& f : Default()->Find(text)) {
    if (f.entity != "NATIONAL_ID") continue;
    if (!out.empty()) out += ' ';
    out += f.rule + ":" + std::string(text.substr(f.start, f.end - f.start));
  }
  return out;
}

struct Case {
  const char* text;
  const char* want;
};

TEST(NationalIdTest, Positives) {
  const Case cases[] = {
      {"ITIN 912-70-1234 on file", "NATIONAL_ID/us_itin:912-70-1234"},
      {"itin: 912 94 1234", "NATIONAL_ID/us_itin:912 94 1234"},
      {"TIN 912-88-1234", "NATIONAL_ID/us_itin:912-88-1234"},
      {"ITIN 912501234", "NATIONAL_ID/us_itin:912501234"},
      {"DNI 12345678Z", "NATIONAL_ID/es_nif:12345678Z"},
      {"NIF: 12345678-Z.", "NATIONAL_ID/es_nif:12345678-Z"},
      {"NIE X1234567L", "NATIONAL_ID/es_nie:X1234567L"},
      {"(Y1234567X)", "NATIONAL_ID/es_nie:Y1234567X"},
      {"Aadhaar 2341 2341 2346", "NATIONAL_ID/in_aadhaar:2341 2341 2346"},
      {"id 4991-8765-4323 ok", "NATIONAL_ID/in_aadhaar:4991-8765-4323"},
      {"aadhaar no. 499187654323", "NATIONAL_ID/in_aadhaar:499187654323"},
      {"NHS number 9434765919", "NATIONAL_ID/uk_nhs:9434765919"},
      {"nhs no: 123-456-7881", "NATIONAL_ID/uk_nhs:123-456-7881"},
      // A grouped NHS number that is also a valid NANP phone number: at equal length the rule
      // confirmed by its context word wins (mask::PreferHit); without the word it is a phone.
      {"nhs no: 943-476-5919", "NATIONAL_ID/uk_nhs:943-476-5919"},
      {"NHS number 943 476 5919", "NATIONAL_ID/uk_nhs:943 476 5919"},
      {"call 943-476-5919", "PHONE/nanp:943-476-5919"},
      {"PESEL 44051401359", "NATIONAL_ID/pl_pesel:44051401359"},
      {"hetu 131052-308T", "NATIONAL_ID/fi_hetu:131052-308T"},
      {"born 131052A308T?", "NATIONAL_ID/fi_hetu:131052A308T"},
      // A digit as the check character (10 of the 31; the corpus found them all missed).
      {"hetu 150729-6924", "NATIONAL_ID/fi_hetu:150729-6924"},
      {"161101A8230.", "NATIONAL_ID/fi_hetu:161101A8230"},
      {"NRIC S1234567D", "NATIONAL_ID/sg_nric:S1234567D"},
      {"\"T1234567J\"", "NATIONAL_ID/sg_nric:T1234567J"},
      {"FIN: F1234567N", "NATIONAL_ID/sg_nric:F1234567N"},
      {"G1234567X.", "NATIONAL_ID/sg_nric:G1234567X"},
      // The M series (FIN from 2022): 3 added to the weighted sum, the table KLJNPQRTUWX.
      // 1234567: 2+14+18+20+20+18+14 = 106, + 3 = 109, mod 11 = 10: 'X'.
      {"FIN M1234567X", "NATIONAL_ID/sg_nric:M1234567X"},
      // 7654321: 14+42+30+20+12+6+2 = 126, + 3 = 129, mod 11 = 8: 'U'.
      {"M7654321U,", "NATIONAL_ID/sg_nric:M7654321U"},
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  EXPECT_EQ(Default()->Mask("DNI 12345678Z"), "DNI [NATIONAL_ID]");
}

TEST(NationalIdTest, HardNegatives) {
  for (const char* text : {
           "ITIN 912-40-1234",        // ITIN group 40 is not issued
           "ITIN 912-93-1234",        // nor 93
           "ref 912501234",           // bare nine digits without a context word
           "rejected ssn 922-83-3772",  // the ITIN shape without an ITIN context word
           "992-53-9562",
           "12345678A",               // the mod-23 letter is Z
           "X1234567Z",               // the NIE letter is L
           "W1234567L",               // not an NIE prefix
           "123456789Z",              // nine digits
           "2341 2341 2345",          // Verhoeff digit broken
           "1341 2341 2346",          // Aadhaar never starts with 0 or 1
           "499187654323",            // contiguous without a context word
           "2341 2341 2346 7777",     // more groups: a longer number
           "DE12 2341 2341 2346",     // groups continuing an IBAN-like group
           "ref 9434765919",          // NHS without a context word
           "NHS number 9434765918",   // mod-11 digit broken
           "PESEL 44051401358",       // checksum broken
           "PESEL 44053201359",       // 32 May
           "44051401359",             // no context word
           "131052-308U",             // mod-31 character broken
           "150729-6925",             // a digit check character, broken
           "150729-69241",            // a longer number
           "131352-308T",             // month 13
           "131052-000T",             // individual number below 002
           "131052G308T",             // not a century sign
           "v12345678Z",              // inside a word
           "S1234567A",               // NRIC check letter broken
           "T1234567D",               // the S check letter under T's offset
           "F1234567D",               // the S table for a FIN
           "M1234567K",               // M series, check letter broken
           "M1234567N",               // the F table for an M number
           "S12345678D",              // eight digits
           "XS1234567D",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
}

// UK National Insurance number (HMRC's prefix rules; no check character).
TEST(NationalIdTest, UkNino) {
  const Case cases[] = {
      {"NINO AB123456C", "NATIONAL_ID/uk_nino:AB123456C"},
      {"NI number: JG 10 37 59 A.", "NATIONAL_ID/uk_nino:JG 10 37 59 A"},
      {"(CE 123456 D)", "NATIONAL_ID/uk_nino:CE 123456 D"},
      {"ZY 12 34 56 B", "NATIONAL_ID/uk_nino:ZY 12 34 56 B"},
      {"\"PW987654A\"", "NATIONAL_ID/uk_nino:PW987654A"},
      {"OA 12 34 56 D", "NATIONAL_ID/uk_nino:OA 12 34 56 D"},  // O is barred second only
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "QQ 12 34 56 C",  // HMRC's specimen: Q is never a prefix letter
           "QQ123456C",
           "DA123456A", "FA123456A", "IA123456A", "UA123456A", "VA123456A",  // barred first
           "AD123456A", "AF123456A", "AI123456A", "AQ123456A", "AU123456A", "AV123456A",
           "AO123456A",  // O is never the second letter
           "BG123456A", "GB123456A", "NK123456A", "KN123456A", "TN123456A", "NT123456A",
           "ZZ123456A",       // never allocated
           "AB123456E",       // the suffix is A-D
           "AB123456",        // no suffix
           "AB12345C",        // five digits
           "AB1234567C",      // seven digits
           "AB 12 3456 C",    // mixed grouping
           "AB  12 34 56 C",  // two spaces
           "AB 12 34 56C",
           "XAB123456C",      // inside a word
           "ab123456c",       // lower case
           "AB123456CD",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  // Spaced, across every chunking (its first span holds no trigger byte), after another finding
  // and at the end of a line.
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(),
      "NI QQ 12 34 56 C then JG 10 37 59 A, CE 123456 D;AB 12 34 56 C\nPW 12 34 56 A", 11);
  EXPECT_EQ(Default()->Mask("a JG 10 37 59 A b AB 12 34 56 C"),
            "a [NATIONAL_ID] b [NATIONAL_ID]");
  // No-break spaces fold to spaces (the folded view), and the finding covers them.
  EXPECT_EQ(Default()->Mask("NI JG\u00A010\u00A037\u00A059\u00A0A."), "NI [NATIONAL_ID].");
  mask::testing::ExpectStreamEqualsOneShot(*Default(), "NI JG\u00A010\u00A037\u00A059\u00A0A.",
                                           11);
}

// Italian codice fiscale: structure, month letter, day (women +40), omocodia, check letter.
TEST(NationalIdTest, ItFiscalCode) {
  const Case cases[] = {
      {"CF RSSMRA85T10A562S", "NATIONAL_ID/it_fiscal_code:RSSMRA85T10A562S"},
      {"MRTMTT91D08F205J.", "NATIONAL_ID/it_fiscal_code:MRTMTT91D08F205J"},
      {"(BNZVCN32S10E573Z)", "NATIONAL_ID/it_fiscal_code:BNZVCN32S10E573Z"},
      {"RSSMRA85T50A562W", "NATIONAL_ID/it_fiscal_code:RSSMRA85T50A562W"},  // a woman: day + 40
      {"RSSMRA85T10A56NH", "NATIONAL_ID/it_fiscal_code:RSSMRA85T10A56NH"},  // omocodia: 2 -> N
      {"RSSMRALPT10A562N", "NATIONAL_ID/it_fiscal_code:RSSMRALPT10A562N"},  // 85 -> LP
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "RSSMRA85T10A562T",   // check letter broken
           "RSSMRA85F10A562R",   // F is not a month letter
           "RSSMRA85T32A562Y",   // day 32
           "RSSMRA85T72A562C",   // day 72
           "RSSMRA85T10A562SX",  // seventeen characters
           "RSSMRA85T10A562",    // fifteen
           "rssmra85t10a562s",   // lower case
           "RSSMRA85T1OA562S",   // O is not an omocodia letter
           "RSSMRAURTMLARSNL",   // every digit replaced (valid check letter): none left to trigger
                                 // a scan, so never found
           "XRSSMRA85T10A562S",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(), "cf RSSMRA85T10A562S, RSSMRA85T10A562T RSSMRALPT10A562N\n", 11);
}

// Australia: ABN (mod 89), ACN (mod 10), TFN (mod 11), Medicare (mod 10 over weights 1,3,7,9).
TEST(NationalIdTest, Australia) {
  const Case cases[] = {
      {"ABN 51 824 753 556", "NATIONAL_ID/au_abn:51 824 753 556"},  // the ATO's example
      {"supplier 51 824 753 556.", "NATIONAL_ID/au_abn:51 824 753 556"},
      {"ABN: 51824753556", "NATIONAL_ID/au_abn:51824753556"},
      {"ABN 53 004 085 616", "NATIONAL_ID/au_abn:53 004 085 616"},
      {"ACN 004 085 616", "NATIONAL_ID/au_acn:004 085 616"},
      {"A.C.N. 010 749 961", "NATIONAL_ID/au_acn:010 749 961"},  // ASIC's examples
      {"acn: 000000019", "NATIONAL_ID/au_acn:000000019"},
      {"TFN 123 456 782", "NATIONAL_ID/au_tfn:123 456 782"},
      {"tax file number: 876543210", "NATIONAL_ID/au_tfn:876543210"},
      {"Medicare 2123 45670 1", "NATIONAL_ID/au_medicare:2123 45670 1"},
      {"Medicare card 2123456701", "NATIONAL_ID/au_medicare:2123456701"},
      {"medicare no. 21234567011", "NATIONAL_ID/au_medicare:21234567011"},  // with the IRN
      {"Medicare 2123 45670 1 1", "NATIONAL_ID/au_medicare:2123 45670 1 1"},
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "ABN 51 824 753 557",      // mod 89 broken
           "51824753556",             // contiguous without a context word
           "51 824 753 556 123",      // more groups
           "ABN 01 824 753 556",      // no ABN starts with 0
           "ACN 004 085 617",         // check digit broken
           "004 085 616",             // without a context word
           "ref 004085616",
           "TFN 123 456 783",         // mod 11 broken
           "123 456 782",             // without a context word
           "TFN 123 456 782 1",       // more groups
           "Medicare 2123 45671 1",   // check digit broken
           "Medicare 7123 45675 1",   // the first digit is 2-6
           "2123 45670 1",            // without a context word
           "Medicare 2123 45670 12",  // a longer group
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(),
      "ABN 51 824 753 556, ACN 004 085 616; TFN 123 456 782 medicare 2123 45670 1 "
      "51 824 753 557 004 085 616\n",
      11);
}

// India: PAN, by its structure and the holder-type letter.
TEST(NationalIdTest, InPan) {
  const Case cases[] = {
      {"PAN ABCPE1234F", "NATIONAL_ID/in_pan:ABCPE1234F"},
      {"(AAACB1234C)", "NATIONAL_ID/in_pan:AAACB1234C"},  // a company
      {"pan: BNZPM2501F.", "NATIONAL_ID/in_pan:BNZPM2501F"},
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "ABCDE1234F",     // D is no holder type
           "ABCXE1234F",     // nor X
           "ABCPE12345",     // the last is a letter
           "ABCPE123F",      // three digits
           "ABCPE1234FG",    // longer
           "XABCPE1234F",    // six letters
           "abcpe1234f",     // lower case
           "SKU-ABCPE1234F",  // after '-'
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  mask::testing::ExpectStreamEqualsOneShot(*Default(), "PAN ABCPE1234F ABCDE1234F AAACB1234C\n",
                                           11);
}

// South Korea: resident registration number: date, century digit, check digit; those without a
// valid check digit (issued from October 2020) and the hyphen-less form only after a context word.
TEST(NationalIdTest, KrRrn) {
  const Case cases[] = {
      {"RRN 800101-1234560", "NATIONAL_ID/kr_rrn:800101-1234560"},
      {"900101-2345670", "NATIONAL_ID/kr_rrn:900101-2345670"},
      {"born 000229-3123454.", "NATIONAL_ID/kr_rrn:000229-3123454"},  // 2000 was a leap year
      {"010101-7123459", "NATIONAL_ID/kr_rrn:010101-7123459"},        // a foreign resident
      {"RRN 8001011234560", "NATIONAL_ID/kr_rrn:8001011234560"},
      // Issued after October 2020: no check digit.
      {"\xEC\xA3\xBC\xEB\xAF\xBC\xEB\x93\xB1\xEB\xA1\x9D\xEB\xB2\x88\xED\x98\xB8: 210315-3987654",
       "NATIONAL_ID/kr_rrn:210315-3987654"},
      {"resident registration no. 210315-4123456", "NATIONAL_ID/kr_rrn:210315-4123456"},
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "800101-1234561",   // check digit broken, no context word
           "210315-3987654",   // no check digit, no context word
           "990229-1234567",   // 29 February 1999
           "801301-1234563",   // month 13
           "8001011234560",    // thirteen digits without a context word
           "800101-12345601",  // eight digits after the hyphen
           "800101-123456",    // six
           "RRN 801301-1234563",
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(), "RRN 800101-1234560, 800101-1234561 rrn 210315-3987654 900101-2345670\n", 11);
  // The Korean context word across chunk boundaries (three bytes a syllable).
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(),
      "\xEC\xA3\xBC\xEB\xAF\xBC\xEB\x93\xB1\xEB\xA1\x9D\xEB\xB2\x88\xED\x98\xB8 "
      "210315-3987654 \xEC\xA3\xBC\xEB\xAF\xBC\xEB\xB2\x88\xED\x98\xB8: 8001011234560\n",
      11);
  EXPECT_EQ(Default()->Mask("\xEC\xA3\xBC\xEB\xAF\xBC\xEB\xB2\x88\xED\x98\xB8: 8001011234560"),
            "\xEC\xA3\xBC\xEB\xAF\xBC\xEB\xB2\x88\xED\x98\xB8: [NATIONAL_ID]");
}

// US passport: nine digits or a letter and eight, only after "passport".
TEST(NationalIdTest, UsPassport) {
  const Case cases[] = {
      {"passport 123456789", "NATIONAL_ID/us_passport:123456789"},
      {"Passport No: 987654321", "NATIONAL_ID/us_passport:987654321"},
      {"passport number A12345678.", "NATIONAL_ID/us_passport:A12345678"},
      {"Passport #123456789", "NATIONAL_ID/us_passport:123456789"},
      {"PASSPORT #: Z98765432", "NATIONAL_ID/us_passport:Z98765432"},
  };
  for (const Case& c : cases) EXPECT_EQ(Found(c.text), c.want) << c.text;
  for (const char* text : {
           "order 123456789",           // no context word
           "A12345678",                 //
           "passport 12345678",         // eight digits
           "passport 1234567890",       // ten
           "passport AB1234567",        // two letters
           "passport A1234567",         // seven digits
           "passport, then 123456789",  // the window stops at ','
           "#123456789",
           "ITIN #912-70-1234",         // only a passport number may follow '#'
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
  mask::testing::ExpectStreamEqualsOneShot(
      *Default(), "passport 123456789 passport #A12345678 order 123456789\n", 11);
}

// The shapes of the labelled corpus's hard negatives and of product codes, none a value of the
// schemes added last (each in the line of a context word of another scheme, where one applies).
TEST(NationalIdTest, HardNegativesOfTheAddedSchemes) {
  for (const char* text : {
           "ORD-2024-123456", "PO-12345-A", "INV-123456", "RMA12345678", "#1234567",
           "order 12345678", "order 123456789", "ticket #12345", "epoch 1712345678",
           "ts 1712345678123", "ISBN 978-1-23-456789-0", "2024-01-15", "20240115", "15.01.2024",
           "01/15/2024", "15 Jan 2024", "ZIP 12345-6789", "call 123-4567", "id 123456789",
           "1234567890", "12345678901", "123 456 789", "12 345 678 901", "1234 56789 0",
           "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "v1.2.3", "10.0.19045.2965",
           "SKU ABCDE1234F", "model XPS13-9310", "WH-1000XM4", "RTX4090", "ISO9001",
           "B07XJ8C8F5", "AB12CDE", "SW1A 1AA", "EC1A 1BB", "A1B 2C3", "GB82 WEST 1234 5698 7654 32",
           "HTTP 404", "UTF 8", "AB 12", "PR 1234", "CVE-2024-12345", "JIRA-1234", "US 123456789",
           "ABCDEFGHIJKLMNOP", "RSSMRA85T10A562", "ABC1234567",
       }) {
    EXPECT_EQ(FoundNationalIds(text), "") << text;
  }
}

TEST(NationalIdTest, OffInTheDefaultProfile) {
  const std::shared_ptr<const Masker> m = *Masker::Create({});
  EXPECT_TRUE(m->Find("DNI 12345678Z, hetu 131052-308T, NRIC S1234567D").empty());
  EXPECT_TRUE(m->Find("NINO JG 10 37 59 A, AB123456C, CF RSSMRA85T10A562S").empty());
  EXPECT_TRUE(m->Find("ABN 51 824 753 556, TFN 123 456 782, PAN ABCPE1234F").empty());
  EXPECT_TRUE(m->Find("RRN 800101-1234560, passport 123456789, Medicare 2123 45670 1").empty());
  // US_SSN, whose detector slot it shares, is unchanged.
  EXPECT_EQ(m->Mask("SSN 123-45-6789, ITIN 912-70-1234"), "SSN [US_SSN], ITIN 912-70-1234");
  MaskerOptions o;
  o.entities = std::vector<std::string>{"NATIONAL_ID"};
  EXPECT_EQ((*Masker::Create(std::move(o)))->Mask("SSN 123-45-6789, ITIN 912-70-1234"),
            "SSN 123-45-6789, ITIN [NATIONAL_ID]");
}

TEST(NationalIdTest, SwitchedOffByName) {
  MaskerOptions o;
  o.entities = std::vector<std::string>{"EMAIL", "PHONE"};
  auto m = Masker::Create(std::move(o));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->Find("DNI 12345678Z, hetu 131052-308T").empty());
}

TEST(NationalIdTest, StreamsEqualOneShot) {
  const std::string text =
      "ITIN 912-70-1234, DNI 12345678Z NIE X1234567L aadhaar 2341 2341 2346 NHS 9434765919 "
      "PESEL 44051401359 hetu 131052-308T 912-40-1234 2341 2341 2346 7777\n";
  const std::string want = Default()->Mask(text);
  ASSERT_EQ(want.find("12345678Z"), std::string::npos);
  mask::testing::ExpectStreamEqualsOneShot(*Default(), text, 11);
}

}  // namespace
}  // namespace jitguard
