// The policy steps of SPEC [N-1] in the notify handler, with a fake resolver: step 8 before SPF
// (no DNS work for a flood), step 10 and step 11 after it, nothing recorded on a refusal, and
// the recipients cap of [N-17] (deferred, not recorded, accepted when notified again).
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

using namespace std::chrono_literals;
using test::fake_resolver;
using test::run_awaitable;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

class notify_policy_test : public ::testing::Test {
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
  }

  void make_handler(policy_settings policy) {
    notify_settings settings;
    settings.host = "mx.beta.test";
    settings.domains = {"beta.test"};
    settings.max_message_size = 1000;
    settings.policy = std::move(policy);
    handler_ = std::make_unique<notify_handler>(std::move(settings), dns_, *store_);
  }

  proto::notify_request request(std::vector<std::string> rcpts) {
    proto::notify_request r;
    r.id = 7;
    r.msg = proto::new_message_id();
    r.from = proto::parse_address("alice@alpha.test").value();
    for (const auto& rcpt : rcpts) {
      r.rcpt.push_back(proto::parse_address(rcpt).value());
    }
    r.size = 500;
    r.digest = "sha256:" + std::string(64, 'b');
    r.token = proto::new_token();
    r.expires = static_cast<std::uint64_t>(now() + 3600);
    return r;
  }

  notify_outcome handle(const proto::notify_request& r, std::string source = "127.0.1.1",
                        std::string host = "oms.alpha.test") {
    notify_peer peer{host, boost::asio::ip::make_address(source)};
    return run_awaitable(io_, handler_->handle(peer, r, now()));
  }

  bool recorded(const proto::notify_request& r, const std::string& rcpt) {
    return run_awaitable(io_, store_->find_result("alpha.test", r.msg, rcpt)).value().has_value();
  }

  static proto::error_response refusal(const notify_outcome& o) {
    EXPECT_TRUE(std::holds_alternative<proto::error_response>(o));
    return std::holds_alternative<proto::error_response>(o) ? std::get<proto::error_response>(o)
                                                            : proto::error_response{};
  }

  static std::vector<proto::notify_result> results(const notify_outcome& o) {
    EXPECT_TRUE(std::holds_alternative<proto::notify_response>(o));
    return std::holds_alternative<proto::notify_response>(o)
               ? std::get<proto::notify_response>(o).results
               : std::vector<proto::notify_result>{};
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  fake_resolver dns_;
  std::unique_ptr<sqlite_store> store_;
  std::unique_ptr<notify_handler> handler_;
};

TEST_F(notify_policy_test, step_8_refuses_a_flood_before_any_dns_work) {
  policy_settings policy;
  policy.per_address = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  make_handler(policy);
  ASSERT_EQ(results(handle(request({"bob@beta.test"}))).at(0).status, proto::rcpt_status::accepted);
  const auto queries = dns_.queries.size();
  auto second = request({"bob@beta.test"});
  auto e = refusal(handle(second));
  EXPECT_EQ(e.code, proto::errc::rate_limited);
  EXPECT_TRUE(e.temporary);
  EXPECT_EQ(dns_.queries.size(), queries);
  EXPECT_FALSE(recorded(second, "bob@beta.test"));
}

TEST_F(notify_policy_test, step_10_deny_list_is_a_permanent_policy_refusal) {
  policy_settings policy;
  policy.deny_domains = {"alpha.test"};
  make_handler(policy);
  auto r = request({"bob@beta.test"});
  auto e = refusal(handle(r));
  EXPECT_EQ(e.code, proto::errc::policy);
  EXPECT_FALSE(e.temporary);
  EXPECT_FALSE(recorded(r, "bob@beta.test"));
}

TEST_F(notify_policy_test, step_10_comes_after_spf) {
  policy_settings policy;
  policy.deny_hosts = {"oms.alpha.test"};
  make_handler(policy);
  EXPECT_EQ(refusal(handle(request({"bob@beta.test"}), "127.0.9.9")).code,
            proto::errc::sender_not_designated);
  EXPECT_EQ(refusal(handle(request({"bob@beta.test"}))).code, proto::errc::policy);
}

TEST_F(notify_policy_test, step_10_allow_list_refuses_other_hosts) {
  policy_settings policy;
  policy.allow_hosts = {"oms.gamma.test"};
  make_handler(policy);
  EXPECT_EQ(refusal(handle(request({"bob@beta.test"}))).code, proto::errc::policy);
}

TEST_F(notify_policy_test, step_11_forged_notifications_do_not_spend_the_domain_budget) {
  policy_settings policy;
  policy.per_domain = rate_limit{.rate = 1, .per = 1h, .burst = 1};
  make_handler(policy);
  for (int i = 0; i < 3; ++i) {  // SPF fails: refused at step 9, before the budget
    ASSERT_EQ(refusal(handle(request({"bob@beta.test"}), "127.0.9.9")).code,
              proto::errc::sender_not_designated);
  }
  EXPECT_EQ(results(handle(request({"bob@beta.test"}))).at(0).status, proto::rcpt_status::accepted);
  auto over = request({"bob@beta.test"});
  auto e = refusal(handle(over));
  EXPECT_EQ(e.code, proto::errc::rate_limited);
  EXPECT_TRUE(e.temporary);
  EXPECT_FALSE(recorded(over, "bob@beta.test"));
}

TEST_F(notify_policy_test, recipients_over_the_cap_are_deferred_and_accepted_when_notified_again) {
  policy_settings policy;
  policy.max_recipients = 1;
  make_handler(policy);
  auto r = request({"bob@beta.test", "dave@beta.test"});
  auto first = results(handle(r));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].status, proto::rcpt_status::accepted);
  EXPECT_EQ(first[1].status, proto::rcpt_status::deferred);
  EXPECT_EQ(first[1].code, proto::errc::rate_limited);
  EXPECT_TRUE(recorded(r, "bob@beta.test"));
  EXPECT_FALSE(recorded(r, "dave@beta.test"));
  // The same notification again ([N-12]): bob's result is the record's and does not count.
  auto again = results(handle(r));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].status, proto::rcpt_status::accepted);
  EXPECT_EQ(again[1].status, proto::rcpt_status::accepted);
  EXPECT_TRUE(recorded(r, "dave@beta.test"));
}

TEST_F(notify_policy_test, without_a_policy_table_nothing_is_limited) {
  make_handler(policy_settings{});
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(results(handle(request({"bob@beta.test"}))).at(0).status,
              proto::rcpt_status::accepted);
  }
}

}  // namespace
}  // namespace im2k::ims
