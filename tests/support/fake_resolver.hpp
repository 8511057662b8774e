// An in-memory resolver for unit tests: answers what the test put in, and records every query.
// A name/type with nothing configured is NXDOMAIN.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/dns/resolver.hpp"

namespace im2k::test {

class fake_resolver final : public dns::resolver {
 public:
  std::map<std::string, dns::lookup<boost::asio::ip::address_v4>> a_answers;
  std::map<std::string, dns::lookup<boost::asio::ip::address_v6>> aaaa_answers;
  std::map<std::string, dns::lookup<dns::mx_record>> mx_answers;
  std::map<std::string, dns::lookup<std::string>> txt_answers;
  std::map<std::string, dns::lookup<std::string>> ptr_answers;
  std::vector<std::pair<std::string, std::string>> queries;  // (type, name), in order

  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> a(std::string name) override {
    co_return answer(a_answers, "A", std::move(name));
  }
  boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> aaaa(std::string name) override {
    co_return answer(aaaa_answers, "AAAA", std::move(name));
  }
  boost::asio::awaitable<dns::lookup<dns::mx_record>> mx(std::string name) override {
    co_return answer(mx_answers, "MX", std::move(name));
  }
  boost::asio::awaitable<dns::lookup<std::string>> txt(std::string name) override {
    co_return answer(txt_answers, "TXT", std::move(name));
  }
  boost::asio::awaitable<dns::lookup<std::string>> ptr(std::string name) override {
    co_return answer(ptr_answers, "PTR", std::move(name));
  }

  // Helpers for building answers.
  template <class T>
  static dns::lookup<T> ok(std::vector<T> records) {
    return dns::lookup<T>{dns::status::ok, std::move(records), ""};
  }
  template <class T>
  static dns::lookup<T> failed(dns::status state, std::string detail = "") {
    return dns::lookup<T>{state, {}, std::move(detail)};
  }

 private:
  template <class T>
  dns::lookup<T> answer(const std::map<std::string, dns::lookup<T>>& answers, const char* type,
                        std::string name) {
    queries.emplace_back(type, name);
    const auto found = answers.find(name);
    if (found == answers.end()) {
      return dns::lookup<T>{dns::status::nxdomain, {}, "NXDOMAIN"};
    }
    return found->second;
  }
};

}  // namespace im2k::test
