// The registry: one series per label set, bounded label sets, histogram buckets, callbacks,
// and increments from several threads.
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/metrics/registry.hpp"

namespace im2k::metrics {
namespace {

const family_snapshot* find(const std::vector<family_snapshot>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

TEST(Registry, SameLabelsGiveTheSameSeries) {
  registry r;
  auto& a = r.counter("im2k_c_total", "C.", {{"result", "ok"}});
  auto& b = r.counter("im2k_c_total", "C.", {{"result", "ok"}});
  auto& c = r.counter("im2k_c_total", "C.", {{"result", "error"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc();
  b.inc(2);
  EXPECT_EQ(a.value(), 3u);
  EXPECT_EQ(c.value(), 0u);
}

TEST(Registry, LabelSetsAreBoundedPerFamilyAndDropsAreCounted) {
  registry r(3);
  for (int i = 0; i < 10; ++i) {
    r.counter("im2k_many_total", "Many.", {{"code", std::to_string(i)}}).inc();
  }
  // Another family has its own bound.
  r.counter("im2k_other_total", "Other.", {{"code", "x"}}).inc();
  const auto families = r.collect();
  const auto* many = find(families, "im2k_many_total");
  ASSERT_NE(many, nullptr);
  ASSERT_EQ(many->series.size(), 3u);
  EXPECT_EQ(many->series[0].labels, (labels{{"code", "0"}}));
  EXPECT_EQ(many->series[2].labels, (labels{{"code", "2"}}));
  EXPECT_EQ(r.dropped(), 7u);
  ASSERT_NE(find(families, "im2k_other_total"), nullptr);
  const auto* dropped = find(families, "im2k_metrics_dropped_total");
  ASSERT_NE(dropped, nullptr);
  EXPECT_EQ(dropped->series.at(0).value, 7);
  // An existing label set is still served.
  r.counter("im2k_many_total", "Many.", {{"code", "1"}}).inc();
  EXPECT_EQ(find(r.collect(), "im2k_many_total")->series[1].value, 2);
  EXPECT_EQ(r.dropped(), 7u);
}

TEST(Registry, CallbacksBeyondTheBoundAreRefused) {
  registry r(1);
  auto first = r.callback_gauge("im2k_cb", "Cb.", {{"k", "a"}}, [] { return 1.0; });
  auto second = r.callback_gauge("im2k_cb", "Cb.", {{"k", "b"}}, [] { return 2.0; });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(r.dropped(), 1u);
}

TEST(Registry, CallbacksOnOneSeriesAddUp) {
  registry r;
  auto one = r.callback_gauge("im2k_open", "Open.", {{"listener", "submit"}}, [] { return 2.0; });
  auto two = r.callback_gauge("im2k_open", "Open.", {{"listener", "submit"}}, [] { return 3.0; });
  EXPECT_EQ(find(r.collect(), "im2k_open")->series.at(0).value, 5);
  two.reset();
  EXPECT_EQ(find(r.collect(), "im2k_open")->series.at(0).value, 2);
  callback_handle moved = std::move(one);
  EXPECT_EQ(find(r.collect(), "im2k_open")->series.at(0).value, 2);
  moved.reset();
  const auto families = r.collect();
  EXPECT_EQ(find(families, "im2k_open"), nullptr);
}

TEST(Registry, HistogramBucketsByUpperBound) {
  registry r;
  auto& h = r.histogram("im2k_h_seconds", "H.", {0.01, 1, 3600});
  for (double v : {0.0, 0.01, 0.02, 1.0, 59.0, 3600.0, 3601.0, 1e9}) {
    h.observe(v);
  }
  EXPECT_EQ(h.bucket_counts(), (std::vector<std::uint64_t>{2, 2, 2, 2}));
  const auto families = r.collect();
  const auto* f = find(families, "im2k_h_seconds");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->series.at(0).buckets, (std::vector<std::uint64_t>{2, 4, 6, 8}));
  EXPECT_DOUBLE_EQ(f->series.at(0).sum, 0.01 + 0.02 + 1 + 59 + 3600 + 3601 + 1e9);
}

TEST(Registry, DelayBucketsSpanTenMillisecondsToAnHour) {
  const auto b = delay_buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 0.01);
  EXPECT_DOUBLE_EQ(b.back(), 3600);
  EXPECT_NO_THROW(histogram{b});
}

TEST(Registry, MisuseIsAProgrammingError) {
  registry r;
  r.counter("im2k_x_total", "X.");
  EXPECT_THROW(r.gauge("im2k_x_total", "X."), std::logic_error);
  r.histogram("im2k_h", "H.", {1, 2});
  EXPECT_THROW(r.histogram("im2k_h", "H.", {1, 3}), std::logic_error);
  EXPECT_THROW(r.histogram("im2k_h2", "H.", {2, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("im2k_h3", "H.", {1}, {{"le", "1"}}), std::logic_error);
  EXPECT_THROW(r.counter("im2k bad", "X."), std::logic_error);
  EXPECT_THROW(r.counter("9im2k", "X."), std::logic_error);
  EXPECT_THROW(r.counter("im2k_y_total", "Y.", {{"bad-name", "v"}}), std::logic_error);
  EXPECT_THROW(r.counter("im2k_y_total", "Y.", {{"__x", "v"}}), std::logic_error);
  EXPECT_THROW(r.counter("im2k_y_total", "Y.", {{"a", "1"}, {"a", "2"}}), std::logic_error);
}

TEST(Registry, IncrementsFromSeveralThreadsAreAllCounted) {
  registry r;
  auto& c = r.counter("im2k_t_total", "T.");
  auto& g = r.gauge("im2k_t", "T.");
  auto& h = r.histogram("im2k_t_seconds", "T.", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        g.inc();
        h.observe(0.5);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(g.value(), 40000);
  EXPECT_EQ(h.bucket_counts().at(0), 40000u);
  EXPECT_DOUBLE_EQ(h.sum(), 20000);
}

}  // namespace
}  // namespace im2k::metrics
