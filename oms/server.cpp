#include "oms/server.hpp"

#include <csignal>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/control/control_server.hpp"
#include "common/dns/cares_resolver.hpp"
#include "common/log/log.hpp"
#include "common/metrics/answers.hpp"
#include "common/metrics/http_endpoint.hpp"
#include "common/metrics/registry.hpp"
#include "common/metrics/tls_failures.hpp"
#include "common/net/auth_failures.hpp"
#include "common/net/listener.hpp"
#include "common/os/privileges.hpp"
#include "common/tls/credentials.hpp"
#include "common/tls/expiry_watch.hpp"
#include "common/tls/reload_on_sighup.hpp"
#include "oms/notifier.hpp"
#include "oms/pull_handler.hpp"
#include "oms/queue_operations.hpp"
#include "oms/retention.hpp"
#include "oms/sqlite_spool.hpp"
#include "oms/submit_handler.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;

constexpr auto drain_bound = 10s;
// Requests of one peer connection handled at once: the window a peer may pipeline ([R-3]).
constexpr std::size_t peer_concurrent_requests = 32;

// im2k_spool_recipients{state=...}, read from the spool before each scrape.
awaitable<void> refresh_spool_gauges(spool& s) {
  auto counts = co_await s.count_by_state();
  if (!counts) {
    co_return;  // the previous values stay
  }
  for (int i = 0; i <= static_cast<int>(rcpt_state::expired); ++i) {
    const auto state = static_cast<rcpt_state>(i);
    const auto it = counts->find(state);
    metrics::global()
        .gauge("im2k_spool_recipients", "Recipients in the spool, by state.",
               {{"state", std::string(proto::to_string(state))}})
        .set(it == counts->end() ? 0 : static_cast<std::int64_t>(it->second));
  }
}

}  // namespace

