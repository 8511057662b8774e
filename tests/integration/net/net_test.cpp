// common/net over real TLS on 127.0.0.1: the hello rules ([H-*]), pipelining ([R-3]), framing
// and request errors ([F-10], [R-4], [R-6]), deadlines ([T-9]), the connection limit ([T-11]),
// bodies in bounded chunks ([F-11]) and the graceful drain. One io_context in the test thread
// runs the listener and the clients; every wait is bounded.
#include <algorithm>
#include <any>
#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/log/log.hpp"
#include "common/net/client_connection.hpp"
#include "common/net/listener.hpp"
#include "common/net/peer_pool.hpp"
#include "common/net/pipeline.hpp"
#include "common/tls/credentials.hpp"
#include "common/tls/handshake.hpp"
#include "proto/deadline.hpp"
#include "proto/frame_io.hpp"
#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::net {
namespace {

using boost::asio::awaitable;
using boost::asio::use_awaitable;
using nlohmann::json;
using namespace std::chrono_literals;
constexpr auto use_tuple = boost::asio::as_tuple(use_awaitable);

constexpr const char* server_host = "ims.beta.test";
constexpr const char* peer_host = "oms.alpha.test";
constexpr const char* a_msg = "aaaaaaaaaaaaaaaaaaaaaaaaaa";  // a valid message id ([V-1])
constexpr std::uint64_t test_max_size = 8 * 1024 * 1024;

char pattern(std::uint64_t offset) {
  return static_cast<char>((offset * 31 + 7) % 251);
}

// Checks that a streamed body is the pattern, and how it arrived.
struct body_check {
  std::uint64_t received = 0;
  std::size_t largest_chunk = 0;
  bool matches = true;

  body_sink sink() {
    return [this](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
      largest_chunk = std::max(largest_chunk, chunk.size());
      for (char c : chunk) {
        matches = matches && c == pattern(received++);
      }
      co_return boost::system::error_code();
    };
  }
};

body_source pattern_source(std::shared_ptr<std::uint64_t> offset) {
  return [offset](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    for (char& c : buffer) {
      c = pattern((*offset)++);
    }
    co_return buffer.size();
  };
}

// The process's log lines go to a file while this lives (then back to stderr).
class log_capture {
 public:
  log_capture() { log::log_to_file(dir_ / "log.jsonl"); }
  ~log_capture() { log::log_to_stderr(); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // The "tls.failure" events written so far.
  std::vector<json> tls_failures() const {
    std::vector<json> events;
    std::ifstream in(dir_ / "log.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      json event = json::parse(line, nullptr, false);
      if (event.is_object() && event.value("event", "") == "tls.failure") {
        events.push_back(std::move(event));
      }
    }
    return events;
  }

 private:
  test::temp_dir dir_;
};

class Net : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new tls::testing::test_pki;
    const std::string ca = pki_->ca_dir();
    pki_->run("issue " + ca + " server --dns " + std::string(server_host) + " --server");
    pki_->run("issue " + ca + " peer --dns " + std::string(peer_host) + " --client");
    pki_->run("crl " + ca);
  }

  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void TearDown() override {
    if (listener_) {
      run([this]() -> awaitable<bool> {
        co_await listener_->stop(2s);
        co_return true;
      }());
    }
    listener_.reset();
  }

  static server_settings test_settings() {
    server_settings s;
    s.host = server_host;
    s.max_message_size = test_max_size;
    return s;
  }

  void start(tls::listener_kind kind, server_settings settings = test_settings(),
             hello_check check = {}) {
    kind_ = kind;
    auto credentials =
        std::make_shared<tls::credentials>(pki_->settings("server"), tls::side::server, kind);
    listener_ = listener::create(
        io_.get_executor(), std::move(settings), credentials,
        [this](session& s, incoming_request r) { return handle(s, std::move(r)); },
        std::move(check));
    const boost::asio::ip::tcp::endpoint any(boost::asio::ip::make_address("127.0.0.1"), 0);
    ASSERT_FALSE(listener_->open(any));
    port_ = listener_->local_endpoint().port();
    ASSERT_NE(port_, 0);
    listener_->start();
  }

  // A peer client (certificate naming peer_host) or, on user listeners, a user client without
  // a certificate.
  client_settings client() const {
    client_settings c;
    c.peer_host = server_host;
    c.addresses = {boost::asio::ip::make_address("127.0.0.1")};
    c.port = port_;
    const bool peer = kind_ == tls::listener_kind::notify || kind_ == tls::listener_kind::pull;
    tls::tls_settings t = pki_->settings("peer");
    if (!peer) {
      t.cert_file.clear();
      t.key_file.clear();
    }
    c.credentials = std::make_shared<tls::credentials>(t, tls::side::client, kind_);
    if (peer) {
      c.hello_host = peer_host;
    } else {
      c.hello_client = "im2k-test/1";
    }
    return c;
  }

