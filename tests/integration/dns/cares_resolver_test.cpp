// The c-ares resolver against a real unbound on a loopback port.
#include "common/dns/cares_resolver.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/mx.hpp"
#include "tests/integration/dns/zones.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/udp_black_hole.hpp"
#include "tests/support/unbound_server.hpp"

namespace im2k::dns {
namespace {

using namespace std::chrono_literals;
using boost::asio::awaitable;
using boost::asio::use_awaitable;
using test::run_awaitable;

class cares_resolver_test : public ::testing::Test {
 protected:
  cares_resolver_test() : dns_(dir_.path(), test::dns_test_zones(black_hole_.port())) {}

  resolver_options options(std::chrono::milliseconds timeout = 1000ms, int tries = 2) {
    resolver_options o;
    o.servers = {dns_.server()};
    o.timeout = timeout;
    o.tries = tries;
    return o;
  }

  template <class T>
  T run(awaitable<T> task) {
    return run_awaitable(io_, std::move(task), 30s);
  }

  test::temp_dir dir_;
  test::udp_black_hole black_hole_;
  test::unbound_server dns_;
  boost::asio::io_context io_;
};

TEST_F(cares_resolver_test, a_records) {
  cares_resolver r(io_.get_executor(), options());
  const auto one = run(r.a("host.dnstest.test"));
  ASSERT_EQ(one.state, status::ok) << one.detail;
  EXPECT_EQ(one.records, std::vector{boost::asio::ip::make_address_v4("127.0.1.1")});
  const auto two = run(r.a("Multi.DNSTEST.test."));
  ASSERT_EQ(two.state, status::ok) << two.detail;
  auto sorted = two.records;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector{boost::asio::ip::make_address_v4("127.0.1.2"),
                                 boost::asio::ip::make_address_v4("127.0.1.3")}));
}

TEST_F(cares_resolver_test, aaaa_record) {
  cares_resolver r(io_.get_executor(), options());
  const auto v6 = run(r.aaaa("host.dnstest.test"));
  ASSERT_EQ(v6.state, status::ok) << v6.detail;
  EXPECT_EQ(v6.records, std::vector{boost::asio::ip::make_address_v6("2001:db8::1")});
}

TEST_F(cares_resolver_test, mx_records_and_their_order) {
  cares_resolver r(io_.get_executor(), options());
  auto mx = run(r.mx("dnstest.test"));
  ASSERT_EQ(mx.state, status::ok) << mx.detail;
  std::set<std::pair<int, std::string>> got;
  for (const auto& m : mx.records) {
    got.emplace(m.preference, m.host);
  }
  EXPECT_EQ(got, (std::set<std::pair<int, std::string>>{
                     {10, "mx1.dnstest.test"}, {20, "mx2.dnstest.test"}, {30, "mx3.other.test"}}));
  const auto plan = run(plan_mx(r, "dnstest.test"));
  EXPECT_EQ(plan.outcome, mx_outcome::hosts);
  EXPECT_EQ(plan.hosts,
            (std::vector<std::string>{"mx1.dnstest.test", "mx2.dnstest.test", "mx3.other.test"}));
  EXPECT_EQ(run(is_mx_host(r, "dnstest.test", "MX2.dnstest.test")).result, mx_membership::member);
  EXPECT_EQ(run(is_mx_host(r, "dnstest.test", "host.dnstest.test")).result,
            mx_membership::not_member);
}

TEST_F(cares_resolver_test, null_mx) {
  cares_resolver r(io_.get_executor(), options());
  const auto mx = run(r.mx("nullmx.dnstest.test"));
  ASSERT_EQ(mx.state, status::ok) << mx.detail;
  ASSERT_EQ(mx.records.size(), 1u);
  EXPECT_EQ(mx.records[0].host, "");
  EXPECT_EQ(run(plan_mx(r, "nullmx.dnstest.test")).outcome, mx_outcome::null_mx);
}

TEST_F(cares_resolver_test, txt_strings_joined_per_record) {
  cares_resolver r(io_.get_executor(), options());
  const auto txt = run(r.txt("txt.dnstest.test"));
  ASSERT_EQ(txt.state, status::ok) << txt.detail;
  EXPECT_EQ(std::set<std::string>(txt.records.begin(), txt.records.end()),
            (std::set<std::string>{"v=spf1 ip4:127.0.0.1 -all", "second"}));
}

