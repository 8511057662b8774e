// Text for the trace of check_host(): what operators read, so always printable.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"

namespace im2k::spf {

// Trace lines and explanations reach terminals and logs: bytes outside printable ASCII are
// shown as \xNN, never passed through.
std::string printable(std::string_view text);

// "2 records", or the status and its detail: "nxdomain (NXDOMAIN)".
template <class T>
std::string describe(const dns::lookup<T>& found) {
  if (found.ok()) {
    return std::to_string(found.records.size()) +
           (found.records.size() == 1 ? " record" : " records");
  }
  std::string out(dns::to_string(found.state));
  if (!found.detail.empty()) {
    out += " (" + found.detail + ")";
  }
  return out;
}

// For address look-ups: the addresses themselves (the first few), or as describe().
std::string describe_addresses(const dns::lookup<boost::asio::ip::address>& found);

}  // namespace im2k::spf
