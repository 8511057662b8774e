// The notifier ([N-15], [D-2] ... [D-4], [L-6] ... [L-8]): wakes at the earliest due attempt,
// groups due notifications by recipient domain, resolves the domain's MX hosts and their
// addresses, connects (TLS, hello) to the first host that answers, pipelines the domain's
// notifications on that connection (at most 100 recipients each, [N-9]) and records every
// recipient's outcome. One worker per domain at a time, a bounded number of domains at once; an
// idle connection is kept for a short time and reused by the domain's next worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/dns/resolver.hpp"
#include "common/net/client_connection.hpp"
#include "common/tls/credentials.hpp"
#include "oms/config.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

struct notifier_limits {
  std::size_t max_domains = 16;  // domains notified at once
  std::size_t max_jobs_per_round = 500;
  std::size_t max_rcpt_per_notify = 100;     // [N-9]
  std::size_t pipeline_window = 32;          // notifications sent before reading responses ([R-3])
  std::size_t max_mx_hosts = 5;              // [D-2]
  std::size_t max_connection_attempts = 10;  // [D-4]
  std::chrono::seconds idle_keep{10};        // how long an idle connection is kept for reuse
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
  // Stops scheduling, waits (bounded) for the workers in flight, closes idle connections.
  // Unfinished work stays in the spool, resumable.
  boost::asio::awaitable<void> stop(std::chrono::steady_clock::duration bound);

 private:
  struct idle_connection {
    std::unique_ptr<net::client_connection> connection;
    std::chrono::steady_clock::time_point since;
  };
  // How one connection attempt for a domain ended when it gave no connection.
  struct connect_failure {
    rcpt_event event = rcpt_event::notify_deferred;
    proto::errc code = proto::errc::internal;
    std::string message;
  };
  struct notification {
    std::size_t job;  // index into the worker's jobs
    std::vector<proto::address> rcpt;
  };

  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> deliver(std::string domain, std::vector<notify_job> jobs);
  boost::asio::awaitable<std::variant<std::unique_ptr<net::client_connection>, connect_failure>>
  connect(const std::string& domain);
  // Sends the notifications pipelined; fills outcomes (per job). Returns false if the connection
  // broke before any response arrived (a reused connection may simply have timed out).
  boost::asio::awaitable<bool> exchange(net::client_connection& c,
                                        const std::vector<notify_job>& jobs,
                                        const std::vector<notification>& notes,
                                        std::vector<std::vector<notify_outcome>>& outcomes);
  boost::asio::awaitable<void> close_idle(bool all);

  boost::asio::any_io_executor executor_;
  const oms_config& config_;
  spool& spool_;
  dns::resolver& resolver_;
  std::shared_ptr<tls::credentials> credentials_;
  const notifier_limits limits_;
  boost::asio::steady_timer timer_;
  bool woken_ = false;
  bool stopping_ = false;
  bool loop_done_ = true;
  std::set<std::string> busy_;  // domains with a worker
  std::map<std::string, idle_connection> idle_;
};

}  // namespace im2k::oms
