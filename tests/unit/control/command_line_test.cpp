#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/control/command_line.hpp"
#include "common/control/reply.hpp"

namespace im2k::control {
namespace {

using nlohmann::json;

TEST(ControlReply, OkAndError) {
  const auto ok = ok_reply({{"n", 1}});
  EXPECT_TRUE(is_ok(ok));
  EXPECT_EQ(ok.at("n"), 1);
  const auto error = error_reply(proto::errc::not_found, "no such message");
  EXPECT_FALSE(is_ok(error));
  EXPECT_EQ(error.at("code"), "not-found");
  EXPECT_EQ(error.at("message"), "no such message");
  EXPECT_FALSE(is_ok(json::array()));
  EXPECT_FALSE(is_ok(json{{"ok", "true"}}));
}

TEST(ControlReply, OneLineEvenWithNewlinesAndBadUtf8) {
  const auto line = to_line(ok_reply({{"text", std::string("a\nb\xff")}}));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_TRUE(json::accept(line));
}

TEST(ControlCommandLine, AlignedColumns) {
  EXPECT_EQ(aligned({{"A", "BB", "C"}, {"long", "x", "y"}}), "A     BB  C\nlong  x   y\n");
}

TEST(ControlCommandLine, TimesAndText) {
  EXPECT_EQ(time_text(json(0)), "1970-01-01 00:00:00Z");
  EXPECT_EQ(time_text(json()), "-");
  EXPECT_EQ(text(json("x")), "x");
  EXPECT_EQ(text(json(12)), "12");
  EXPECT_EQ(text(json()), "-");
}

}  // namespace
}  // namespace im2k::control
