// The submit listener's requests ([U-*], [S-*], [Q-*]): auth, submit, status, recall, sent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/net/auth_failures.hpp"
#include "common/net/session.hpp"
#include "oms/config.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

class submit_handler {
 public:
  // `password_pool` runs the scrypt checks, which take about 100 ms each, off the event loop.
  // `submitted` is called after each accepted message (wakes the notifier). `failures` is the
  // [U-4] window, shared with the OMS's other submission listeners (SMTP).
  submit_handler(const oms_config& config, spool& spool, std::filesystem::path user_db_path,
                 boost::asio::thread_pool& password_pool, net::auth_failures& failures,
                 std::function<void()> submitted);

  boost::asio::awaitable<void> operator()(net::session& s, net::incoming_request request);

 private:
  struct connection {
    std::weak_ptr<net::session> owner;
    std::optional<std::string> user;     // the authenticated address, lower case
    std::optional<std::uint64_t> quota;  // [S-8] the user's limit, read at auth; none: unlimited
    int failures = 0;
  };
  connection& state_of(net::session& s);

  boost::asio::awaitable<void> auth(net::session& s, connection& c,
                                    const proto::auth_request& request);
  boost::asio::awaitable<void> submit(net::session& s, const std::string& user,
                                      std::optional<std::uint64_t> quota,
                                      const proto::submit_request& request);
  boost::asio::awaitable<void> status(net::session& s, const std::string& user,
                                      const net::incoming_request& request);
  boost::asio::awaitable<void> recall(net::session& s, const std::string& user,
                                      const proto::recall_request& request);
  boost::asio::awaitable<void> sent(net::session& s, const std::string& user,
                                    const proto::sent_request& request);

  const oms_config& config_;
  spool& spool_;
  std::filesystem::path user_db_path_;
  boost::asio::thread_pool& password_pool_;
  std::function<void()> submitted_;
  std::unordered_map<const net::session*, connection> connections_;
  net::auth_failures& failures_;  // [U-4], per source address and per user value
};

}  // namespace im2k::oms
