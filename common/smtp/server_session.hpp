// The server side of one SMTP session (RFC 5321, with RFC 1870 SIZE, RFC 2920 PIPELINING,
// RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 6152 8BITMIME, RFC 2034 ENHANCEDSTATUSCODES): the
// greeting, command sequencing, limits, deadlines, the AUTH exchanges and the DATA stream.
// What is accepted is the handler's decision; the session enforces only the protocol.
//
//   auto s = std::make_shared<smtp::server_session>(std::move(stream), options, handler);
//   co_await s->run();
//
// Replies are queued and written when no further command is buffered (RFC 2920 section 3.2), so
// a pipelining client gets its replies in one write.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include "common/net/body.hpp"
#include "common/smtp/command.hpp"
#include "common/smtp/connection.hpp"
#include "common/smtp/reply.hpp"
#include "common/tls/settings.hpp"

namespace im2k::smtp {

struct server_options {
  std::string host;                                   // in the greeting and the EHLO reply
  std::uint64_t max_message_size = 10 * 1024 * 1024;  // SIZE, and the DATA limit
  std::size_t max_recipients = 1000;                  // per message ([V-8])
  std::size_t max_commands = 10000;                   // per session
  std::size_t max_errors = 20;        // refused commands (syntax, sequence, unknown) per session
  std::size_t max_auth_failures = 3;  // per session ([U-4]), then the session is closed
  bool implicit_tls = false;          // RFC 8314: TLS from the first octet (the handshake is ours)
  bool offer_starttls = true;         // when not already secure
  bool require_tls = true;            // MAIL, RCPT, DATA and AUTH only over TLS
  bool offer_auth = true;             // AUTH after TLS
  bool require_auth = true;           // MAIL only once authenticated
  tls::listener_kind tls_kind = tls::listener_kind::submission;  // for TLS failure reports
  clock::duration handshake_timeout = std::chrono::seconds(10);
  clock::duration command_timeout = std::chrono::minutes(5);  // RFC 5321 section 4.5.3.2.7
  clock::duration data_timeout = std::chrono::minutes(3);     // each read inside DATA
  // The whole DATA: data_base + max_message_size / min_data_rate (the [T-9] body rule).
  clock::duration data_base = std::chrono::seconds(30);
  std::uint64_t min_data_rate = 16 * 1024;  // octets per second
  clock::duration write_timeout = std::chrono::seconds(30);
  clock::duration lifetime = std::chrono::hours(1);
  clock::duration shutdown_timeout = std::chrono::seconds(2);
};

// What the session knows about the client, for the handler.
struct session_info {
  boost::asio::ip::tcp::endpoint remote;
  boost::asio::ip::tcp::endpoint local;
  bool secure = false;
  std::string tls_version;               // "TLSv1.3" once secure
  std::vector<std::string> email_names;  // rfc822Names of a verified client certificate
  std::string helo;                      // the EHLO/HELO argument (a claim)
  std::optional<std::string> user;       // once AUTH succeeded
};

struct auth_attempt {
  std::string mechanism;                // PLAIN, LOGIN or EXTERNAL
  std::string authzid;                  // PLAIN's or EXTERNAL's; empty when none was given
  std::string user;                     // PLAIN's authcid, LOGIN's user name
  std::optional<std::string> password;  // none for EXTERNAL
};

struct auth_outcome {
  reply answer;                     // 235 on success
  std::optional<std::string> user;  // set on success: the session's identity
  bool failed = false;              // counts towards max_auth_failures
};

// Reads the message after 354, once; what is not read the session discards.
class data_source {
 public:
  virtual ~data_source() = default;
  // Unstuffed octets to `sink`, up to the session's max_message_size (see connection).
  virtual boost::asio::awaitable<boost::system::result<data_result>> read(net::body_sink sink) = 0;
};

class server_handler {
 public:
  virtual ~server_handler() = default;
  // The mechanisms EHLO offers once TLS is up ("PLAIN", "LOGIN", maybe "EXTERNAL").
  virtual std::vector<std::string> auth_mechanisms(const session_info& info) = 0;
  virtual boost::asio::awaitable<auth_outcome> authenticate(const session_info& info,
                                                            auth_attempt attempt) = 0;
  // MAIL FROM, after the session's checks (sequence, TLS, AUTH, parameters, SIZE against the
  // limit); a positive reply starts the transaction.
  virtual boost::asio::awaitable<reply> mail(const session_info& info, const command& c) = 0;
  // RCPT TO within a transaction, below max_recipients; positive: one more recipient.
  virtual boost::asio::awaitable<reply> rcpt(const session_info& info, const command& c) = 0;
  // After 354; the reply ends the transaction.
  virtual boost::asio::awaitable<reply> data(const session_info& info, data_source& source) = 0;
  // The transaction is over or abandoned (RSET, EHLO, STARTTLS, after DATA, the end).
  virtual void reset() = 0;
};

// How a session ended, for logs and metrics.
enum class session_end {
  quit,
  client_closed,
  timeout,
  too_many_commands,
  too_many_errors,
  auth_failures,
  lifetime,
  stopped,
  tls_failed,
  io_error
};
std::string_view to_string(session_end e);

class server_session : public std::enable_shared_from_this<server_session> {
 public:
  server_session(tls::tls_stream stream, server_options options, server_handler& handler);

  // The whole session; returns how it ended. Spawn it on the stream's executor (a strand).
  boost::asio::awaitable<session_end> run();

  // From any thread: a session waiting for a command answers 421 and closes; one inside a
  // command finishes it first.
  void stop();
  // From any thread: close the socket now.
  void abort();

  const session_info& info() const { return info_; }

 private:
  class source;

  boost::asio::awaitable<std::optional<session_end>> serve(const command& c);
  boost::asio::awaitable<std::optional<session_end>> ehlo(const command& c);
  boost::asio::awaitable<std::optional<session_end>> starttls();
  boost::asio::awaitable<std::optional<session_end>> auth(const command& c);
  boost::asio::awaitable<std::optional<session_end>> mail(const command& c);
  boost::asio::awaitable<std::optional<session_end>> rcpt(const command& c);
  boost::asio::awaitable<std::optional<session_end>> data();
  // An AUTH continuation line: the client's response to `challenge` ("334 <challenge>"),
  // decoded; else the refusal to send (code 0: the connection failed, nothing can be sent).
  boost::asio::awaitable<boost::system::result<std::string, reply>> exchange(std::string challenge);
  // The initial response of `c` when it has one, else exchange(challenge).
  boost::asio::awaitable<boost::system::result<std::string, reply>> first_response(
      const command& c, std::string challenge);
  boost::asio::awaitable<bool> handshake();

  // Queues a reply; refusals count towards max_errors.
  void queue(const reply& r);
  void refuse(const reply& r);
  boost::asio::awaitable<boost::system::error_code> flush();
  // A final 421 (best effort within the write deadline), then the end.
  boost::asio::awaitable<session_end> close_with(session_end why, reply r);
  clock::time_point deadline_after(clock::duration d) const;
  void end_transaction();

  connection conn_;
  server_options options_;
  server_handler& handler_;
  session_info info_;
  clock::time_point lifetime_end_;
  std::string output_;
  bool greeted_ = false;
  bool in_transaction_ = false;
  std::size_t recipients_ = 0;
  std::size_t commands_ = 0;
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  bool stopping_ = false;
  bool waiting_ = false;  // for a command: stop() may interrupt
};

}  // namespace im2k::smtp
