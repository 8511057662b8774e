// The puller against a fake OMS pull listener over real TLS on loopback (certificates from
// deploy/pki/pki.sh), with a fake resolver: trust rule 5 ([P-1], [P-2]), verification and
// storage ([P-10] ... [P-14]) and the ack ([A-1]).
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/crypto/sha256.hpp"
#include "common/net/listener.hpp"
#include "ims/puller.hpp"
#include "ims/schema.hpp"
#include "ims/sqlite_store.hpp"
#include "ims/users.hpp"
#include "proto/messages/ack.hpp"
#include "proto/messages/pull.hpp"
#include "proto/syntax.hpp"
#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/fake_resolver.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using test::fake_resolver;
using test::run_awaitable;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

const std::string message =
    "From: Alice <alice@alpha.test>\r\n"
    "Authentication-Results: mx.beta.test; spf=pass smtp.mailfrom=forged@alpha.test\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "Hello Bob and Dave.\r\n";

// A fake OMS: serves `body` (or refuses with `refusal`) and records pulls and acks.
struct fake_oms {
  std::string body = message;
  std::optional<proto::errc> refusal;
  std::vector<proto::pull_request> pulls;
  std::vector<proto::ack_request> acks;

  awaitable<void> handle(net::session& s, net::incoming_request r) {
    if (auto* pull = std::get_if<proto::pull_request>(&r.request)) {
      pulls.push_back(*pull);
      if (refusal) {
        co_await s.send_error(r.id, *refusal, "refused");
        co_return;
      }
      auto sent = std::make_shared<std::size_t>(0);
      auto text = std::make_shared<std::string>(body);
      nlohmann::json fields = {{"size", body.size()},
                               {"digest", "sha256:" + crypto::sha256_hex(body)}};
      co_await s.send_ok_with_body(
          r.id, std::move(fields), body.size(),
          [sent, text](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
            const std::size_t n = std::min(buffer.size(), text->size() - *sent);
            std::copy_n(text->data() + *sent, n, buffer.data());
            *sent += n;
            co_return n;
          });
    } else if (auto* ack = std::get_if<proto::ack_request>(&r.request)) {
      acks.push_back(*ack);
      co_await s.send_ok(r.id);
    } else {
      co_await s.send_error(r.id, proto::errc::bad_request, "not here");
    }
  }
};

