// The resolver interface every trust decision uses. The c-ares implementation queries real DNS
// servers; tests substitute an in-memory one. Results keep "does not exist" (a fact, permanent)
// apart from "could not tell" (temporary), because a refusal's permanence depends on it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace im2k::dns {

enum class status {
  ok,         // at least one record of the type
  nxdomain,   // the name does not exist (permanent)
  nodata,     // the name exists, with no record of the type (permanent)
  temporary,  // SERVFAIL, REFUSED, timeout, no server reachable: could not tell
};

std::string_view to_string(status s);

template <class T>
struct lookup {
  status state = status::temporary;
  std::vector<T> records;
  std::string detail;  // why, for logs and diagnostics: "SERVFAIL", "timeout after 3 tries", ...

  bool ok() const { return state == status::ok; }
  bool does_not_exist() const { return state == status::nxdomain || state == status::nodata; }
};

struct mx_record {
  std::uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot; "" (the root) for a null MX (RFC 7505)
};

class resolver {
 public:
  virtual ~resolver() = default;

  // Names are absolute, without the trailing dot; comparisons are case-insensitive. The text is
  // read as in RFC 1035 section 5.1 ("\DDD" and "\X" escape, any other octet is itself, so a
  // name built from SPF macros may hold spaces); names in answers come back in the form
  // wire::read_name writes. A name that cannot be asked (see make_query_name) is NXDOMAIN.
  virtual boost::asio::awaitable<lookup<boost::asio::ip::address_v4>> a(std::string name) = 0;
  virtual boost::asio::awaitable<lookup<boost::asio::ip::address_v6>> aaaa(std::string name) = 0;
  virtual boost::asio::awaitable<lookup<mx_record>> mx(std::string name) = 0;
  // One entry per TXT record, its character-strings joined with nothing between them
  // (RFC 7208 section 3.3).
  virtual boost::asio::awaitable<lookup<std::string>> txt(std::string name) = 0;
  // `name` is a reverse name such as "4.3.2.1.in-addr.arpa" (see reverse_name).
  virtual boost::asio::awaitable<lookup<std::string>> ptr(std::string name) = 0;
};

// "1.2.3.4" -> "4.3.2.1.in-addr.arpa"; IPv6 -> nibbles under "ip6.arpa".
std::string reverse_name(const boost::asio::ip::address& address);

}  // namespace im2k::dns
