// server_session and client against each other over 127.0.0.1: pipelining, limits, faults,
// deadlines, AUTH, STARTTLS (and what a client pipelines before it) and implicit TLS, with a
// handler that records what it is given.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/smtp/client.hpp"
#include "common/smtp/server_session.hpp"
#include "common/tls/context.hpp"
#include "common/tls/handshake.hpp"
#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/run_awaitable.hpp"

namespace im2k::smtp {
namespace {

using boost::asio::awaitable;
using boost::asio::ip::tcp;
using namespace std::chrono_literals;

constexpr const char* server_host = "oms.alpha.test";

// Accepts alice's password, refuses senders with "bad", recipients starting with "nobody".
class recording_handler : public server_handler {
 public:
  std::vector<std::string> auth_mechanisms(const session_info&) override {
    return {"PLAIN", "LOGIN"};
  }
  awaitable<auth_outcome> authenticate(const session_info&, auth_attempt a) override {
    attempts.push_back(a.mechanism + ":" + a.user);
    if (a.user == "alice@alpha.test" && a.password == "secret") {
      co_return auth_outcome{{235, "2.7.0", {"Authentication successful"}}, a.user, false};
    }
    co_return auth_outcome{{535, "5.7.8", {"authentication failed"}}, std::nullopt, true};
  }
  awaitable<reply> mail(const session_info&, const command& c) override {
    if (c.path.find("bad") != std::string::npos) {
      co_return reply{553, "5.1.3", {"bad sender"}};
    }
    from = c.path;
    senders.push_back(c.path);
    co_return reply{250, "2.1.0", {"Sender ok"}};
  }
  awaitable<reply> rcpt(const session_info&, const command& c) override {
    if (c.path.starts_with("nobody")) {
      co_return reply{550, "5.1.1", {"no such user"}};
    }
    rcpt_list.push_back(c.path);
    co_return reply{250, "2.1.5", {"Recipient ok"}};
  }
  awaitable<reply> data(const session_info&, data_source& source) override {
    std::string body;
    net::body_sink sink =
        [&body](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
      body.append(chunk.data(), chunk.size());
      co_return boost::system::error_code();
    };
    auto r = co_await source.read(std::move(sink));
    if (!r) {
      co_return reply{451, "4.3.0", {"read failed"}};
    }
    if (r->too_large) {
      too_large_sizes.push_back(r->size);
      co_return reply{552, "5.3.4", {"too large"}};
    }
    messages.push_back(from + " -> " + std::to_string(rcpt_list.size()) + ": " + body);
    co_return reply{250, "2.0.0", {"Ok: queued as m" + std::to_string(messages.size())}};
  }
  void reset() override {
    from.clear();
    rcpt_list.clear();
    ++resets;
  }

  std::vector<std::string> attempts;
  std::string from;                  // of the open transaction
  std::vector<std::string> senders;  // every accepted MAIL FROM, in order
  std::vector<std::string> rcpt_list;
  std::vector<std::string> messages;
  std::vector<std::uint64_t> too_large_sizes;
  int resets = 0;
};

// Plaintext options: no TLS, no AUTH (most tests are about the protocol, not its security).
server_options plain_options() {
  server_options o;
  o.host = server_host;
  o.offer_starttls = false;
  o.require_tls = false;
  o.offer_auth = false;
  o.require_auth = false;
  o.max_message_size = 1000;
  return o;
}

class SmtpSession : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    server_context_ =
        std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    client_context_ =
        std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  }

  // Accepts one connection and runs a session on it.
  void serve(server_options options) {
    boost::asio::co_spawn(io_, accept_and_run(std::move(options)), boost::asio::detached);
  }

  // A connected client.
  std::unique_ptr<client> connect(client_options options = {}) {
    tcp::socket socket(io_);
    socket.connect(acceptor_.local_endpoint());
    return std::make_unique<client>(tls::tls_stream(std::move(socket), *client_context_), options);
  }

  template <class T>
  T run(awaitable<T> task) {
    return test::run_awaitable(io_, std::move(task), 20s);
  }

