// The pull listener's requests ([P-6] ... [P-9], [A-3] ... ): pull and ack from the IMS of
// a recipient domain, authorized by its certificate host being one of the domain's MX hosts.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "common/dns/resolver.hpp"
#include "common/net/session.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

class pull_handler {
 public:
  pull_handler(spool& spool, dns::resolver& resolver) : spool_(spool), resolver_(resolver) {}

  boost::asio::awaitable<void> operator()(net::session& s, net::incoming_request request);

 private:
  // [P-6] step 2: nullopt when the peer host is an MX host of `domain`, else the refusal.
  boost::asio::awaitable<std::optional<proto::errc>> check_mx(const net::session& s,
                                                              const std::string& domain);
  boost::asio::awaitable<void> pull(net::session& s, const proto::pull_request& request);
  boost::asio::awaitable<void> ack(net::session& s, const proto::ack_request& request);

  spool& spool_;
  dns::resolver& resolver_;
};

}  // namespace im2k::oms
