// The mailbox listener over real TLS on loopback (certificates from deploy/pki/pki.sh): users
// authenticate first ([U-1]), every failure looks the same ([U-3]), failures are limited
// ([U-4]), a second auth is refused ([U-5]), other operations are not served ([R-5]), and
// list, fetch and delete act on the user's own entries ([M-*]).
#include <ctime>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/thread_pool.hpp>

#include "common/net/client_connection.hpp"
#include "common/net/listener.hpp"
#include "ims/mailbox_handler.hpp"
#include "ims/puller.hpp"
#include "ims/schema.hpp"
#include "ims/sqlite_store.hpp"
#include "ims/users.hpp"
#include "proto/syntax.hpp"
#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/fake_resolver.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using test::run_awaitable;
using json = nlohmann::json;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// A response, flattened: code "" for ok, "connection" when none came.
struct answer {
  std::string code;
  std::string message;
  json object;
};

class mailbox_handler_test : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.run("issue " + pki_.ca_dir() + " mx --dns mx.beta.test");
    pki_.run("crl " + pki_.ca_dir());
    {
      auto db = open_database(dir_.path());
      ASSERT_TRUE(add_user(db, "bob@beta.test", "bob-password").has_value());
      ASSERT_TRUE(add_user(db, "dave@beta.test", "dave-password").has_value());
    }
    store_ = std::make_unique<sqlite_store>(dir_.path());
    ASSERT_TRUE(store_->recover(now()).has_value());
    puller_settings pulling;
    pulling.host = "mx.beta.test";
    pulling.bodies_dir = store_->bodies_dir();
    puller_ = puller::create(io_.get_executor(), pulling, dns_, *store_,
                             std::make_shared<tls::credentials>(
                                 pki_.settings("mx"), tls::side::client, tls::listener_kind::pull));
    handler_ = std::make_unique<mailbox_handler>(database_path(dir_.path()), store_->bodies_dir(),
                                                 *store_, puller_, pool_);
    net::server_settings settings;
    settings.host = "mx.beta.test";
    // The test's clients present the mx certificate: trust its CA for users too ([C-11]).
    tls::tls_settings server_tls = pki_.settings("mx");
    server_tls.user_ca_file = server_tls.ca_file;
    listener_ = net::listener::create(
        io_.get_executor(), settings,
        std::make_shared<tls::credentials>(server_tls, tls::side::server,
                                           tls::listener_kind::mailbox),
        [this](net::session& s, net::incoming_request r) { return (*handler_)(s, std::move(r)); });
    ASSERT_FALSE(listener_->open({boost::asio::ip::make_address("127.0.0.1"), 0}));
    listener_->start();
  }

  void TearDown() override {
    for (auto& c : clients_) {
      if (c) {
        run_awaitable(io_, close(std::move(c)));
      }
    }
    run_awaitable(io_, [](std::shared_ptr<net::listener> l) -> awaitable<bool> {
      co_await l->stop(std::chrono::seconds(2));
      co_return true;
    }(listener_));
    pool_.join();
  }

  static awaitable<bool> close(std::unique_ptr<net::client_connection> c) {
    co_await c->close();
    co_return true;
  }

  // Opens a user connection (hello done); returns its index.
  std::size_t connect() {
    net::client_settings client;
    client.peer_host = "mx.beta.test";
    client.addresses = {boost::asio::ip::make_address("127.0.0.1")};
    client.port = listener_->local_endpoint().port();
    client.credentials = std::make_shared<tls::credentials>(pki_.settings("mx"), tls::side::client,
                                                            tls::listener_kind::mailbox);
    client.hello_client = "mailbox-test/1";
    auto opened =
        run_awaitable(io_, net::client_connection::open(io_.get_executor(), std::move(client)));
    EXPECT_TRUE(opened.has_value());
    clients_.push_back(opened ? std::move(*opened) : nullptr);
    return clients_.size() - 1;
  }

  static awaitable<answer> exchange(net::client_connection* c, json request) {
    auto response = co_await c->request(std::move(request));
    if (!response) {
      co_return answer{"connection", {}, {}};
    }
    if (auto* e = std::get_if<proto::error_response>(&*response)) {
      co_return answer{std::string(proto::to_string(e->code)), e->message, {}};
    }
    co_return answer{"", "", std::get<proto::ok_response>(*response).object};
  }

  answer call(std::size_t client, json request) {
    return run_awaitable(io_, exchange(clients_.at(client).get(), std::move(request)));
  }

  answer auth(std::size_t client, const std::string& user, const std::string& password) {
    return call(client, {{"op", "auth"}, {"user", user}, {"password", password}});
  }

  // The body of entry `id` (fetch), or the error code.
  static awaitable<std::string> fetch_body(net::client_connection* c, std::string id) {
    json request = {{"op", "fetch"}, {"msg", id}};  // named: GCC 12 and braced JSON in co_await
    auto response = co_await c->request(std::move(request));
    if (!response) {
      co_return std::string("connection");
    }
    if (auto* e = std::get_if<proto::error_response>(&*response)) {
      co_return std::string(proto::to_string(e->code));
    }
    const auto& ok = std::get<proto::ok_response>(*response).object;
    const auto length = ok.at("body_len").get<std::uint64_t>();
    auto body = std::make_shared<std::string>();
    net::body_sink sink =
        [body](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
      body->append(chunk.data(), chunk.size());
      co_return boost::system::error_code();
    };
    auto read = co_await c->read_body(length, std::move(sink));
    if (!read) {
      co_return std::string("connection");
    }
    std::string text = "body:" + *body;
    co_return text;
  }

  // Stores `content` for bob and dave; returns bob's entry id.
  std::string store_for_bob_and_dave(const std::string& content) {
    notification n;
    n.sender_domain = "alpha.test";
    n.msg = proto::new_message_id();
    n.rcpt_domain = "beta.test";
    n.host = "oms.alpha.test";
    n.source = "127.0.1.1";
    n.sender = "alice@alpha.test";
    n.size = content.size();
    n.digest = "sha256:" + std::string(64, 'a');
    n.token = proto::new_token();
    n.expires = now() + 3600;
    n.received = now();
    EXPECT_FALSE(run_awaitable(
        io_, store_->record_notification(n, {{"bob@beta.test", rcpt_state::accepted, {}, {}},
                                             {"dave@beta.test", rcpt_state::accepted, {}, {}}})));
    const std::string name = proto::new_message_id();
    auto file = store::durable_file::create(store_->bodies_dir(), name);
    EXPECT_TRUE(file.has_value());
    EXPECT_FALSE(file->append(content));
    EXPECT_TRUE(
        run_awaitable(io_, store_->store_body({n.sender_domain, n.msg, n.rcpt_domain}, *file, name))
            .has_value());
    return run_awaitable(io_, store_->mailbox("bob@beta.test")).value().at(0).id;
  }

  tls::testing::test_pki pki_;
  test::temp_dir dir_;
  boost::asio::io_context io_;
  test::fake_resolver dns_;
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<sqlite_store> store_;
  std::shared_ptr<puller> puller_;
  std::unique_ptr<mailbox_handler> handler_;
  std::shared_ptr<net::listener> listener_;
  std::vector<std::unique_ptr<net::client_connection>> clients_;
};