class puller_test : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.run("issue " + pki_.ca_dir() + " oms --dns oms.alpha.test");
    pki_.run("issue " + pki_.ca_dir() + " other --dns other.alpha.test");
    pki_.run("issue " + pki_.ca_dir() + " mx --dns mx.beta.test");
    pki_.run("crl " + pki_.ca_dir());
    {
      auto db = open_database(dir_.path());
      ASSERT_TRUE(add_user(db, "bob@beta.test", "pw").has_value());
      ASSERT_TRUE(add_user(db, "dave@beta.test", "pw").has_value());
    }
    store_ = std::make_unique<sqlite_store>(dir_.path());
    ASSERT_TRUE(store_->recover(now()).has_value());
    dns_.a_answers["oms.alpha.test"] = fake_resolver::ok<boost::asio::ip::address_v4>(
        {boost::asio::ip::make_address_v4("127.0.0.1")});
    dns_.txt_answers["alpha.test"] = fake_resolver::ok<std::string>({"v=spf1 ip4:127.0.0.1 -all"});
  }

  void TearDown() override {
    if (listener_) {
      run_awaitable(io_, [](std::shared_ptr<net::listener> l) -> awaitable<bool> {
        co_await l->stop(std::chrono::seconds(2));
        co_return true;
      }(listener_));
    }
  }

  void start_oms(const std::string& cert = "oms") {
    net::server_settings settings;
    settings.host = "oms.alpha.test";
    auto credentials = std::make_shared<tls::credentials>(pki_.settings(cert), tls::side::server,
                                                          tls::listener_kind::pull);
    listener_ = net::listener::create(
        io_.get_executor(), settings, credentials,
        [this](net::session& s, net::incoming_request r) { return oms_.handle(s, std::move(r)); });
    ASSERT_FALSE(listener_->open({boost::asio::ip::make_address("127.0.0.1"), 0}));
    listener_->start();
  }

  void notify(const std::string& body_notified = message, bool hold = false,
              std::int64_t expires = 0) {
    notification n;
    n.sender_domain = "alpha.test";
    n.msg = msg_;
    n.rcpt_domain = "beta.test";
    n.host = "oms.alpha.test";
    n.source = "127.0.0.1";
    n.sender = "alice@alpha.test";
    n.size = body_notified.size();
    n.digest = "sha256:" + crypto::sha256_hex(body_notified);
    n.token = token_;
    n.expires = expires != 0 ? expires : now() + 3600;
    n.received = now();
    n.hold = hold;
    ASSERT_FALSE(run_awaitable(
        io_, store_->record_notification(n, {{"bob@beta.test", rcpt_state::accepted, {}, {}},
                                             {"dave@beta.test", rcpt_state::accepted, {}, {}}})));
  }

  std::shared_ptr<puller> make_puller() {
    puller_settings settings;
    settings.host = "mx.beta.test";
    settings.bodies_dir = store_->bodies_dir();
    settings.port = listener_->local_endpoint().port();
    settings.connect_timeout = std::chrono::seconds(5);
    settings.retry_initial = std::chrono::seconds(30);
    settings.retry_max = std::chrono::seconds(60);
    auto credentials = std::make_shared<tls::credentials>(pki_.settings("mx"), tls::side::client,
                                                          tls::listener_kind::pull);
    return puller::create(io_.get_executor(), settings, dns_, *store_, credentials);
  }

  // Runs the puller until `done` holds (bounded), then drains it.
  void run_puller(const std::function<bool()>& done) {
    auto p = make_puller();
    p->start();
    const bool reached = run_awaitable(
        io_,
        [&]() -> awaitable<bool> {
          boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
          for (int i = 0; i < 300 && !done(); ++i) {
            timer.expires_after(std::chrono::milliseconds(50));
            co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
          }
          co_await p->stop(std::chrono::seconds(5));
          co_return done();
        }(),
        std::chrono::seconds(30));
    EXPECT_TRUE(reached);
  }

  // Synchronous reads (a read-only connection), usable while the puller runs.
  std::string column(const std::string& sql) {
    store::sqlite_db db(database_path(dir_.path()), store::sqlite_db::options{.read_only = true});
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt.has_value());
    stmt->bind_text(1, msg_);
    auto row = stmt->step();
    return row && *row ? stmt->column_text(0) : std::string();
  }

  rcpt_state state_of(const std::string& rcpt) {
    return rcpt_state_from_string(
               column("SELECT state FROM notifications WHERE msg = ?1 AND rcpt_key = '" + rcpt +
                      "'"))
        .value_or(rcpt_state::dropped);
  }

  std::int64_t pull_attempts() {
    const std::string text = column("SELECT attempts FROM pulls WHERE msg = ?1");
    return text.empty() ? 0 : std::stoll(text);
  }

  std::optional<proto::errc> code_of(const std::string& rcpt) {
    return run_awaitable(io_, store_->find_result("alpha.test", msg_, rcpt)).value()->code;
  }

  std::size_t stored_for(const std::string& user) {
    return run_awaitable(io_, store_->mailbox(user)).value().size();
  }

  std::size_t body_files() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(store_->bodies_dir())) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }

  tls::testing::test_pki pki_;
  test::temp_dir dir_;
  boost::asio::io_context io_;
  fake_resolver dns_;
  fake_oms oms_;
  std::shared_ptr<net::listener> listener_;
  std::unique_ptr<sqlite_store> store_;
  std::string msg_ = proto::new_message_id();
  std::string token_ = proto::new_token();
};

TEST_F(puller_test, pulls_once_stores_one_copy_for_both_users_and_acks) {
  start_oms();
  notify();
  run_puller([&] { return state_of("bob@beta.test") == rcpt_state::acked; });
  ASSERT_EQ(oms_.pulls.size(), 1u);
  EXPECT_EQ(oms_.pulls[0].msg, msg_);
  EXPECT_EQ(oms_.pulls[0].token, token_);
  EXPECT_EQ(oms_.pulls[0].rcpt_domain, "beta.test");
  ASSERT_EQ(oms_.acks.size(), 1u);
  EXPECT_EQ(oms_.acks[0].stored.size(), 2u);
  EXPECT_TRUE(oms_.acks[0].refused.empty());
  EXPECT_EQ(state_of("dave@beta.test"), rcpt_state::acked);
  EXPECT_EQ(stored_for("bob@beta.test"), 1u);
  EXPECT_EQ(stored_for("dave@beta.test"), 1u);
  ASSERT_EQ(body_files(), 1u);

  const auto entry = run_awaitable(io_, store_->mailbox("bob@beta.test")).value().at(0);
  std::ifstream in(store_->bodies_dir() / entry.body, std::ios::binary);
  std::stringstream stored;
  stored << in.rdbuf();
  const std::string copy = stored.str();
  EXPECT_EQ(
      copy.rfind("Authentication-Results: mx.beta.test;\r\n"
                 "\tspf=pass smtp.mailfrom=alice@alpha.test smtp.helo=oms.alpha.test;\r\n"
                 "\tx-im2k-tls=pass policy.cert-host=oms.alpha.test policy.tls-version=TLSv1.3\r\n"
                 "Received: from oms.alpha.test (oms.alpha.test [127.0.0.1])\r\n"
                 "\tby mx.beta.test with IM2K id " +
                     msg_ + "; ",
                 0),
      0u);
  EXPECT_EQ(copy.find("forged@alpha.test"), std::string::npos);  // our verdict is ours only
  EXPECT_NE(copy.find("From: Alice <alice@alpha.test>\r\nSubject: hello\r\n\r\nHello Bob"),
            std::string::npos);
  EXPECT_EQ(entry.size, copy.size());
  EXPECT_TRUE(run_awaitable(io_, store_->due_pulls(now() + 100000, 10)).value().empty());
}

