#include "common/spf/deadline_resolver.hpp"

#include <utility>

namespace im2k::spf {
namespace {

template <class T>
dns::lookup<T> refused() {
  return dns::lookup<T>{dns::status::temporary, {}, "time limit exceeded"};
}

}  // namespace

bool deadline_resolver::expired() {
  if (!exceeded_ && std::chrono::steady_clock::now() >= deadline_) {
    exceeded_ = true;
  }
  return exceeded_;
}

boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v4>> deadline_resolver::a(
    std::string name) {
  if (expired()) {
    co_return refused<boost::asio::ip::address_v4>();
  }
  co_return co_await inner_.a(std::move(name));
}

boost::asio::awaitable<dns::lookup<boost::asio::ip::address_v6>> deadline_resolver::aaaa(
    std::string name) {
  if (expired()) {
    co_return refused<boost::asio::ip::address_v6>();
  }
  co_return co_await inner_.aaaa(std::move(name));
}

boost::asio::awaitable<dns::lookup<dns::mx_record>> deadline_resolver::mx(std::string name) {
  if (expired()) {
    co_return refused<dns::mx_record>();
  }
  co_return co_await inner_.mx(std::move(name));
}

boost::asio::awaitable<dns::lookup<std::string>> deadline_resolver::txt(std::string name) {
  if (expired()) {
    co_return refused<std::string>();
  }
  co_return co_await inner_.txt(std::move(name));
}

boost::asio::awaitable<dns::lookup<std::string>> deadline_resolver::ptr(std::string name) {
  if (expired()) {
    co_return refused<std::string>();
  }
  co_return co_await inner_.ptr(std::move(name));
}

}  // namespace im2k::spf
