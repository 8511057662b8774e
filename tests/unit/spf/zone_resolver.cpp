#include "tests/unit/spf/zone_resolver.hpp"

#include <algorithm>

namespace im2k::spf::test {
namespace {

std::string key_of(std::string name) {
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return name;
}

std::string without_dot(std::string name) {
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name;
}

constexpr int max_cname_chain = 8;

}  // namespace

zone_resolver::node& zone_resolver::at(const std::string& name) {
  return nodes_[key_of(name)];
}

void zone_resolver::add_a(const std::string& name, const std::string& address) {
  at(name).a.push_back(boost::asio::ip::make_address_v4(address));
}

void zone_resolver::add_aaaa(const std::string& name, const std::string& address) {
  at(name).aaaa.push_back(boost::asio::ip::make_address_v6(address));
}

void zone_resolver::add_mx(const std::string& name, std::uint16_t preference,
                           const std::string& host) {
  at(name).mx.push_back(dns::mx_record{preference, key_of(host)});
}

void zone_resolver::add_txt(const std::string& name, const std::string& text) {
  node& n = at(name);
  n.has_txt_entry = true;
  n.txt.push_back(text);
}

void zone_resolver::add_spf(const std::string& name, const std::string& text) {
  at(name).spf.push_back(text);
}

void zone_resolver::add_ptr(const std::string& name, const std::string& target) {
  at(name).ptr.push_back(without_dot(target));  // case kept: the suite varies it on purpose
}

void zone_resolver::add_cname(const std::string& name, const std::string& target) {
  at(name).cname = key_of(target);
}

void zone_resolver::add_timeout(const std::string& name) {
  at(name).timeout = true;
}

void zone_resolver::add_no_txt(const std::string& name) {
  at(name).has_txt_entry = true;
}

template <class T, class Select>
dns::lookup<T> zone_resolver::find(const char* type, const std::string& name, Select select) {
  queries_.push_back(std::string(type) + " " + name);
  std::string key = key_of(name);
  for (int hop = 0; hop <= max_cname_chain; ++hop) {
    const auto it = nodes_.find(key);
    if (it == nodes_.end()) {
      return {dns::status::nxdomain, {}, "NXDOMAIN"};
    }
    const node& n = it->second;
    std::vector<T> records = select(n);
    if (!records.empty()) {
      return {dns::status::ok, std::move(records), {}};
    }
    if (n.cname) {
      key = *n.cname;
      continue;
    }
    if (n.timeout) {
      return {dns::status::temporary, {}, "timeout"};
    }
    return {dns::status::nodata, {}, "NODATA"};
  }
  return {dns::status::temporary, {}, "CNAME loop"};
}

boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> zone_resolver::a(
    std::string name) {
  co_return find<boost::asio::ip::address_v4>("A", name, [](const node& n) { return n.a; });
}

boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> zone_resolver::aaaa(
    std::string name) {
  co_return find<boost::asio::ip::address_v6>("AAAA", name, [](const node& n) { return n.aaaa; });
}

boost::asio::awaitable<dns::lookup<dns::mx_record>> zone_resolver::mx(std::string name) {
  co_return find<dns::mx_record>("MX", name, [](const node& n) { return n.mx; });
}

boost::asio::awaitable<dns::lookup<std::string>> zone_resolver::txt(std::string name) {
  co_return find<std::string>("TXT", name,
                              [](const node& n) { return n.has_txt_entry ? n.txt : n.spf; });
}

boost::asio::awaitable<dns::lookup<std::string>> zone_resolver::ptr(std::string name) {
  co_return find<std::string>("PTR", name, [](const node& n) { return n.ptr; });
}

}  // namespace im2k::spf::test
