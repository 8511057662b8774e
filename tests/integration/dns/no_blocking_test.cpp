// The resolver never blocks its event loop: hundreds of concurrent questions, some of them to a
// server that never answers, while a 10 ms ticker on the same single-threaded io_context keeps
// firing on time. The assertions are about scheduling (ticks keep coming, no long gap), with
// generous bounds, not about speed.
#include <algorithm>
#include <chrono>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/cares_resolver.hpp"
#include "tests/integration/dns/zones.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/udp_black_hole.hpp"
#include "tests/support/unbound_server.hpp"

namespace im2k::dns {
namespace {

using namespace std::chrono_literals;
using boost::asio::awaitable;
using clock = std::chrono::steady_clock;

constexpr int names = 400;
constexpr int unanswered = 20;
constexpr auto tick = 10ms;
constexpr auto query_timeout = 500ms;

TEST(cares_resolver_scheduling, hundreds_of_queries_do_not_block_the_event_loop) {
  test::temp_dir dir;
  test::udp_black_hole black_hole;
  test::unbound_server dns(dir.path(), test::dns_test_zones(black_hole.port(), names));

  boost::asio::io_context io;  // run by this thread only
  resolver_options good;
  good.servers = {dns.server()};
  good.timeout = query_timeout;
  cares_resolver resolver(io.get_executor(), good);
  resolver_options silent = good;
  silent.servers = {black_hole.server()};
  cares_resolver silent_resolver(io.get_executor(), silent);

  int correct = 0, wrong = 0, temporary = 0, finished = 0;
  for (int i = 0; i < names; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          const auto a = co_await resolver.a("n" + std::to_string(i) + ".dnstest.test");
          const auto want = boost::asio::ip::make_address_v4("127.0.2." + std::to_string(i % 250));
          (a.ok() && a.records == std::vector{want} ? correct : wrong)++;
          ++finished;
        },
        boost::asio::detached);
  }
  for (int i = 0; i < unanswered; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          const auto a = co_await silent_resolver.a("s" + std::to_string(i) + ".dnstest.test");
          (a.state == status::temporary ? temporary : wrong)++;
          ++finished;
        },
        boost::asio::detached);
  }

  std::vector<clock::time_point> ticks;
  bool stop = false;
  boost::asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
        while (!stop) {
          timer.expires_after(tick);
          co_await timer.async_wait(boost::asio::use_awaitable);
          ticks.push_back(clock::now());
        }
      },
      boost::asio::detached);

  const auto start = clock::now();
  const auto deadline = start + 60s;
  while (finished < names + unanswered && clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  const auto elapsed = clock::now() - start;
  stop = true;
  io.run_for(50ms);  // let the ticker see `stop`

  EXPECT_EQ(finished, names + unanswered);
  EXPECT_EQ(correct, names);
  EXPECT_EQ(temporary, unanswered);
  EXPECT_EQ(wrong, 0);

  // The unanswered questions keep the loop busy for at least one timeout per try.
  EXPECT_GE(elapsed, query_timeout);
  // Ticks kept coming: at least a quarter of what a perfectly idle loop would manage.
  const auto ideal = elapsed / tick;
  EXPECT_GE(static_cast<long>(ticks.size()), static_cast<long>(ideal / 4))
      << ticks.size() << " ticks in "
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  // And no handler held the loop for long: the largest gap stays well under the query timeout.
  clock::duration largest{};
  auto previous = start;
  for (const auto t : ticks) {
    largest = std::max(largest, t - previous);
    previous = t;
  }
  EXPECT_LT(largest, query_timeout / 2)
      << std::chrono::duration_cast<std::chrono::milliseconds>(largest).count() << " ms";
}

}  // namespace
}  // namespace im2k::dns
