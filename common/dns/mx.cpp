#include "common/dns/mx.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/name.hpp"

namespace im2k::dns {

namespace {

// A single MX whose target is the root (RFC 7505 section 3).
bool is_null_mx(const std::vector<mx_record>& records) {
  return records.size() == 1 && records.front().host.empty();
}

bool is_address_literal(std::string_view domain) {
  return !domain.empty() && (domain.front() == '[' || domain.back() == ']');
}

}  // namespace

std::string_view to_string(mx_outcome outcome) {
  switch (outcome) {
    case mx_outcome::hosts:
      return "hosts";
    case mx_outcome::null_mx:
      return "null-mx";
    case mx_outcome::no_mx:
      return "no-mx";
    case mx_outcome::temporary:
      return "temporary";
    case mx_outcome::bad_domain:
      return "bad-domain";
  }
  return "temporary";
}

std::vector<std::string> order_mx_hosts(std::vector<mx_record> records, std::size_t max_hosts,
                                        unsigned random_seed) {
  std::mt19937 random(random_seed);
  std::shuffle(records.begin(), records.end(), random);
  std::stable_sort(records.begin(), records.end(), [](const mx_record& x, const mx_record& y) {
    return x.preference < y.preference;
  });
  std::vector<std::string> hosts;
  for (auto& record : records) {
    if (hosts.size() >= max_hosts) {
      break;
    }
    std::string host = normalize(record.host);
    if (!is_valid_host_name(host) || std::find(hosts.begin(), hosts.end(), host) != hosts.end()) {
      continue;
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

boost::asio::awaitable<mx_plan> plan_mx(resolver& dns, std::string domain, std::size_t max_hosts) {
  if (is_address_literal(domain)) {
    co_return mx_plan{mx_outcome::bad_domain, {}, "address literal"};
  }
  domain = normalize(domain);
  if (!is_valid_host_name(domain)) {
    co_return mx_plan{mx_outcome::bad_domain, {}, "not a valid domain name"};
  }
  auto answer = co_await dns.mx(domain);
  if (answer.does_not_exist()) {
    co_return mx_plan{mx_outcome::no_mx, {}, std::string(to_string(answer.state))};
  }
  if (!answer.ok()) {
    co_return mx_plan{mx_outcome::temporary, {}, answer.detail};
  }
  if (is_null_mx(answer.records)) {
    co_return mx_plan{mx_outcome::null_mx, {}, "null MX"};
  }
  auto hosts = order_mx_hosts(std::move(answer.records), max_hosts, std::random_device{}());
  if (hosts.empty()) {
    co_return mx_plan{mx_outcome::no_mx, {}, "no usable MX host"};
  }
  co_return mx_plan{mx_outcome::hosts, std::move(hosts), ""};
}

boost::asio::awaitable<mx_check> is_mx_host(resolver& dns, std::string domain, std::string host) {
  domain = normalize(domain);
  host = normalize(host);
  if (!is_valid_host_name(domain) || !is_valid_host_name(host)) {
    co_return mx_check{mx_membership::not_member, "not a valid domain name"};
  }
  auto answer = co_await dns.mx(domain);
  if (answer.does_not_exist()) {
    co_return mx_check{mx_membership::not_member, "no MX: " + std::string(to_string(answer.state))};
  }
  if (!answer.ok()) {
    co_return mx_check{mx_membership::temporary, answer.detail};
  }
  for (const auto& record : answer.records) {
    if (normalize(record.host) == host) {
      co_return mx_check{mx_membership::member, ""};
    }
  }
  co_return mx_check{mx_membership::not_member, host + " is not an MX host of " + domain};
}

boost::asio::awaitable<lookup<boost::asio::ip::address>> host_addresses(resolver& dns,
                                                                        std::string host) {
  using namespace boost::asio::experimental::awaitable_operators;
  host = normalize(host);
  auto [v4, v6] = co_await (dns.a(host) && dns.aaaa(host));
  lookup<boost::asio::ip::address> out;
  for (const auto& a : v4.records) {
    out.records.emplace_back(a);
  }
  for (const auto& a : v6.records) {
    out.records.emplace_back(a);
  }
  if (!out.records.empty()) {
    out.state = status::ok;
  } else if (v4.state == status::temporary || v6.state == status::temporary) {
    out.state = status::temporary;
  } else if (v4.state == status::nxdomain || v6.state == status::nxdomain) {
    out.state = status::nxdomain;
  } else {
    out.state = status::nodata;
  }
  out.detail = "A: " + (v4.detail.empty() ? std::string(to_string(v4.state)) : v4.detail) +
               ", AAAA: " + (v6.detail.empty() ? std::string(to_string(v6.state)) : v6.detail);
  co_return out;
}

}  // namespace im2k::dns
