// A TLS listener and clients on 127.0.0.1 driven by one io_context in the test's thread; every
// wait is bounded.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/tls/context.hpp"
#include "common/tls/failure.hpp"
#include "common/tls/stream.hpp"

namespace im2k::tls::testing {

struct server_side {
  bool done = false;  // the handshake has ended
  failure handshake = failure::handshake;
  std::shared_ptr<tls_stream> stream;  // after a successful handshake; echoes what it reads
};

struct client_side {
  bool done = false;                       // handshake and first exchange have ended
  failure handshake = failure::handshake;  // what client_handshake returned
  bool exchanged = false;                  // wrote one byte and read it back
  bool read_failed = false;                // the exchange failed (a rejected certificate)
  failure read_failure = failure::none;    // classify() of that failure
  std::shared_ptr<tls_stream> stream;
};

class loopback {
 public:
  loopback();

  boost::asio::io_context& io() { return io_; }
  unsigned short port() const { return port_; }

  // Accepts one connection using `context` (a `kind` listener), handshakes, then echoes bytes
  // until the peer closes.
  void serve_one(context_ptr context, listener_kind kind, server_side& out);

  // Connects to the listener as a client of `kind` expecting the server to be `host`, then
  // exchanges one byte.
  void connect(context_ptr context, std::string host, listener_kind kind, client_side& out);

  // One more byte over an established client connection; sets `ok` and `done`.
  void exchange(client_side& client, bool& ok, bool& done);

  // Runs the loop until `finished()` or `limit` passes; false on the deadline.
  bool run_until(const std::function<bool()>& finished,
                 std::chrono::seconds limit = std::chrono::seconds(20));

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
};

}  // namespace im2k::tls::testing
