#include "common/control/control_server.hpp"

#include <sys/stat.h>

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/control/reply.hpp"
#include "common/log/log.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames; a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::control {
namespace {

using boost::asio::awaitable;
using boost::asio::local::stream_protocol;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Answers a connection that is not served (a stranger, too many clients) without waiting for
// it: the line fits in an empty socket buffer, and whatever does not is dropped.
void refuse(stream_protocol::socket& socket, proto::errc code, std::string_view why) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  const std::string line = to_line(error_reply(code, why));
  socket.write_some(boost::asio::buffer(line), ignored);
  socket.close(ignored);
}

}  // namespace

// One client: requests read and answered in turn until the client closes, a deadline passes,
// a line is too long, or the server stops. Runs on its own strand.
class control_server::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<control_server> server, stream_protocol::socket socket,
             peer_identity who)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        who_(who) {}

  boost::asio::any_io_executor executor() { return socket_.get_executor(); }

  awaitable<void> run() {
    auto self = shared_from_this();
    const auto& limits = server_->limits_;
    while (socket_.is_open()) {
      timer_.expires_after(limits.io_timeout);
      // One octet more than a line may hold: room for its newline.
      auto buffer = boost::asio::dynamic_buffer(buffer_, limits.max_line + 1);
      auto read = co_await (boost::asio::async_read_until(socket_, buffer, '\n', use_tuple) ||
                            timer_.async_wait(use_tuple));
      if (read.index() == 1) {
        break;  // idle or too slow
      }
      auto [error, length] = std::get<0>(read);
      if (error == boost::asio::error::not_found) {
        const auto reply =
            error_reply(proto::errc::bad_request,
                        "request line longer than " + std::to_string(limits.max_line) + " octets");
        co_await write(reply);
        break;
      }
      if (error) {
        break;  // the client closed, or the server stops
      }
      std::string line = buffer_.substr(0, length - 1);
      buffer_.erase(0, length);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.empty()) {
        continue;
      }
      const auto reply = co_await server_->answer(line, who_);
      if (!co_await write(reply)) {
        break;
      }
    }
    close();
    auto server = server_;
    boost::asio::post(server->strand_, [server, raw = this] { server->ended(raw); });
  }

  // From any strand.
  void close_soon() {
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  awaitable<bool> write(const nlohmann::json& reply) {
    const std::string line = to_line(reply);
    timer_.expires_after(server_->limits_.io_timeout);
    auto written =
        co_await (boost::asio::async_write(socket_, boost::asio::buffer(line), use_tuple) ||
                  timer_.async_wait(use_tuple));
    co_return written.index() == 0 && !std::get<0>(std::get<0>(written));
  }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::shared_ptr<control_server> server_;
  stream_protocol::socket socket_;
  boost::asio::steady_timer timer_;
  peer_identity who_;
  std::string buffer_;
};

std::shared_ptr<control_server> control_server::create(const boost::asio::any_io_executor& executor,
                                                       server_limits limits) {
  return std::make_shared<control_server>(executor, limits);
}

control_server::control_server(const boost::asio::any_io_executor& executor, server_limits limits)
    : io_(executor),
      strand_(boost::asio::make_strand(executor)),
      limits_(limits),
      acceptor_(strand_) {}

void control_server::add(std::string op, handler h) {
  handlers_[std::move(op)] = std::move(h);
}

boost::system::error_code control_server::open(const std::filesystem::path& path) {
  if (auto ec = bind_private(acceptor_, path)) {
    return ec;
  }
  path_ = path;
  struct stat bound {};
  if (::lstat(path.c_str(), &bound) == 0) {
    device_ = bound.st_dev;
    inode_ = bound.st_ino;
  }
  return {};
}

void control_server::start() {
  boost::asio::co_spawn(strand_, accept_loop(), boost::asio::detached);
}

awaitable<void> control_server::accept_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    auto [error, socket] =
        co_await acceptor_.async_accept(boost::asio::make_strand(io_), use_tuple);
    if (error == boost::asio::error::operation_aborted || stopping_) {
      co_return;
    }
    if (error) {
      log::warn("control.accept_failed").kv("code", error);
      boost::asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    admit(std::move(socket));
  }
}

void control_server::admit(stream_protocol::socket socket) {
  const auto who = peer_of(socket);
  if (!who || !may_control(*who)) {
    log::warn("control.refused")
        .kv("uid", who ? static_cast<std::int64_t>(who->uid) : -1)
        .kv("reason", "not the daemon's user or root");
    refuse(socket, proto::errc::not_authenticated, "only the daemon's user or root may control it");
    return;
  }
  if (clients_.size() >= limits_.max_clients) {
    log::warn("control.refused").kv("uid", who->uid).kv("reason", "too many clients");
    refuse(socket, proto::errc::rate_limited, "too many control clients; try again");
    return;
  }
  auto c = std::make_shared<connection>(shared_from_this(), std::move(socket), *who);
  clients_.emplace(c.get(), c);
  boost::asio::co_spawn(c->executor(), c->run(), boost::asio::detached);
}

awaitable<nlohmann::json> control_server::answer(const std::string& line, peer_identity who) {
  auto request = nlohmann::json::parse(line, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    co_return error_reply(proto::errc::bad_request, "expected one JSON object per line");
  }
  auto op = request.find("op");
  if (op == request.end() || !op->is_string()) {
    co_return error_reply(proto::errc::bad_request, "the request has no \"op\" string");
  }
  const std::string name = op->get<std::string>();
  auto found = handlers_.find(name);
  if (found == handlers_.end()) {
    co_return error_reply(proto::errc::bad_request, "unknown op \"" + name + "\"");
  }
  log::debug("control.request").kv("op", name).kv("uid", who.uid).kv("pid", who.pid);
  std::string failure;
  try {
    auto pending = found->second(std::move(request), who);
    co_return co_await std::move(pending);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  log::error("control.failed").kv("op", name).kv("error", failure);
  co_return error_reply(proto::errc::internal, "the daemon failed to answer: " + failure);
}

void control_server::ended(connection* c) {
  clients_.erase(c);
}

void control_server::close_all() {
  for (auto& [raw, weak] : clients_) {
    if (auto c = weak.lock()) {
      c->close_soon();
    }
  }
}

awaitable<void> control_server::stop() {
  co_await boost::asio::co_spawn(strand_, shut_down(), boost::asio::use_awaitable);
}

awaitable<void> control_server::shut_down() {
  if (stopping_) {
    co_return;
  }
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  close_all();
  if (!path_.empty()) {
    remove_socket_file(path_, device_, inode_);
  }
  log::info("control.stopped").kv("socket", path_.string());
}

}  // namespace im2k::control
