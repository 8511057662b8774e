#include "common/net/connection_gate.hpp"

#include <utility>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/net/server_settings.hpp"
#include "common/net/source_key.hpp"

namespace im2k::net {

connection_gate::connection_gate(std::string listener, std::size_t max_connections,
                                 std::size_t max_per_source)
    : listener_(std::move(listener)),
      max_connections_(max_connections),
      max_per_source_(max_per_source) {}

std::optional<boost::asio::ip::address> connection_gate::admit(
    const boost::asio::ip::tcp::endpoint& remote) {
  const auto key = source_key(remote.address());
  const std::size_t open = open_.load();
  auto it = per_source_.find(key);
  const std::size_t from_source = it == per_source_.end() ? 0 : it->second;
  if (open >= max_connections_ || from_source >= max_per_source_) {
    const std::string reason = open >= max_connections_ ? "max-connections" : "max-per-address";
    metrics::global()
        .counter("im2k_connections_refused_total",
                 "Connections closed at accept for a connection limit ([T-11]), by listener "
                 "and reason.",
                 {{"listener", listener_}, {"reason", reason}})
        .inc();
    log::warn("connection.refused")
        .kv("listener", listener_)
        .kv("peer", to_string(remote))
        .kv("reason", reason)
        .kv("open", open);
    return std::nullopt;
  }
  ++per_source_[key];
  open_.store(open + 1);
  return key;
}

void connection_gate::release(const boost::asio::ip::address& key) {
  auto it = per_source_.find(key);
  if (it != per_source_.end() && --it->second == 0) {
    per_source_.erase(it);
  }
  open_.store(open_.load() - 1);
}

boost::system::error_code open_acceptor(boost::asio::ip::tcp::acceptor& acceptor,
                                        const boost::asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  }
  return ec;
}

}  // namespace im2k::net