TEST_F(cares_resolver_test, a_truncated_answer_is_retried_over_tcp) {
  cares_resolver r(io_.get_executor(), options());
  const auto txt = run(r.txt("big.dnstest.test"));
  ASSERT_EQ(txt.state, status::ok) << txt.detail;
  std::set<std::string> want;
  for (int i = 0; i < 12; ++i) {
    want.insert(std::to_string(i + 10) + std::string(200, 'x'));
  }
  EXPECT_EQ(std::set<std::string>(txt.records.begin(), txt.records.end()), want);
}

TEST_F(cares_resolver_test, cname_to_a) {
  cares_resolver r(io_.get_executor(), options());
  const auto a = run(r.a("alias.dnstest.test"));
  ASSERT_EQ(a.state, status::ok) << a.detail;
  EXPECT_EQ(a.records, std::vector{boost::asio::ip::make_address_v4("127.0.1.1")});
  const auto addresses = run(host_addresses(r, "alias.dnstest.test"));
  ASSERT_EQ(addresses.state, status::ok) << addresses.detail;
  EXPECT_EQ(addresses.records, (std::vector{boost::asio::ip::make_address("127.0.1.1"),
                                            boost::asio::ip::make_address("2001:db8::1")}));
}

TEST_F(cares_resolver_test, ptr_record) {
  cares_resolver r(io_.get_executor(), options());
  const auto ptr = run(r.ptr(reverse_name(boost::asio::ip::make_address("192.0.2.10"))));
  ASSERT_EQ(ptr.state, status::ok) << ptr.detail;
  EXPECT_EQ(ptr.records, std::vector<std::string>{"host.dnstest.test"});
}

TEST_F(cares_resolver_test, nxdomain_and_nodata_are_permanent) {
  cares_resolver r(io_.get_executor(), options());
  const auto nx = run(r.a("nope.dnstest.test"));
  EXPECT_EQ(nx.state, status::nxdomain) << nx.detail;
  EXPECT_TRUE(nx.does_not_exist());
  const auto nodata = run(r.aaaa("multi.dnstest.test"));
  EXPECT_EQ(nodata.state, status::nodata) << nodata.detail;
  const auto no_mx = run(r.mx("host.dnstest.test"));
  EXPECT_EQ(no_mx.state, status::nodata) << no_mx.detail;
  EXPECT_EQ(run(plan_mx(r, "host.dnstest.test")).outcome, mx_outcome::no_mx);
  EXPECT_EQ(run(plan_mx(r, "nope.dnstest.test")).outcome, mx_outcome::no_mx);
  EXPECT_EQ(run(host_addresses(r, "nope.dnstest.test")).state, status::nxdomain);
}

// RFC 7208 macros put any octet in a name; the question goes out as those octets and the
// answer, whose owner the wire reader writes with "\DDD" escapes, is matched to it.
TEST_F(cares_resolver_test, names_with_spaces_quotes_and_backslashes) {
  cares_resolver r(io_.get_executor(), options());
  const auto address = [](const char* text) {
    return std::vector{boost::asio::ip::make_address_v4(text)};
  };
  const auto space = run(r.a("two words.dnstest.test"));
  ASSERT_EQ(space.state, status::ok) << space.detail;
  EXPECT_EQ(space.records, address("127.0.1.4"));
  const auto escaped = run(r.a("Two\\032Words.dnstest.test"));
  ASSERT_EQ(escaped.state, status::ok) << escaped.detail;
  EXPECT_EQ(escaped.records, address("127.0.1.4"));
  EXPECT_EQ(r.cache_hits(), 1u);  // one name, however it is spelled

  const auto quote = run(r.a("it's.dnstest.test"));
  ASSERT_EQ(quote.state, status::ok) << quote.detail;
  EXPECT_EQ(quote.records, address("127.0.1.5"));
  const auto backslash = run(r.a("back\\\\slash.dnstest.test"));
  ASSERT_EQ(backslash.state, status::ok) << backslash.detail;
  EXPECT_EQ(backslash.records, address("127.0.1.6"));
  const auto cname = run(r.a("spaced.dnstest.test"));
  ASSERT_EQ(cname.state, status::ok) << cname.detail;
  EXPECT_EQ(cname.records, address("127.0.1.4"));
  // Another name with a space does not exist; it is not a malformed answer.
  const auto nx = run(r.a("no such.dnstest.test"));
  EXPECT_EQ(nx.state, status::nxdomain) << nx.detail;
}

