// SPEC [N-1] steps 4-12 in order, with a fake resolver: which refusal wins, that nothing is
// recorded and no DNS work is done before SPF, SPF results per [D-7], per-recipient results in
// order, durability before the answer [N-7] and idempotence [N-12].
#include <ctime>
#include <memory>

#include <gtest/gtest.h>

#include "ims/notify_handler.hpp"
#include "ims/schema.hpp"
#include "ims/sqlite_store.hpp"
#include "ims/users.hpp"
#include "proto/frame.hpp"
#include "proto/syntax.hpp"
#include "tests/support/fake_resolver.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using test::fake_resolver;
using test::run_awaitable;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

proto::address addr(const std::string& text) {
  return proto::parse_address(text).value();
}

class notify_handler_test : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto db = open_database(dir_.path());
      ASSERT_TRUE(add_user(db, "bob@beta.test", "pw").has_value());
      ASSERT_TRUE(add_user(db, "dave@beta.test", "pw").has_value());
    }
    store_ = std::make_unique<sqlite_store>(dir_.path());
    ASSERT_TRUE(store_->recover(now()).has_value());
    dns_.txt_answers["alpha.test"] = fake_resolver::ok<std::string>({"v=spf1 ip4:127.0.1.1 -all"});
    handler_ =
        std::make_unique<notify_handler>(notify_settings{"mx.beta.test", {"beta.test"}, 1000, {}},
                                         dns_, *store_, [this] { ++wakes_; });
  }

  proto::notify_request request(std::vector<std::string> rcpts) {
    proto::notify_request r;
    r.id = 7;
    r.msg = msg_;
    r.from = addr("alice@alpha.test");
    for (const auto& rcpt : rcpts) {
      r.rcpt.push_back(addr(rcpt));
    }
    r.size = 500;
    r.digest = "sha256:" + std::string(64, 'b');
    r.token = token_;
    r.expires = static_cast<std::uint64_t>(now() + 3600);
    return r;
  }

  notify_outcome handle(const proto::notify_request& r, std::string source = "127.0.1.1") {
    notify_peer peer{"oms.alpha.test", boost::asio::ip::make_address(source)};
    return run_awaitable(io_, handler_->handle(peer, r, now()));
  }

  static proto::error_response refusal(const notify_outcome& o) {
    EXPECT_TRUE(std::holds_alternative<proto::error_response>(o));
    return std::holds_alternative<proto::error_response>(o) ? std::get<proto::error_response>(o)
                                                            : proto::error_response{};
  }

  bool recorded(const std::string& rcpt) {
    return run_awaitable(io_, store_->find_result("alpha.test", msg_, rcpt)).value().has_value();
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  fake_resolver dns_;
  std::unique_ptr<sqlite_store> store_;
  std::unique_ptr<notify_handler> handler_;
  int wakes_ = 0;
  std::string msg_ = proto::new_message_id();
  std::string token_ = proto::new_token();
};

TEST_F(notify_handler_test, too_many_recipients_comes_first_and_costs_no_dns) {
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) {
    many.push_back("u" + std::to_string(i) + "@beta.test");
  }
  auto r = request(many);
  r.expires = 1;    // also expired
  r.size = 100000;  // and too large
  auto e = refusal(handle(r));
  EXPECT_EQ(e.code, proto::errc::bad_request);
  EXPECT_EQ(e.re, 7u);
  EXPECT_TRUE(dns_.queries.empty());
  EXPECT_FALSE(recorded("u0@beta.test"));
}

TEST_F(notify_handler_test, expired_comes_before_size_and_spf) {
  auto r = request({"bob@beta.test"});
  r.expires = static_cast<std::uint64_t>(now());
  r.size = 100000;
  auto e = refusal(handle(r, "127.0.9.9"));
  EXPECT_EQ(e.code, proto::errc::expired);
  EXPECT_FALSE(e.temporary);
  EXPECT_TRUE(dns_.queries.empty());
}

TEST_F(notify_handler_test, size_comes_before_spf) {
  auto r = request({"bob@beta.test"});
  r.size = 1001;
  auto e = refusal(handle(r, "127.0.9.9"));
  EXPECT_EQ(e.code, proto::errc::message_too_large);
  EXPECT_TRUE(dns_.queries.empty());
}

TEST_F(notify_handler_test, spf_fail_is_sender_not_designated_and_records_nothing) {
  auto e = refusal(handle(request({"bob@beta.test"}), "127.0.9.9"));
  EXPECT_EQ(e.code, proto::errc::sender_not_designated);
  EXPECT_FALSE(e.temporary);
  EXPECT_FALSE(recorded("bob@beta.test"));
  EXPECT_EQ(wakes_, 0);
}

TEST_F(notify_handler_test, every_non_pass_result_refuses_permanently) {
  for (const char* record : {"v=spf1 ~all", "v=spf1 ?all", "v=spf1 include:", "v=spf1 -all"}) {
    dns_.txt_answers["alpha.test"] = fake_resolver::ok<std::string>({record});
    auto e = refusal(handle(request({"bob@beta.test"})));
    EXPECT_EQ(e.code, proto::errc::sender_not_designated) << record;
  }
  dns_.txt_answers.erase("alpha.test");  // none
  EXPECT_EQ(refusal(handle(request({"bob@beta.test"}))).code, proto::errc::sender_not_designated);
  EXPECT_FALSE(recorded("bob@beta.test"));
}