TEST_F(mailbox_handler_test, auth_comes_first_and_only_once) {
  const auto c = connect();
  EXPECT_EQ(call(c, {{"op", "list"}}).code, "not-authenticated");  // [U-1]
  const auto wrong = auth(c, "bob@beta.test", "not-the-password");
  EXPECT_EQ(wrong.code, "not-authenticated");
  const auto unknown = auth(c, "nobody@beta.test", "bob-password");
  EXPECT_EQ(unknown.code, "not-authenticated");
  EXPECT_EQ(unknown.message, wrong.message);  // [U-3]: alike for an unknown user

  const auto ok = auth(c, "Bob@beta.test", "bob-password");
  ASSERT_EQ(ok.code, "") << ok.message;
  EXPECT_EQ(ok.object.at("user"), "Bob@beta.test");
  EXPECT_EQ(auth(c, "dave@beta.test", "dave-password").code, "bad-request");  // [U-5]
  EXPECT_EQ(call(c, {{"op", "status"}, {"msg", proto::new_message_id()}}).code,
            "bad-request");
  const auto listed = call(c, {{"op", "list"}});
  ASSERT_EQ(listed.code, "") << listed.message;
  EXPECT_EQ(listed.object.at("messages"), json::array());  // still bob, with nothing yet
}

