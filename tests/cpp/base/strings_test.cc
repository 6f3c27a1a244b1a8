#include "lib/base/strings.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace jitguard::base {
namespace {

TEST(StringsTest, CatTakesStdAndAbslViewsNumbersAndStrings) {
  const std::string_view std_view = "std";
  const absl::string_view absl_view = "absl";
  EXPECT_EQ(Cat(std_view, "-", absl_view, "-", std::string("s"), "-", size_t{42}, "-", -1),
            "std-absl-s-42--1");
  std::string out = "x";
  Append(&out, std_view, 7);
  EXPECT_EQ(out, "xstd7");
}

TEST(StringsTest, JoinAndViewConversions) {
  const std::vector<std::string> parts = {"a", "b", "c"};
  EXPECT_EQ(Join(parts, ", "), "a, b, c");
  EXPECT_EQ(Join(std::vector<std::string>{}, ", "), "");
  const std::string s = "hello";
  EXPECT_EQ(AsStd(AsAbsl(s)), s);
  EXPECT_EQ(AsAbsl(s).data(), s.data());
}

}  // namespace
}  // namespace jitguard::base
