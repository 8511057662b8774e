// The daemons' metrics endpoints in a real testbed (net 225): a recipient deferred while its
// IMS is down shows in im2k_spool_recipients{state="deferred"}; once the IMS is back and has
// pulled, the pulled count, the submit-to-pulled histogram and the request counters show it.
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "common/config/parse.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

awaitable<std::string> http_get(boost::asio::ip::tcp::endpoint server, std::string target) {
  boost::beast::tcp_stream stream(co_await boost::asio::this_coro::executor);
  stream.expires_after(10s);
  auto [connect_error] = co_await stream.async_connect(server, use_tuple);
  if (connect_error) {
    co_return std::string();
  }
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: metrics\r\n\r\n";
  auto [write_error, written] =
      co_await boost::asio::async_write(stream, boost::asio::buffer(request), use_tuple);
  if (write_error) {
    co_return std::string();
  }
  std::string response;
  char buffer[8192];
  for (;;) {
    auto [error, n] = co_await stream.async_read_some(boost::asio::buffer(buffer), use_tuple);
    response.append(buffer, n);
    if (error) {
      break;
    }
  }
  co_return response;
}

// The whole HTTP response of GET `target` from "ADDRESS:PORT" ("" when nobody answers).
std::string fetch(const std::string& address_port, const std::string& target = "/metrics") {
  const auto endpoint = config::parse_endpoint(address_port, false);
  if (!endpoint) {
    return {};
  }
  boost::asio::io_context io;
  return run_awaitable(io, http_get(*endpoint, target), 30s);
}

// The value of the sample `series` (name with its labels, exactly as exported), if present.
std::optional<double> sample(const std::string& response, const std::string& series) {
  std::istringstream lines(response);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nullopt;
}

// Polls `condition` on fresh scrapes of `address_port` for at most 90 s.
bool wait_for_metrics(const std::string& address_port,
                      const std::function<bool(const std::string&)>& condition, std::string& last) {
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    last = fetch(address_port);
    if (condition(last)) {
      return true;
    }
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

TEST(MetricsTestbed, DeferredThenPulledShowsInTheSpoolGaugesAndTheHistogram) {
  testbed bed({.net = 225});
  const server_info& oms = bed.domain("alpha.test").oms;
  const server_info& ims = bed.domain("beta.test").ims;
  // The testbed gives every server [metrics] listen = its "metrics" address.
  ASSERT_FALSE(oms.metrics.empty());
  ASSERT_FALSE(ims.metrics.empty());
  bed.stop(ims.host);

  std::string last;
  ASSERT_TRUE(wait_for_metrics(
      oms.metrics, [](const std::string& r) { return r.rfind("HTTP/1.1 200", 0) == 0; }, last))
      << last;
  EXPECT_THAT(last, ::testing::HasSubstr("\r\nContent-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(fetch(oms.metrics, "/other"), ::testing::StartsWith("HTTP/1.1 404"));

  user_session alice(bed, "alice@alpha.test");
  const auto submitted = alice.submit(
      {"bob@beta.test"}, make_message("alice@alpha.test", {"bob@beta.test"}, "metrics"));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;

  EXPECT_TRUE(wait_for_metrics(
      oms.metrics,
      [](const std::string& r) {
        return sample(r, "im2k_spool_recipients{state=\"deferred\"}") == 1.0;
      },
      last))
      << last;
  EXPECT_EQ(sample(last, "im2k_submissions_total{result=\"ok\",code=\"none\"}"), 1.0) << last;
  EXPECT_GE(
      sample(last, "im2k_notifications_total{result=\"error\",code=\"internal\"}").value_or(0), 1.0)
      << last;
  EXPECT_EQ(sample(last, "im2k_open_connections{listener=\"submit\"}").has_value(), true) << last;
  EXPECT_EQ(sample(last, "im2k_tls_failures_total{reason=\"expired\"}"), 0.0) << last;

  bed.start(ims.host);
  EXPECT_TRUE(wait_for_metrics(
      oms.metrics,
      [](const std::string& r) {
        return sample(r, "im2k_spool_recipients{state=\"pulled\"}").value_or(0) >= 1 &&
               sample(r, "im2k_spool_recipients{state=\"deferred\"}") == 0.0 &&
               sample(r, "im2k_submit_to_pulled_seconds_count").value_or(0) >= 1;
      },
      last))
      << last;
  EXPECT_GE(sample(last, "im2k_pulls_served_total{result=\"ok\",code=\"none\"}").value_or(0), 1)
      << last;
  EXPECT_GE(sample(last, "im2k_notifications_total{result=\"accepted\",code=\"none\"}").value_or(0),
            1)
      << last;
  EXPECT_EQ(sample(last, "im2k_submit_to_pulled_seconds_bucket{le=\"+Inf\"}"),
            sample(last, "im2k_submit_to_pulled_seconds_count"))
      << last;

  // The IMS side of the same delivery.
  EXPECT_TRUE(wait_for_metrics(
      ims.metrics,
      [](const std::string& r) {
        return sample(r, "im2k_pulls_total{result=\"done\",code=\"none\"}").value_or(0) >= 1 &&
               sample(r, "im2k_pulls_pending") == 0.0;
      },
      last))
      << last;
  EXPECT_GE(sample(last, "im2k_notify_requests_total{result=\"ok\",code=\"none\"}").value_or(0), 1)
      << last;
  EXPECT_GE(sample(last, "im2k_spf_results_total{result=\"pass\"}").value_or(0), 1) << last;
  EXPECT_TRUE(sample(last, "im2k_open_connections{listener=\"notify\"}").has_value()) << last;
}

}  // namespace
}  // namespace im2k::test
