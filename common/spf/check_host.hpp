// check_host() of RFC 7208, evaluated as a coroutine over the resolver interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"
#include "common/spf/result.hpp"

namespace im2k::spf {

// Processing limits of section 4.6.4.
inline constexpr int max_dns_terms = 10;    // include a mx ptr exists redirect; over: permerror
inline constexpr int max_void_lookups = 2;  // answers with no records; over: permerror
inline constexpr std::size_t max_mx_names = 10;   // per mx mechanism; over: permerror
inline constexpr std::size_t max_ptr_names = 10;  // per ptr mechanism or %{p}; rest ignored

struct check_input {
  boost::asio::ip::address ip;  // an IPv4-mapped IPv6 address is checked as IPv4
  std::string sender;           // MAIL FROM; "" checks postmaster@<helo> (section 2.4)
  std::string helo;             // HELO/EHLO name (%{h})
  std::string receiver_host;    // the checking host (%{r} in explanations); "" is "unknown"
  // Section 4.6.4: past this, no further query is sent and the result is temperror.
  std::chrono::milliseconds time_limit{20000};
};

struct evaluation {
  result value = result::none;
  std::string explanation;         // for fail: the exp= text, or default_explanation()
  std::vector<std::string> trace;  // one line per step, for operators
  int dns_terms = 0;               // DNS-querying terms evaluated
  int void_lookups = 0;            // look-ups that returned no record
  std::string domain;              // the <domain> checked: the sender's, or the HELO name
};

// Never throws for DNS or record problems: those are results (temperror, permerror, none).
boost::asio::awaitable<evaluation> check_host(dns::resolver& resolver, check_input input);

// The explanation of a fail when the record gives none (section 6.2 allows any default).
std::string default_explanation(std::string_view domain, const boost::asio::ip::address& ip);

}  // namespace im2k::spf
