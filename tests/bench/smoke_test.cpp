// bench.smoke: im2k-bench against a real testbed, 20 small messages in a closed loop and then 20
// in an open loop (20 a second for 1 s): the JSON report has its fields, every message was
// delivered and timed from the IMS log, and the daemons' fsyncs were counted. No timing is
// asserted (figures vary with the machine).
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using namespace std::chrono_literals;

const std::string bench_binary = IM2K_BIN_DIR "/im2k-bench";

// The ctest name is bench.smoke.
TEST(bench, smoke) {
  testbed bed({.net = 100});
  const std::string dir = bed.state().at("dir").get<std::string>();
  auto r = run_command({bench_binary, "--testbed", dir, "--messages", "20", "--size", "1024",
                        "--concurrency", "4", "--json", "--timeout", "240"},
                       {}, 300s);
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  const auto report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << r.out;
  for (const char* field : {"mode",
                            "messages",
                            "message_size",
                            "concurrency",
                            "submitted",
                            "submit_failed",
                            "delivered",
                            "recipients_unfinished",
                            "messages_per_second",
                            "submit_latency_ms",
                            "stored_latency_ms",
                            "server_at_latency_ms",
                            "daemons",
                            "bytes_stored",
                            "loadavg_before",
                            "loadavg_after",
                            "acked_latency_ms",
                            "pulled_seen_latency_ms",
                            "to_last_stored_seconds",
                            "messages_per_second_basis",
                            "ims_log",
                            "lost",
                            "nothing_lost",
                            "per_message"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report.value("mode", ""), "load");
  EXPECT_EQ(report.value("messages", 0), 20);
  EXPECT_EQ(report.value("message_size", 0), 1024);
  EXPECT_EQ(report.value("submitted", 0), 20);
  EXPECT_EQ(report.value("submit_failed", -1), 0);
  EXPECT_EQ(report.value("delivered", 0), 20);
  EXPECT_EQ(report.value("recipients_unfinished", -1), 0);
  EXPECT_EQ(report.value("messages_per_second_basis", ""), "ims_log");
  EXPECT_EQ(report.value("nothing_lost", false), true);
  for (const char* latency :
       {"submit_latency_ms", "stored_latency_ms", "acked_latency_ms", "pulled_seen_latency_ms"}) {
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
    EXPECT_TRUE(d.at("fsyncs").is_object()) << d.dump();
    // The bench runs as the daemons' user: it could reset their VmHWM at the start.
    EXPECT_EQ(d.value("peak_rss_of_run", false), true) << d.dump();
    EXPECT_TRUE(d.at("peak_rss_growth_kib").is_number()) << d.dump();
  }
  EXPECT_GT(report.at("bytes_stored").value("oms", 0), 20 * 1024);
  EXPECT_GT(report.at("bytes_stored").value("ims", 0), 20 * 1024);
  // Both sides wrote each body durably and committed SQLite: their fsyncs were counted.
  for (const char* role : {"oms", "ims"}) {
    const auto& fsyncs = report.at("per_message").at(role).at("fsyncs");
    ASSERT_TRUE(fsyncs.is_object()) << role;
    EXPECT_GT(fsyncs.value("body", 0.0), 0.0) << role << fsyncs.dump();
    EXPECT_GT(fsyncs.value("sqlite", 0.0), 0.0) << role << fsyncs.dump();
    EXPECT_GT(report.at("per_message").at(role).value("cpu_ms", 0.0), 0.0) << role;
  }

  // Open loop on the same testbed: 20 due by the clock over one second.
  auto open = run_command({bench_binary, "--testbed", dir, "--rate", "20", "--duration", "1",
                           "--size", "1KiB", "--concurrency", "4", "--json", "--timeout", "240"},
                          {}, 300s);
  ASSERT_EQ(open.exit_status, 0) << open.out << open.err;
  const auto o = nlohmann::json::parse(open.out, nullptr, false);
  ASSERT_TRUE(o.is_object()) << open.out;
  EXPECT_EQ(o.value("mode", ""), "open-loop");
  EXPECT_EQ(o.value("message_size", 0), 1024);
  ASSERT_TRUE(o.contains("open_loop"));
  EXPECT_EQ(o.at("open_loop").value("offered", 0), 20);
  EXPECT_EQ(o.at("open_loop").value("dispatched", 0), 20);
  EXPECT_EQ(o.at("open_loop").at("start_lag_ms").value("count", 0), 20);
  EXPECT_EQ(o.value("submitted", 0), 20);
  EXPECT_EQ(o.value("lost", -1), 0);
  EXPECT_EQ(o.value("nothing_lost", false), true);
  EXPECT_EQ(o.at("stored_latency_ms").value("count", 0), 20);
}

// A testbed directory without a testbed: a clear error, not a hang.
TEST(bench, no_testbed) {
  auto r = run_command({bench_binary, "--testbed", "/nonexistent-im2k-bench", "--messages", "1"},
                       {}, 30s);
  EXPECT_NE(r.exit_status, 0);
  EXPECT_NE(r.err.find("no testbed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace im2k::test
