#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>
#include <boost/system/errc.hpp>
#include <nlohmann/json.hpp>

#include "common/log/log.hpp"

namespace im2k::log {
namespace {

// Every test logs to its own fresh file and reads the lines back.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("im2k-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "events.log";
    log_to_file(file_);
    set_min_level(level::debug);
  }
  void TearDown() override {
    log_to_stderr();
    set_min_level(level::info);
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> lines() const {
    std::ifstream in(file_, std::ios::binary);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::filesystem::path file_;
};

TEST_F(LogTest, OneJsonObjectPerEventWithFieldsInOrder) {
  info("notify.accepted")
      .kv("msg", "abc")
      .kv("peer", std::string("mx.beta.test"))
      .kv("code", nullptr);
  auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  auto j = nlohmann::ordered_json::parse(all[0]);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) {
    keys.push_back(k);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"ts", "level", "event", "msg", "peer", "code"}));
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["event"], "notify.accepted");
  EXPECT_EQ(j["msg"], "abc");
  EXPECT_EQ(j["peer"], "mx.beta.test");
  EXPECT_TRUE(j["code"].is_null());
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << j["ts"];
}

TEST_F(LogTest, ValueTypes) {
  warn("types")
      .kv("count", 42)
      .kv("big", std::uint64_t{18446744073709551615u})
      .kv("neg", -7)
      .kv("flag", true)
      .kv("ratio", 0.5)
      .kv("ok", boost::system::error_code{})
      .kv("err", boost::system::errc::make_error_code(boost::system::errc::timed_out))
      .kv_json("rcpt", nlohmann::ordered_json::array({"a@b.test", "c@b.test"}));
  auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  auto j = nlohmann::json::parse(all[0]);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["count"], 42);
  EXPECT_EQ(j["big"].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(j["neg"], -7);
  EXPECT_EQ(j["flag"], true);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_TRUE(j["ok"].is_null());
  // "<category>:<value> <message>"
  auto timed_out = boost::system::errc::make_error_code(boost::system::errc::timed_out);
  EXPECT_EQ(j["err"], std::string(timed_out.category().name()) + ":110 " + timed_out.message());
  EXPECT_EQ(j["rcpt"][1], "c@b.test");
}

TEST_F(LogTest, HostileStringsStayOnOneLine) {
  std::string hostile = "a\"b\\c\nd\r\ne\x01\t{\"level\":\"error\"}";
  std::string invalid_utf8 = "ok\xff\xfe\xc3(end";  // 0xff, 0xfe: never valid; 0xc3 truncated
  error("evil").kv("peer", hostile).kv("helo", invalid_utf8).kv("key\nwith\"quote", "v");
  info("next").kv("n", 1);
  auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  auto j = nlohmann::json::parse(all[0]);
  EXPECT_EQ(j["peer"], hostile);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["helo"], "ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(end");  // U+FFFD each
  EXPECT_EQ(j["key\nwith\"quote"], "v");
  EXPECT_EQ(nlohmann::json::parse(all[1])["event"], "next");
}

TEST_F(LogTest, MinimumLevelDropsEvents) {
  set_min_level(level::warn);
  debug("d").kv("x", 1);
  info("i").kv("x", 1);
  warn("w");
  error("e");
  auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(all[0])["event"], "w");
  EXPECT_EQ(nlohmann::json::parse(all[1])["event"], "e");
  EXPECT_EQ(min_level(), level::warn);
}

TEST_F(LogTest, ExplicitEmitWritesOnce) {
  {
    auto e = info("once");
    e.kv("a", 1);
    e.emit();
    e.kv("b", 2);  // after emit: ignored
    e.emit();
  }
  auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(nlohmann::json::parse(all[0]).contains("b"));
}

TEST_F(LogTest, ConcurrentThreadsNeverInterleave) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        info("thread").kv("t", t).kv("i", i).kv("pad", std::string(300, 'x'));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  auto all = lines();
  ASSERT_EQ(all.size(), 800u);
  for (const auto& line : all) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
  }
}

TEST(LogFile, UnopenableFileThrows) {
  EXPECT_THROW(log_to_file("/dev/null/x/events.log"), std::runtime_error);
}

}  // namespace
}  // namespace im2k::log
