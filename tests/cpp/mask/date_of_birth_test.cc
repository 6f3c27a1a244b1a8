// DATE_OF_BIRTH: a calendar date after a birth-date context word, in the numeric orders (ISO 8601,
// day-month-year and month-day-year with '/', '-' or '.'), the compact YYYYMMDD, and with a month
// name; the date must exist. Off by default, on when named.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "tests/cpp/mask/stream_check.h"

namespace jitguard {
namespace {

const std::shared_ptr<const Masker>& Every() { return mask::testing::EveryEntityMasker(); }

// "ENTITY/rule:value" for each finding, space-separated.
std::string Found(std::string_view text) { return mask::testing::DescribeFindings(*Every(), text); }

struct Case {
  const char* text;
  const char* want;
};

TEST(DateOfBirthTest, Positives) {
  const Case cases[] = {
      {"DOB: 1985-03-14", "1985-03-14"},
      {"date of birth 14/03/1985.", "14/03/1985"},
      {"Date of Birth: 03/14/1985", "03/14/1985"},
      {"born on 14.03.1985 in Graz", "14.03.1985"},
      {"birthdate 1985/3/4", "1985/3/4"},
      {"D.O.B. 4-3-85", "4-3-85"},
      {"dob 19850314", "19850314"},
      {"dob: 29/02/2000", "29/02/2000"},
      {"She was born 3 March 1985 in Leeds.", "3 March 1985"},
      {"born on the 3rd of March, 1985", "3rd of March, 1985"},
      {"DOB 03 Mar. 1985", "03 Mar. 1985"},
      {"Birthday: March 3, 1985", "3, 1985"},
      {"birthday: Sep. 21st 1990", "21st 1990"},
      {"born 3 march 1985", "3 march 1985"},
      {"{\"date_of_birth\": \"1985-03-14\"}", "1985-03-14"},
      {"birthDate=1985-03-14T00:00:00Z", "1985-03-14"},
      {"Geburtsdatum: 14.03.1985", "14.03.1985"},
      {"fecha de nacimiento: 14/03/1985", "14/03/1985"},
      {"data di nascita 14-03-1985", "14-03-1985"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Found(c.text), std::string("DATE_OF_BIRTH/dob:") + c.want) << c.text;
  }
  EXPECT_EQ(Every()->Mask("Birthday: March 3, 1985"), "Birthday: March [DATE_OF_BIRTH]");
  EXPECT_EQ(Every()->Mask("DOB 1985-03-14, SSN 123-45-6789"),
            "DOB [DATE_OF_BIRTH], SSN [US_SSN]");
}

TEST(DateOfBirthTest, HardNegatives) {
  for (const char* text : {
           "Released on 1985-03-14",  // no context word
           "Order 12/03/2024 shipped",
           "DOB: 1985-02-30",         // no such day
           "DOB 13/13/1985",          // no such month in either order
           "born 1885-03-14",         // year before 1900
           "DOB: 2001-02-29",         // not a leap year
           "born in 1985",            // a year alone
           "dob 1985-03-14-7",        // a longer number
           "dob 1985-03/14",          // two separators
           "born 3 Marchx 1985",      // not a month
           "dob 123/03/1985",         // a three-digit first group
           "born 14 March 85",        // a two-digit year after a month name
           "born, raised and 12/03/2024 shipped",  // the window stops at the comma
       }) {
    EXPECT_EQ(Found(text), "") << text;
  }
}

TEST(DateOfBirthTest, OffInTheDefaultProfile) {
  const std::shared_ptr<const Masker> m = *Masker::Create({});
  EXPECT_TRUE(m->Find("DOB: 1985-03-14, born 3 March 1985").empty());
  MaskerOptions o;
  o.entities = std::vector<std::string>{"DATE_OF_BIRTH"};
  const std::shared_ptr<const Masker> alone = *Masker::Create(std::move(o));
  // US_SSN, whose detector slot it shares, stays off when only DATE_OF_BIRTH is named.
  EXPECT_EQ(alone->Mask("DOB: 1985-03-14, SSN 123-45-6789"),
            "DOB: [DATE_OF_BIRTH], SSN 123-45-6789");
  o.entities = std::vector<std::string>{"DATE_OF_BIRTH", "NATIONAL_ID"};
  EXPECT_EQ((*Masker::Create(std::move(o)))->Mask("born 3 March 1985, DNI 12345678Z"),
            "born [DATE_OF_BIRTH], DNI [NATIONAL_ID]");
}

TEST(DateOfBirthTest, StreamsEqualOneShot) {
  const std::string text =
      "DOB: 1985-03-14, date of birth 14/03/1985. born on the 3rd of March, 1985; Birthday: "
      "March 3, 1985 dob 19850314 DOB 13/13/1985 birthDate=1985-03-14T00:00:00Z born 3 Mar 1985\n";
  const std::string want = Every()->Mask(text);
  ASSERT_EQ(want.find("1985-03-14"), std::string::npos);
  mask::testing::ExpectStreamEqualsOneShot(*Every(), text, 11);
}

}  // namespace
}  // namespace jitguard
