// [P-1]: the addresses of H, the host that notified, each designated by SPF for the sender
// domain S. A pull goes only to one of these, and a kept connection serves a message only when
// its remote address is one of them for that message's sender.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

struct source_failure {
  std::string code;  // a proto::errc word
  std::string reason;
  bool temporary = false;
};

struct designated_source {
  std::vector<boost::asio::ip::address> addresses;  // empty when `failure` is set
  std::string spf = "none";                         // the result word for the trace and log
  std::optional<source_failure> failure;

  bool contains(const boost::asio::ip::address& a) const;
};

// `receiver_host`: ours, for the SPF macros ([D-7]).
boost::asio::awaitable<designated_source> designate_source(dns::resolver& dns, const pull_job& job,
                                                           std::string receiver_host);

}  // namespace im2k::ims
