#include <gtest/gtest.h>

#include "common/spf/designation.hpp"

namespace im2k::spf {
namespace {

TEST(spf_designation, only_pass_designates_and_only_temperror_is_temporary) {
  EXPECT_EQ(designation_of(result::pass), designation::designated);
  EXPECT_EQ(designation_of(result::temperror), designation::refused_temporary);
  for (result r :
       {result::none, result::neutral, result::fail, result::softfail, result::permerror}) {
    EXPECT_EQ(designation_of(r), designation::refused_permanent) << to_string(r);
  }
}

TEST(spf_designation, result_words) {
  EXPECT_EQ(to_string(result::none), "none");
  EXPECT_EQ(to_string(result::neutral), "neutral");
  EXPECT_EQ(to_string(result::pass), "pass");
  EXPECT_EQ(to_string(result::fail), "fail");
  EXPECT_EQ(to_string(result::softfail), "softfail");
  EXPECT_EQ(to_string(result::temperror), "temperror");
  EXPECT_EQ(to_string(result::permerror), "permerror");
}

}  // namespace
}  // namespace im2k::spf