  // Runs until the session has ended.
  session_end finish() {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!end_ && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_until(deadline);
    }
    EXPECT_TRUE(end_.has_value());
    return end_.value_or(session_end::io_error);
  }

  awaitable<void> accept_and_run(server_options options) {
    auto socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
    session_ = std::make_shared<server_session>(
        tls::tls_stream(std::move(socket), *server_context_), std::move(options), handler_);
    end_ = co_await session_->run();
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  tls::context_ptr server_context_;
  tls::context_ptr client_context_;
  recording_handler handler_;
  std::shared_ptr<server_session> session_;
  std::optional<session_end> end_;
};

// The message source for client::send.
net::body_source text_source(std::shared_ptr<std::string> text) {
  auto offset = std::make_shared<std::size_t>(0);
  return [text, offset](std::span<char> into) -> awaitable<boost::system::result<std::size_t>> {
    const std::size_t n = std::min(into.size(), text->size() - *offset);
    std::copy_n(text->data() + *offset, n, into.data());
    *offset += n;
    co_return n;
  };
}

awaitable<std::vector<reply>> replies(client& c, std::size_t n) {
  std::vector<reply> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto r = co_await c.read_reply(5s);
    if (!r) {
      break;
    }
    out.push_back(*r);
  }
  co_return out;
}

// Writes `text` raw, then reads `n` replies.
awaitable<std::vector<reply>> raw(client& c, std::string text, std::size_t n) {
  co_await c.conn().write(std::move(text), clock::now() + 5s);
  co_return co_await replies(c, n);
}

awaitable<std::vector<transaction>> three_messages(client& c) {
  std::vector<transaction> out;
  (void)co_await c.greeting();
  (void)co_await c.ehlo("client.test");
  const std::vector<std::string> bodies = {"Subject: one\r\n\r\nhello\r\n",
                                           "Subject: two\r\n\r\n.dot first\r\n..two\r\n",
                                           "Subject: three\r\n\r\nno final crlf"};
  for (const auto& b : bodies) {
    auto text = std::make_shared<std::string>(b);
    // Named: a braced list inside co_await trips GCC 12.
    std::vector<std::string> rcpt = {"bob@beta.test", "nobody@beta.test"};
    net::body_source source = text_source(text);
    auto t = co_await c.send("alice@alpha.test", std::move(rcpt), text->size(), std::move(source));
    if (t) {
      out.push_back(*t);
    }
  }
  co_await c.quit();
  co_return out;
}

TEST_F(SmtpSession, PipelinedTransactionsKeepOrderAndBodies) {
  serve(plain_options());
  auto c = connect();
  auto results = run(three_messages(*c));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(c->offered().pipelining);
  EXPECT_TRUE(c->offered().eight_bit_mime);
  EXPECT_TRUE(c->offered().enhanced_status_codes);
  EXPECT_EQ(c->offered().size, 1000u);
  EXPECT_FALSE(c->offered().starttls);
  EXPECT_TRUE(c->offered().auth.empty());
  for (const auto& t : results) {
    EXPECT_EQ(t.mail.code, 250);
    ASSERT_EQ(t.rcpt.size(), 2u);
    EXPECT_EQ(t.rcpt[0].code, 250);
    EXPECT_EQ(t.rcpt[1].summary(), "550 5.1.1 no such user");
    EXPECT_EQ(t.data->code, 354);
    EXPECT_TRUE(t.accepted());
  }
  EXPECT_EQ(results[2].message->summary(), "250 2.0.0 Ok: queued as m3");
  ASSERT_EQ(handler_.messages.size(), 3u);
  EXPECT_EQ(handler_.messages[0], "alice@alpha.test -> 1: Subject: one\r\n\r\nhello\r\n");
  EXPECT_EQ(handler_.messages[1],
            "alice@alpha.test -> 1: Subject: two\r\n\r\n.dot first\r\n..two\r\n");
  EXPECT_EQ(handler_.messages[2], "alice@alpha.test -> 1: Subject: three\r\n\r\nno final crlf\r\n");
  EXPECT_EQ(finish(), session_end::quit);
}

