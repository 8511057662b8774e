// The whole im2k-ims daemon on one io_context: the notify listener (trust rule 4: the address
// check at hello, then notify_handler), the puller (trust rule 5), the store, and TLS
// credentials reloaded on SIGHUP, and the mailbox listener (auth, list, fetch, delete; on-read
// pulls, [N-16]).
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/control/control_server.hpp"
#include "common/dns/resolver.hpp"
#include "common/metrics/http_endpoint.hpp"
#include "common/metrics/registry.hpp"
#include "common/net/listener.hpp"
#include "common/os/privileges.hpp"
#include "common/tls/credentials.hpp"
#include "common/tls/expiry_watch.hpp"
#include "common/tls/reload_on_sighup.hpp"
#include "ims/config.hpp"
#include "ims/mailbox_handler.hpp"
#include "ims/notify_handler.hpp"
#include "ims/puller.hpp"
#include "ims/sqlite_store.hpp"

namespace im2k::ims {

class server {
 public:
  // Opens the store and builds the TLS contexts and the resolver; throws std::runtime_error on
  // a start-up failure.
  server(boost::asio::io_context& io, ims_config config);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  // Recovers unfinished work ([K-6]), binds the notify and mailbox listeners, starts the
  // puller and logs `server.ready`. Throws std::runtime_error if a listener cannot be bound.
  void start();

  // SIGTERM: stop accepting, let requests and pulls in flight finish (or stay resumable in the
  // store) within `bound`, then stop the store.
  boost::asio::awaitable<void> stop(std::chrono::steady_clock::duration bound);

  boost::asio::ip::tcp::endpoint notify_endpoint() const;
  boost::asio::ip::tcp::endpoint mailbox_endpoint() const;

 private:
  boost::asio::awaitable<void> serve_notify(net::session& session, net::incoming_request request);

  boost::asio::io_context& io_;
  ims_config config_;
  std::optional<os::run_as> run_as_;  // set when started as root with `user`
  std::unique_ptr<dns::resolver> dns_;
  std::unique_ptr<sqlite_store> store_;
  std::shared_ptr<tls::credentials> notify_credentials_;
  std::shared_ptr<tls::credentials> pull_credentials_;
  std::unique_ptr<tls::expiry_watch> expiry_;
  std::unique_ptr<tls::reload_on_sighup> reload_;
  std::shared_ptr<puller> puller_;
  std::unique_ptr<notify_handler> notify_;
  std::shared_ptr<net::listener> notify_listener_;
  std::shared_ptr<control::control_server> control_;  // the local control socket
  // The mailbox listener ([U-*], [M-*]); scrypt checks run on the one-thread pool.
  std::shared_ptr<tls::credentials> mailbox_credentials_;
  boost::asio::thread_pool password_pool_{1};
  std::unique_ptr<mailbox_handler> mailbox_;
  std::shared_ptr<net::listener> mailbox_listener_;
  std::shared_ptr<metrics::http_endpoint> metrics_;  // when [metrics] listen is set
  metrics::callback_handle pulls_pending_;           // reads store_: declared after it
};

}  // namespace im2k::ims
