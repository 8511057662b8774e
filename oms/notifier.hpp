// The notifier ([N-15], [D-2] ... [D-4], [L-6] ... [L-8]): takes the notifications that are
// due from the spool's in-memory index, and sends each one on a connection kept open to its
// recipient domain (net::peer_pool: at most a few connections per domain, each pipelining up
// to its window, [R-3]). Every notification is one coroutine that reads top to bottom: get a
// connection, send (at most 100 recipients per request, [N-9]), record the outcome.
//
// A reused connection keeps what it proved when it opened (the server certificate names the
// MX host, the hello); what belongs to each message is checked for each one: the host is still
// an MX host of the domain (from the DNS cache) and the message fits the server's announced
// size ([H-9]). SPEC ....
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/dns/resolver.hpp"
#include "common/net/peer_pool.hpp"
#include "common/tls/credentials.hpp"
#include "oms/config.hpp"
#include "oms/mx_connector.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

struct notifier_limits {
  std::size_t max_jobs = 512;             // notifications in flight, all domains together
  std::size_t max_rcpt_per_notify = 100;  // [N-9]
  mx_limits mx;
  net::pool_limits pool;  // connections per domain, window, idle time
  std::chrono::seconds max_sleep{30};
};

class notifier {
 public:
  // Use from one thread (the executor of a single-threaded io_context).
  notifier(boost::asio::any_io_executor executor, const oms_config& config, spool& spool,
           dns::resolver& resolver, std::shared_ptr<tls::credentials> client_credentials,
           notifier_limits limits = {});

  void start();
  // Something became due (a submission): look at the spool now.
  void wake();
  // Stops scheduling, waits (bounded) for the notifications in flight, closes the connections.
  // Unfinished work stays in the spool, resumable.
  boost::asio::awaitable<void> stop(std::chrono::steady_clock::duration bound);

 private:
  boost::asio::awaitable<void> loop();
  // One notification attempt of one (message, domain), and its record.
  boost::asio::awaitable<void> notify(notify_job job);
  // Sends the recipients of `job` from `first` on, 100 at a time, appending their outcomes and
  // moving `first` past them. The failure when the connection broke before an answer.
  boost::asio::awaitable<std::optional<std::string>> send(net::pipeline& p, const notify_job& job,
                                                          std::size_t& first,
                                                          std::vector<notify_outcome>& outcomes);

  boost::asio::any_io_executor executor_;
  const oms_config& config_;
  spool& spool_;
  dns::resolver& resolver_;
  std::shared_ptr<tls::credentials> credentials_;
  const notifier_limits limits_;
  net::peer_pool<std::string, connect_failure> pool_;
  boost::asio::steady_timer timer_;
  std::size_t in_flight_ = 0;
  bool woken_ = false;
  bool stopping_ = false;
  bool loop_done_ = true;
};

}  // namespace im2k::oms