  template <class T>
  T run(awaitable<T> task) {
    return im2k::test::run_awaitable(io_, std::move(task), 60s);
  }

  // The echo handler: status echoes, recall is slow (until release_slow()), submit echoes its
  // body back; anything else is refused.
  awaitable<void> handle(session& s, incoming_request r) {
    if (!s.state().has_value()) {
      s.state() = 0;
    }
    const int served = ++std::any_cast<int&>(s.state());  // requests on this connection
    if (const auto* status = std::get_if<proto::status_request>(&r.request)) {
      ++statuses_handled_;
      json fields = {{"served", served},
                     {"msg", status->msg},
                     {"peer_host", s.peer().host},
                     {"client", s.peer().client},
                     {"tls", s.peer().tls_version},
                     {"alpn", s.peer().alpn},
                     {"remote", s.peer().remote.address().to_string()}};
      co_await s.send_ok(r.id, std::move(fields));
    } else if (const auto* recall = std::get_if<proto::recall_request>(&r.request)) {
      slow_started_ = true;
      boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor, 30s);
      slow_timer_ = &wait;
      co_await wait.async_wait(use_tuple);
      slow_timer_ = nullptr;
      json fields = {{"msg", recall->msg}, {"recalled", json::array()}};
      co_await s.send_ok(r.id, std::move(fields));
    } else if (std::holds_alternative<proto::submit_request>(r.request)) {
      body_check check;
      auto read = co_await s.read_body(check.sink());
      if (!read) {
        co_return;
      }
      server_body_ = check;
      json fields = {{"msg", a_msg}};
      co_await s.send_ok_with_body(r.id, std::move(fields), check.received,
                                   pattern_source(std::make_shared<std::uint64_t>(0)));
    } else {
      co_await s.send_error(r.id, proto::errc::bad_request, "not on this listener");
    }
  }

  void release_slow() {
    if (slow_timer_ != nullptr) {
      slow_timer_->cancel();
    }
  }

  // A TLS connection without the client_connection logic, for malformed traffic.
  awaitable<std::unique_ptr<tls::tls_stream>> raw_connect() {
    auto settings = client();
    auto stream = std::make_unique<tls::tls_stream>(co_await boost::asio::this_coro::executor,
                                                    *settings.credentials->current());
    auto [error] = co_await stream->lowest_layer().async_connect(
        {settings.addresses.front(), port_}, use_tuple);
    EXPECT_FALSE(error) << error.message();
    const auto failed = co_await tls::client_handshake(*stream, server_host, kind_, 10s);
    EXPECT_EQ(failed, tls::failure::none);
    co_return stream;
  }

  static awaitable<proto::result<proto::frame>> read_object(tls::tls_stream& stream) {
    co_return co_await proto::with_deadline(proto::read_frame(stream, proto::frame_limits{}), 20s);
  }

  static awaitable<void> write_object(tls::tls_stream& stream, const json& object) {
    auto written = co_await proto::write_frame(stream, object);
    EXPECT_TRUE(written.has_value());
  }

  // The connection was closed by the server: the next read ends, without a frame.
  static awaitable<bool> closed_by_server(tls::tls_stream& stream) {
    auto frame = co_await read_object(stream);
    EXPECT_FALSE(frame.has_value());
    co_return !frame.has_value() && frame.error().code != boost::asio::error::timed_out;
  }

  static json peer_hello(std::uint64_t version = 1) {
    return {{"op", "hello"}, {"id", 0}, {"version", version}, {"host", peer_host}};
  }

  static json user_hello() {
    return {{"op", "hello"}, {"id", 0}, {"version", 1}, {"client", "raw/1"}};
  }

  static json status(const std::string& msg = a_msg) { return {{"op", "status"}, {"msg", msg}}; }

  // Without body_len (the client sets it).
  static json submit(const std::string& from = "alice@alpha.test") {
    return {{"op", "submit"}, {"from", from}, {"rcpt", {"bob@beta.test"}}};
  }

  static const proto::ok_response* ok_of(const client_result<proto::response>& r) {
    return r ? std::get_if<proto::ok_response>(&*r) : nullptr;
  }
  static const proto::error_response* error_of(const client_result<proto::response>& r) {
    return r ? std::get_if<proto::error_response>(&*r) : nullptr;
  }

  static inline tls::testing::test_pki* pki_ = nullptr;
  boost::asio::io_context io_;
  std::shared_ptr<listener> listener_;
  tls::listener_kind kind_ = tls::listener_kind::notify;
  std::uint16_t port_ = 0;
  bool slow_started_ = false;
  int statuses_handled_ = 0;
  boost::asio::steady_timer* slow_timer_ = nullptr;
  std::optional<body_check> server_body_;
};

