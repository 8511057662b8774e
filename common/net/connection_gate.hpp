// The connection limits of one listener ([T-11]): a global cap and a cap per source (by
// source_key: an IPv6 peer by its /64), checked at accept, before any TLS work. Both the
// protocol listener (net::listener) and the SMTP listeners use it, so the rule is one piece.
//
//   auto key = gate.admit(remote);  // nullopt: refused (logged and counted), close the socket
//   ... the connection lives ...
//   gate.release(*key);
//
// admit() and release() run on the listener's strand; open() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace im2k::net {

class connection_gate {
 public:
  connection_gate(std::string listener, std::size_t max_connections, std::size_t max_per_source);

  // The key to release() when the connection ends, or nullopt when a cap is reached; then the
  // refusal is logged (connection.refused) and counted in
  // im2k_connections_refused_total{listener,reason}.
  std::optional<boost::asio::ip::address> admit(const boost::asio::ip::tcp::endpoint& remote);
  void release(const boost::asio::ip::address& key);

  std::size_t open() const { return open_.load(); }

 private:
  const std::string listener_;
  const std::size_t max_connections_;
  const std::size_t max_per_source_;
  std::map<boost::asio::ip::address, std::size_t> per_source_;
  std::atomic<std::size_t> open_{0};
};

// Opens, binds (SO_REUSEADDR) and listens; on failure the acceptor is left closed.
boost::system::error_code open_acceptor(boost::asio::ip::tcp::acceptor& acceptor,
                                        const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace im2k::net
