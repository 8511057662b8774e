// An in-memory dns::resolver over a zone given record by record, following the rules of the
// RFC 7208 test suite: names are case-insensitive; an absent name is NXDOMAIN; a present name
// with no record of the type is NODATA, or a timeout (temporary) if it is marked TIMEOUT; SPF
// (type 99) records are served as TXT only where the name has no TXT entry; CNAMEs are
// followed (a loop is a temporary failure, as SERVFAIL would be).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/resolver.hpp"

namespace im2k::spf::test {

class zone_resolver final : public dns::resolver {
 public:
  void add_a(const std::string& name, const std::string& address);
  void add_aaaa(const std::string& name, const std::string& address);
  void add_mx(const std::string& name, std::uint16_t preference, const std::string& host);
  void add_txt(const std::string& name, const std::string& text);
  void add_spf(const std::string& name, const std::string& text);
  void add_ptr(const std::string& name, const std::string& target);
  void add_cname(const std::string& name, const std::string& target);
  void add_timeout(const std::string& name);  // "TIMEOUT"
  void add_no_txt(const std::string& name);   // "TXT: NONE": a TXT entry without records

  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> a(std::string name) override;
  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> aaaa(std::string name) override;
  boost::asio::awaitable<dns::lookup<dns::mx_record>> mx(std::string name) override;
  boost::asio::awaitable<dns::lookup<std::string>> txt(std::string name) override;
  boost::asio::awaitable<dns::lookup<std::string>> ptr(std::string name) override;

  // Every query made, as "TYPE name", in order.
  const std::vector<std::string>& queries() const { return queries_; }

 private:
  struct node {
    bool timeout = false;
    bool has_txt_entry = false;
    std::vector<boost::asio::ip::address_v4> a;
    std::vector<boost::asio::ip::address_v6> aaaa;
    std::vector<dns::mx_record> mx;
    std::vector<std::string> txt;
    std::vector<std::string> spf;
    std::vector<std::string> ptr;
    std::optional<std::string> cname;
  };

  template <class T, class Select>
  dns::lookup<T> find(const char* type, const std::string& name, Select select);

  node& at(const std::string& name);

  std::map<std::string, node> nodes_;  // keyed by the lower-case name without trailing dot
  std::vector<std::string> queries_;
};

}  // namespace im2k::spf::test
