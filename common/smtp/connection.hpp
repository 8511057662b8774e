// One SMTP connection's I/O, for a server or a client: bounded lines in, text out, the DATA
// stream unstuffed in bounded chunks, and the switch to TLS (STARTTLS, RFC 3207, or implicit TLS
// from the first octet, RFC 8314). Every read and write has a deadline; nothing waits forever.
//
// The stream is a TLS stream from the start; until start_tls (or after accept on an implicit
// TLS port, with secure = true) octets go through its TCP layer in clear.
//
//   smtp::connection c(std::move(stream), false);
//   auto line = co_await c.read_line(deadline);
//   co_await c.write(smtp::format(reply), deadline);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/net/body.hpp"
#include "common/smtp/line_buffer.hpp"
#include "common/tls/stream.hpp"

namespace im2k::smtp {

using clock = std::chrono::steady_clock;

// AUTH lines may be longer than commands (RFC 4954 section 4: at least 12 288 octets).
inline constexpr std::size_t max_auth_line = 12288;

// What a DATA read delivered.
struct data_result {
  std::uint64_t size = 0;  // unstuffed octets of the message, counting those over the limit
  bool too_large = false;  // more than the limit: the excess was read and dropped, not handed out
  // The sink's first error: nothing was handed out after it, the rest was read and dropped.
  boost::system::error_code sink_error;
};

class connection {
 public:
  // `secure`: the TLS handshake has been done (implicit TLS) or is not wanted yet.
  connection(tls::tls_stream stream, bool secure, std::size_t max_line = max_auth_line + 2);

  tls::tls_stream& stream() { return stream_; }
  bool secure() const { return secure_; }
  void set_secure() { secure_ = true; }
  // Octets received after the last line read: the peer pipelined (see line_buffer).
  bool has_pending_input() const { return in_.has_pending(); }

  // The next line before `deadline`: a line (without CRLF) or a fault of line_buffer. Errors:
  // timed_out at the deadline, operation_aborted after interrupt(), eof, or the transport's.
  boost::asio::awaitable<boost::system::result<line_result>> read_line(clock::time_point deadline);

  // Writes all of `text` before `deadline` (timed_out otherwise; the connection is then broken).
  boost::asio::awaitable<boost::system::error_code> write(std::string text,
                                                          clock::time_point deadline);

  // The message text after a 354 reply up to and including the final dot line: unstuffed
  // octets go to `sink` in chunks of at most read_chunk + max_line octets, up to `limit` octets
  // in all (beyond that they are read and dropped, and too_large is set). Each read must
  // complete within `per_read` and the whole before `deadline`. After a sink error the rest is
  // read and dropped too, so that the session stays in step; the error is in the result.
  boost::asio::awaitable<boost::system::result<data_result>> read_data(net::body_sink sink,
                                                                       std::uint64_t limit,
                                                                       clock::duration per_read,
                                                                       clock::time_point deadline);

  // The TLS handshake as a server or a client, within `timeout`. Anything the peer sent in
  // clear after the command is dropped first (RFC 3207 section 4.2: it could have been injected
  // by a man in the middle). On success the connection is secure. The caller sets SNI and name
  // checks on stream().native_handle() before a client handshake.
  boost::asio::awaitable<boost::system::error_code> start_tls(
      boost::asio::ssl::stream_base::handshake_type type, clock::duration timeout);

  // Drops what the peer sent after the last line read (before a server's TLS handshake, for
  // the reason of start_tls).
  void drop_pending_input() { in_.clear(); }

  // From the connection's executor: makes a pending read end with operation_aborted.
  void interrupt();
  bool interrupted() const { return interrupted_; }

  // close_notify when secure (waiting at most `timeout` for the peer's), then closes the socket.
  boost::asio::awaitable<void> close(clock::duration timeout);
  // Closes the socket at once.
  void abort();
  bool broken() const { return broken_; }

 private:
  boost::asio::awaitable<boost::system::result<std::size_t>> read_some(std::span<char> into,
                                                                       clock::time_point deadline);
  boost::asio::awaitable<boost::system::error_code> fill(clock::time_point deadline);

  tls::tls_stream stream_;
  bool secure_;
  line_buffer in_;
  boost::asio::steady_timer timer_;
  bool interrupted_ = false;
  bool broken_ = false;
};

}  // namespace im2k::smtp
