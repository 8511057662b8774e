// A daemon's local control channel: a Unix stream socket (mode 0600) on which the daemon's own
// user (or root) sends one JSON object per line and reads one JSON object per line back.
//
//   auto control = control::control_server::create(io.get_executor());
//   control->add("queue.list", [&](nlohmann::json request, control::peer_identity who)
//                                  -> awaitable<nlohmann::json> { ... });
//   if (auto ec = control->open(path)) throw ...(control::describe_bind_error(path, ec));
//   control->start();
//   ...
//   co_await control->stop();   // closes every connection, removes the socket file
//
// Requests: {"op":"NAME", ...}. Responses: control::ok_reply / control::error_reply. Lines are
// bounded, every read and write has a deadline, clients are few, and each connection runs on
// its own strand.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "common/control/socket_file.hpp"

namespace im2k::control {

struct server_limits {
  std::size_t max_line = 64 * 1024;     // octets of one request line, without its newline
  std::chrono::seconds io_timeout{10};  // each read (also the wait for the next request), write
  std::size_t max_clients = 8;
};

// Answers one request (the whole object) with a reply object. An exception it throws becomes
// an `internal` error reply.
using handler =
    std::function<boost::asio::awaitable<nlohmann::json>(nlohmann::json request, peer_identity)>;

class control_server : public std::enable_shared_from_this<control_server> {
 public:
  static std::shared_ptr<control_server> create(const boost::asio::any_io_executor& executor,
                                                server_limits limits = {});

  // Registers operation `op` (before start()).
  void add(std::string op, handler h);

  // Binds `path` (see bind_private). A value, not an exception: describe_bind_error(path, ec)
  // gives the start-up error text.
  boost::system::error_code open(const std::filesystem::path& path);
  void start();
  // Stops accepting, closes every connection and removes the socket file.
  boost::asio::awaitable<void> stop();

  const std::filesystem::path& path() const { return path_; }
  std::size_t open_connections() const { return clients_.size(); }

  control_server(const boost::asio::any_io_executor& executor, server_limits limits);  // create()

 private:
  class connection;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> shut_down();
  void admit(boost::asio::local::stream_protocol::socket socket);
  boost::asio::awaitable<nlohmann::json> answer(const std::string& line, peer_identity who);
  void ended(connection* c);
  void close_all();

  boost::asio::any_io_executor io_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const server_limits limits_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::filesystem::path path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool stopping_ = false;
  std::map<std::string, handler> handlers_;
  // On strand_ only.
  std::map<connection*, std::weak_ptr<connection>> clients_;
};

}  // namespace im2k::control
