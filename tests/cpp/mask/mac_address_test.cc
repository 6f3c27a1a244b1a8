// MAC_ADDRESS: the three text forms of an IEEE 802 MAC-48 address, the near misses the detector
// must leave alone, its place in IPv6's detector slot, and streams.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/stream_check.h"

namespace jitguard {
namespace {

std::shared_ptr<const Masker> Default() {
  static const std::shared_ptr<const Masker> m = *Masker::Create({});
  return m;
}

std::shared_ptr<const Masker> With(std::vector<std::string> entities) {
  MaskerOptions o;
  o.entities = std::move(entities);
  return *Masker::Create(std::move(o));
}

std::shared_ptr<const Masker> WithMac() {
  static const std::shared_ptr<const Masker> m = [] {
    std::vector<std::string> all(BuiltinEntities().begin(), BuiltinEntities().end());
    return With(all);
  }();
  return m;
}

// "ENTITY/rule:value" for each finding, space-separated.
std::string Found(std::string_view text, const Masker& m) {
  return mask::testing::DescribeFindings(m, text);
}

TEST(MacAddressTest, OffByDefault) {
  EXPECT_EQ(Found("HWaddr 00:1A:2B:3C:4D:5E", *Default()), "");
  EXPECT_EQ(Found("ether 08-00-27-4e-66-a1", *Default()), "");
}

TEST(MacAddressTest, TheThreeForms) {
  for (const char* mac : {"00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e",
                          "08:00:27:4e:66:a1", "f0:de:f1:12:34:56", "a0:b1:c2:d3:e4:f5",
                          "FFFF.FFFF.FFF0"}) {
    EXPECT_EQ(Found(std::string("HWaddr ") + mac + " up", *WithMac()),
              std::string("MAC_ADDRESS/mac:") + mac);
    EXPECT_EQ(Found(mac, *WithMac()), std::string("MAC_ADDRESS/mac:") + mac);
  }
  // After a key and its ':' or '=', in JSON, at the end of a sentence, in parentheses.
  EXPECT_EQ(Found("mac:00:1a:2b:3c:4d:5e", *WithMac()), "MAC_ADDRESS/mac:00:1a:2b:3c:4d:5e");
  EXPECT_EQ(Found("mac=00-1a-2b-3c-4d-5e,", *WithMac()), "MAC_ADDRESS/mac:00-1a-2b-3c-4d-5e");
  EXPECT_EQ(Found("{\"mac\": \"00:1a:2b:3c:4d:5e\"}", *WithMac()),
            "MAC_ADDRESS/mac:00:1a:2b:3c:4d:5e");
  EXPECT_EQ(Found("The NIC is 00:1a:2b:3c:4d:5e.", *WithMac()), "MAC_ADDRESS/mac:00:1a:2b:3c:4d:5e");
  EXPECT_EQ(Found("(001a.2b3c.4d5e)", *WithMac()), "MAC_ADDRESS/mac:001a.2b3c.4d5e");
  EXPECT_EQ(WithMac()->Mask("lease for 00:1a:2b:3c:4d:5e at 10.0.0.7"),
            "lease for [MAC_ADDRESS] at [IPV4]");
}

TEST(MacAddressTest, NearMissesAreLeftAlone) {
  for (const char* text : {
           "00:00:00:00:00:00",      // all zero
           "ff:ff:ff:ff:ff:ff",      // broadcast (no decimal digit)
           "de:ad:be:ef:ca:fe",      // no decimal digit
           "00:1A:2B:3C:4D",         // five groups
           "00:1A:2B:3C:4D:5E:6F",   // seven (EUI-64, a fingerprint)
           "01:00:1A:2B:3C:4D:5E",   // nor its last six
           "00:1A-2B:3C:4D:5E",      // mixed separators
           "00:1A:2B:3C:4D:5E6",     // a longer last group
           "000:1A:2B:3C:4D:5E",     // a longer first group
           "001a.2b3c.4d5e.6f70",    // four Cisco groups
           "001a.2b3c",              // two
           "12:30:45",               // a time
           "0g:1a:2b:3c:4d:5e",      // not hex
           "x00:1a:2b:3c:4d:5e",     // inside a word
           "00:1a:2b:3c:4d:5ex",     //
           "v1.2b3c.4d5e",           //
           "1.001a.2b3c.4d5e",       // after '.'
           "SHA256:3a:4b:5c:6d:7e:8f:90:a1:b2:c3",
           "2024-05-01-12-30-45",    // a timestamp with dashes
       }) {
    EXPECT_EQ(Found(text, *WithMac()), "") << text;
  }
}

TEST(MacAddressTest, SharesIpv6sSlotWithoutChangingIpv6) {
  // MAC alone, IPv6 alone, both: each finds its own values and nothing else.
  const std::string text = "nic 00:1a:2b:3c:4d:5e addr fe80::1 full 2001:db8:0:0:0:0:2:1";
  EXPECT_EQ(Found(text, *With({"MAC_ADDRESS"})), "MAC_ADDRESS/mac:00:1a:2b:3c:4d:5e");
  EXPECT_EQ(Found(text, *With({"IPV6"})), "IPV6/ipv6:fe80::1 IPV6/ipv6:2001:db8:0:0:0:0:2:1");
  EXPECT_EQ(Found(text, *With({"IPV6", "MAC_ADDRESS"})),
            "MAC_ADDRESS/mac:00:1a:2b:3c:4d:5e IPV6/ipv6:fe80::1 "
            "IPV6/ipv6:2001:db8:0:0:0:0:2:1");
  EXPECT_EQ(With({"MAC_ADDRESS"})->Entities(), std::vector<std::string>{"MAC_ADDRESS"});
}

TEST(MacAddressTest, StreamsEqualOneShot) {
  const std::string text =
      "mac 00:1a:2b:3c:4d:5e, 001a.2b3c.4d5e 00:1A:2B:3C:4D:5E:6F de:ad:be:ef:ca:fe\n"
      "ether 08-00-27-4e-66-a1 fe80::1 (a0:b1:c2:d3:e4:f5)";
  const std::string want = WithMac()->Mask(text);
  ASSERT_EQ(want.find("4d:5e,"), std::string::npos);
  ASSERT_EQ(want.find("66-a1"), std::string::npos);
  mask::testing::ExpectStreamEqualsOneShot(*WithMac(), text, 19);
}

}  // namespace
}  // namespace jitguard