TEST_F(mailbox_handler_test, three_failures_close_the_connection_and_ten_refuse_the_address) {
  // [U-4]: the third failure on one connection closes it.
  const auto first = connect();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(auth(first, "bob@beta.test", "wrong").code, "not-authenticated");
  }
  EXPECT_EQ(call(first, {{"op", "list"}}).code, "connection");
  // Ten failures per source address in the window: then rate-limited, even the right password.
  int failures = 3;
  while (failures < 10) {
    const auto c = connect();
    for (int i = 0; i < 3 && failures < 10; ++i, ++failures) {
      EXPECT_EQ(auth(c, "dave@beta.test", "wrong").code, "not-authenticated");
    }
  }
  const auto last = connect();
  EXPECT_EQ(auth(last, "bob@beta.test", "bob-password").code, "rate-limited");
}

TEST_F(mailbox_handler_test, list_fetch_and_delete_act_on_own_entries) {
  const std::string content = "Subject: hi\r\n\r\nHello.\r\n";
  const std::string id = store_for_bob_and_dave(content);
  const auto bob = connect();
  ASSERT_EQ(auth(bob, "bob@beta.test", "bob-password").code, "");
  const auto dave = connect();
  ASSERT_EQ(auth(dave, "dave@beta.test", "dave-password").code, "");

  const auto listed = call(bob, {{"op", "list"}});
  ASSERT_EQ(listed.code, "");
  ASSERT_EQ(listed.object.at("messages").size(), 1u);
  const auto& entry = listed.object.at("messages")[0];
  EXPECT_EQ(entry.at("id"), id);
  EXPECT_EQ(entry.at("from"), "alice@alpha.test");
  EXPECT_EQ(entry.at("size"), content.size());
  EXPECT_EQ(entry.at("state"), "stored");
  EXPECT_EQ(listed.object.value("more", true), false);

  auto* b = clients_.at(bob).get();
  auto* d = clients_.at(dave).get();
  EXPECT_EQ(run_awaitable(io_, fetch_body(b, id)), "body:" + content);
  EXPECT_EQ(run_awaitable(io_, fetch_body(d, id)), "not-found");  // bob's id, asked by dave
  EXPECT_EQ(call(dave, {{"op", "delete"}, {"msg", id}}).code, "not-found");
  EXPECT_EQ(run_awaitable(io_, fetch_body(b, proto::new_message_id())), "not-found");

  EXPECT_EQ(call(bob, {{"op", "delete"}, {"msg", id}}).code, "");
  EXPECT_EQ(call(bob, {{"op", "delete"}, {"msg", id}}).code, "not-found");
  EXPECT_EQ(run_awaitable(io_, fetch_body(b, id)), "not-found");
  // Dave's own entry shares the copy and is untouched.
  const auto daves = call(dave, {{"op", "list"}});
  ASSERT_EQ(daves.object.at("messages").size(), 1u);
  const std::string dave_id = daves.object.at("messages")[0].at("id");
  EXPECT_EQ(run_awaitable(io_, fetch_body(d, dave_id)), "body:" + content);
}

}  // namespace
}  // namespace im2k::ims