int run_server(const oms_config& config) {
  boost::asio::io_context io(1);
  auto executor = io.get_executor();
  int exit_code = 0;

  dns::resolver_options dns_options;
  dns_options.servers = config.dns_servers;
  dns::cares_resolver resolver(executor, dns_options);

  auto submit_credentials =
      std::make_shared<tls::credentials>(config.tls, tls::side::server, tls::listener_kind::submit);
  auto pull_credentials =
      std::make_shared<tls::credentials>(config.tls, tls::side::server, tls::listener_kind::pull);
  auto notify_credentials =
      std::make_shared<tls::credentials>(config.tls, tls::side::client, tls::listener_kind::notify);

  // As root with `user` set: from here on files are created as that user (the store's too).
  const auto run_as = os::prepare_privilege_drop(config.user, config.group, config.state_dir);
  sqlite_spool spool(config.state_dir,
                     retry_policy{config.notify.retry_initial, config.notify.retry_max});
  boost::asio::thread_pool password_pool(1);

  notifier notify(executor, config, spool, resolver, notify_credentials);
  retention keeper(executor, spool, config.grace);
  net::auth_failures auth_failures;  // [U-4]: one window for every submission listener
  submit_handler submit(config, spool, config.state_dir / "oms.db", password_pool, auth_failures,
                        [&notify] { notify.wake(); });
  pull_handler pull(spool, resolver);

  net::server_settings settings = config.limits;
  settings.host = config.host;
  settings.max_message_size = config.max_message_size;
  auto submit_listener = net::listener::create(
      executor, settings, submit_credentials,
      metrics::count_answers(
          [&submit](net::session& s, net::incoming_request r) { return submit(s, std::move(r)); },
          "im2k_submissions_total", "Submit requests, by answer.",
          metrics::request_is<proto::submit_request>));
  // Pulls and acks of one IMS connection are handled side by side, so their commits group.
  net::server_settings pull_settings = settings;
  pull_settings.max_concurrent_requests = peer_concurrent_requests;
  auto pull_listener = net::listener::create(
      executor, pull_settings, pull_credentials,
      metrics::count_answers(
          [&pull](net::session& s, net::incoming_request r) { return pull(s, std::move(r)); },
          "im2k_pulls_served_total", "Pull requests, by answer.",
          metrics::request_is<proto::pull_request>));

  std::shared_ptr<metrics::http_endpoint> metrics_endpoint;
  if (config.metrics_listen) {
    metrics_endpoint = metrics::http_endpoint::create(executor);
    metrics_endpoint->on_scrape([&spool] { return refresh_spool_gauges(spool); });
  }

  auto control = control::control_server::create(executor);
  add_queue_operations(*control, spool, [&notify] { notify.wake(); });

  tls::expiry_watch expiry(io, {submit_credentials, pull_credentials, notify_credentials});
  tls::reload_on_sighup reloader(io, {submit_credentials, pull_credentials, notify_credentials},
                                 [&expiry] { expiry.check(); });
  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  bool stopping = false;

  auto shutdown = [&]() -> awaitable<void> {
    if (stopping) {
      co_return;
    }
    stopping = true;
    log::info("server.stopping");
    reloader.cancel();
    expiry.cancel();
    keeper.stop();
    co_await control->stop();
    if (metrics_endpoint) {
      metrics_endpoint->stop();
    }
    // All at once, so that the whole drain stays within one bound.
    co_await (submit_listener->stop(drain_bound) && pull_listener->stop(drain_bound) &&
              notify.stop(drain_bound));
    spool.stop();
    log::info("server.stopped");
    io.stop();
  };

  auto start = [&]() -> awaitable<void> {
    // [K-6]: recover before answering anything.
    auto report = co_await spool.recover();
    if (!report) {
      log::error("server.failed").kv("error", "recovery").kv("code", report.error());
      exit_code = 1;
      io.stop();
      co_return;
    }
    for (const auto& msg : report->missing_bodies) {
      log::error("spool.body_missing").kv("msg", msg);
    }
    log::info("spool.recovered")
        .kv("stale_temp_files", report->stale_temp_files)
        .kv("orphan_bodies", report->orphan_bodies)
        .kv("pending_recipients", report->pending_recipients);
    if (auto ec = control->open(config.control_socket)) {
      log::error("server.failed")
          .kv("error", control::describe_bind_error(config.control_socket, ec));
      exit_code = 1;
      co_await shutdown();
      co_return;
    }
    for (auto* l : {submit_listener.get(), pull_listener.get()}) {
      const auto& endpoint = l == submit_listener.get() ? config.submit_listen : config.pull_listen;
      if (auto ec = l->open(endpoint)) {
        log::error("server.failed")
            .kv("error", "cannot listen on " + net::to_string(endpoint))
            .kv("code", ec);
        exit_code = 1;
        co_await shutdown();
        co_return;
      }
    }
    if (metrics_endpoint) {
      if (auto ec = metrics_endpoint->open(*config.metrics_listen)) {
        log::error("server.failed")
            .kv("error",
                "cannot listen on " + net::to_string(*config.metrics_listen) + " (metrics)")
            .kv("code", ec);
        exit_code = 1;
        co_await shutdown();
        co_return;
      }
      metrics::expose_tls_failures();
      metrics_endpoint->start();
      log::info("metrics.ready").kv("listen", net::to_string(metrics_endpoint->local_endpoint()));
    }
    if (run_as) {  // every listener is bound: root is no longer needed
      os::drop_privileges(*run_as);
      log::info("server.privileges_dropped").kv("user", run_as->user);
    }
    submit_listener->start();
    pull_listener->start();
    notify.start();
    keeper.start();
    control->start();
    log::info("server.ready")
        .kv("host", config.host)
        .kv("submit", net::to_string(submit_listener->local_endpoint()))
        .kv("pull", net::to_string(pull_listener->local_endpoint()))
        .kv("control", config.control_socket.string());
  };

  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      log::info("server.signal").kv("signal", signal);
      boost::asio::co_spawn(io, shutdown(), boost::asio::detached);
    }
  });
  boost::asio::co_spawn(io, start(), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("server.failed").kv("error", ex.what());
      }
      exit_code = 1;
      io.stop();
    }
  });
  io.run();
  stop_signals.cancel();
  spool.stop();
  password_pool.join();
  return exit_code;
}

}  // namespace im2k::oms