TEST_F(puller_test, a_body_that_does_not_match_the_digest_is_refused_and_nothing_stored) {
  oms_.body = message;
  oms_.body[oms_.body.size() - 3] = 'X';  // same size, other content
  start_oms();
  notify(message);
  run_puller([&] { return !oms_.acks.empty(); });
  ASSERT_EQ(oms_.acks.size(), 1u);
  EXPECT_TRUE(oms_.acks[0].stored.empty());
  ASSERT_EQ(oms_.acks[0].refused.size(), 2u);
  EXPECT_EQ(oms_.acks[0].refused[0].code, proto::errc::digest_mismatch);
  EXPECT_EQ(stored_for("bob@beta.test"), 0u);
  EXPECT_EQ(body_files(), 0u);
}

TEST_F(puller_test, a_from_outside_the_sender_domain_is_sender_not_owned) {
  oms_.body = "From: eve@evil.test\r\n\r\nhi\r\n";
  start_oms();
  notify(oms_.body);
  run_puller([&] { return !oms_.acks.empty(); });
  ASSERT_EQ(oms_.acks.size(), 1u);
  ASSERT_EQ(oms_.acks[0].refused.size(), 2u);
  EXPECT_EQ(oms_.acks[0].refused[1].code, proto::errc::sender_not_owned);
  EXPECT_EQ(code_of("bob@beta.test"), proto::errc::sender_not_owned);
  EXPECT_EQ(stored_for("bob@beta.test"), 0u);
  EXPECT_EQ(body_files(), 0u);
}

TEST_F(puller_test, a_recalled_message_is_dropped_without_ack) {
  oms_.refusal = proto::errc::recalled;
  start_oms();
  notify();
  run_puller([&] { return state_of("bob@beta.test") == rcpt_state::dropped; });
  EXPECT_EQ(oms_.pulls.size(), 1u);
  EXPECT_TRUE(oms_.acks.empty());
  EXPECT_EQ(state_of("dave@beta.test"), rcpt_state::dropped);
  EXPECT_EQ(body_files(), 0u);
}

TEST_F(puller_test, an_address_spf_does_not_designate_is_never_contacted) {
  dns_.txt_answers["alpha.test"] = fake_resolver::ok<std::string>({"v=spf1 -all"});
  start_oms();
  notify();
  run_puller([&] { return state_of("bob@beta.test") == rcpt_state::dropped; });
  EXPECT_TRUE(oms_.pulls.empty());
  EXPECT_TRUE(oms_.acks.empty());
}

TEST_F(puller_test, a_server_certificate_not_naming_the_host_fails_and_is_retried_later) {
  start_oms("other");
  notify();
  run_puller([&] { return pull_attempts() > 0; });
  EXPECT_TRUE(oms_.pulls.empty());
  EXPECT_EQ(state_of("bob@beta.test"), rcpt_state::accepted);
  EXPECT_EQ(stored_for("bob@beta.test"), 0u);
}

// On-read ([N-16], [M-3]): a held pull is not pulled by the scheduler; a fetch pulls it now.
TEST_F(puller_test, pull_now_pulls_a_held_notification_at_once) {
  start_oms();
  notify(message, true);
  auto p = make_puller();
  const auto outcome =
      run_awaitable(io_, p->pull_now({"alpha.test", msg_, "beta.test"}), std::chrono::seconds(30));
  EXPECT_FALSE(outcome.code);
  ASSERT_EQ(oms_.pulls.size(), 1u);
  EXPECT_EQ(state_of("bob@beta.test"), rcpt_state::acked);
  EXPECT_EQ(stored_for("bob@beta.test"), 1u);
  EXPECT_EQ(stored_for("dave@beta.test"), 1u);
}

TEST_F(puller_test, pull_now_reports_a_recall_and_drops_the_held_notification) {
  start_oms();
  oms_.refusal = proto::errc::recalled;
  notify(message, true);
  auto p = make_puller();
  const auto outcome =
      run_awaitable(io_, p->pull_now({"alpha.test", msg_, "beta.test"}), std::chrono::seconds(30));
  ASSERT_TRUE(outcome.code);
  EXPECT_EQ(*outcome.code, proto::errc::recalled);
  EXPECT_FALSE(outcome.temporary);
  EXPECT_EQ(state_of("bob@beta.test"), rcpt_state::dropped);
  EXPECT_TRUE(oms_.acks.empty());  // [P-14]
}

TEST_F(puller_test, an_expired_held_notification_is_given_up_without_a_pull) {
  start_oms();
  notify(message, true, now() - 1);
  run_puller([&] { return state_of("bob@beta.test") == rcpt_state::dropped; });
  EXPECT_TRUE(oms_.pulls.empty());
  EXPECT_EQ(column("SELECT state FROM pulls WHERE msg = ?1"), "dropped");
}

}  // namespace
}  // namespace im2k::ims
