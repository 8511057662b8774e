// The bench's own parts without a testbed: the --size syntax, the percentiles, messages of the
// exact size, the IMS log's timestamps and events, and the metrics text it scrapes.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/bench/ims_log.hpp"
#include "tests/bench/latency.hpp"
#include "tests/bench/message.hpp"
#include "tests/bench/metrics_scrape.hpp"
#include "tests/bench/rounding.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::bench {
namespace {

TEST(bench_size, TakesOctetsAndBinaryUnits) {
  EXPECT_EQ(parse_message_size("1024"), 1024u);
  EXPECT_EQ(parse_message_size("1"), 1u);
  EXPECT_EQ(parse_message_size("100KiB"), 102400u);
  EXPECT_EQ(parse_message_size("50MiB"), 52428800u);
  EXPECT_EQ(parse_message_size("4GiB"), std::size_t{4} << 30);
  EXPECT_EQ(parse_message_size("512B"), 512u);
}

TEST(bench_size, RefusesZeroTooLargeAndOtherUnits) {
  for (const char* bad : {"", "0", "0MiB", "5GiB", "1TiB", "50MB", "50mib", "50 MiB", "-1",
                          "1.5MiB", "MiB", "12x", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_message_size(bad)) << bad;
  }
}

TEST(bench_latency, NearestRankPercentiles) {
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) {
    hundred.push_back(i);  // unsorted on purpose
  }
  const auto s = summarize(hundred);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50, 50.0);
  EXPECT_EQ(s.p90, 90.0);
  EXPECT_EQ(s.p99, 99.0);
  EXPECT_EQ(s.max, 100.0);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);

  // Ten samples: p99 is the largest (rank ceil(9.9) = 10), p90 the ninth, p50 the fifth.
  const auto ten = summarize({5, 1, 9, 3, 7, 2, 8, 4, 10, 6});
  EXPECT_EQ(ten.p50, 5.0);
  EXPECT_EQ(ten.p90, 9.0);
  EXPECT_EQ(ten.p99, 10.0);

  const auto one = summarize({42.5});
  EXPECT_EQ(one.p50, 42.5);
  EXPECT_EQ(one.p99, 42.5);
  EXPECT_EQ(one.max, 42.5);

  const auto none = summarize({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.max, 0.0);
  const auto j = to_json(none);
  EXPECT_EQ(j.at("count"), 0);
  for (const char* key : {"p50", "p90", "p99", "max", "mean"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(bench_rounding, GivesTheNearestShortDecimal) {
  EXPECT_EQ(rounded(33346.0 / 5.0, 1), 6669.2);
  EXPECT_EQ(nlohmann::json(rounded(33346.0 / 5.0, 1)).dump(), "6669.2");
  EXPECT_EQ(rounded(2.0 / 3.0, 3), 0.667);
  EXPECT_EQ(rounded(83.02509052288862, 2), 83.03);
  EXPECT_EQ(rounded(-1.25, 0), -1.0);
}

TEST(bench_message, HasExactlyTheSizeAskedForWithCrlfLines) {
  const std::string from = "alice@alpha.test";
  const std::size_t header = make_message(from, "bob@beta.test", 1, 7).size();
  for (std::size_t size : {header, header + 1, header + 2, header + 3, header + 77, header + 78,
                           header + 79, header + 80, std::size_t{1024}, std::size_t{102400}}) {
    const std::string m = make_message(from, "bob@beta.test", size, 7);
    EXPECT_EQ(m.size(), size) << size;
    EXPECT_EQ(m.substr(m.size() - 2), "\r\n") << size;
    // Every LF ends a CRLF, and no line is longer than 78 octets with its CRLF.
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (m[i] == '\n') {
        ASSERT_GT(i, 0u);
        EXPECT_EQ(m[i - 1], '\r') << size << " at " << i;
        EXPECT_LE(i + 1 - line_start, 78u) << size << " at " << i;
        line_start = i + 1;
      }
    }
  }
  // Too small for the header section: the header section alone.
  EXPECT_EQ(make_message(from, "bob@beta.test", 10, 7).size(), header);
}

TEST(bench_message, StreamsFiftyMebibytesInSmallReads) {
  // The 50 MiB case of the bench: the stream gives exactly the size, in the sender's chunks,
  // without a copy of the whole message.
  const std::size_t size = std::size_t{50} << 20;
  message_stream stream("alice@alpha.test", "bob@beta.test", size, 1);
  EXPECT_EQ(stream.size(), size);
  std::vector<char> buffer(std::size_t{64} * 1024);
  std::size_t total = 0;
  char last = 0;
  char before_last = 0;
  for (;;) {
    const std::size_t n = stream.read(buffer);
    if (n == 0) {
      break;
    }
    total += n;
    before_last = n > 1 ? buffer[n - 2] : last;
    last = buffer[n - 1];
  }
  EXPECT_EQ(total, size);
  EXPECT_EQ(before_last, '\r');
  EXPECT_EQ(last, '\n');
}

TEST(bench_message, StreamsTheSameOctetsInAnyChunks) {
  const std::string whole = make_message("alice@alpha.test", "bob@beta.test", 5000, 3);
  message_stream stream("alice@alpha.test", "bob@beta.test", 5000, 3);
  std::string pieces;
  char buffer[13];
  for (;;) {
    const std::size_t n = stream.read(buffer);
    if (n == 0) {
      break;
    }
    pieces.append(buffer, n);
  }
  // The Date: header may tick between the two; compare from the body on.
  const auto body = whole.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(pieces.size(), whole.size());
  EXPECT_EQ(pieces.substr(pieces.find("\r\n\r\n")), whole.substr(body));
}

TEST(bench_ims_log, ParsesTheLogTimestamp) {
  EXPECT_EQ(parse_log_ts("1970-01-01T00:00:01.250Z"), 1250.0);
  EXPECT_EQ(parse_log_ts("2026-11-22T13:45:01.123Z"), 1795355101123.0);
  EXPECT_FALSE(parse_log_ts("2026-11-22T13:45:01Z"));
  EXPECT_FALSE(parse_log_ts("2026-11-22 13:45:01.123"));
}

TEST(bench_ims_log, MatchesStoresAndAcksToTheSentMessages) {
  test::temp_dir dir;
  const auto log = dir.path() / "ims.log";
  {
    std::ofstream out(log);
    out << R"({"ts":"1970-01-01T00:00:09.000Z","event":"store.delivered","msg":"old"})" << '\n';
  }
  const auto offset = log_offset(log);
  {
    std::ofstream out(log, std::ios::app);
    out << R"({"ts":"1970-01-01T00:00:10.100Z","level":"info","event":"notify.accepted","msg":"a"})"
        << '\n'
        << R"({"ts":"1970-01-01T00:00:10.200Z","event":"store.delivered","msg":"a","rcpt_domain":"beta.test","stored":1})"
        << '\n'
        << R"({"ts":"1970-01-01T00:00:10.250Z","event":"ack.sent","msg":"a","rcpt_domain":"beta.test"})"
        << '\n'
        << R"({"ts":"1970-01-01T00:00:10.300Z","event":"store.delivered","msg":"b","rcpt_domain":"beta.test","stored":0})"
        << '\n'
        << R"({"ts":"1970-01-01T00:00:10.400Z","event":"store.delivered","msg":"a","rcpt_domain":"beta.test","stored":1})"
        << '\n'
        << R"({"ts":"1970-01-01T00:00:10.500Z","event":"ack.sent","msgs":["b",{"msg":"c"}],"rcpt_domain":"beta.test"})"
        << '\n'
        << "not json at all \"store.delivered\"\n";
  }
  ims_events events;
  read_ims_log(log, offset, {"a", "b", "c", "old"}, events);
  EXPECT_FALSE(events.stored.contains("old"));  // before the offset
  ASSERT_TRUE(events.stored.contains("a"));
  EXPECT_EQ(events.stored.at("a").at("beta.test"), 10200.0);  // the first store
  EXPECT_EQ(events.duplicate_stores, 1u);
  EXPECT_FALSE(events.stored.contains("b"));  // nothing stored
  EXPECT_EQ(events.acked.at("b").at("beta.test"), 10500.0);
  EXPECT_EQ(events.acked.at("c").at("beta.test"), 10500.0);

  const std::vector<sent_message> sent = {{"a", 10000.0}, {"b", 10100.0}};
  const auto l = match_sent(events, sent, {"beta.test"});
  EXPECT_EQ(l.expected, 2u);
  ASSERT_EQ(l.stored_ms.size(), 1u);
  EXPECT_EQ(l.stored_ms[0], 200.0);
  ASSERT_EQ(l.acked_ms.size(), 2u);
  EXPECT_EQ(l.acked_ms[0], 250.0);
  EXPECT_EQ(l.acked_ms[1], 400.0);
  EXPECT_EQ(l.last_stored_unix_ms, 10200.0);
  EXPECT_EQ(l.last_acked_unix_ms, 10500.0);
}

TEST(bench_metrics, SumsAFamilyByLabel) {
  const std::string text =
      "# HELP im2k_store_fsyncs_total fsyncs.\n"
      "# TYPE im2k_store_fsyncs_total counter\n"
      "im2k_store_fsyncs_total{kind=\"body\"} 12\n"
      "im2k_store_fsyncs_total{kind=\"sqlite\"} 3.5e1\n"
      "im2k_store_fsyncs_total_other{kind=\"body\"} 99\n"
      "im2k_other{kind=\"body\"} 7\n";
  const auto s = samples_by_label(text, "im2k_store_fsyncs_total", "kind");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(s->at("body"), 12.0);
  EXPECT_EQ(s->at("sqlite"), 35.0);
  EXPECT_FALSE(samples_by_label(text, "im2k_absent_total", "kind"));
}

}  // namespace
}  // namespace im2k::bench