TEST_F(SmtpSession, AWholeSessionInOneWrite) {
  serve(plain_options());
  auto c = connect();
  // Everything at once, the message and QUIT included: the DATA reader takes the message from
  // what was buffered with the commands, and the next command after the dot line.
  auto r =
      run(raw(*c,
              "EHLO x.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
              "Subject: s\r\n\r\nbody\r\n.\r\nMAIL FROM:<e@b.test>\r\nRCPT TO:<nobody@d.test>\r\n"
              "DATA\r\nRSET\r\nQUIT\r\n",
              10));
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r[0].code, 220);
  EXPECT_EQ(r[1].code, 250);
  EXPECT_EQ(r[4].code, 354);
  EXPECT_EQ(r[5].summary(), "250 2.0.0 Ok: queued as m1");
  EXPECT_EQ(r[7].code, 550);
  EXPECT_EQ(r[8].summary(), "554 5.5.1 no valid recipients");  // RFC 2920: no 354
  EXPECT_EQ(r[9].code, 250);                                   // RSET
  ASSERT_EQ(handler_.messages.size(), 1u);
  EXPECT_EQ(handler_.messages[0], "a@b.test -> 1: Subject: s\r\n\r\nbody\r\n");
  EXPECT_EQ(run(replies(*c, 1))[0].summary(), "221 2.0.0 Bye");
  EXPECT_EQ(finish(), session_end::quit);
}

TEST_F(SmtpSession, LineLimitsAndProtocolFaults) {
  serve(plain_options());
  auto c = connect();
  const std::string at_limit = "NOOP " + std::string(993, 'x');  // 998 + CRLF = 1000
  auto r = run(raw(*c,
                   "MAIL FROM:<a@b.test>\r\n" + at_limit + "\r\n" + at_limit +
                       "x\r\nNOOP\n"
                       "FOO\r\nEHLO\r\nEHLO x.test\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
                       "MAIL FROM:<a@b.test> SIZE=1001\r\nMAIL FROM:<a@b.test> NOTIFY=NEVER\r\n"
                       "MAIL FROM:<a@b.test> BODY=BINARYMIME\r\nMAIL FROM:<bad@b.test>\r\n"
                       "MAIL FROM:<a@b.test> SIZE=1000\r\nMAIL FROM:<a@b.test>\r\n"
                       "RCPT TO:<c@d.test> NOTIFY=NEVER\r\nVRFY bob\r\nEXPN list\r\n",
                   19));
  ASSERT_EQ(r.size(), 19u);
  EXPECT_EQ(r[0].code, 220);
  EXPECT_EQ(r[1].summary(), "503 5.5.1 send EHLO first");
  EXPECT_EQ(r[2].code, 250);          // 1 000 octets with CRLF: allowed
  EXPECT_EQ(r[3].enhanced, "5.5.2");  // 1 001: too long
  EXPECT_EQ(r[3].code, 500);
  EXPECT_EQ(r[4].summary(), "500 5.5.2 a command line must end in CRLF");
  EXPECT_EQ(r[5].summary(), "500 5.5.1 unknown command");
  EXPECT_EQ(r[6].code, 501);
  EXPECT_EQ(r[7].code, 250);  // EHLO
  EXPECT_EQ(r[8].summary(), "503 5.5.1 need MAIL before RCPT");
  EXPECT_EQ(r[9].summary(), "503 5.5.1 need MAIL before DATA");
  EXPECT_EQ(r[10].code, 552);  // SIZE over the limit, before the handler
  EXPECT_EQ(r[10].enhanced, "5.3.4");
  EXPECT_EQ(r[11].summary(), "555 5.5.4 parameter not recognized or malformed");
  EXPECT_EQ(r[12].code, 555);  // no CHUNKING, so no BINARYMIME
  EXPECT_EQ(r[13].code, 553);  // the handler's refusal
  EXPECT_EQ(r[14].code, 250);
  EXPECT_EQ(r[15].summary(), "503 5.5.1 a mail transaction is already open (RSET first)");
  EXPECT_EQ(r[16].code, 555);  // no RCPT parameters
  EXPECT_EQ(r[17].summary(), "502 5.5.1 VRFY is not offered");
  EXPECT_EQ(r[18].summary(), "502 5.5.1 EXPN is not offered");
  EXPECT_EQ(handler_.messages.size(), 0u);
}

