#include "oms/mx_connector.hpp"

#include <utility>

#include "common/dns/mx.hpp"
#include "common/log/log.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {

boost::asio::awaitable<mx_connection> connect_to_domain(
    boost::asio::any_io_executor executor, const oms_config& config, dns::resolver& resolver,
    std::shared_ptr<tls::credentials> credentials, mx_limits limits, std::string domain) {
  auto plan = co_await dns::plan_mx(resolver, domain, limits.max_mx_hosts);
  switch (plan.outcome) {
    case dns::mx_outcome::hosts:
      break;
    case dns::mx_outcome::temporary:  // [D-3]
      co_return connect_failure{rcpt_event::notify_deferred, proto::errc::dns_temporary,
                                "MX look-up failed: " + plan.detail};
    case dns::mx_outcome::null_mx:
    case dns::mx_outcome::no_mx:
    case dns::mx_outcome::bad_domain:
      co_return connect_failure{rcpt_event::notify_rejected, proto::errc::domain_not_local,
                                "no server receives im2k mail for " + domain + " (" +
                                    std::string(dns::to_string(plan.outcome)) + ")"};
  }
  std::size_t attempts = 0;
  bool any_temporary = false;
  bool all_missing = true;
  std::string last = "no MX host could be reached";
  for (const auto& host : plan.hosts) {
    if (attempts >= limits.max_connection_attempts) {
      break;
    }
    auto addresses = co_await dns::host_addresses(resolver, host);  // [D-4]
    if (addresses.does_not_exist()) {
      continue;
    }
    all_missing = false;
    if (!addresses.ok()) {
      any_temporary = true;
      last = host + ": address look-up failed: " + addresses.detail;
      continue;
    }
    net::client_settings settings;
    settings.peer_host = host;
    for (const auto& a : addresses.records) {
      // A bound source address only reaches addresses of its own family.
      if (config.bind_address && config.bind_address->is_v4() != a.is_v4()) {
        continue;
      }
      if (attempts < limits.max_connection_attempts) {
        settings.addresses.push_back(a);
        ++attempts;
      }
    }
    if (settings.addresses.empty()) {
      continue;
    }
    settings.port = config.notify.port;
    settings.bind_address = config.bind_address;
    settings.credentials = credentials;
    settings.connect_timeout = config.notify.connect_timeout;
    settings.max_message_size = config.max_message_size;
    settings.hello_host = config.host;
    auto opened = co_await net::client_connection::open(executor, std::move(settings));
    if (opened) {
      co_return std::move(*opened);
    }
    const auto& failure = opened.error();
    log::warn("notify.connect_failed")
        .kv("rcpt_domain", domain)
        .kv("peer", host)
        .kv("error", failure.describe());
    if (failure.refusal && !failure.temporary()) {  // [L-7]: a permanent hello refusal ends it
      co_return connect_failure{rcpt_event::notify_rejected, failure.wire_code(),
                                failure.refusal->message};
    }
    last = host + ": " + failure.describe();
  }
  if (all_missing) {  // [D-4]: every MX host is unusable
    co_return connect_failure{rcpt_event::notify_rejected, proto::errc::domain_not_local,
                              "no MX host of " + domain + " has an address"};
  }
  co_return connect_failure{rcpt_event::notify_deferred,
                            any_temporary ? proto::errc::dns_temporary : proto::errc::internal,
                            last};
}

}  // namespace im2k::oms