// --- hello ---

TEST_F(Net, PeerHelloSucceedsAndTheHostIsProved) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().describe());
    if (!c) {
      co_return false;
    }
    auto& connection = **c;
    EXPECT_EQ(connection.server_hello().host, server_host);
    EXPECT_EQ(connection.server_hello().version, 1u);
    EXPECT_EQ(connection.server_hello().max_message_size, test_max_size);
    EXPECT_EQ(connection.remote_endpoint().port(), port_);
    auto r = co_await connection.request(status());
    const auto* ok = ok_of(r);
    EXPECT_NE(ok, nullptr);
    if (ok) {
      EXPECT_EQ(ok->re, 1u);
      EXPECT_EQ(ok->object["msg"], a_msg);
      EXPECT_EQ(ok->object["peer_host"], peer_host);
      EXPECT_EQ(ok->object["tls"], "TLSv1.3");
      EXPECT_EQ(ok->object["alpn"], "im2k-notify/1");
    }
    co_await connection.close();
    co_return true;
  }());
}

TEST_F(Net, UserHelloSucceedsWithoutAClientCertificate) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().describe());
    if (!c) {
      co_return false;
    }
    auto r = co_await (*c)->request(status());
    const auto* ok = ok_of(r);
    EXPECT_NE(ok, nullptr);
    if (ok) {
      EXPECT_EQ(ok->object["client"], "im2k-test/1");
      EXPECT_EQ(ok->object["peer_host"], "");
      EXPECT_EQ(ok->object["alpn"], "im2k-submit/1");
    }
    co_return true;
  }());
}

TEST_F(Net, UserHelloWithoutClientIsRefused) {
  start(tls::listener_kind::mailbox);
  run([this]() -> awaitable<bool> {
    auto settings = client();
    settings.hello_client.reset();
    settings.hello_host = peer_host;  // ignored on user listeners ([H-7])
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().stage, client_stage::hello);
      EXPECT_TRUE(c.error().refusal.has_value());
      EXPECT_EQ(c.error().wire_code(), proto::errc::bad_request);
      EXPECT_FALSE(c.error().temporary());
    }
    co_return true;
  }());
}

TEST_F(Net, VersionZeroIsUnsupportedAndAHigherVersionGetsOne) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto zero = co_await raw_connect();
    co_await write_object(*zero, peer_hello(0));
    auto refused = co_await read_object(*zero);
    EXPECT_TRUE(refused.has_value());
    if (refused) {
      EXPECT_EQ(refused->object["op"], "error");
      EXPECT_EQ(refused->object["re"], 0);
      EXPECT_EQ(refused->object["code"], "unsupported-version");
      EXPECT_EQ(refused->object["temporary"], false);
    }
    EXPECT_TRUE(co_await closed_by_server(*zero));

    auto seven = co_await raw_connect();
    co_await write_object(*seven, peer_hello(7));
    auto ok = co_await read_object(*seven);
    EXPECT_TRUE(ok.has_value());
    if (ok) {
      EXPECT_EQ(ok->object["op"], "ok");
      EXPECT_EQ(ok->object["version"], 1);
    }
    co_return true;
  }());
}

TEST_F(Net, PeerHelloWithoutHostIsRefused) {
  start(tls::listener_kind::pull);
  run([this]() -> awaitable<bool> {
    auto settings = client();
    settings.hello_host.reset();
    settings.hello_client = "im2k-test/1";
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().wire_code(), proto::errc::bad_request);
      EXPECT_EQ(c.error().refusal->re, 0u);
    }
    co_return true;
  }());
}

TEST_F(Net, HostNotInTheCertificateIsCertNameMismatch) {
  start(tls::listener_kind::notify);
  const log_capture logs;
  run([this]() -> awaitable<bool> {
    auto settings = client();
    settings.hello_host = "other.alpha.test";
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().stage, client_stage::hello);
      EXPECT_EQ(c.error().wire_code(), proto::errc::cert_name_mismatch);
      EXPECT_FALSE(c.error().temporary());
    }
    co_return true;
  }());
  // One structured line for the mismatch, written before the refusal was sent.
  const auto failures = logs.tls_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0]["reason"], "name-mismatch");
  EXPECT_EQ(failures[0]["side"], "server");
  EXPECT_EQ(failures[0]["listener"], "notify");
  EXPECT_EQ(failures[0]["host"], "other.alpha.test");
  EXPECT_TRUE(failures[0]["peer"].get<std::string>().starts_with("127.0.0.1:"));
  EXPECT_TRUE(failures[0].contains("detail"));
}

