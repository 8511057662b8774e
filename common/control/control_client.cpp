#include "common/control/control_client.hpp"

#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/control/reply.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::control {
namespace {

using boost::asio::awaitable;
using boost::asio::local::stream_protocol;
using boost::system::error_code;
using namespace boost::asio::experimental::awaitable_operators;
namespace errc = boost::system::errc;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Connects, writes, reads; the caller's timer bounds the whole exchange.
awaitable<error_code> exchange(stream_protocol::socket& socket, stream_protocol::endpoint endpoint,
                               const std::string& line, std::string& response,
                               std::size_t max_response) {
  auto [connect_error] = co_await socket.async_connect(endpoint, use_tuple);
  if (connect_error) {
    co_return connect_error;
  }
  auto [write_error, written] =
      co_await boost::asio::async_write(socket, boost::asio::buffer(line), use_tuple);
  if (write_error) {
    co_return write_error;
  }
  auto buffer = boost::asio::dynamic_buffer(response, max_response);
  auto [read_error, length] =
      co_await boost::asio::async_read_until(socket, buffer, '\n', use_tuple);
  if (read_error == boost::asio::error::not_found) {
    co_return errc::make_error_code(errc::message_size);
  }
  if (read_error) {
    co_return read_error;
  }
  response.resize(length - 1);
  co_return error_code{};
}

awaitable<error_code> bounded(stream_protocol::socket& socket, stream_protocol::endpoint endpoint,
                              const std::string& line, std::string& response,
                              const client_options& options) {
  boost::asio::steady_timer timer(socket.get_executor(), options.timeout);
  auto work = exchange(socket, std::move(endpoint), line, response, options.max_response);
  auto outcome = co_await (std::move(work) || timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return errc::make_error_code(errc::timed_out);
  }
  co_return std::get<0>(outcome);
}

}  // namespace

boost::system::result<nlohmann::json> call(const std::filesystem::path& socket_path,
                                           const nlohmann::json& request, client_options options) {
  if (socket_path.empty() || socket_path.native().size() >= 108) {
    return errc::make_error_code(errc::filename_too_long);
  }
  boost::asio::io_context io(1);
  stream_protocol::socket socket(io);
  const std::string line = to_line(request);
  std::string response;
  error_code ec = errc::make_error_code(errc::timed_out);
  boost::asio::co_spawn(
      io, bounded(socket, stream_protocol::endpoint(socket_path.native()), line, response, options),
      [&ec](std::exception_ptr e, error_code result) {
        ec = e ? errc::make_error_code(errc::io_error) : result;
      });
  io.run();
  if (ec) {
    return ec;
  }
  if (!response.empty() && response.back() == '\r') {
    response.pop_back();
  }
  auto parsed = nlohmann::json::parse(response, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return errc::make_error_code(errc::bad_message);
  }
  return parsed;
}

}  // namespace im2k::control
