// The metrics HTTP endpoint over a real loopback socket: GET /metrics, 404 for anything else,
// the bounded request head, the per-connection deadline and the connection limit.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "common/metrics/http_endpoint.hpp"
#include "common/metrics/registry.hpp"
#include "tests/support/run_awaitable.hpp"

namespace im2k::metrics {
namespace {

using boost::asio::awaitable;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Connects, sends `request` and reads until the server closes (bounded): the whole response
// ("" when the server closed without answering).
awaitable<std::string> exchange(boost::asio::ip::tcp::endpoint server, std::string request) {
  boost::beast::tcp_stream stream(co_await boost::asio::this_coro::executor);
  stream.expires_after(20s);
  auto [connect_error] = co_await stream.async_connect(server, use_tuple);
  if (connect_error) {
    co_return "connect failed: " + connect_error.message();
  }
  if (!request.empty()) {
    auto [write_error, written] =
        co_await boost::asio::async_write(stream, boost::asio::buffer(request), use_tuple);
    if (write_error) {
      co_return "write failed: " + write_error.message();
    }
  }
  std::string response;
  char buffer[4096];
  for (;;) {
    auto [error, n] = co_await stream.async_read_some(boost::asio::buffer(buffer), use_tuple);
    response.append(buffer, n);
    if (error) {
      break;
    }
  }
  co_return response;
}

// An endpoint on 127.0.0.1, port 0, over its own registry.
struct fixture {
  explicit fixture(http_limits limits = {}) {
    registry_.counter("im2k_test_total", "A test counter.", {{"result", "ok"}}).inc(7);
    endpoint_ = http_endpoint::create(io_.get_executor(), registry_, limits);
    const auto ec =
        endpoint_->open({boost::asio::ip::make_address("127.0.0.1"), 0});  // any free port
    if (ec) {
      throw std::runtime_error("cannot listen: " + ec.message());
    }
  }
  ~fixture() {
    endpoint_->stop();
    io_.restart();
    io_.poll();
  }

  std::string get(std::string request) {
    return test::run_awaitable(io_, exchange(endpoint_->local_endpoint(), std::move(request)));
  }

  boost::asio::io_context io_;
  registry registry_;
  std::shared_ptr<http_endpoint> endpoint_;
};

TEST(HttpEndpoint, GetMetricsAnswersTheTextFormat) {
  fixture f;
  f.endpoint_->start();
  const auto response = f.get("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nContent-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\n\r\n# HELP im2k_metrics_dropped_total"));
  EXPECT_THAT(response, HasSubstr("\nim2k_test_total{result=\"ok\"} 7\n"));
}

TEST(HttpEndpoint, HttpOneZeroWithoutHostIsServedToo) {
  fixture f;
  f.endpoint_->start();
  EXPECT_THAT(f.get("GET /metrics HTTP/1.0\r\n\r\n"), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(HttpEndpoint, RefreshersRunBeforeEachScrape) {
  fixture f;
  int scrapes = 0;
  f.endpoint_->on_scrape([&]() -> awaitable<void> {
    ++scrapes;
    f.registry_.gauge("im2k_scrapes", "Scrapes so far.").set(scrapes);
    co_return;
  });
  f.endpoint_->start();
  EXPECT_THAT(f.get("GET /metrics HTTP/1.1\r\n\r\n"), HasSubstr("\nim2k_scrapes 1\n"));
  EXPECT_THAT(f.get("GET /metrics HTTP/1.1\r\n\r\n"), HasSubstr("\nim2k_scrapes 2\n"));
  // A 404 is no scrape.
  f.get("GET /other HTTP/1.1\r\n\r\n");
  EXPECT_EQ(scrapes, 2);
}

TEST(HttpEndpoint, AnythingElseIsNotFound) {
  fixture f;
  f.endpoint_->start();
  for (const std::string request :
       {"GET /other HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", "GET /metrics/x HTTP/1.1\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"}) {
    const auto response = f.get(request);
    EXPECT_THAT(response, StartsWith("HTTP/1.1 404 Not Found\r\n")) << request;
    EXPECT_THAT(response, ::testing::Not(HasSubstr("im2k_test_total"))) << request;
  }
}

TEST(HttpEndpoint, GarbageIsABadRequest) {
  fixture f;
  f.endpoint_->start();
  EXPECT_THAT(f.get("HELLO THERE\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST(HttpEndpoint, AnOverLongHeadIsRefused) {
  fixture f;
  f.endpoint_->start();
  const std::string big =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(9 * 1024, 'a') + "\r\n\r\n";
  const auto response = f.get(big);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(response, ::testing::Not(HasSubstr("im2k_test_total")));
  // A head just under the bound is served.
  const std::string fits =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(7 * 1024, 'a') + "\r\n\r\n";
  EXPECT_THAT(f.get(fits), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(HttpEndpoint, AClientThatSaysNothingIsClosedAtTheDeadline) {
  http_limits limits;
  limits.deadline = 1s;
  fixture f(limits);
  f.endpoint_->start();
  // Bounded by exchange's own 20 s: the server closes first, without a response.
  EXPECT_EQ(f.get(""), "");
}

TEST(HttpEndpoint, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  http_limits limits;
  limits.max_connections = 2;
  limits.deadline = 2s;
  fixture f(limits);
  f.endpoint_->start();
  const auto server = f.endpoint_->local_endpoint();
  // Two idle connections take both places until their deadline; the third is closed unanswered
  // even though it sends a complete request; after the deadline a request is served again.
  auto task = [](boost::asio::ip::tcp::endpoint server) -> awaitable<std::vector<std::string>> {
    auto executor = co_await boost::asio::this_coro::executor;
    std::vector<std::unique_ptr<boost::beast::tcp_stream>> idle;
    for (int i = 0; i < 2; ++i) {
      idle.push_back(std::make_unique<boost::beast::tcp_stream>(executor));
      co_await idle.back()->async_connect(server, use_tuple);
    }
    // Let the accept loop take both before the third arrives.
    boost::asio::steady_timer settle(executor, 200ms);
    co_await settle.async_wait(use_tuple);
    std::vector<std::string> out;
    out.push_back(co_await exchange(server, "GET /metrics HTTP/1.1\r\n\r\n"));
    for (auto& s : idle) {
      char byte;
      s->expires_after(20s);
      // The server closes each at its deadline.
      co_await s->async_read_some(boost::asio::buffer(&byte, 1), use_tuple);
    }
    out.push_back(co_await exchange(server, "GET /metrics HTTP/1.1\r\n\r\n"));
    co_return out;
  };
  const auto responses = test::run_awaitable(f.io_, task(server));
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0], "");
  EXPECT_THAT(responses[1], StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(HttpEndpoint, StopClosesTheListeningSocket) {
  fixture f;
  f.endpoint_->start();
  const auto server = f.endpoint_->local_endpoint();
  f.endpoint_->stop();
  EXPECT_THAT(test::run_awaitable(f.io_, exchange(server, "GET /metrics HTTP/1.1\r\n\r\n")),
              StartsWith("connect failed"));
}

}  // namespace
}  // namespace im2k::metrics
