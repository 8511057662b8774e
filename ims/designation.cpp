#include "ims/designation.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/mx.hpp"
#include "common/spf/check_host.hpp"
#include "common/spf/designation.hpp"

namespace im2k::ims {

boost::asio::ip::address unmap(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

boost::asio::awaitable<address_check> check_source_address(dns::resolver& dns, std::string host,
                                                           boost::asio::ip::address source) {
  const auto wanted = unmap(source);
  auto found = co_await dns::host_addresses(dns, host);
  address_check check;
  if (found.ok()) {
    const bool listed = std::any_of(found.records.begin(), found.records.end(),
                                    [&](const auto& a) { return unmap(a) == wanted; });
    if (listed) {
      co_return check;
    }
  }
  // host_addresses says temporary only when nothing was found and a look-up could not tell.
  if (found.state == dns::status::temporary) {
    check.refusal = proto::errc::dns_temporary;
    check.detail = "the addresses of " + host + " could not be looked up (" + found.detail + ")";
  } else {
    check.refusal = proto::errc::sender_not_designated;
    check.detail = wanted.to_string() + " is not an address of " + host;
  }
  co_return check;
}

boost::asio::awaitable<sender_check> check_sender(dns::resolver& dns, boost::asio::ip::address ip,
                                                  std::string from, std::string helo,
                                                  std::string receiver_host,
                                                  std::chrono::seconds limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  spf::check_input input{unmap(ip), std::move(from), std::move(helo), std::move(receiver_host)};
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(limit);
  auto outcome = co_await (spf::check_host(dns, std::move(input)) ||
                           timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
  sender_check check;
  if (outcome.index() == 0) {
    const auto& evaluation = std::get<0>(outcome);
    check.result = evaluation.value;
    check.detail = evaluation.explanation;
  } else {
    check.result = spf::result::temperror;
    check.detail = "SPF evaluation took longer than " + std::to_string(limit.count()) + "s";
  }
  switch (spf::designation_of(check.result)) {
    case spf::designation::designated:
      break;
    case spf::designation::refused_temporary:
      check.refusal = proto::errc::dns_temporary;
      break;
    case spf::designation::refused_permanent:
      check.refusal = proto::errc::sender_not_designated;
      break;
  }
  co_return check;
}

}  // namespace im2k::ims