// A line over 1 000 octets is "too long" whatever it holds (only AUTH may be longer), also when
// it would not parse, and over the buffer's own bound (an AUTH line's 12 290) too.
TEST_F(SmtpSession, LongLinesAreTooLongWhateverTheyHold) {
  serve(plain_options());
  auto c = connect();
  auto r = run(raw(*c,
                   "XYZZY " + std::string(1200, 'y') + "\r\nMAIL FROM:<" + std::string(1100, 'a') +
                       "@b.test>\r\nNOOP " + std::string(20000, 'z') + "\r\nNOOP\r\n",
                   5));
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].code, 220);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(r[i].code, 500) << i;
    EXPECT_EQ(r[i].enhanced, "5.5.2") << i;
  }
  EXPECT_EQ(r[4].code, 250);  // the session goes on
}

TEST_F(SmtpSession, TooManyRecipientsAndTooLargeAMessage) {
  auto options = plain_options();
  options.max_recipients = 2;
  serve(options);
  auto c = connect();
  const std::string big(1500, 'x');  // over max_message_size = 1000
  auto r = run(raw(*c,
                   "EHLO x.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                   "RCPT TO:<e@d.test>\r\nRCPT TO:<f@d.test>\r\nDATA\r\nSubject: big\r\n\r\n" +
                       big + "\r\n.\r\nNOOP\r\n",
                   9));
  ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(r[4].code, 250);
  EXPECT_EQ(r[5].summary(), "452 4.5.3 too many recipients");
  EXPECT_EQ(r[6].code, 354);
  EXPECT_EQ(r[7].summary(), "552 5.3.4 too large");  // read to its end, then refused
  EXPECT_EQ(r[8].code, 250);                         // and the session is still in step
  ASSERT_EQ(handler_.too_large_sizes.size(), 1u);
  EXPECT_EQ(handler_.too_large_sizes[0], 16u + big.size() + 2);
  EXPECT_TRUE(handler_.messages.empty());
}

TEST_F(SmtpSession, AStalledClientIsClosedAtTheDeadline) {
  auto options = plain_options();
  options.command_timeout = 300ms;
  serve(options);
  auto c = connect();
  auto r = run(raw(*c, "EHLO x.test\r\nMAIL FROM:<a@b.test>\r\n", 4));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[3].summary(), "421 4.4.2 timeout, closing");
  EXPECT_EQ(finish(), session_end::timeout);
  EXPECT_GE(handler_.resets, 1);  // the open transaction was abandoned
}

TEST_F(SmtpSession, AStallInsideDataIsClosedAtTheDeadline) {
  auto options = plain_options();
  options.data_timeout = 300ms;
  serve(options);
  auto c = connect();
  auto r =
      run(raw(*c, "EHLO x.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nSubj", 6));
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[4].code, 354);
  EXPECT_EQ(r[5].summary(), "421 4.4.2 timeout, closing");
  EXPECT_EQ(finish(), session_end::timeout);
  EXPECT_TRUE(handler_.messages.empty());
}

TEST_F(SmtpSession, CommandAndErrorBudgets) {
  auto options = plain_options();
  options.max_commands = 3;
  serve(options);
  auto c = connect();
  auto r = run(raw(*c, "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n", 6));
  ASSERT_GE(r.size(), 5u);
  EXPECT_EQ(r[4].summary(), "421 4.7.0 too many commands, closing");
  EXPECT_EQ(finish(), session_end::too_many_commands);
}

TEST_F(SmtpSession, TooManyErrorsClose) {
  auto options = plain_options();
  options.max_errors = 2;
  serve(options);
  auto c = connect();
  auto r = run(raw(*c, "X\r\nY\r\nZ\r\nNOOP\r\n", 5));
  ASSERT_GE(r.size(), 5u);
  EXPECT_EQ(r[4].summary(), "421 4.7.0 too many errors, closing");
  EXPECT_EQ(finish(), session_end::too_many_errors);
}