TEST_F(Net, RequestBeforeHelloIsRefusedAndClosed) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    json request = status();
    request["id"] = 5;
    co_await write_object(*stream, request);
    auto refused = co_await read_object(*stream);
    EXPECT_TRUE(refused.has_value());
    if (refused) {
      EXPECT_EQ(refused->object["op"], "error");
      EXPECT_EQ(refused->object["re"], 5);
      EXPECT_EQ(refused->object["code"], "bad-request");
    }
    EXPECT_TRUE(co_await closed_by_server(*stream));
    co_return true;
  }());
}

TEST_F(Net, SecondHelloIsRefusedAndTheConnectionStays) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    co_await write_object(*stream, peer_hello());
    auto first = co_await read_object(*stream);
    EXPECT_TRUE(first && first->object["op"] == "ok");
    co_await write_object(*stream, peer_hello());
    auto second = co_await read_object(*stream);
    EXPECT_TRUE(second.has_value());
    if (second) {
      EXPECT_EQ(second->object["op"], "error");
      EXPECT_EQ(second->object["re"], 0);
      EXPECT_EQ(second->object["code"], "bad-request");
    }
    json request = status();
    request["id"] = 1;
    co_await write_object(*stream, request);
    auto answer = co_await read_object(*stream);
    EXPECT_TRUE(answer && answer->object["op"] == "ok" && answer->object["re"] == 1);
    co_return true;
  }());
}

TEST_F(Net, HelloCheckRefusalIsSentWithReZero) {
  server_settings settings = test_settings();
  start(tls::listener_kind::notify, settings,
        [](const peer_info& peer) -> awaitable<std::optional<proto::error_response>> {
          EXPECT_EQ(peer.host, peer_host);
          co_return proto::make_error_response(7, proto::errc::sender_not_designated,
                                               "not one of the host's addresses");
        });
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().wire_code(), proto::errc::sender_not_designated);
      EXPECT_EQ(c.error().refusal->re, 0u);
    }
    co_return true;
  }());
}

// --- requests ---

TEST_F(Net, PipelinedRequestsAreAnsweredInOrder) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    const std::array<const char*, 2> ids = {"aaaaaaaaaaaaaaaaaaaaaaaaaa",
                                            "bbbbbbbbbbbbbbbbbbbbbbbbbq"};
    std::vector<std::uint64_t> sent;
    for (int i = 0; i < 10; ++i) {
      auto id = co_await (*c)->send(status(ids[i % 2]));
      EXPECT_TRUE(id.has_value());
      sent.push_back(id ? *id : 0);
    }
    EXPECT_EQ((*c)->outstanding(), 10u);
    for (int i = 0; i < 10; ++i) {
      auto r = co_await (*c)->receive();
      const auto* ok = ok_of(r);
      EXPECT_NE(ok, nullptr) << i;
      if (ok) {
        EXPECT_EQ(ok->re, sent[i]);
        EXPECT_EQ(ok->object["msg"], ids[i % 2]);
        EXPECT_EQ(ok->object["served"], i + 1);
      }
    }
    EXPECT_EQ((*c)->outstanding(), 0u);
    co_return true;
  }());
}

// Waits (bounded) until `done` holds; whether it did.
template <class Done>
awaitable<bool> wait_until(Done done, std::chrono::milliseconds bound = 5000ms) {
  boost::asio::steady_timer poll(co_await boost::asio::this_coro::executor);
  for (auto waited = 0ms; !done() && waited < bound; waited += 10ms) {
    poll.expires_after(10ms);
    co_await poll.async_wait(use_tuple);
  }
  co_return done();
}

TEST_F(Net, ConcurrentHandlersStillAnswerInRequestOrder) {
  auto settings = test_settings();
  settings.max_concurrent_requests = 4;
  start(tls::listener_kind::submit, settings);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    auto p = pipeline::create(std::move(*c), 8);
    std::vector<std::optional<client_result<proto::response>>> answers(4);
    int answered = 0;
    auto call = [&](json request, std::size_t slot) -> awaitable<void> {
      answers[slot] = co_await p->call(std::move(request));
      ++answered;
    };
    const json slow = {{"op", "recall"}, {"msg", a_msg}};
    boost::asio::co_spawn(io_, call(slow, 0), boost::asio::detached);
    for (std::size_t i = 1; i < 4; ++i) {
      boost::asio::co_spawn(io_, call(status(), i), boost::asio::detached);
    }
    // The statuses behind the slow recall are handled while it waits...
    EXPECT_TRUE(co_await wait_until([&] { return statuses_handled_ == 3; }));
    // ...but none is answered before it ([R-3]).
    EXPECT_EQ(answered, 0);
    release_slow();
    EXPECT_TRUE(co_await wait_until([&] { return answered == 4; }));
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(answers[i] && ok_of(*answers[i]) != nullptr) << i;
    }
    EXPECT_EQ(p->in_flight(), 0u);
    co_await p->close(1s);
    co_return true;
  }());
}

