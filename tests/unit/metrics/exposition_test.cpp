// The text exposition format 0.0.4, checked as exact text for small registries.
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "common/metrics/exposition.hpp"
#include "common/metrics/registry.hpp"

namespace im2k::metrics {
namespace {

// Every registry exports its drop counter, so that an alert can rely on it.
const std::string no_drops =
    "# HELP im2k_metrics_dropped_total Metric series not created because their family had too "
    "many label sets.\n"
    "# TYPE im2k_metrics_dropped_total counter\n"
    "im2k_metrics_dropped_total 0\n";

TEST(Exposition, CountersAndGaugesWithHelpTypeAndSortedFamilies) {
  registry r;
  r.counter("im2k_notify_total", "Notify results.", {{"result", "accepted"}}).inc(3);
  r.counter("im2k_notify_total", "Notify results.", {{"result", "rejected"}}).inc();
  r.gauge("im2k_a_gauge", "A gauge.").set(-2);
  EXPECT_EQ(render(r),
            "# HELP im2k_a_gauge A gauge.\n"
            "# TYPE im2k_a_gauge gauge\n"
            "im2k_a_gauge -2\n" +
                no_drops +
                "# HELP im2k_notify_total Notify results.\n"
                "# TYPE im2k_notify_total counter\n"
                "im2k_notify_total{result=\"accepted\"} 3\n"
                "im2k_notify_total{result=\"rejected\"} 1\n");
}

TEST(Exposition, DroppedCounterIsExportedOnceSomethingWasDropped) {
  registry r(1);
  r.counter("im2k_x_total", "X.", {{"k", "a"}}).inc();
  r.counter("im2k_x_total", "X.", {{"k", "b"}}).inc();  // refused: over the limit of 1
  EXPECT_EQ(render(r),
            "# HELP im2k_metrics_dropped_total Metric series not created because their family "
            "had too many label sets.\n"
            "# TYPE im2k_metrics_dropped_total counter\n"
            "im2k_metrics_dropped_total 1\n"
            "# HELP im2k_x_total X.\n"
            "# TYPE im2k_x_total counter\n"
            "im2k_x_total{k=\"a\"} 1\n");
}

TEST(Exposition, LabelValuesAreEscaped) {
  registry r;
  r.counter("im2k_e_total", "E.", {{"v", "a\\b\"c\nd"}, {"w", "plain"}}).inc();
  const std::string text = render(r);
  EXPECT_NE(text.find("im2k_e_total{v=\"a\\\\b\\\"c\\nd\",w=\"plain\"} 1\n"), std::string::npos)
      << text;
}

TEST(Exposition, HelpIsEscaped) {
  registry r;
  r.gauge("im2k_h", "back\\slash\nnewline \"quotes\" stay").set(1);
  EXPECT_EQ(render(r),
            "# HELP im2k_h back\\\\slash\\nnewline \"quotes\" stay\n"
            "# TYPE im2k_h gauge\n"
            "im2k_h 1\n" +
                no_drops);
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  registry r;
  auto& h = r.histogram("im2k_delay_seconds", "Delay.", {0.5, 1, 2.5}, {{"k", "v"}});
  h.observe(0.25);
  h.observe(0.5);  // le is inclusive
  h.observe(2);
  h.observe(10);
  EXPECT_EQ(render(r),
            "# HELP im2k_delay_seconds Delay.\n"
            "# TYPE im2k_delay_seconds histogram\n"
            "im2k_delay_seconds_bucket{k=\"v\",le=\"0.5\"} 2\n"
            "im2k_delay_seconds_bucket{k=\"v\",le=\"1\"} 2\n"
            "im2k_delay_seconds_bucket{k=\"v\",le=\"2.5\"} 3\n"
            "im2k_delay_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
            "im2k_delay_seconds_sum{k=\"v\"} 12.75\n"
            "im2k_delay_seconds_count{k=\"v\"} 4\n" +
                no_drops);
}

TEST(Exposition, HistogramWithoutLabels) {
  registry r;
  r.histogram("im2k_d", "D.", {1}).observe(3);
  EXPECT_EQ(render(r),
            "# HELP im2k_d D.\n"
            "# TYPE im2k_d histogram\n"
            "im2k_d_bucket{le=\"1\"} 0\n"
            "im2k_d_bucket{le=\"+Inf\"} 1\n"
            "im2k_d_sum 3\n"
            "im2k_d_count 1\n" +
                no_drops);
}

TEST(Exposition, CallbackGaugeIsReadAtScrapeTimeAndRemovedWithItsHandle) {
  registry r;
  double value = 4;
  {
    auto handle = r.callback_gauge("im2k_cb", "Callback.", {{"state", "deferred"}},
                                   [&value] { return value; });
    EXPECT_EQ(render(r),
              "# HELP im2k_cb Callback.\n# TYPE im2k_cb gauge\nim2k_cb{state=\"deferred\"} 4\n" +
                  no_drops);
    value = 0;
    EXPECT_EQ(render(r),
              "# HELP im2k_cb Callback.\n# TYPE im2k_cb gauge\nim2k_cb{state=\"deferred\"} 0\n" +
                  no_drops);
  }
  EXPECT_EQ(render(r), no_drops);  // the handle is gone: nothing else left to export
}

TEST(Exposition, ValuesFormatting) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.01), "0.01");
  EXPECT_EQ(format_value(3600), "3600");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

}  // namespace
}  // namespace im2k::metrics