TEST_F(SmtpSession, AuthPlainLoginAndTheFailureLimit) {
  auto options = plain_options();
  options.offer_auth = true;
  options.require_auth = true;
  serve(options);
  auto c = connect();
  // "alice@alpha.test" / "secret" and a wrong password, in PLAIN and LOGIN.
  auto r = run(raw(*c,
                   "EHLO x.test\r\nMAIL FROM:<a@b.test>\r\nAUTH CRAM-MD5\r\n"
                   "AUTH PLAIN AGFsaWNlQGFscGhhLnRlc3QAd3Jvbmc=\r\nAUTH PLAIN !!\r\n"
                   "AUTH LOGIN\r\nYWxpY2VAYWxwaGEudGVzdA==\r\nc2VjcmV0\r\n"
                   "AUTH PLAIN\r\nMAIL FROM:<alice@alpha.test>\r\n",
                   11));
  ASSERT_EQ(r.size(), 11u);
  EXPECT_EQ(r[1].lines.back(), "AUTH PLAIN LOGIN");
  EXPECT_EQ(r[2].summary(), "530 5.7.0 Authentication required");
  EXPECT_EQ(r[3].summary(), "504 5.5.4 unrecognized authentication mechanism");
  EXPECT_EQ(r[4].summary(), "535 5.7.8 authentication failed");
  EXPECT_EQ(r[5].summary(), "501 5.5.2 cannot decode the response (base64)");
  EXPECT_EQ(r[6].code, 334);
  EXPECT_EQ(r[6].lines[0], "VXNlcm5hbWU6");
  EXPECT_EQ(r[7].lines[0], "UGFzc3dvcmQ6");
  EXPECT_EQ(r[8].summary(), "235 2.7.0 Authentication successful");
  EXPECT_EQ(r[9].summary(), "503 5.5.1 already authenticated");
  EXPECT_EQ(r[10].code, 250);
  EXPECT_EQ(handler_.attempts,
            (std::vector<std::string>{"PLAIN:alice@alpha.test", "LOGIN:alice@alpha.test"}));
}

TEST_F(SmtpSession, ThirdFailedAuthClosesTheConnection) {
  auto options = plain_options();
  options.offer_auth = true;
  serve(options);
  auto c = connect();
  const std::string wrong = "AUTH PLAIN AGFsaWNlQGFscGhhLnRlc3QAd3Jvbmc=\r\n";
  auto r = run(raw(*c, "EHLO x.test\r\n" + wrong + wrong + wrong + "NOOP\r\n", 6));
  ASSERT_EQ(r.size(), 5u);  // no reply to the NOOP: closed after the third 535
  EXPECT_EQ(r[4].code, 535);
  EXPECT_EQ(finish(), session_end::auth_failures);
}

TEST_F(SmtpSession, StopAnswersAnIdleSession421) {
  serve(plain_options());
  auto c = connect();
  auto r = run(raw(*c, "EHLO x.test\r\n", 2));
  ASSERT_EQ(r.size(), 2u);
  session_->stop();
  auto last = run(replies(*c, 1));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].summary(), "421 4.3.2 shutting down, try again later");
  EXPECT_EQ(finish(), session_end::stopped);
}

// ---- TLS: STARTTLS (RFC 3207) and implicit TLS (RFC 8314) ----

class SmtpTls : public SmtpSession {
 protected:
  static void SetUpTestSuite() {
    pki_ = new tls::testing::test_pki;
    pki_->run("issue " + pki_->ca_dir() + " server --dns " + std::string(server_host) +
              " --server");
    pki_->run("crl " + pki_->ca_dir());
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    SmtpSession::SetUp();
    auto server =
        tls::make_server_context(pki_->settings("server"), tls::listener_kind::submission);
    ASSERT_TRUE(server) << server.error;
    server_context_ = server.context;
    tls::tls_settings client_settings;
    client_settings.ca_file = pki_->path("ca.pem");
    client_settings.crl = tls::crl_mode::off;
    auto client = tls::make_client_context(client_settings, tls::listener_kind::submission);
    ASSERT_TRUE(client) << client.error;
    client_context_ = client.context;
  }
  server_options tls_options() {
    server_options o;
    o.host = server_host;
    o.max_message_size = 1000;
    return o;
  }
  static inline tls::testing::test_pki* pki_ = nullptr;
};