TEST_F(Net, OneRequestAtATimeByDefault) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    auto p = pipeline::create(std::move(*c), 8);
    int answered = 0;
    auto call = [&](json request) -> awaitable<void> {
      auto r = co_await p->call(std::move(request));
      EXPECT_NE(ok_of(r), nullptr);
      ++answered;
    };
    const json slow = {{"op", "recall"}, {"msg", a_msg}};
    boost::asio::co_spawn(io_, call(slow), boost::asio::detached);
    boost::asio::co_spawn(io_, call(status()), boost::asio::detached);
    EXPECT_TRUE(co_await wait_until([&] { return slow_started_; }));
    EXPECT_FALSE(co_await wait_until([&] { return statuses_handled_ > 0; }, 300ms));
    release_slow();
    EXPECT_TRUE(co_await wait_until([&] { return answered == 2; }));
    EXPECT_EQ(statuses_handled_, 1);
    co_await p->close(1s);
    co_return true;
  }());
}

TEST_F(Net, PipelineKeepsItsWindowAndMatchesEveryAnswer) {
  auto settings = test_settings();
  settings.max_concurrent_requests = 32;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    auto p = pipeline::create(std::move(*c), 5);
    constexpr int calls = 60;
    int matched = 0;
    int answered = 0;
    std::size_t most_outstanding = 0;
    auto call = [&](int i) -> awaitable<void> {
      // A distinct valid message id per call ([V-1]: the last letter keeps its padding bits 0).
      std::string msg(26, 'a');
      msg[22] = static_cast<char>('a' + i / 26);
      msg[23] = static_cast<char>('a' + i % 26);
      auto r = co_await p->call(status(msg));
      most_outstanding = std::max(most_outstanding, p->connection().outstanding());
      const auto* ok = ok_of(r);
      matched += ok != nullptr && ok->object["msg"] == msg ? 1 : 0;
      ++answered;
    };
    for (int i = 0; i < calls; ++i) {
      boost::asio::co_spawn(io_, call(i), boost::asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return answered == calls; }));
    EXPECT_EQ(matched, calls);
    EXPECT_LE(most_outstanding, 5u);
    EXPECT_EQ(p->answered(), static_cast<std::uint64_t>(calls));
    co_await p->close(1s);
    EXPECT_FALSE(p->usable());
    auto late = co_await p->call(status());
    EXPECT_FALSE(late.has_value());  // a closed pipeline takes no calls
    co_return true;
  }());
}

TEST_F(Net, PoolReusesAnOpenConnectionAndSharesAFailingAttempt) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    peer_pool<std::string, std::string> pool(io_.get_executor(), {2, 4, 10s});
    int opened = 0;
    peer_pool<std::string, std::string>::connector up =
        [&]() -> awaitable<peer_pool<std::string, std::string>::opened> {
      ++opened;
      auto c = co_await client_connection::open(io_.get_executor(), client());
      if (!c) {
        co_return std::string("connect failed");
      }
      co_return std::move(*c);
    };
    auto first = co_await pool.get("beta.test", up);
    auto second = co_await pool.get("beta.test", up);
    EXPECT_EQ(opened, 1);  // idle, with room: the same connection again
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<pipeline>>(first));
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<pipeline>>(second));
    if (std::holds_alternative<std::shared_ptr<pipeline>>(first) &&
        std::holds_alternative<std::shared_ptr<pipeline>>(second)) {
      EXPECT_EQ(std::get<0>(first), std::get<0>(second));
      // A connection the caller may not use (say, its address is not designated) is passed by.
      peer_pool<std::string, std::string>::acceptable none = [](const client_connection&) {
        return false;
      };
      auto third = co_await pool.get("beta.test", up, none);
      EXPECT_EQ(opened, 2);
      EXPECT_TRUE(std::holds_alternative<std::shared_ptr<pipeline>>(third));
    }
    EXPECT_EQ(pool.connections(), 2u);

    // A peer that is down: ten callers at once cost one attempt, and all see its failure.
    int attempts = 0;
    peer_pool<std::string, std::string>::connector down =
        [&]() -> awaitable<peer_pool<std::string, std::string>::opened> {
      ++attempts;
      boost::asio::steady_timer t(io_, 100ms);
      co_await t.async_wait(use_tuple);
      co_return std::string("refused");
    };
    int failed = 0;
    auto caller = [&]() -> awaitable<void> {
      auto got = co_await pool.get("down.test", down);
      failed += std::holds_alternative<std::string>(got) ? 1 : 0;
    };
    for (int i = 0; i < 10; ++i) {
      boost::asio::co_spawn(io_, caller(), boost::asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return failed == 10; }));
    EXPECT_EQ(attempts, 1);
    co_await pool.close_all(1s);
    EXPECT_EQ(pool.connections(), 0u);
    co_return true;
  }());
}

