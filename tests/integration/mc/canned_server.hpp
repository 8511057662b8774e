// A small im2k server for the client's tests: a submit and a mailbox listener (common/net, real
// TLS on 127.0.0.1, free ports) that answer from canned data, on their own thread. It records
// what the client sent, so a test can check that the client speaks SPEC.md.
//
// Users: alice@alpha.test (password "alice-secret", or any client certificate of the test CA)
// and carol@alpha.test ("carol-secret").
// alice owns sent_msg (150 recipients, paged by 100, [Q-3]) and mailbox entries
// mailbox_ids[0..2] (paged by 2, [M-2]); carol owns nothing. busy_msg is refused with the
// temporary rate-limited.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/net/listener.hpp"
#include "common/tls/settings.hpp"

namespace im2k::mc::testing {

inline constexpr const char* submit_host = "oms.alpha.test";
inline constexpr const char* mailbox_host = "mx.alpha.test";
inline constexpr const char* new_msg = "qqqqqqqqqqqqqqqqqqqqqqqqqa";   // what submit answers
inline constexpr const char* sent_msg = "bbbbbbbbbbbbbbbbbbbbbbbbbe";  // alice's
inline constexpr const char* busy_msg = "cccccccccccccccccccccccccq";
inline constexpr const char* unknown_msg = "zzzzzzzzzzzzzzzzzzzzzzzzzy";
inline constexpr std::size_t sent_recipients = 150;
inline const std::vector<std::string> mailbox_ids = {
    "aaaaaaaaaaaaaaaaaaaaaaaaaa", "kkkkkkkkkkkkkkkkkkkkkkkkka", "uuuuuuuuuuuuuuuuuuuuuuuuuu"};

// The recipients of sent_msg, in submission order.
std::string sent_recipient(std::size_t index);

// alice's messages for `sent` ([Q-8]): sent_count of them, message i submitted at
// 1 790 000 000 + i, so newest first is sent_count - 1 down to 0, 20 per page ([Q-9]).
// Message 0 has 150 recipients of which the response lists 100 ([Q-10]); the others one.
inline constexpr std::size_t sent_count = 25;
std::string sent_id(std::size_t index);
// The body of mailbox entry `index` (fetch).
std::string mailbox_body(std::size_t index);

struct submission {
  nlohmann::json request;
  std::string body;
};

class canned_server {
 public:
  // `submit_tls` and `mailbox_tls` are server settings whose certificates name submit_host and
  // mailbox_host.
  canned_server(const tls::tls_settings& submit_tls, const tls::tls_settings& mailbox_tls);
  ~canned_server();  // drains both listeners (bounded) and joins the thread
  canned_server(const canned_server&) = delete;
  canned_server& operator=(const canned_server&) = delete;

  std::uint16_t submit_port() const { return submit_port_; }
  std::uint16_t mailbox_port() const { return mailbox_port_; }

  // What the client did, safe to read from the test thread.
  std::vector<submission> submissions();
  std::vector<nlohmann::json> requests();  // every request after hello, passwords removed
  std::vector<std::string> hello_clients();
  std::set<std::string> deleted();

 private:
  boost::asio::awaitable<void> handle(net::session& s, net::incoming_request r);
  boost::asio::awaitable<void> serve(net::session& s, net::incoming_request& r,
                                     const std::string& user);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<net::listener> submit_;
  std::shared_ptr<net::listener> mailbox_;
  std::uint16_t submit_port_ = 0;
  std::uint16_t mailbox_port_ = 0;
  std::thread thread_;

  std::mutex mutex_;
  std::vector<submission> submissions_;
  std::vector<nlohmann::json> requests_;
  std::vector<std::string> hello_clients_;
  std::set<std::string> deleted_;
};

}  // namespace im2k::mc::testing
