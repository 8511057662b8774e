// A resolver that passes queries on until a deadline and refuses them after it, as temporary
// failures. check_host() uses it for the overall time limit of RFC 7208 section 4.6.4.
#pragma once

#include <chrono>

#include "common/dns/resolver.hpp"

namespace im2k::spf {

class deadline_resolver final : public dns::resolver {
 public:
  deadline_resolver(dns::resolver& inner, std::chrono::steady_clock::time_point deadline)
      : inner_(inner), deadline_(deadline) {}

  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> a(std::string name) override;
  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> aaaa(std::string name) override;
  boost::asio::awaitable<dns::lookup<dns::mx_record>> mx(std::string name) override;
  boost::asio::awaitable<dns::lookup<std::string>> txt(std::string name) override;
  boost::asio::awaitable<dns::lookup<std::string>> ptr(std::string name) override;

  // Whether a query has been refused because the deadline had passed.
  bool exceeded() const { return exceeded_; }

 private:
  bool expired();

  dns::resolver& inner_;
  std::chrono::steady_clock::time_point deadline_;
  bool exceeded_ = false;
};

}  // namespace im2k::spf
