#include "ims/source_check.hpp"

#include <algorithm>

#include "common/dns/mx.hpp"
#include "common/spf/result.hpp"
#include "ims/designation.hpp"

namespace im2k::ims {

bool designated_source::contains(const boost::asio::ip::address& a) const {
  return std::find(addresses.begin(), addresses.end(), a) != addresses.end();
}

boost::asio::awaitable<designated_source> designate_source(dns::resolver& dns, const pull_job& job,
                                                           std::string receiver_host) {
  designated_source out;
  auto addresses = co_await dns::host_addresses(dns, job.host);
  if (addresses.state == dns::status::temporary) {
    out.failure = source_failure{"dns-temporary", "addresses of " + job.host, true};
    co_return out;
  }
  if (!addresses.ok()) {
    out.failure = source_failure{"not-found", job.host + " has no address", false};
    co_return out;
  }
  bool temporary = false;
  for (const auto& address : addresses.records) {
    auto check = co_await check_sender(dns, address, job.sender, job.host, receiver_host);
    if (!check.refusal) {
      out.addresses.push_back(address);
      out.spf = "pass";
    } else if (*check.refusal == proto::errc::dns_temporary) {
      temporary = true;
      out.spf = std::string(spf::to_string(check.result));
    } else if (out.spf != "temperror") {
      out.spf = std::string(spf::to_string(check.result));
    }
  }
  if (out.addresses.empty()) {
    if (temporary) {
      out.failure = source_failure{"dns-temporary", "SPF temperror for " + job.host, true};
    } else {
      out.failure = source_failure{"sender-not-designated",
                                   "SPF " + out.spf + " for every address of " + job.host, false};
    }
  }
  co_return out;
}

}  // namespace im2k::ims
