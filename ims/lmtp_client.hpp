// A small LMTP client (RFC 2033) for handing stored messages to Dovecot over a Unix socket
// ([I-2]): LHLO, MAIL FROM, one RCPT TO per recipient, DATA with dot-stuffing, and after the
// data one reply per accepted recipient. Every connect, read and write has a deadline; every
// reply line and reply is bounded. No pipelining: a local socket makes round trips cheap.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace im2k::ims {

struct lmtp_settings {
  std::filesystem::path socket;
  std::string host;                  // our name, for LHLO
  std::chrono::seconds timeout{30};  // the connect, and each read and write
};

// One SMTP-style reply: code 0 when none came (the connection failed first).
struct lmtp_reply {
  int code = 0;
  std::string text;  // the last line's text, for logs and refusals

  bool positive() const { return code >= 200 && code < 300; }
  bool permanent() const { return code >= 500 && code < 600; }
};

struct lmtp_outcome {
  // Set when the transaction as a whole failed (no connection, a deadline, a refused greeting,
  // MAIL FROM or DATA): nothing was delivered, try again later unless `failure.permanent()`.
  std::string failure;  // empty when the transaction ran
  lmtp_reply failure_reply;
  std::vector<lmtp_reply> replies;  // per recipient, in order: the RCPT reply if it was
                                    // refused, else the reply after the data
};

// Sends the message in `body` (a file of octets, any line ends) from `sender` to `rcpts`.
boost::asio::awaitable<lmtp_outcome> lmtp_send(boost::asio::any_io_executor executor,
                                               const lmtp_settings& settings, std::string sender,
                                               std::vector<std::string> rcpts,
                                               std::filesystem::path body);

// The message as DATA carries it: CRLF line ends (a bare LF or CR becomes one), a leading dot
// doubled ([I-2]). The two flags carry across calls, so that a file can be sent in pieces;
// start with at_line_start = true, pending_cr = false.
std::string lmtp_stuff(std::string_view chunk, bool& at_line_start, bool& pending_cr);

}  // namespace im2k::ims
