// bench.smoke: im2k-bench against a real testbed, 20 small messages: the JSON report has its
// fields and every message was delivered. No timing is asserted (figures vary with the machine).
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using namespace std::chrono_literals;

// The ctest name is bench.smoke.
TEST(bench, smoke) {
  testbed bed({.net = 100});
  const std::string dir = bed.state().at("dir").get<std::string>();
  auto r = run_command({IM2K_BIN_DIR "/im2k-bench", "--testbed", dir, "--messages", "20", "--size",
                        "1024", "--concurrency", "4", "--json", "--timeout", "240"},
                       {}, 300s);
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  const auto report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << r.out;
  for (const char* field :
       {"mode", "messages", "message_size", "concurrency", "submitted", "submit_failed",
        "delivered", "recipients_unfinished", "messages_per_second", "submit_latency_ms",
        "stored_latency_ms", "server_at_latency_ms", "daemons", "bytes_stored", "loadavg_before",
        "loadavg_after"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report.value("mode", ""), "load");
  EXPECT_EQ(report.value("messages", 0), 20);
  EXPECT_EQ(report.value("message_size", 0), 1024);
  EXPECT_EQ(report.value("submitted", 0), 20);
  EXPECT_EQ(report.value("submit_failed", -1), 0);
  EXPECT_EQ(report.value("delivered", 0), 20);
  EXPECT_EQ(report.value("recipients_unfinished", -1), 0);
  for (const char* latency : {"submit_latency_ms", "stored_latency_ms"}) {
    ASSERT_TRUE(report.contains(latency));
    EXPECT_EQ(report.at(latency).value("count", 0), 20) << latency;
    for (const char* p : {"p50", "p90", "p99", "max"}) {
      EXPECT_TRUE(report.at(latency).contains(p)) << latency << " " << p;
    }
  }
  // Four daemons (two domains), each measured; the messages were stored on both sides.
  ASSERT_TRUE(report.contains("daemons"));
  ASSERT_EQ(report.at("daemons").size(), 4u);
  for (const auto& d : report.at("daemons")) {
    EXPECT_TRUE(d.at("cpu_seconds").is_number()) << d.dump();
    EXPECT_GT(d.value("peak_rss_kib", 0), 0) << d.dump();
  }
  EXPECT_GT(report.at("bytes_stored").value("oms", 0), 20 * 1024);
  EXPECT_GT(report.at("bytes_stored").value("ims", 0), 20 * 1024);
}

// A testbed directory without a testbed: a clear error, not a hang.
TEST(bench, no_testbed) {
  auto r = run_command(
      {IM2K_BIN_DIR "/im2k-bench", "--testbed", "/nonexistent-im2k-bench", "--messages", "1"}, {},
      30s);
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("no testbed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace im2k::test
