// Each built-in entity: positives in their common layouts, and the hard negatives that naive
// regexes flag (dates, times, versions, UUIDs, hashes, prices, order numbers, ZIPs, bad checksums,
// never-issued SSNs, out-of-range octets).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/corpus.h"

namespace jitguard {
namespace {

std::shared_ptr<const Masker> Default() {
  static const std::shared_ptr<const Masker> m = *Masker::Create({});
  return m;
}

// The single finding in `text`, as "ENTITY:value", or a description of what was found instead.
std::string Only(std::string_view text) {
  const std::vector<Finding> f = Default()->Find(text);
  if (f.size() != 1) return "found " + std::to_string(f.size());
  return f[0].entity + ":" + std::string(text.substr(f[0].start, f[0].end - f[0].start));
}

std::string None(std::string_view text) {
  std::string out;
  for (const Finding& f : Default()->Find(text)) {
    out += f.entity + ":" + std::string(text.substr(f.start, f.end - f.start)) + " ";
  }
  return out;
}

struct Case {
  const char* text;
  const char* expect;  // "ENTITY:value"
};

TEST(DetectorsTest, Positives) {
  const Case cases[] = {
      {"write to john.doe@example.com.", "EMAIL:john.doe@example.com"},
      {"<mary+tag@mail.example.co.uk>", "EMAIL:mary+tag@mail.example.co.uk"},
      {"(a_b-c@uni-berlin.de)", "EMAIL:a_b-c@uni-berlin.de"},
      {"call (415) 555-0132 now", "PHONE:(415) 555-0132"},
      {"call (415)555-0132 now", "PHONE:(415)555-0132"},
      {"call 415-555-0132.", "PHONE:415-555-0132"},
      {"call 415.555.0132", "PHONE:415.555.0132"},
      {"call 415 555 0132", "PHONE:415 555 0132"},
      {"call +1 415 555 0132", "PHONE:+1 415 555 0132"},
      {"call +1-415-555-0132", "PHONE:+1-415-555-0132"},
      {"call +14155550132", "PHONE:+14155550132"},
      {"call 1-800-555-0199", "PHONE:1-800-555-0199"},
      {"call +44 20 7946 0958", "PHONE:+44 20 7946 0958"},
      {"call +49-30-1234567", "PHONE:+49-30-1234567"},
      {"call +33 1 42 68 53 00", "PHONE:+33 1 42 68 53 00"},
      {"ssn 123-45-6789", "US_SSN:123-45-6789"},
      {"it is 123 45 6789", "US_SSN:123 45 6789"},
      {"SSN: 123456789", "US_SSN:123456789"},
      {"social security number 078051120", "US_SSN:078051120"},
      {"card 4111111111111111", "CREDIT_CARD:4111111111111111"},
      {"card 4111 1111 1111 1111", "CREDIT_CARD:4111 1111 1111 1111"},
      {"card 5500-0000-0000-0004", "CREDIT_CARD:5500-0000-0000-0004"},
      {"amex 378282246310005", "CREDIT_CARD:378282246310005"},
      {"amex 3782 822463 10005", "CREDIT_CARD:3782 822463 10005"},
      {"discover 6011111111111117", "CREDIT_CARD:6011111111111117"},
      {"mc2 2221000000000009", "CREDIT_CARD:2221000000000009"},
      {"host 192.168.1.1:8080", "IPV4:192.168.1.1"},
      {"from 10.0.0.255.", "IPV4:10.0.0.255"},
      {"net 172.16.0.0/12", "IPV4:172.16.0.0"},
      {"v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok",
       "IPV6:2001:0db8:85a3:0000:0000:8a2e:0370:7334"},
      {"v6 2001:db8::1", "IPV6:2001:db8::1"},
      {"loopback ::1", "IPV6:::1"},
      {"link fe80::1ff:fe23:4567:890a", "IPV6:fe80::1ff:fe23:4567:890a"},
      {"mapped ::ffff:192.0.2.128", "IPV6:::ffff:192.0.2.128"},
      {"url [2001:db8::8a2e:370:7334]:443", "IPV6:2001:db8::8a2e:370:7334"},
      {"pay DE89370400440532013000", "IBAN:DE89370400440532013000"},
      {"pay DE89 3704 0044 0532 0130 00.", "IBAN:DE89 3704 0044 0532 0130 00"},
      {"pay GB82 WEST 1234 5698 7654 32", "IBAN:GB82 WEST 1234 5698 7654 32"},
      {"pay FR1420041010050500013M02606", "IBAN:FR1420041010050500013M02606"},
      {"key AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY:AKIAIOSFODNN7EXAMPLE"},
      {"key ASIAY34FZKBOKMUTVV7A", "AWS_ACCESS_KEY:ASIAY34FZKBOKMUTVV7A"},
      {"t=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
       "API_KEY:ghp_16C7e42F292c6912E7710c838347Ae178B4a"},
      {"t github_pat_11ABCDEFG0123456789abc_defGHIJKLmnopQRSTuvwxYZ0123456789abcdefghijklmnopqrstu",
       "API_KEY:github_pat_11ABCDEFG0123456789abc_"
       "defGHIJKLmnopQRSTuvwxYZ0123456789abcdefghijklmnopqrstu"},
      {"t glpat-xxxxXXXX1234yyyyZZZZ", "API_KEY:glpat-xxxxXXXX1234yyyyZZZZ"},
      {"t xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
       "API_KEY:xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"},
      {"t sk_live_4eC39HqLyjWDarjtT1zdp7dc", "API_KEY:sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
      {"t sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx",
       "API_KEY:sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx"},
      {"t sk-ant-api03-AbCdEf0123456789_GhIjKlMnOp",
       "API_KEY:sk-ant-api03-AbCdEf0123456789_GhIjKlMnOp"},
      {"t AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
       "API_KEY:AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"},
      {"t npm_1234567890abcdefghijklmnopqrstuvwxyz",
       "API_KEY:npm_1234567890abcdefghijklmnopqrstuvwxyz"},
      {"Bearer "
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
       "XgL0n3I9PlFUP0THsR8U",
       "JWT:eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
      {"k -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done",
       "PRIVATE_KEY:-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"},
      {"k -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----",
       "PRIVATE_KEY:-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----"},
      {"k -----BEGIN PRIVATE KEY-----\nMIIE and the rest never ends",
       "PRIVATE_KEY:-----BEGIN PRIVATE KEY-----\nMIIE and the rest never ends"},
  };
  for (const Case& c : cases) EXPECT_EQ(Only(c.text), c.expect) << c.text;
}

TEST(DetectorsTest, HardNegatives) {
  const char* negatives[] = {
      // dates, times, versions
      "on 2024-01-15 at 12:30:45",
      "on 15/01/2024 and 01.02.2024",
      "at 12:30 or 23:59:59.123",
      "version 1.2.3, v10.4.11-beta, python3.11",
      "release 2.0.0.1-rc",
      "1.2.3.4.5",
      // ids and hashes
      "uuid 123e4567-e89b-12d3-a456-426614174000",
      "commit 9fceb02d0ae598e95dc970b74dcb1b1f2f7a2b6c",
      "sha 3f9a1c2b",
      "order ORD-12345678 and #123456789",
      "invoice 2024-000123",
      "ticket 123456789",
      "account 987654321 was closed",
      "ZIP 94103 and 94103-1234",
      // prices and numbers
      "price $1,234.56 or 415.55 EUR",
      "pi is 3.14159265358979",
      "population 7,900,000,000",
      "measured 415 555 and 0132",
      "phone 555-0132",
      "call 911",
      // invalid checksums and ranges
      "card 4111 1111 1111 1112",
      "card 1234567812345678",
      "iban DE00370400440532013000",
      "iban DE89 3704 0044 0532 0130 01",
      "ssn 000-12-3456",
      "ssn 666-12-3456",
      "ssn 900-12-3456",
      "ssn 123-00-4567",
      "ssn 123-45-0000",
      "ip 256.1.1.1",
      "ip 1.2.3",
      "ip 300.300.300.300",
      "exchange (415) 055-0132",
      "area 115-555-0132",
      "area 555-911-1234",
      // not IPv6
      "std::vector<int> and a::b",
      "MAC 00:1a:2b:3c:4d:5e",
      "12:30:45 sharp",
      "dead::beef",
      // not secrets
      "sk-this-is-not-a-key-at-all-really",
      "the task-oriented AKIA model",
      "AKIASHORT",
      "ghp_short",
      "eyJub3QiOiJqd3Qi",
      "eyJhbGciOiJIUzI1NiJ9 alone",
      "-----BEGIN CERTIFICATE-----",
      "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
      // not e-mail
      "user@localhost",
      "a@b",
      "@mention",
      "john@example.c0m",
      "foo@.com",
  };
  for (const char* text : negatives) EXPECT_EQ(None(text), "") << text;
}

TEST(DetectorsTest, BoundariesAndTrailingPunctuation) {
  EXPECT_EQ(Default()->Mask("Mail me: a@example.com."), "Mail me: [EMAIL].");
  EXPECT_EQ(Default()->Mask("x192.168.1.1"), "x192.168.1.1");
  EXPECT_EQ(Default()->Mask("192.168.1.1x"), "192.168.1.1x");
  // A card starts at a word boundary, but a word glued on after it does not hide it.
  EXPECT_EQ(Default()->Mask("4111111111111111x"), "[CREDIT_CARD]x");
  EXPECT_EQ(Default()->Mask("INFO:4111111111111111found"), "INFO:[CREDIT_CARD]found");
  EXPECT_EQ(Default()->Mask("4111 1111 1111 1111exp"), "[CREDIT_CARD]exp");
  EXPECT_EQ(Default()->Mask("x4111111111111111"), "x4111111111111111");
  EXPECT_EQ(Default()->Mask("id 4111111111111111-1"), "id [CREDIT_CARD]-1");
  EXPECT_EQ(Default()->Mask("GET /cards/4111111111111111"), "GET /cards/[CREDIT_CARD]");
  EXPECT_EQ(Default()->Mask("\"/4111 1111 1111 1111\""), "\"/[CREDIT_CARD]\"");
  EXPECT_EQ(Default()->Mask("order #4111111111111111"), "order #[CREDIT_CARD]");
  EXPECT_EQ(Default()->Mask("p=0.4111111111111111"), "p=0.4111111111111111");  // a decimal
  // A '.digit' after it does not make it a decimal: masked, fail closed.
  EXPECT_EQ(Default()->Mask("4111111111111111.1"), "[CREDIT_CARD].1");
  EXPECT_EQ(Default()->Mask("n=4111111111111111.25 and 1700000000000.5"),
            "n=[CREDIT_CARD].25 and 1700000000000.5");
  // A value that starts right where another ends is found too: the end of a finding is a
  // boundary, whatever its last byte was.
  EXPECT_EQ(Default()->Mask("4110 1111 1111 1john.doe@example.com"), "[CREDIT_CARD][EMAIL]");
  EXPECT_EQ(Default()->Mask("4111111111111111 1john.doe@example.com"), "[CREDIT_CARD] [EMAIL]");
  // A digit group glued to a word is not a group of the card before it (the fuzzer: the address
  // took the "1", and the four groups were left standing).
  EXPECT_EQ(Default()->Mask("4111 1111 1111 1111 1john.doe@example.com"), "[CREDIT_CARD] [EMAIL]");
  EXPECT_EQ(Default()->Mask("4111 1111 1111 1111 1exp"), "[CREDIT_CARD] 1exp");
  EXPECT_EQ(Default()->Mask("4111 1111 1111 1111 1@example.com"), "[CREDIT_CARD] [EMAIL]");
  EXPECT_EQ(Default()->Mask("4111 1111 1111 1111 1234"), "[CREDIT_CARD] 1234");  // fail closed
  EXPECT_EQ(Default()->Mask("4111111111111111john@example.com"), "[EMAIL]");  // the longer one
  EXPECT_EQ(Default()->Mask("4111111111111111exp"), "[CREDIT_CARD]exp");
  // Groups before a grouped card hide it only when they are the start of an IBAN.
  EXPECT_EQ(Default()->Mask("17rd 4111 1111 1111 1111"), "17rd [CREDIT_CARD]");
  EXPECT_EQ(Default()->Mask("ref 1234 4111 1111 1111 1111"), "ref 1234 [CREDIT_CARD]");
  EXPECT_EQ(Default()->Mask("SE83 9594 4036 8070 4311 9690"), "SE83 9594 4036 8070 4311 9690");
  EXPECT_EQ(Default()->Mask("(415) 555-0132)"), "[PHONE])");
  EXPECT_EQ(Default()->Mask("415-555-0132-9"), "415-555-0132-9");
  EXPECT_EQ(Default()->Mask("ip=10.1.2.3,"), "ip=[IPV4],");
}

TEST(DetectorsTest, SsnContextWordMustBeNear) {
  EXPECT_EQ(None("id 123456789"), "");
  EXPECT_EQ(Only("SSN 123456789"), "US_SSN:123456789");
  EXPECT_EQ(Only("Social Security Number: 123456789"), "US_SSN:123456789");
  EXPECT_EQ(None(std::string("ssn ") + std::string(60, '.') + " 123456789"), "");
  EXPECT_EQ(None("lessn 123456789"), "");  // part of a word is not the context word
}

// The recall classes of issue 14: each format's specification, not only the reported cases.
TEST(DetectorsTest, RecallCards) {
  // A card of 13-19 contiguous digits stands on its own when a space and digits follow.
  EXPECT_EQ(None("card 4111111111111111 12/26"), "CREDIT_CARD:4111111111111111 ");
  EXPECT_EQ(None("card 4111111111111111 123"), "CREDIT_CARD:4111111111111111 ");
  EXPECT_EQ(None("4111111111111111 5500000000000004"),
            "CREDIT_CARD:4111111111111111 CREDIT_CARD:5500000000000004 ");
  EXPECT_EQ(None("amex 378282246310005 0425 1234"), "CREDIT_CARD:378282246310005 ");
  // A dash and digits after the whole number do not hide it (fail closed: it reads as a card);
  // a bad Luhn digit is not a card.
  EXPECT_EQ(None("ref 4111111111111111-2024"), "CREDIT_CARD:4111111111111111 ");
  EXPECT_EQ(None("card 4111111111111112 12/26"), "");
}

TEST(DetectorsTest, RecallIpAddresses) {
  EXPECT_EQ(Only("host:10.0.0.1"), "IPV4:10.0.0.1");
  EXPECT_EQ(None("inet addr:192.168.1.20  Bcast:192.168.1.255  Mask:255.255.255.0"),
            "IPV4:192.168.1.20 IPV4:192.168.1.255 IPV4:255.255.255.0 ");
  EXPECT_EQ(Only("mapped ::ffff:1.2.3.4"), "IPV6:::ffff:1.2.3.4");
  EXPECT_EQ(Only("[::ffff:10.0.0.1]:443"), "IPV6:::ffff:10.0.0.1");
  // RFC 4291 2.2 form 3: six hex groups and a dotted quad, in full.
  EXPECT_EQ(Only("v6 0:0:0:0:0:ffff:192.168.1.1 ok"), "IPV6:0:0:0:0:0:ffff:192.168.1.1");
  EXPECT_EQ(Only("v6 2001:db8:0:0:1:0:10.1.2.3"), "IPV6:2001:db8:0:0:1:0:10.1.2.3");
  EXPECT_EQ(Only("v6 64:ff9b::192.0.2.33"), "IPV6:64:ff9b::192.0.2.33");
  // At most one "::" (RFC 4291 2.2): no address at all, not a prefix of one.
  EXPECT_EQ(None("bad 2001:db8::1::2"), "");
  EXPECT_EQ(None("bad 1::2::3"), "");
  EXPECT_EQ(None("bad ::1::"), "");
  // Seven groups and a dotted quad is too long for IPv6; the quad after ':' is still an IPv4.
  EXPECT_EQ(None("bad 1:2:3:4:5:6:7:1.2.3.4"), "IPV4:1.2.3.4 ");
  EXPECT_EQ(None("bad 1:2:3:4:5:6:7:8:9"), "");
}

TEST(DetectorsTest, RecallInternationalPhones) {
  EXPECT_EQ(Only("call +44 (0) 20 7946 0958"), "PHONE:+44 (0) 20 7946 0958");
  EXPECT_EQ(Only("call +44 (0)20 7946 0958"), "PHONE:+44 (0)20 7946 0958");
  EXPECT_EQ(Only("ring +49 (30) 1234567 today"), "PHONE:+49 (30) 1234567");
  EXPECT_EQ(Only("office +33 (0)1 42 68 53 00."), "PHONE:+33 (0)1 42 68 53 00");
  EXPECT_EQ(Only("+61 (2) 9374 4000"), "PHONE:+61 (2) 9374 4000");
  // E.164 caps a number at 15 digits (the trunk prefix is not part of it).
  EXPECT_EQ(None("+44 (0) 1234 5678 9012 3456"), "");
  EXPECT_EQ(None("+49 (30)"), "");
}

TEST(DetectorsTest, RecallNationalPhonesAfterContextWord) {
  EXPECT_EQ(Only("Tel: 020 7946 0958"), "PHONE:020 7946 0958");
  EXPECT_EQ(Only("Telefon: 030 1234567"), "PHONE:030 1234567");
  EXPECT_EQ(Only("telefon 030/1234567"), "PHONE:030/1234567");
  EXPECT_EQ(Only("Tel. (030) 1234567"), "PHONE:(030) 1234567");
  EXPECT_EQ(Only("phone: 06 12 34 56 78"), "PHONE:06 12 34 56 78");
  EXPECT_EQ(Only("call 0612345678"), "PHONE:0612345678");
  EXPECT_EQ(Only("mobile 0412 345 678"), "PHONE:0412 345 678");
  EXPECT_EQ(Only("telefono 06 1234 5678"), "PHONE:06 1234 5678");
  EXPECT_EQ(Only("\"phone\": \"020 123 4567\""), "PHONE:020 123 4567");
  // Not supported: national formats without a trunk prefix, other than NANP (Spain, Denmark).
  EXPECT_EQ(None("\"phone\": \"912 34 56 78\""), "");
  // NANP-shaped after a context word, whatever the area code or exchange.
  EXPECT_EQ(Only("call 123-456-7890"), "PHONE:123-456-7890");
  EXPECT_EQ(Only("phone: 212-911-4567"), "PHONE:212-911-4567");
  EXPECT_EQ(Only("mobile (111) 555-0132"), "PHONE:(111) 555-0132");
  EXPECT_EQ(Only("{\"phone_number\": \"555.011.1234\"}"), "PHONE:555.011.1234");
  // Without the context word these shapes are not phones.
  EXPECT_EQ(None("id 123-456-7890"), "");
  EXPECT_EQ(None("ref 020 7946 0958"), "");
  EXPECT_EQ(None("order 0612345678"), "");
  // Nor are dates, short numbers, or a number separated from the word by another number.
  EXPECT_EQ(None("call on 2024-01-15"), "");
  EXPECT_EQ(None("call on 15.01.2024"), "");
  EXPECT_EQ(None("phone 555-0132"), "");
  EXPECT_EQ(None("call 3 times 12345678"), "");
  EXPECT_EQ(None("tel 020-7946 0958"), "");  // mixed separators
}

TEST(DetectorsTest, RecallEmailIbanSsn) {
  EXPECT_EQ(Only("mail ivan@example.xn--p1ai now"), "EMAIL:ivan@example.xn--p1ai");
  EXPECT_EQ(Only("mail a.b@xn--80ak6aa92e.xn--p1ai"), "EMAIL:a.b@xn--80ak6aa92e.xn--p1ai");
  EXPECT_EQ(None("mail a@example.xn--"), "");
  // Addresses run together: the domain of the first swallows the next local part, and the second
  // address starts right after an '@' (found by the response fuzzer: streamed choice text).
  EXPECT_EQ(Default()->Mask("john.doe@exaople.comjohn.doe@exaople.comjohn.doe@example.com"),
            "[EMAIL]@[EMAIL]");
  EXPECT_EQ(Default()->Mask("@john.doe@mastodon.social"), "@[EMAIL]");
  EXPECT_EQ(Only("pay DE89-3704-0044-0532-0130-00."), "IBAN:DE89-3704-0044-0532-0130-00");
  EXPECT_EQ(Only("pay GB82-WEST-1234-5698-7654-32"), "IBAN:GB82-WEST-1234-5698-7654-32");
  EXPECT_EQ(None("pay DE89-3704-0044-0532-0130-01"), "");
  EXPECT_EQ(None("pay DE89-3704 0044-0532-0130-00"), "");  // mixed separators
  EXPECT_EQ(Only("ssn 078.05.1120"), "US_SSN:078.05.1120");
  EXPECT_EQ(Only("it is 123.45.6789 ok"), "US_SSN:123.45.6789");
  EXPECT_EQ(None("ssn 666.12.3456"), "");
  EXPECT_EQ(None("ver 123.45.6789.1"), "");
  EXPECT_EQ(None("ssn 123.45-6789"), "");
}

// Vendor tokens from gitleaks' default rules (the facts: prefixes and lengths).
TEST(DetectorsTest, MoreVendorKeys) {
  const std::string hex32 = "0123456789abcdef0123456789abcdef";
  const std::string pypi = "pypi-AgEIcHlwaS5vcmc" + std::string(30, 'x') + "Ab1_-" + std::string(30, 'Q');
  EXPECT_EQ(Only("token " + pypi + " here"), "API_KEY:" + pypi);
  for (const char* p : {"shpat_", "shpca_", "shppa_", "shpss_"}) {
    EXPECT_EQ(Only(std::string("x=") + p + hex32), std::string("API_KEY:") + p + hex32);
  }
  const std::string sg = "SG." + std::string("aB3_-cD4eF5gH6iJ7kL8mN") + "." +
                         std::string("oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2q");
  ASSERT_EQ(sg.size(), 69u);
  EXPECT_EQ(Only("key " + sg + "."), "API_KEY:" + sg);
  EXPECT_EQ(Only("sid SK" + hex32), "API_KEY:SK" + hex32);
  EXPECT_EQ(Only("mg key-" + hex32), "API_KEY:key-" + hex32);
  // Wrong lengths, bodies or shapes.
  EXPECT_EQ(None("pypi-AgEIcHlwaS5vcmcshort"), "");
  EXPECT_EQ(None("shpat_" + hex32.substr(0, 31)), "");
  EXPECT_EQ(None("shpat_" + hex32 + "0"), "");
  EXPECT_EQ(None("shpat_0123456789abcdef0123456789abcdeg"), "");
  EXPECT_EQ(None("SKU " + hex32.substr(0, 8) + " and SK" + hex32.substr(0, 30)), "");
  EXPECT_EQ(None("SKabcdefabcdefabcdefabcdefabcdefab"), "");  // no digit: a word, not a SID
  EXPECT_EQ(None("the key-value store, key-" + hex32.substr(0, 20)), "");
  EXPECT_EQ(None("SG.example.com and SG." + std::string(66, 'a')), "");
}

// Regressions from the labelled accuracy corpus (build/mask-accuracy.txt).
TEST(DetectorsTest, AccuracyRegressions) {
  // A context word that belongs to an earlier field does not make a later number an SSN.
  EXPECT_EQ(None("\"ssn\": \"392-52-1008\",\n  \"account_id\": \"665941346\""),
            "US_SSN:392-52-1008 ");
  EXPECT_EQ(None("\"ssn\": \"692669900\", \"account_id\": \"271192231\""), "US_SSN:692669900 ");
  EXPECT_EQ(None("\"ssn\": \"666-44-4588\", \"account_id\": \"694145308\""), "");
  // Digit groups inside an IBAN-shaped value (bad checksum) are not a card.
  EXPECT_EQ(None("| ES06 6675 8907 5324 6854 7353 |"), "");
  EXPECT_EQ(None("| FI90 6748 8852 6631 75 |"), "");
  EXPECT_EQ(None("PL78 6130 2323 8987 4592 6207 1398"), "");
  EXPECT_EQ(None("The IBAN SE83 9594 4036 8070 4311 9690 has a wrong check digit"), "");
  EXPECT_EQ(None("\"rejected_iban\": \"SE60 7825 2687 3382 6890 3168\""), "");
  EXPECT_EQ(None("| ES80 7181 4914 3927 0200 8424 |"), "");
  EXPECT_EQ(Only("card 4111 1111 1111 1111 ok"), "CREDIT_CARD:4111 1111 1111 1111");
  // A context word in an earlier sentence does not count.
  EXPECT_EQ(None("the Social Security Administration. Vendor account 364836788 was created"), "");
  EXPECT_EQ(Only("Social Security no: 364836788"), "US_SSN:364836788");
  EXPECT_EQ(Only("SSN no. 364836788"), "US_SSN:364836788");
  // A card number followed by more groups: the card is masked, fail closed (another value could
  // take the next group and leave the card standing; the response fuzzer found three such ways).
  EXPECT_EQ(Only("acct 4111 1111 1111 1111 2024 5"), "CREDIT_CARD:4111 1111 1111 1111");
  // Fixed-length vendor keys need no digit in their random part.
  EXPECT_EQ(Only("like AIzarVXJ-YmtzbbMhlmNkrbFmAvsoRHKKfQwHyQ into"),
            "API_KEY:AIzarVXJ-YmtzbbMhlmNkrbFmAvsoRHKKfQwHyQ");
}

TEST(DetectorsTest, RulesNameThePattern) {
  const std::vector<Finding> f = Default()->Find("415-555-0132 +44 20 7946 0958 SSN 123456789");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].rule, "nanp");
  EXPECT_EQ(f[1].rule, "intl");
  EXPECT_EQ(f[2].rule, "ssn_context");
}

TEST(DetectorsTest, OverlapResolutionIsLeftmostLongest) {
  // The e-mail starts first and is longer than the card number inside its local part.
  EXPECT_EQ(Only("4111111111111111@example.com"), "EMAIL:4111111111111111@example.com");
  // A JWT contains base64 that would look like other things; it wins as a whole.
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jb20ifQ.c2lnbmF0dXJlLTQxMTExMTExMTExMTExMTE";
  EXPECT_EQ(Only(jwt), "JWT:" + jwt);
  // Adjacent findings stay separate.
  EXPECT_EQ(Default()->Mask("a@example.com,10.0.0.1"), "[EMAIL],[IPV4]");
}

TEST(DetectorsTest, GeneratedCorpusFindsExactlyTheLabels) {
  mask::testing::CorpusGenerator gen(7);
  size_t labels = 0;
  for (int d = 0; d < 200; ++d) {
    const mask::testing::Document doc = gen.Generate(3000, 200);
    const std::vector<Finding> found = Default()->Find(doc.text);
    std::vector<std::string> want, got;
    for (const auto& l : doc.labels) {
      want.push_back(l.entity + ":" + doc.text.substr(l.start, l.end - l.start));
    }
    for (const Finding& f : found) {
      got.push_back(f.entity + ":" + doc.text.substr(f.start, f.end - f.start));
    }
    ASSERT_EQ(got, want) << "document " << d;
    labels += want.size();
    // And the masked text contains none of the labelled values.
    const std::string masked = Default()->Mask(doc.text);
    for (const auto& l : doc.labels) {
      EXPECT_EQ(masked.find(doc.text.substr(l.start, l.end - l.start)), std::string::npos);
    }
  }
  EXPECT_GT(labels, 2000u);
}

TEST(DetectorsTest, CleanCorpusHasNoFindings) {
  mask::testing::CorpusGenerator gen(11);
  for (int d = 0; d < 50; ++d) {
    const mask::testing::Document doc = gen.Generate(20000, 0);
    EXPECT_EQ(Default()->Mask(doc.text), doc.text) << None(doc.text);
  }
}

}  // namespace
}  // namespace jitguard