TEST_F(notify_handler_test, spf_temperror_is_dns_temporary) {
  dns_.txt_answers["alpha.test"] =
      fake_resolver::failed<std::string>(dns::status::temporary, "SERVFAIL");
  auto e = refusal(handle(request({"bob@beta.test"})));
  EXPECT_EQ(e.code, proto::errc::dns_temporary);
  EXPECT_TRUE(e.temporary);
  EXPECT_FALSE(recorded("bob@beta.test"));
}

TEST_F(notify_handler_test, per_recipient_results_in_order_and_durable) {
  auto o = handle(request({"nobody@beta.test", "Bob@beta.test", "dave@beta.test"}));
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(o));
  const auto& results = std::get<proto::notify_response>(o).results;
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(std::get<proto::notify_response>(o).re, 7u);
  EXPECT_EQ(results[0].rcpt.to_string(), "nobody@beta.test");
  EXPECT_EQ(results[0].status, proto::rcpt_status::rejected);
  EXPECT_EQ(results[0].code, proto::errc::unknown_recipient);
  EXPECT_EQ(results[1].rcpt.to_string(), "Bob@beta.test");
  EXPECT_EQ(results[1].status, proto::rcpt_status::accepted);
  EXPECT_FALSE(results[1].code);
  EXPECT_EQ(results[2].status, proto::rcpt_status::accepted);
  // Durable before the answer: the writer has committed what the reader now sees.
  auto bob = run_awaitable(io_, store_->find_result("alpha.test", msg_, "bob@beta.test")).value();
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->state, rcpt_state::accepted);
  EXPECT_EQ(wakes_, 1);
  auto jobs = run_awaitable(io_, store_->due_pulls(now(), 10)).value();
  ASSERT_EQ(jobs.size(), 1u);  // one pull for the domain, however many recipients
  EXPECT_EQ(jobs[0].token, token_);
}

TEST_F(notify_handler_test, a_domain_not_served_here_is_rejected_per_recipient) {
  auto o = handle(request({"x@gamma.test"}));
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(o));
  const auto& r = std::get<proto::notify_response>(o).results.at(0);
  EXPECT_EQ(r.status, proto::rcpt_status::rejected);
  EXPECT_EQ(r.code, proto::errc::domain_not_local);
  EXPECT_EQ(wakes_, 0);
}

TEST_F(notify_handler_test, mixed_domains_are_a_bad_request) {
  auto e = refusal(handle(request({"bob@beta.test", "x@gamma.test"})));
  EXPECT_EQ(e.code, proto::errc::bad_request);
  EXPECT_TRUE(dns_.queries.empty());
}

TEST_F(notify_handler_test, a_repeat_gets_the_recorded_results_and_nothing_else) {
  auto first = handle(request({"bob@beta.test", "nobody@beta.test"}));
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(first));
  // The user appears after the rejection: the recorded result still stands [N-12].
  {
    auto db = open_database(dir_.path());
    ASSERT_TRUE(add_user(db, "nobody@beta.test", "pw").has_value());
  }
  auto again = handle(request({"bob@beta.test", "nobody@beta.test"}));
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(again));
  EXPECT_EQ(std::get<proto::notify_response>(again).results,
            std::get<proto::notify_response>(first).results);
  EXPECT_EQ(wakes_, 1);
  EXPECT_EQ(run_awaitable(io_, store_->due_pulls(now(), 10)).value().size(), 1u);
}

TEST_F(notify_handler_test, a_far_expiry_is_clamped_to_thirty_days) {
  auto r = request({"bob@beta.test"});
  r.expires = static_cast<std::uint64_t>(now() + 100 * 24 * 3600);
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(handle(r)));
  auto jobs = run_awaitable(io_, store_->due_pulls(now(), 10)).value();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_LE(jobs[0].expires, now() + max_hold_seconds);
}

TEST_F(notify_handler_test, a_response_to_one_hundred_longest_recipients_fits_in_a_frame) {
  // [N-9], [R-8]: 100 results of 254-octet addresses, each rejected with a message.
  // 189 octets, not served here; with a 64-octet local part the address has 254.
  const std::string domain =
      std::string(61, 'd') + "." + std::string(61, 'd') + "." + std::string(60, 'd') + ".test";
  std::vector<std::string> rcpts;
  for (int i = 0; i < 100; ++i) {
    std::string local = std::to_string(i) + std::string(64, 'u');
    local.resize(254 - 1 - domain.size());
    rcpts.push_back(local + "@" + domain);
  }
  auto o = handle(request(rcpts));
  ASSERT_TRUE(std::holds_alternative<proto::notify_response>(o));
  const auto& response = std::get<proto::notify_response>(o);
  ASSERT_EQ(response.results.size(), 100u);
  EXPECT_EQ(response.results[99].code, proto::errc::domain_not_local);
  EXPECT_TRUE(proto::encode_frame(proto::to_json(response)).has_value());
}

}  // namespace
}  // namespace im2k::ims