TEST_F(cares_resolver_test, a_name_that_cannot_be_asked_is_nxdomain_without_a_query) {
  cares_resolver r(io_.get_executor(), options());
  for (const std::string& bad : {std::string("nul\0.dnstest.test", 17), std::string("a..test"),
                                 std::string(64, 'x') + ".dnstest.test", std::string("bad\\9")}) {
    const auto a = run(r.a(bad));
    EXPECT_EQ(a.state, status::nxdomain) << bad;
    EXPECT_EQ(a.detail, "not a valid DNS name") << bad;
  }
  EXPECT_EQ(r.queries_sent(), 0u);
}

TEST_F(cares_resolver_test, a_server_that_never_answers_is_a_temporary_timeout) {
  auto o = options(200ms, 2);
  o.servers = {black_hole_.server()};
  cares_resolver r(io_.get_executor(), o);
  const auto a = run(r.a("host.dnstest.test"));
  EXPECT_EQ(a.state, status::temporary);
  EXPECT_EQ(a.detail, "timeout after 2 tries");
  const auto plan = run(plan_mx(r, "dnstest.test"));
  EXPECT_EQ(plan.outcome, mx_outcome::temporary);
  EXPECT_EQ(plan.detail, "timeout after 2 tries");
}

TEST_F(cares_resolver_test, a_zone_that_never_answers_is_temporary) {
  // unbound forwards slow.test to the black hole; whichever gives up first (c-ares with a
  // timeout, or unbound with SERVFAIL), the answer is temporary.
  cares_resolver r(io_.get_executor(), options(300ms, 2));
  const auto a = run(r.a("www.slow.test"));
  EXPECT_EQ(a.state, status::temporary) << a.detail;
  EXPECT_TRUE(a.detail == "timeout after 2 tries" || a.detail == "SERVFAIL") << a.detail;
  // Temporary failures are not cached: the next question is sent again.
  const auto sent = r.queries_sent();
  EXPECT_EQ(run(r.a("www.slow.test")).state, status::temporary);
  EXPECT_EQ(r.queries_sent(), sent + 1);
}

TEST_F(cares_resolver_test, refused_is_temporary) {
  cares_resolver r(io_.get_executor(), options());
  const auto a = run(r.a("x.refused.test"));
  EXPECT_EQ(a.state, status::temporary);
  EXPECT_EQ(a.detail, "REFUSED");
  const auto other = run(r.mx("example.org"));  // outside every test zone: refused
  EXPECT_EQ(other.state, status::temporary);
  EXPECT_EQ(other.detail, "REFUSED");
}

// A DNS server on loopback that answers every query with SERVFAIL.
awaitable<void> servfail_server(boost::asio::ip::udp::socket& socket) {
  std::array<unsigned char, 1500> buffer{};
  boost::asio::ip::udp::endpoint peer;
  for (;;) {
    const std::size_t n =
        co_await socket.async_receive_from(boost::asio::buffer(buffer), peer, use_awaitable);
    if (n < 12) {
      continue;
    }
    buffer[2] |= 0x80;                                               // QR
    buffer[3] = static_cast<unsigned char>((buffer[3] & 0xf0) | 2);  // RCODE SERVFAIL
    co_await socket.async_send_to(boost::asio::buffer(buffer.data(), n), peer, use_awaitable);
  }
}