// Strings are named before co_await: a temporary inside it trips GCC 12.
awaitable<std::vector<reply>> starttls_session(client& c, std::vector<reply>* before) {
  std::string in_clear =
      "EHLO x.test\r\nAUTH PLAIN AGFsaWNlQGFscGhhLnRlc3QAc2VjcmV0\r\nMAIL "
      "FROM:<alice@alpha.test>\r\n";
  *before = co_await raw(c, std::move(in_clear), 4);
  // STARTTLS with a command pipelined after it in clear: RFC 3207 section 4.2 says it must be
  // dropped, or a man in the middle could inject commands that run inside TLS.
  std::string starttls = "STARTTLS\r\nMAIL FROM:<injected@b.test>\r\n";
  co_await c.conn().write(std::move(starttls), clock::now() + 5s);
  auto ready = co_await c.read_reply(5s);
  std::vector<reply> out;
  if (!ready) {
    co_return out;
  }
  out.push_back(*ready);
  tls::set_peer_host(c.conn().stream(), server_host);
  if (co_await c.conn().start_tls(boost::asio::ssl::stream_base::client, 5s)) {
    co_return out;
  }
  std::string in_tls =
      "EHLO x.test\r\nAUTH PLAIN AGFsaWNlQGFscGhhLnRlc3QAc2VjcmV0\r\n"
      "MAIL FROM:<alice@alpha.test>\r\nQUIT\r\n";
  auto after = co_await raw(c, std::move(in_tls), 4);
  out.insert(out.end(), after.begin(), after.end());
  co_return out;
}

TEST_F(SmtpTls, StartTlsIsRequiredAndWhatWasPipelinedInClearIsDropped) {
  serve(tls_options());
  auto c = connect();
  std::vector<reply> before;
  auto r = run(starttls_session(*c, &before));
  ASSERT_EQ(before.size(), 4u);
  EXPECT_EQ(before[1].lines.back(), "STARTTLS");  // no AUTH offered in clear
  EXPECT_EQ(before[2].summary(),
            "538 5.7.11 Encryption required for requested authentication mechanism");
  EXPECT_EQ(before[3].summary(), "530 5.7.0 Must issue a STARTTLS command first");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].summary(), "220 2.0.0 Ready to start TLS");
  // The first reply inside TLS answers EHLO, not the injected MAIL.
  EXPECT_EQ(r[1].code, 250);
  EXPECT_EQ(r[1].lines.back(), "AUTH PLAIN LOGIN");
  for (const auto& line : r[1].lines) {
    EXPECT_NE(line, "STARTTLS");
  }
  EXPECT_EQ(r[2].code, 235);
  EXPECT_EQ(r[3].code, 250);
  // Only the MAIL sent inside TLS reached the handler, never the injected one.
  EXPECT_EQ(handler_.senders, std::vector<std::string>{"alice@alpha.test"});
  EXPECT_EQ(r[4].code, 221);
  EXPECT_EQ(finish(), session_end::quit);
  EXPECT_TRUE(session_->info().secure);
}

awaitable<std::vector<reply>> implicit_session(client& c) {
  tls::set_peer_host(c.conn().stream(), server_host);
  std::vector<reply> out;
  if (co_await c.conn().start_tls(boost::asio::ssl::stream_base::client, 5s)) {
    co_return out;
  }
  std::string commands = "EHLO x.test\r\nSTARTTLS\r\nQUIT\r\n";
  co_return co_await raw(c, std::move(commands), 4);
}

TEST_F(SmtpTls, ImplicitTlsFromTheFirstOctet) {
  auto options = tls_options();
  options.implicit_tls = true;
  options.offer_starttls = false;
  serve(options);
  auto c = connect();
  auto r = run(implicit_session(*c));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].code, 220);
  EXPECT_EQ(r[1].lines.back(), "AUTH PLAIN LOGIN");
  EXPECT_EQ(r[2].summary(), "503 5.5.1 TLS is already active");
  EXPECT_EQ(r[3].code, 221);
  EXPECT_EQ(finish(), session_end::quit);
}

awaitable<std::vector<reply>> cleartext_on_implicit_port(client& c) {
  std::string ehlo = "EHLO x.test\r\n";
  co_return co_await raw(c, std::move(ehlo), 1);
}

TEST_F(SmtpTls, CleartextOnTheImplicitTlsPortFailsTheHandshake) {
  auto options = tls_options();
  options.implicit_tls = true;
  serve(options);
  auto c = connect();
  EXPECT_TRUE(run(cleartext_on_implicit_port(*c)).empty());
  EXPECT_EQ(finish(), session_end::tls_failed);
  EXPECT_TRUE(handler_.attempts.empty());
}

}  // namespace
}  // namespace im2k::smtp
