// The DNS checks of trust rules 4 and 5: is the connection's address one of the peer host's
// ([N-3]), and does SPF designate it for the sender domain ([N-4], [D-6], [D-7], [P-1])?
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"
#include "common/spf/result.hpp"
#include "proto/error.hpp"

namespace im2k::ims {

// [D-9]: an SPF evaluation that takes longer is temperror.
inline constexpr std::chrono::seconds spf_time_limit{20};

// [D-10]: an IPv4-mapped IPv6 address is the IPv4 address.
boost::asio::ip::address unmap(const boost::asio::ip::address& address);

struct address_check {
  std::optional<proto::errc> refusal;  // sender_not_designated or dns_temporary
  std::string detail;                  // for the log and the error message
};

// [N-3]: `source` must be among `host`'s A/AAAA records, resolved here.
boost::asio::awaitable<address_check> check_source_address(dns::resolver& dns, std::string host,
                                                           boost::asio::ip::address source);

struct sender_check {
  spf::result result = spf::result::none;
  std::optional<proto::errc> refusal;  // [D-7]: sender_not_designated or dns_temporary
  std::string detail;
};

// [D-6], [D-7]: SPF(ip, domain of `from`, sender = `from`) with HELO = `helo`; only pass
// designates. Bounded by `limit` ([D-9]).
boost::asio::awaitable<sender_check> check_sender(dns::resolver& dns, boost::asio::ip::address ip,
                                                  std::string from, std::string helo,
                                                  std::string receiver_host,
                                                  std::chrono::seconds limit = spf_time_limit);

}  // namespace im2k::ims
