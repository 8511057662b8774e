#include "common/net/listener.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"

namespace im2k::net {

namespace {
using boost::asio::awaitable;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
}  // namespace

std::shared_ptr<listener> listener::create(const boost::asio::any_io_executor& executor,
                                           server_settings settings,
                                           std::shared_ptr<tls::credentials> credentials,
                                           request_handler handler, hello_check check) {
  return std::make_shared<listener>(executor, std::move(settings), std::move(credentials),
                                    std::move(handler), std::move(check));
}

listener::listener(const boost::asio::any_io_executor& executor, server_settings settings,
                   std::shared_ptr<tls::credentials> credentials, request_handler handler,
                   hello_check check)
    : io_(executor),
      strand_(boost::asio::make_strand(executor)),
      settings_(std::move(settings)),
      credentials_(std::move(credentials)),
      handler_(std::move(handler)),
      check_(std::move(check)),
      gate_(std::string(tls::to_string(credentials_->kind())), settings_.max_connections,
            settings_.max_connections_per_address),
      acceptor_(strand_),
      drained_(strand_) {}

boost::system::error_code listener::open(const boost::asio::ip::tcp::endpoint& endpoint) {
  return open_acceptor(acceptor_, endpoint);
}

boost::asio::ip::tcp::endpoint listener::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void listener::start() {
  open_gauge_ =
      metrics::global().callback_gauge("im2k_open_connections", "Open connections, by listener.",
                                       {{"listener", std::string(tls::to_string(kind()))}},
                                       [this] { return static_cast<double>(gate_.open()); });
  boost::asio::co_spawn(strand_, accept_loop(), boost::asio::detached);
}

awaitable<void> listener::accept_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    // Each connection gets its own strand.
    auto [error, socket] =
        co_await acceptor_.async_accept(boost::asio::make_strand(io_), use_tuple);
    if (error == boost::asio::error::operation_aborted || stopping_) {
      co_return;
    }
    if (error) {
      // Out of descriptors and the like: pause briefly rather than spin.
      log::warn("listener.accept_failed").kv("listener", tls::to_string(kind())).kv("code", error);
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
    return;  // already gone
  }
  // As in client_connection: no Nagle delay behind a response's last small write.
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  const auto source = gate_.admit(remote);  // [T-11]: before the TLS handshake costs anything
  if (!source) {
    socket.close(ec);
    return;
  }
  auto executor = socket.get_executor();
  tls::tls_stream stream(std::move(socket), *credentials_->current());
  auto s = std::make_shared<session>(
      std::move(stream), settings_, kind(), handler_, check_,
      [self = shared_from_this(), address = *source](session* ended) {
        boost::asio::post(self->strand_, [self, ended, address] { self->ended(ended, address); });
      });
  sessions_.emplace(s.get(), s);
  boost::asio::co_spawn(executor, s->run(), boost::asio::detached);
}

void listener::ended(session* s, const boost::asio::ip::address& remote) {
  sessions_.erase(s);
  gate_.release(remote);
  if (stopping_ && sessions_.empty()) {
    drained_.cancel();
  }
}

awaitable<void> listener::stop(duration bound) {
  co_await boost::asio::co_spawn(strand_, drain(bound), boost::asio::use_awaitable);
}

awaitable<void> listener::drain(duration bound) {
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
    log::warn("listener.drain_timeout")
        .kv("listener", tls::to_string(kind()))
        .kv("open", sessions_.size());
    for (auto& [raw, s] : sessions_) {
      s->abort();
    }
  }
  log::info("listener.stopped").kv("listener", tls::to_string(kind()));
}

}  // namespace im2k::net