TEST_F(Net, BadLengthIsAFramingErrorWithReNullAndClose) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    co_await write_object(*stream, peer_hello());
    auto hello = co_await read_object(*stream);
    EXPECT_TRUE(hello && hello->object["op"] == "ok");
    // L = 65 537 ([F-2]).
    const std::array<unsigned char, 4> header = {0x00, 0x01, 0x00, 0x01};
    auto [error, written] =
        co_await boost::asio::async_write(*stream, boost::asio::buffer(header), use_tuple);
    EXPECT_FALSE(error);
    (void)written;
    auto refused = co_await read_object(*stream);
    EXPECT_TRUE(refused.has_value());
    if (refused) {
      EXPECT_EQ(refused->object["op"], "error");
      EXPECT_TRUE(refused->object["re"].is_null());
      EXPECT_EQ(refused->object["code"], "bad-request");
    }
    EXPECT_TRUE(co_await closed_by_server(*stream));
    co_return true;
  }());
}

TEST_F(Net, BodyOverTheLimitIsMessageTooLargeAndClose) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    co_await write_object(*stream, user_hello());
    auto hello = co_await read_object(*stream);
    EXPECT_TRUE(hello && hello->object["op"] == "ok");
    json too_large = submit();
    too_large["id"] = 1;
    too_large["body_len"] = test_max_size + 1;
    co_await write_object(*stream, too_large);
    auto refused = co_await read_object(*stream);
    EXPECT_TRUE(refused.has_value());
    if (refused) {
      EXPECT_TRUE(refused->object["re"].is_null());
      EXPECT_EQ(refused->object["code"], "message-too-large");
    }
    EXPECT_TRUE(co_await closed_by_server(*stream));
    co_return true;
  }());
}

TEST_F(Net, RequestErrorsKeepTheConnection) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    auto& connection = **c;
    auto bad_field = co_await connection.request(status("not-a-message-id"));
    EXPECT_NE(error_of(bad_field), nullptr);
    if (const auto* e = error_of(bad_field)) {
      EXPECT_EQ(e->code, proto::errc::bad_request);
      EXPECT_EQ(e->re, 1u);
    }
    json frobnicate = {{"op", "frobnicate"}};
    auto unknown = co_await connection.request(frobnicate);
    EXPECT_NE(error_of(unknown), nullptr);
    if (const auto* e = error_of(unknown)) {
      EXPECT_EQ(e->code, proto::errc::bad_request);
      EXPECT_EQ(e->re, 2u);
    }
    // A refused request with a body: the body is discarded before the next request ([R-6]).
    auto sent = co_await connection.send_with_body(
        submit("not an address"), 100000, pattern_source(std::make_shared<std::uint64_t>(0)));
    EXPECT_TRUE(sent.has_value());
    auto bad_address = co_await connection.receive();
    EXPECT_NE(error_of(bad_address), nullptr);
    if (const auto* e = error_of(bad_address)) {
      EXPECT_EQ(e->code, proto::errc::bad_address);
    }
    auto fine = co_await connection.request(status());
    EXPECT_NE(ok_of(fine), nullptr);
    EXPECT_TRUE(connection.usable());
    co_return true;
  }());
}

TEST_F(Net, IdleConnectionIsClosed) {
  server_settings settings = test_settings();
  settings.idle_timeout = 200ms;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    co_await write_object(*stream, peer_hello());
    auto hello = co_await read_object(*stream);
    EXPECT_TRUE(hello && hello->object["op"] == "ok");
    // No request: the server closes (cleanly, with close_notify) and sends nothing ([T-9]).
    auto next = co_await read_object(*stream);
    EXPECT_FALSE(next.has_value());
    if (!next) {
      EXPECT_EQ(next.error().code, boost::asio::error::eof) << next.error().describe();
    }
    co_return true;
  }());
}

TEST_F(Net, ConnectionsOverTheLimitAreClosedAtOnce) {
  server_settings settings = test_settings();
  settings.max_connections = 2;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto first = co_await client_connection::open(io_.get_executor(), client());
    auto second = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(listener_->open_connections(), 2u);
    auto third = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_FALSE(third.has_value());
    if (!third) {
      EXPECT_NE(third.error().stage, client_stage::connect);
      EXPECT_TRUE(third.error().temporary());
      EXPECT_EQ(third.error().wire_code(), proto::errc::internal);
    }
    EXPECT_EQ(listener_->open_connections(), 2u);
    // The first two still work.
    if (first && second) {
      EXPECT_NE(ok_of(co_await (*first)->request(status())), nullptr);
      EXPECT_NE(ok_of(co_await (*second)->request(status())), nullptr);
    }
    co_return true;
  }());
}

