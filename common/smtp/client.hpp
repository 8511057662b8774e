// The client side of SMTP (RFC 5321) for a relay or a test: greeting, EHLO with its extensions,
// STARTTLS, AUTH PLAIN, and one mail transaction at a time, pipelined (RFC 2920) when the
// server offers PIPELINING. Every wait has a deadline. The caller connects the socket and, for
// STARTTLS, sets SNI and the certificate checks on stream().native_handle() beforehand.
//
//   smtp::client c(std::move(stream), {});
//   auto hello = co_await c.greeting();      // 220
//   auto ehlo = co_await c.ehlo("oms.alpha.test");
//   auto tx = co_await c.send("alice@alpha.test", {"dave@gamma.test"}, message_source);
//   co_await c.quit();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "common/net/body.hpp"
#include "common/smtp/connection.hpp"
#include "common/smtp/reply.hpp"

namespace im2k::smtp {

struct client_options {
  clock::duration reply_timeout = std::chrono::minutes(5);      // RFC 5321 section 4.5.3.2
  clock::duration data_end_timeout = std::chrono::minutes(10);  // for the reply to the final dot
  clock::duration write_timeout = std::chrono::seconds(30);
  clock::duration handshake_timeout = std::chrono::seconds(10);
};

// What the EHLO reply offered.
struct extensions {
  bool pipelining = false;
  bool starttls = false;
  bool eight_bit_mime = false;
  bool enhanced_status_codes = false;
  std::optional<std::uint64_t> size;  // SIZE's value (0: no fixed limit)
  std::vector<std::string> auth;      // mechanisms, upper case
};

// Parses the lines of a positive EHLO reply (the first line, the server's name, is skipped).
extensions parse_extensions(const reply& ehlo);

// One transaction's replies: MAIL, each RCPT in order, DATA (when sent), and the reply to the
// message's final dot (when the message was sent, i.e. DATA got 354).
struct transaction {
  reply mail;
  std::vector<reply> rcpt;
  std::optional<reply> data;
  std::optional<reply> message;
  // True when the message was accepted: a 2xx after the final dot.
  bool accepted() const { return message && message->positive(); }
};

class client {
 public:
  client(tls::tls_stream stream, client_options options = {});

  connection& conn() { return conn_; }
  const extensions& offered() const { return extensions_; }

  // Errors: the connection's (timed_out, eof, ...) or protocol_error for a malformed reply.
  boost::asio::awaitable<boost::system::result<reply>> greeting();
  // EHLO, and the extensions from a positive reply.
  boost::asio::awaitable<boost::system::result<reply>> ehlo(std::string name);
  // STARTTLS; on 220 the handshake (its failure is the error). EHLO again afterwards.
  boost::asio::awaitable<boost::system::result<reply>> starttls();
  boost::asio::awaitable<boost::system::result<reply>> auth_plain(std::string_view user,
                                                                  std::string_view password);
  // MAIL FROM:<from> (with SIZE=size_hint when the server offers SIZE and BODY=8BITMIME when it
  // offers 8BITMIME), RCPT TO for each recipient and DATA, in one write with PIPELINING; then,
  // after 354 and if any recipient was accepted, the message from `body` dot-stuffed and ended.
  // A 354 after no accepted recipient (possible only when pipelining) gets just the final dot,
  // never the message (RFC 2920 section 3.1). `body` gives 0 octets at the end of the message.
  boost::asio::awaitable<boost::system::result<transaction>> send(std::string from,
                                                                  std::vector<std::string> rcpt,
                                                                  std::uint64_t size_hint,
                                                                  net::body_source body);
  // Any one command line (without CRLF) and its reply.
  boost::asio::awaitable<boost::system::result<reply>> command(std::string line);
  boost::asio::awaitable<boost::system::result<reply>> quit();
  // The next reply, within `timeout` (after writing pipelined commands through conn()).
  boost::asio::awaitable<boost::system::result<reply>> read_reply(clock::duration timeout);

 private:
  boost::asio::awaitable<boost::system::error_code> write(std::string text);
  boost::asio::awaitable<boost::system::error_code> write_message(net::body_source& body);

  connection conn_;
  client_options options_;
  extensions extensions_;
};

}  // namespace im2k::smtp
