// Opening a notify connection to a recipient domain ([D-2] ... [D-4], [L-7]): the domain's MX
// hosts by preference, each host's addresses, TLS to the first that answers with the server
// certificate naming the host, and hello. A refusal that decides for the whole domain (no MX,
// null MX, no usable host, a permanent hello refusal) comes back as a failure with its event.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/dns/resolver.hpp"
#include "common/net/client_connection.hpp"
#include "common/tls/credentials.hpp"
#include "oms/config.hpp"
#include "oms/lifecycle.hpp"
#include "proto/error.hpp"

namespace im2k::oms {

// How a connection attempt for a domain ended when it gave no connection.
struct connect_failure {
  rcpt_event event = rcpt_event::notify_deferred;
  proto::errc code = proto::errc::internal;
  std::string message;
};

struct mx_limits {
  std::size_t max_mx_hosts = 5;              // [D-2]
  std::size_t max_connection_attempts = 10;  // [D-4]
};

using mx_connection = std::variant<std::unique_ptr<net::client_connection>, connect_failure>;

boost::asio::awaitable<mx_connection> connect_to_domain(
    boost::asio::any_io_executor executor, const oms_config& config, dns::resolver& resolver,
    std::shared_ptr<tls::credentials> credentials, mx_limits limits, std::string domain);

}  // namespace im2k::oms