TEST_F(Net, ConnectionsOverThePerAddressLimitAreClosed) {
  server_settings settings = test_settings();
  settings.max_connections_per_address = 1;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto first = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(first.has_value());
    auto second = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_FALSE(second.has_value());
    // Another source address is another count.
    auto settings = client();
    settings.bind_address = boost::asio::ip::make_address("127.0.0.4");
    auto third = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_TRUE(third.has_value());
    EXPECT_EQ(listener_->open_connections(), 2u);
    co_return true;
  }());
}

TEST_F(Net, SilentClientIsClosedAfterTheHelloDeadline) {
  server_settings settings = test_settings();
  settings.hello_timeout = 200ms;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    EXPECT_TRUE(co_await closed_by_server(*stream));
    co_return true;
  }());
}

TEST_F(Net, StalledFrameIsClosedAfterTheFrameDeadline) {
  server_settings settings = test_settings();
  settings.frame_timeout = 200ms;
  start(tls::listener_kind::notify, settings);
  run([this]() -> awaitable<bool> {
    auto stream = co_await raw_connect();
    co_await write_object(*stream, peer_hello());
    auto hello = co_await read_object(*stream);
    EXPECT_TRUE(hello && hello->object["op"] == "ok");
    // Two octets of a length, then nothing: the frame deadline, not the idle one, applies.
    const std::array<unsigned char, 2> half = {0x00, 0x00};
    auto [error, written] =
        co_await boost::asio::async_write(*stream, boost::asio::buffer(half), use_tuple);
    EXPECT_FALSE(error);
    (void)written;
    EXPECT_TRUE(co_await closed_by_server(*stream));
    co_return true;
  }());
}

TEST_F(Net, PlainTcpClientIsClosedAfterTheHandshakeDeadline) {
  server_settings settings = test_settings();
  settings.handshake_timeout = 200ms;
  start(tls::listener_kind::notify, settings);
  const log_capture logs;
  const auto before = tls::tls_failures(tls::failure::handshake);
  run([this]() -> awaitable<bool> {
    boost::asio::ip::tcp::socket socket(io_);
    auto [error] = co_await socket.async_connect(
        {boost::asio::ip::make_address("127.0.0.1"), port_}, use_tuple);
    EXPECT_FALSE(error);
    std::array<char, 16> buffer;
    boost::asio::steady_timer limit(io_, 20s);
    using namespace boost::asio::experimental::awaitable_operators;
    auto outcome = co_await (socket.async_read_some(boost::asio::buffer(buffer), use_tuple) ||
                             limit.async_wait(use_tuple));
    EXPECT_EQ(outcome.index(), 0u);  // the server closed; the test's own limit did not pass
    co_return true;
  }());
  // Counted once and logged once, as one structured line.
  EXPECT_EQ(tls::tls_failures(tls::failure::handshake), before + 1);
  const auto failures = logs.tls_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0]["reason"], "handshake");
  EXPECT_EQ(failures[0]["side"], "server");
  EXPECT_EQ(failures[0]["listener"], "notify");
}

TEST_F(Net, FiveMebibyteBodyStreamsBothWaysInBoundedChunks) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto c = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(c.has_value());
    if (!c) {
      co_return false;
    }
    constexpr std::uint64_t size = 5 * 1024 * 1024;
    auto sent = co_await (*c)->send_with_body(submit(), size,
                                              pattern_source(std::make_shared<std::uint64_t>(0)));
    EXPECT_TRUE(sent.has_value());
    auto r = co_await (*c)->receive();
    const auto* ok = ok_of(r);
    EXPECT_NE(ok, nullptr);
    if (!ok) {
      co_return false;
    }
    EXPECT_EQ(ok->object["body_len"], size);
    body_check check;
    auto read = co_await (*c)->read_body(size, check.sink());
    EXPECT_TRUE(read.has_value());
    EXPECT_EQ(check.received, size);
    EXPECT_TRUE(check.matches);
    EXPECT_LE(check.largest_chunk, proto::body_chunk_size);
    EXPECT_TRUE(server_body_.has_value());
    if (server_body_) {
      EXPECT_EQ(server_body_->received, size);
      EXPECT_TRUE(server_body_->matches);
      EXPECT_LE(server_body_->largest_chunk, proto::body_chunk_size);
    }
    // The connection goes on after the bodies.
    EXPECT_NE(ok_of(co_await (*c)->request(status())), nullptr);
    co_return true;
  }());
}

