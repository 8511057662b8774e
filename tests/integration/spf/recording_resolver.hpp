// A resolver that passes every question on and keeps the names asked, in order.
#pragma once

#include <string>
#include <vector>

#include "common/dns/resolver.hpp"

namespace im2k::spf::test {

class recording_resolver final : public dns::resolver {
 public:
  explicit recording_resolver(dns::resolver& inner) : inner_(inner) {}

  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> a(std::string name) override {
    names_.push_back(name);
    co_return co_await inner_.a(std::move(name));
  }
  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> aaaa(std::string name) override {
    names_.push_back(name);
    co_return co_await inner_.aaaa(std::move(name));
  }
  boost::asio::awaitable<dns::lookup<dns::mx_record>> mx(std::string name) override {
    names_.push_back(name);
    co_return co_await inner_.mx(std::move(name));
  }
  boost::asio::awaitable<dns::lookup<std::string>> txt(std::string name) override {
    names_.push_back(name);
    co_return co_await inner_.txt(std::move(name));
  }
  boost::asio::awaitable<dns::lookup<std::string>> ptr(std::string name) override {
    names_.push_back(name);
    co_return co_await inner_.ptr(std::move(name));
  }

  const std::vector<std::string>& names() const { return names_; }

 private:
  dns::resolver& inner_;
  std::vector<std::string> names_;
};

}  // namespace im2k::spf::test
