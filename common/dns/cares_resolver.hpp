// The resolver of record: c-ares driven by the Asio event loop, with a bounded TTL cache.
//
// c-ares never blocks here: its sockets are watched with posix::stream_descriptor::async_wait
// and fed to ares_process_fd, and its retransmission timeouts run on a steady_timer. There is
// no extra thread. Use one cares_resolver from one thread (its executor, or a strand of it): the
// coroutines that await it and its own handlers must not run concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "common/dns/resolver.hpp"

namespace im2k::dns {

struct resolver_options {
  std::vector<std::string> servers;         // "ip:port" (IPv6 as "[::1]:53"); empty = resolv.conf
  std::chrono::milliseconds timeout{2000};  // per try
  int tries = 2;
  std::size_t cache_entries = 10000;  // bound on the cache
};

class cares_resolver final : public resolver {
 public:
  // Throws std::runtime_error at construction only (bad server string, c-ares init failure).
  cares_resolver(boost::asio::any_io_executor executor, resolver_options options);
  ~cares_resolver() override;

  cares_resolver(const cares_resolver&) = delete;
  cares_resolver& operator=(const cares_resolver&) = delete;

  boost::asio::awaitable<lookup<boost::asio::ip::address_v4>> a(std::string name) override;
  boost::asio::awaitable<lookup<boost::asio::ip::address_v6>> aaaa(std::string name) override;
  boost::asio::awaitable<lookup<mx_record>> mx(std::string name) override;
  boost::asio::awaitable<lookup<std::string>> txt(std::string name) override;
  boost::asio::awaitable<lookup<std::string>> ptr(std::string name) override;

  // How many answers came from the cache and how many queries were sent (for tests and metrics).
  std::size_t cache_hits() const;
  std::size_t queries_sent() const;

  class impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace im2k::dns