TEST_F(Net, DrainFinishesTheSlowRequestAndClosesIdleSessions) {
  start(tls::listener_kind::submit);
  run([this]() -> awaitable<bool> {
    auto busy = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_TRUE(busy.has_value());
    auto idle = co_await raw_connect();
    co_await write_object(*idle, user_hello());
    auto hello = co_await read_object(*idle);
    EXPECT_TRUE(hello && hello->object["op"] == "ok");
    if (!busy) {
      co_return false;
    }
    json recall = {{"op", "recall"}, {"msg", a_msg}};
    auto id = co_await (*busy)->send(recall);
    EXPECT_TRUE(id.has_value());
    boost::asio::steady_timer tick(io_, 10ms);
    for (int i = 0; i < 1000 && !slow_started_; ++i) {
      tick.expires_after(10ms);
      co_await tick.async_wait(use_tuple);
    }
    EXPECT_TRUE(slow_started_);

    bool stopped = false;
    boost::asio::co_spawn(io_, listener_->stop(20s), [&](std::exception_ptr) { stopped = true; });
    // The idle session goes at once; the busy one waits for its request.
    EXPECT_TRUE(co_await closed_by_server(*idle));
    // (The idle session may still wait briefly for our close_notify before it is gone.)
    for (int i = 0; i < 1000 && listener_->open_connections() > 1; ++i) {
      tick.expires_after(10ms);
      co_await tick.async_wait(use_tuple);
    }
    EXPECT_FALSE(stopped);
    EXPECT_EQ(listener_->open_connections(), 1u);
    release_slow();
    auto r = co_await (*busy)->receive();
    const auto* ok = ok_of(r);
    EXPECT_NE(ok, nullptr);
    if (ok) {
      EXPECT_EQ(ok->re, *id);
    }
    for (int i = 0; i < 1000 && !stopped; ++i) {
      tick.expires_after(10ms);
      co_await tick.async_wait(use_tuple);
    }
    EXPECT_TRUE(stopped);
    EXPECT_EQ(listener_->open_connections(), 0u);
    // No more requests on the drained connection, and no new connections.
    EXPECT_FALSE((co_await (*busy)->request(status())).has_value());
    auto late = co_await client_connection::open(io_.get_executor(), client());
    EXPECT_FALSE(late.has_value());
    if (!late) {
      EXPECT_EQ(late.error().stage, client_stage::connect);
    }
    co_return true;
  }());
}

// --- the client ---

TEST_F(Net, ClientWalksAddressesAndBindsItsSourceAddress) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    auto settings = client();
    // Nothing listens on 127.0.0.2: refused, then the next address ([L-7]).
    settings.addresses = {boost::asio::ip::make_address("127.0.0.2"),
                          boost::asio::ip::make_address("127.0.0.1")};
    settings.bind_address = boost::asio::ip::make_address("127.0.0.3");
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().describe());
    if (!c) {
      co_return false;
    }
    EXPECT_EQ((*c)->local_endpoint().address().to_string(), "127.0.0.3");
    auto r = co_await (*c)->request(status());
    const auto* ok = ok_of(r);
    EXPECT_NE(ok, nullptr);
    if (ok) {
      EXPECT_EQ(ok->object["remote"], "127.0.0.3");  // [T-8]
    }
    co_return true;
  }());
}

TEST_F(Net, ClientRefusesAServerThatDoesNotProveTheHost) {
  start(tls::listener_kind::notify);
  const log_capture logs;
  run([this]() -> awaitable<bool> {
    auto settings = client();
    settings.peer_host = "mx.other.test";
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().stage, client_stage::handshake);
      EXPECT_EQ(c.error().tls, tls::failure::name_mismatch);
      // [L-6]: a TLS failure is recorded as internal, temporary.
      EXPECT_TRUE(c.error().temporary());
      EXPECT_EQ(c.error().wire_code(), proto::errc::internal);
    }
    co_return true;
  }());
  // The client's line (the server may log its side of the aborted handshake too).
  std::vector<json> client_side;
  for (const json& failure : logs.tls_failures()) {
    if (failure["side"] == "client") {
      client_side.push_back(failure);
    }
  }
  ASSERT_EQ(client_side.size(), 1u);
  EXPECT_EQ(client_side[0]["reason"], "name-mismatch");
  EXPECT_EQ(client_side[0]["listener"], "notify");
  EXPECT_EQ(client_side[0]["host"], "mx.other.test");
}

TEST_F(Net, ConnectTimesOutOnABlackHole) {
  start(tls::listener_kind::notify);
  run([this]() -> awaitable<bool> {
    // A listening socket whose backlog is never accepted still completes TCP; a server that
    // never answers the TLS handshake is the black hole here.
    boost::asio::ip::tcp::acceptor silent(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto settings = client();
    settings.port = silent.local_endpoint().port();
    settings.handshake_timeout = 200ms;
    auto c = co_await client_connection::open(io_.get_executor(), settings);
    EXPECT_FALSE(c.has_value());
    if (!c) {
      EXPECT_EQ(c.error().stage, client_stage::handshake);
      EXPECT_TRUE(c.error().temporary());
    }
    co_return true;
  }());
}

}  // namespace
}  // namespace im2k::net