TEST_F(cares_resolver_test, servfail_is_temporary_and_not_cached) {
  boost::asio::ip::udp::socket socket(
      io_, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  boost::asio::co_spawn(io_, servfail_server(socket), boost::asio::detached);
  auto o = options(500ms, 2);
  o.servers = {"127.0.0.1:" + std::to_string(socket.local_endpoint().port())};
  cares_resolver r(io_.get_executor(), o);
  const auto a = run(r.a("host.dnstest.test"));
  EXPECT_EQ(a.state, status::temporary);
  EXPECT_EQ(a.detail, "SERVFAIL");
  EXPECT_EQ(run(r.a("host.dnstest.test")).detail, "SERVFAIL");
  EXPECT_EQ(r.queries_sent(), 2u);
  EXPECT_EQ(r.cache_hits(), 0u);
  socket.close();
}

TEST_F(cares_resolver_test, connection_refused_is_temporary) {
  auto o = options(500ms, 1);
  o.servers = {"127.0.0.1:" + std::to_string(test::free_port())};  // nothing listens there
  cares_resolver r(io_.get_executor(), o);
  const auto a = run(r.a("host.dnstest.test"));
  EXPECT_EQ(a.state, status::temporary);
  EXPECT_FALSE(a.detail.empty());
}

TEST_F(cares_resolver_test, answers_are_cached_by_ttl_positive_and_negative) {
  cares_resolver r(io_.get_executor(), options(200ms, 1));
  ASSERT_EQ(run(r.a("host.dnstest.test")).state, status::ok);
  ASSERT_EQ(run(r.mx("nope.dnstest.test")).state, status::nxdomain);
  ASSERT_EQ(run(r.aaaa("multi.dnstest.test")).state, status::nodata);
  ASSERT_EQ(run(r.txt("txt.dnstest.test")).state, status::ok);
  EXPECT_EQ(r.queries_sent(), 4u);
  EXPECT_EQ(r.cache_hits(), 0u);

  dns_.stop();  // from now on only the cache can answer

  const auto a = run(r.a("HOST.dnstest.test."));
  ASSERT_EQ(a.state, status::ok) << a.detail;
  EXPECT_EQ(a.records, std::vector{boost::asio::ip::make_address_v4("127.0.1.1")});
  EXPECT_EQ(run(r.mx("nope.dnstest.test")).state, status::nxdomain);
  EXPECT_EQ(run(r.aaaa("multi.dnstest.test")).state, status::nodata);
  EXPECT_EQ(run(r.txt("txt.dnstest.test")).records.size(), 2u);
  EXPECT_EQ(r.cache_hits(), 4u);
  EXPECT_EQ(r.queries_sent(), 4u);

  // Something never asked is not in the cache: the server is gone, so it fails temporarily.
  const auto fresh = run(r.a("multi.dnstest.test"));
  EXPECT_EQ(fresh.state, status::temporary);
  EXPECT_EQ(r.queries_sent(), 5u);
}

TEST_F(cares_resolver_test, a_zero_sized_cache_caches_nothing) {
  auto o = options();
  o.cache_entries = 0;
  cares_resolver r(io_.get_executor(), o);
  ASSERT_EQ(run(r.a("host.dnstest.test")).state, status::ok);
  ASSERT_EQ(run(r.a("host.dnstest.test")).state, status::ok);
  EXPECT_EQ(r.queries_sent(), 2u);
  EXPECT_EQ(r.cache_hits(), 0u);
}

TEST_F(cares_resolver_test, concurrent_questions_for_the_same_name_share_one_query) {
  cares_resolver r(io_.get_executor(), options());
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          const auto a = co_await r.a("multi.dnstest.test");
          EXPECT_EQ(a.state, status::ok);
          EXPECT_EQ(a.records.size(), 2u);
          ++done;
        },
        boost::asio::detached);
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (done < 5 && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  EXPECT_EQ(done, 5);
  EXPECT_EQ(r.queries_sent(), 1u);
}

TEST_F(cares_resolver_test, destroying_the_resolver_ends_pending_queries_as_temporary) {
  auto o = options(5000ms, 2);
  o.servers = {black_hole_.server()};
  auto r = std::make_unique<cares_resolver>(io_.get_executor(), o);
  std::optional<lookup<mx_record>> answer;
  boost::asio::co_spawn(
      io_, [&]() -> awaitable<void> { answer = co_await r->mx("dnstest.test"); },
      boost::asio::detached);
  io_.run_for(100ms);  // the query is sent and waits for an answer that never comes
  ASSERT_FALSE(answer);
  r.reset();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!answer && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->state, status::temporary);
  EXPECT_EQ(answer->detail, "resolver shut down");
}

TEST(cares_resolver_options, bad_server_strings_throw_at_construction) {
  boost::asio::io_context io;
  for (const std::string bad : {"", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:53x",
                                "localhost:53", "[::1]", "[::1]53"}) {
    resolver_options o;
    o.servers = {bad};
    EXPECT_THROW(cares_resolver(io.get_executor(), o), std::runtime_error) << bad;
  }
  for (const std::string good : {"127.0.0.1:5300", "[::1]:53", "192.0.2.1", "::1"}) {
    resolver_options o;
    o.servers = {good};
    EXPECT_NO_THROW(cares_resolver(io.get_executor(), o)) << good;
  }
}

}  // namespace
}  // namespace im2k::dns
