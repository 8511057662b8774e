#include "ims/server.hpp"

#include <ctime>
#include <limits>
#include <stdexcept>
#include <utility>

#include "common/dns/cares_resolver.hpp"
#include "common/log/log.hpp"
#include "common/metrics/answers.hpp"
#include "common/metrics/tls_failures.hpp"
#include "ims/designation.hpp"
#include "ims/queue_operations.hpp"
#include "ims/schema.hpp"
#include "proto/messages/notify.hpp"

namespace im2k::ims {

using boost::asio::awaitable;

namespace {
// Requests of one peer connection handled at once: the window a peer may pipeline ([R-3]).
constexpr std::size_t peer_concurrent_requests = 32;
}  // namespace

server::server(boost::asio::io_context& io, ims_config config)
    : io_(io), config_(std::move(config)) {
  // As root with `user` set: from here on files are created as that user (the store's too).
  run_as_ = os::prepare_privilege_drop(config_.user, config_.group, config_.state_dir);
  dns::resolver_options dns_options;
  dns_options.servers = config_.dns_servers;
  dns_ = std::make_unique<dns::cares_resolver>(io_.get_executor(), dns_options);
  store_ = std::make_unique<sqlite_store>(config_.state_dir);
  notify_credentials_ = std::make_shared<tls::credentials>(config_.tls, tls::side::server,
                                                           tls::listener_kind::notify);
  pull_credentials_ =
      std::make_shared<tls::credentials>(config_.tls, tls::side::client, tls::listener_kind::pull);
  puller_settings pulling;
  pulling.host = config_.host;
  pulling.bodies_dir = store_->bodies_dir();
  pulling.port = config_.pull.port;
  pulling.bind_address = config_.bind_address;
  pulling.connect_timeout = config_.pull.connect_timeout;
  pulling.retry_initial = config_.pull.retry_initial;
  pulling.retry_max = config_.pull.retry_max;
  pulling.max_message_size = config_.max_message_size;
  puller_ = puller::create(io_.get_executor(), pulling, *dns_, *store_, pull_credentials_);
  notify_ = std::make_unique<notify_handler>(
      notify_settings{config_.host, config_.domains, config_.max_message_size,
                      [this](std::string_view s) {
                        return config_.policy.pull_mode_for(s) == pull_mode::on_read;
                      },
                      config_.policy},
      *dns_, *store_, [p = puller_] { p->wake(); });
  mailbox_credentials_ = std::make_shared<tls::credentials>(config_.tls, tls::side::server,
                                                            tls::listener_kind::mailbox);
  mailbox_ = std::make_unique<mailbox_handler>(
      database_path(config_.state_dir), store_->bodies_dir(), *store_, puller_, password_pool_);
}

server::~server() = default;

void server::start() {
  auto recovered = store_->recover(static_cast<std::int64_t>(std::time(nullptr)));
  if (!recovered) {
    throw std::runtime_error("recovery failed: " + recovered.error().message());
  }
  log::info("store.recovered")
      .kv("temp_files_removed", recovered->temp_files_removed)
      .kv("orphan_bodies_removed", recovered->orphan_bodies_removed)
      .kv("missing_bodies", recovered->missing_bodies)
      .kv("pulls_resumed", recovered->pulls_resumed);

  net::server_settings settings;
  settings.host = config_.host;
  settings.max_message_size = config_.max_message_size;
  // [N-3], step 3 of [N-1]: the source address must be one of H's, resolved here.
  net::hello_check check =
      [this](const net::peer_info& peer) -> awaitable<std::optional<proto::error_response>> {
    auto verdict = co_await check_source_address(*dns_, peer.host, peer.remote.address());
    if (!verdict.refusal) {
      co_return std::nullopt;
    }
    log::info("notify.refused")
        .kv("peer", peer.host)
        .kv("source", peer.remote.address().to_string())
        .kv("stage", "hello")
        .kv("code", proto::to_string(*verdict.refusal))
        .kv("reason", verdict.detail);
    co_return proto::make_error_response(0, *verdict.refusal, verdict.detail);
  };
  // Notifications of one OMS connection are handled side by side, so their commits group.
  net::server_settings peer_settings = settings;
  peer_settings.max_concurrent_requests = peer_concurrent_requests;
  notify_listener_ =
      net::listener::create(io_.get_executor(), peer_settings, notify_credentials_,
                            metrics::count_answers(
                                [this](net::session& s, net::incoming_request r) {
                                  return serve_notify(s, std::move(r));
                                },
                                "im2k_notify_requests_total", "Notify requests, by answer.",
                                metrics::request_is<proto::notify_request>),
                            std::move(check));
  if (auto ec = notify_listener_->open(config_.notify_listen)) {
    throw std::runtime_error("cannot listen on " + net::to_string(config_.notify_listen) +
                             " (notify): " + ec.message());
  }
  notify_listener_->start();
  mailbox_listener_ = net::listener::create(
      io_.get_executor(), settings, mailbox_credentials_,
      [this](net::session& s, net::incoming_request r) { return (*mailbox_)(s, std::move(r)); });
  if (auto ec = mailbox_listener_->open(config_.mailbox_listen)) {
    throw std::runtime_error("cannot listen on " + net::to_string(config_.mailbox_listen) +
                             " (mailbox): " + ec.message());
  }
  mailbox_listener_->start();
  if (config_.metrics_listen) {
    metrics_ = metrics::http_endpoint::create(io_.get_executor());
    if (auto ec = metrics_->open(*config_.metrics_listen)) {
      throw std::runtime_error("cannot listen on " + net::to_string(*config_.metrics_listen) +
                               " (metrics): " + ec.message());
    }
    pulls_pending_ = metrics::global().callback_gauge(
        "im2k_pulls_pending", "Pulls not finished yet (to pull, to ack or held).", {}, [this] {
          auto n = store_->pending_pulls();
          return n ? static_cast<double>(*n) : std::numeric_limits<double>::quiet_NaN();
        });
    metrics::expose_tls_failures();
    metrics_->start();
    log::info("metrics.ready").kv("listen", net::to_string(metrics_->local_endpoint()));
  }
  reload_ = std::make_unique<tls::reload_on_sighup>(
      io_, std::vector<std::shared_ptr<tls::credentials>>{notify_credentials_, pull_credentials_,
                                                          mailbox_credentials_});
  if (run_as_) {  // every listener is bound: root is no longer needed
    os::drop_privileges(*run_as_);
    log::info("server.privileges_dropped").kv("user", run_as_->user);
  }
  control_ = control::control_server::create(io_.get_executor());
  add_queue_operations(*control_, *store_, [p = puller_] { p->wake(); });
  if (auto ec = control_->open(config_.control_socket)) {
    throw std::runtime_error(control::describe_bind_error(config_.control_socket, ec));
  }
  control_->start();
  puller_->start();
  log::info("server.ready")
      .kv("host", config_.host)
      .kv("notify", net::to_string(notify_listener_->local_endpoint()))
      .kv("mailbox", net::to_string(mailbox_listener_->local_endpoint()))
      .kv("pull_port", config_.pull.port)
      .kv("control", config_.control_socket.string());
}

boost::asio::ip::tcp::endpoint server::mailbox_endpoint() const {
  return mailbox_listener_ ? mailbox_listener_->local_endpoint() : boost::asio::ip::tcp::endpoint();
}

boost::asio::ip::tcp::endpoint server::notify_endpoint() const {
  return notify_listener_ ? notify_listener_->local_endpoint() : boost::asio::ip::tcp::endpoint();
}

awaitable<void> server::serve_notify(net::session& session, net::incoming_request request) {
  auto* notify = std::get_if<proto::notify_request>(&request.request);
  if (!notify) {
    // a valid request that this listener does not serve.
    co_await session.send_error(request.id, proto::errc::bad_request,
                                "only notify is served on this listener");
    co_return;
  }
  const notify_peer peer{session.peer().host, session.peer().remote.address()};
  auto outcome =
      co_await notify_->handle(peer, *notify, static_cast<std::int64_t>(std::time(nullptr)));
  if (auto* refused = std::get_if<proto::error_response>(&outcome)) {
    co_await session.send_error(request.id, refused->code, refused->temporary, refused->message);
    co_return;
  }
  auto& response = std::get<proto::notify_response>(outcome);
  co_await session.send_ok(request.id, proto::to_json(response));
}

awaitable<void> server::stop(std::chrono::steady_clock::duration bound) {
  log::info("server.stopping");
  if (reload_) {
    reload_->cancel();
  }
  if (control_) {
    co_await control_->stop();
  }
  // A quarter of the bound each, so that the whole drain stays within it.
  if (notify_listener_) {
    co_await notify_listener_->stop(bound / 4);
  }
  if (mailbox_listener_) {
    co_await mailbox_listener_->stop(bound / 4);
  }
  co_await puller_->stop(bound / 2);
  if (metrics_) {
    metrics_->stop();
  }
  pulls_pending_.reset();
  store_->stop();
  log::info("server.stopped");
}

}  // namespace im2k::ims
