// Trust rule 1: the receiving servers of a domain are its MX hosts, and nothing else.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"

namespace im2k::dns {

enum class mx_outcome {
  hosts,       // deliver to `hosts`, in order
  null_mx,     // RFC 7505 null MX: the domain accepts no mail (permanent)
  no_mx,       // NXDOMAIN, NODATA or no usable MX host: no im2k mail (permanent; no A fallback)
  temporary,   // DNS could not tell; try again later
  bad_domain,  // an address literal or not a valid DNS name; no query was sent (permanent)
};

std::string_view to_string(mx_outcome outcome);

struct mx_plan {
  mx_outcome outcome = mx_outcome::temporary;
  std::vector<std::string> hosts;  // lower case, no trailing dot
  std::string detail;
};

// Hosts in preference order, random order among equal preference, at most max_hosts, each once.
// MX targets that are not valid host names (e.g. "1.2.3.4") are skipped; a "." target among
// other MX records is skipped too, while a lone one is a null MX.
boost::asio::awaitable<mx_plan> plan_mx(resolver& dns, std::string domain,
                                        std::size_t max_hosts = 5);

// Orders MX records as plan_mx does (exposed for tests): by preference, shuffled within equal
// preference with `random`, invalid targets and duplicates dropped, at most max_hosts.
std::vector<std::string> order_mx_hosts(std::vector<mx_record> records, std::size_t max_hosts,
                                        unsigned random_seed);

// For the pull listener: is `host` one of `domain`'s MX hosts (any preference, no limit)?
enum class mx_membership {
  member,      // host is an MX host of domain
  not_member,  // permanent: DNS says it is not (including no MX, null MX, bad names)
  temporary,   // DNS could not tell
};

struct mx_check {
  mx_membership result = mx_membership::temporary;
  std::string detail;
};

boost::asio::awaitable<mx_check> is_mx_host(resolver& dns, std::string domain, std::string host);

// All A and AAAA addresses of a host, A first. `ok` if any was found; temporary if either query
// was temporary and none was found; otherwise nxdomain (if either said so) or nodata.
boost::asio::awaitable<lookup<boost::asio::ip::address>> host_addresses(resolver& dns,
                                                                        std::string host);

}  // namespace im2k::dns
