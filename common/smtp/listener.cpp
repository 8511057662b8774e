#include "common/smtp/listener.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/net/server_settings.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::smtp {

namespace {
using boost::asio::awaitable;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
}  // namespace

std::shared_ptr<listener> listener::create(const boost::asio::any_io_executor& executor,
                                           std::string name, server_options options,
                                           connection_limits limits,
                                           std::shared_ptr<tls::credentials> credentials,
                                           handler_factory factory) {
  return std::make_shared<listener>(executor, std::move(name), std::move(options), limits,
                                    std::move(credentials), std::move(factory));
}

listener::listener(const boost::asio::any_io_executor& executor, std::string name,
                   server_options options, connection_limits limits,
                   std::shared_ptr<tls::credentials> credentials, handler_factory factory)
    : io_(executor),
      strand_(boost::asio::make_strand(executor)),
      name_(std::move(name)),
      options_(std::move(options)),
      limits_(limits),
      credentials_(std::move(credentials)),
      factory_(std::move(factory)),
      gate_(name_, limits.max_connections, limits.max_per_address),
      acceptor_(strand_),
      drained_(strand_) {}

boost::system::error_code listener::open(const boost::asio::ip::tcp::endpoint& endpoint) {
  return net::open_acceptor(acceptor_, endpoint);
}

boost::asio::ip::tcp::endpoint listener::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void listener::start() {
  open_gauge_ = metrics::global().callback_gauge(
      "im2k_open_connections", "Open connections, by listener.", {{"listener", name_}},
      [this] { return static_cast<double>(gate_.open()); });
  boost::asio::co_spawn(strand_, accept_loop(), boost::asio::detached);
}

awaitable<void> listener::accept_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    auto [error, socket] =
        co_await acceptor_.async_accept(boost::asio::make_strand(io_), use_tuple);
    if (error == boost::asio::error::operation_aborted || stopping_) {
      co_return;
    }
    if (error) {
      log::warn("listener.accept_failed").kv("listener", name_).kv("code", error);
      boost::asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    admit(std::move(socket));
  }
}

void listener::admit(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) {
    return;
  }
  // As on the protocol listeners: no Nagle delay behind a reply's last small write.
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  const auto source = gate_.admit(remote);  // [T-11], before the TLS handshake
  if (!source) {
    socket.close(ec);
    return;
  }
  auto executor = socket.get_executor();
  tls::tls_stream stream(std::move(socket), *credentials_->current());
  std::shared_ptr<server_handler> handler = factory_();
  auto session = std::make_shared<server_session>(std::move(stream), options_, *handler);
  sessions_.emplace(session.get(), session);
  boost::asio::co_spawn(executor, serve(session, std::move(handler), *source),
                        boost::asio::detached);
}

awaitable<void> listener::serve(std::shared_ptr<server_session> session,
                                std::shared_ptr<server_handler> handler,
                                boost::asio::ip::address source) {
  const auto remote = session->info().remote;
  session_end end = session_end::io_error;
  try {
    end = co_await session->run();
  } catch (const std::exception& e) {
    log::error("smtp.session_failed").kv("listener", name_).kv("error", e.what());
    session->abort();
  }
  const auto& info = session->info();
  log::info("smtp.session")
      .kv("listener", name_)
      .kv("peer", net::to_string(remote))
      .kv("end", to_string(end))
      .kv("tls", info.tls_version)
      .kv("user", info.user.value_or(""));
  metrics::count("im2k_smtp_sessions_total", "SMTP sessions, by listener and how they ended.",
                 {{"listener", name_}, {"end", std::string(to_string(end))}});
  handler.reset();  // before the listener may go away
  auto self = shared_from_this();
  boost::asio::post(strand_, [self, raw = session.get(), source] { self->ended(raw, source); });
}

void listener::ended(server_session* s, const boost::asio::ip::address& source) {
  sessions_.erase(s);
  gate_.release(source);
  if (stopping_ && sessions_.empty()) {
    drained_.cancel();
  }
}

awaitable<void> listener::stop(std::chrono::steady_clock::duration bound) {
  co_await boost::asio::co_spawn(strand_, drain(bound), boost::asio::use_awaitable);
}

awaitable<void> listener::drain(std::chrono::steady_clock::duration bound) {
  auto self = shared_from_this();
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [raw, s] : sessions_) {
    s->stop();
  }
  if (!sessions_.empty()) {
    drained_.expires_after(bound);
    co_await drained_.async_wait(use_tuple);
  }
  if (!sessions_.empty()) {
    log::warn("listener.drain_timeout").kv("listener", name_).kv("open", sessions_.size());
    for (auto& [raw, s] : sessions_) {
      s->abort();
    }
  }
  log::info("listener.stopped").kv("listener", name_);
}

}  // namespace im2k::smtp
