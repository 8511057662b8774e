#include "common/net/client_connection.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/tls/handshake.hpp"
#include "proto/deadline.hpp"
#include "proto/frame_io.hpp"
#include "proto/syntax.hpp"

namespace im2k::net {

namespace {

using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

client_failure make_failure(client_stage stage, boost::system::error_code code,
                            std::string message) {
  client_failure f;
  f.stage = stage;
  f.code = code;
  f.message = std::move(message);
  return f;
}

}  // namespace

client_connection::client_connection(tls::tls_stream stream, client_settings settings)
    : stream_(std::move(stream)), settings_(std::move(settings)) {
  boost::system::error_code ignored;
  remote_ = stream_.lowest_layer().remote_endpoint(ignored);
  local_ = stream_.lowest_layer().local_endpoint(ignored);
}

client_connection::~client_connection() {
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

awaitable<client_result<std::unique_ptr<client_connection>>> client_connection::open(
    boost::asio::any_io_executor executor, client_settings settings) {
  if (settings.addresses.empty()) {
    co_return make_failure(client_stage::connect,
                           make_error_code(boost::system::errc::invalid_argument),
                           "no address to connect to");
  }
  client_failure last;
  for (const auto& address : settings.addresses) {
    auto opened = co_await open_one(executor, settings, address);
    if (opened) {
      co_return std::move(*opened);
    }
    last = opened.error();
    // [L-7]: only a permanent refusal of hello ends the walk.
    if (last.refusal && !last.refusal->temporary) {
      break;
    }
  }
  co_return last;
}

awaitable<client_result<std::unique_ptr<client_connection>>> client_connection::open_one(
    boost::asio::any_io_executor executor, const client_settings& settings,
    const boost::asio::ip::address& address) {
  const boost::asio::ip::tcp::endpoint endpoint(address, settings.port);
  const std::string where = settings.peer_host + " " + to_string(endpoint);
  boost::asio::ip::tcp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec && settings.bind_address) {
    if (settings.bind_address->is_v4() != address.is_v4()) {
      co_return make_failure(client_stage::connect,
                             make_error_code(boost::system::errc::address_family_not_supported),
                             where + ": the bind address is of the other family");
    }
    socket.bind(boost::asio::ip::tcp::endpoint(*settings.bind_address, 0), ec);
  }
  if (ec) {
    co_return make_failure(client_stage::connect, ec, where + ": " + ec.message());
  }
  boost::asio::steady_timer timer(executor, settings.connect_timeout);
  auto connected =
      co_await (socket.async_connect(endpoint, use_tuple) || timer.async_wait(use_tuple));
  if (connected.index() == 1) {
    co_return make_failure(client_stage::connect, boost::asio::error::timed_out,
                           where + ": connect timed out");
  }
  if (auto [error] = std::get<0>(connected); error) {
    co_return make_failure(client_stage::connect, error, where + ": " + error.message());
  }

  // Frames and bodies go out in several writes; without this, Nagle's algorithm holds the last
  // small one back until the peer's delayed ACK (40 ms per request on Linux).
  boost::system::error_code ignored;  // a socket without the option still works, only slower
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  tls::tls_stream stream(std::move(socket), *settings.credentials->current());
  const tls::failure handshake = co_await tls::client_handshake(
      stream, settings.peer_host, settings.credentials->kind(), settings.handshake_timeout);
  if (handshake != tls::failure::none) {
    client_failure f = make_failure(client_stage::handshake, {}, where);
    f.tls = handshake;
    co_return f;
  }
  std::unique_ptr<client_connection> connection(new client_connection(std::move(stream), settings));
  auto hello = co_await connection->exchange_hello();
  if (!hello) {
    client_failure f = hello.error();
    f.message = where + (f.message.empty() ? "" : ": " + f.message);
    co_return f;
  }
  co_return connection;
}

awaitable<client_result<void>> client_connection::exchange_hello() {
  proto::hello_request request;
  request.host = settings_.hello_host;
  request.client = settings_.hello_client;
  auto written = co_await proto::with_deadline(proto::write_frame(stream_, proto::to_json(request)),
                                               settings_.hello_timeout);
  if (!written) {
    co_return fail(client_stage::hello, written.error());
  }
  auto frame = co_await proto::with_deadline(
      proto::read_frame(stream_, proto::frame_limits{settings_.max_message_size}),
      settings_.hello_timeout);
  if (!frame) {
    co_return fail(client_stage::hello, frame.error());
  }
  auto response = proto::parse_response(frame->object);
  if (!response) {
    co_return fail(client_stage::hello, response.error());
  }
  if (auto* refused = std::get_if<proto::error_response>(&*response)) {
    client_failure f = fail(client_stage::hello, proto::make_error_code(refused->code), {});
    f.refusal = *refused;
    co_return f;
  }
  auto hello = proto::parse_hello_response(frame->object);
  if (!hello) {
    co_return fail(client_stage::hello, hello.error());
  }
  // [H-3]: we speak version 1 only.
  if (hello->re != 0 || hello->version != 1 || frame->body_len) {
    co_return fail(client_stage::hello, make_error_code(proto::codec_errc::out_of_range),
                   "unexpected hello response");
  }
  if (!proto::iequals(hello->host, settings_.peer_host)) {
    // [H-8]: informational only; the certificate already proved the name we wanted.
    log::info("hello.host_differs")
        .kv("expected", settings_.peer_host)
        .kv("announced", hello->host)
        .kv("peer", to_string(remote_));
  }
  hello_ = std::move(*hello);
  co_return client_result<void>();
}

client_failure client_connection::fail(client_stage stage, boost::system::error_code code,
                                       std::string message) {
  broken_ = true;
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
  return make_failure(stage, code, std::move(message));
}

client_failure client_connection::fail(client_stage stage, const proto::codec_failure& failure) {
  return fail(stage, failure.code, failure.describe());
}

awaitable<client_result<std::uint64_t>> client_connection::write_request(nlohmann::json request) {
  if (broken_) {
    co_return make_failure(client_stage::request, boost::asio::error::not_connected,
                           "the connection has failed before");
  }
  const std::uint64_t id = next_id_++;
  request["id"] = id;
  // Recorded before the write, so that a receive() running beside this write (full-duplex
  // pipelining) already waits for this response.
  pending_.push_back({id, std::chrono::steady_clock::now()});
  auto written =
      co_await proto::with_deadline(proto::write_frame(stream_, request), settings_.write_timeout);
  if (!written) {
    co_return fail(client_stage::request, written.error());
  }
  co_return id;
}

awaitable<client_result<std::uint64_t>> client_connection::send(nlohmann::json request) {
  request.erase("body_len");
  co_return co_await write_request(std::move(request));
}

awaitable<client_result<std::uint64_t>> client_connection::send_with_body(nlohmann::json request,
                                                                          std::uint64_t length,
                                                                          body_source source) {
  if (length > hello_.max_message_size) {  // nothing sent: the connection stays usable
    co_return make_failure(client_stage::request,
                           proto::make_error_code(proto::errc::message_too_large),
                           "the body is larger than the server accepts");
  }
  request["body_len"] = length;
  auto id = co_await write_request(std::move(request));
  if (!id) {
    co_return id;
  }
  auto written = co_await proto::with_deadline(
      proto::write_body(stream_, length, std::move(source)),
      body_deadline(settings_.body_timeout, length, settings_.min_body_rate));
  if (!written) {
    co_return fail(client_stage::request, written.error());
  }
  co_return id;
}

awaitable<client_result<proto::response>> client_connection::receive() {
  if (broken_) {
    co_return make_failure(client_stage::request, boost::asio::error::not_connected,
                           "the connection has failed before");
  }
  if (pending_body_) {
    co_return fail(client_stage::request, make_error_code(boost::system::errc::invalid_argument),
                   "the body of the previous response was not read");
  }
  if (pending_.empty()) {
    co_return make_failure(client_stage::request,
                           make_error_code(boost::system::errc::invalid_argument),
                           "no request is waiting for a response");
  }
  // [T-10]: from sending the request or from the previous response, whichever is later.
  const auto start = std::max(pending_.front().at, last_response_at_);
  const auto left = std::max<duration>(
      start + settings_.response_timeout - std::chrono::steady_clock::now(), duration::zero());
  auto frame = co_await proto::with_deadline(
      proto::read_frame(stream_, proto::frame_limits{settings_.max_message_size}), left);
  if (!frame) {
    co_return fail(client_stage::request, frame.error());
  }
  auto response = proto::parse_response(frame->object);
  if (!response) {
    co_return fail(client_stage::request, response.error());
  }
  std::optional<std::uint64_t> re;
  if (const auto* ok = std::get_if<proto::ok_response>(&*response)) {
    re = ok->re;
  } else {
    re = std::get<proto::error_response>(*response).re;
  }
  if (!re || *re != pending_.front().id) {  // and a framing refusal ("re": null)
    std::string why = "response to the wrong request";
    if (const auto* e = std::get_if<proto::error_response>(&*response)) {
      why = "refused: " + std::string(proto::to_string(e->code)) + ": " + e->message;
    }
    co_return fail(client_stage::request, make_error_code(proto::codec_errc::out_of_range), why);
  }
  pending_.pop_front();
  last_response_at_ = std::chrono::steady_clock::now();
  pending_body_ = frame->body_len;
  co_return std::move(*response);
}

awaitable<client_result<proto::response>> client_connection::request(nlohmann::json request) {
  auto id = co_await send(std::move(request));
  if (!id) {
    co_return id.error();
  }
  co_return co_await receive();
}

awaitable<client_result<void>> client_connection::read_body(std::uint64_t length, body_sink sink) {
  if (broken_) {
    co_return make_failure(client_stage::request, boost::asio::error::not_connected,
                           "the connection has failed before");
  }
  if (!pending_body_ || *pending_body_ != length) {
    co_return fail(client_stage::request, make_error_code(boost::system::errc::invalid_argument),
                   "no body of that length is announced");
  }
  pending_body_.reset();
  auto done = co_await proto::with_deadline(
      proto::read_body(stream_, length, std::move(sink)),
      body_deadline(settings_.body_timeout, length, settings_.min_body_rate));
  if (!done) {
    co_return fail(client_stage::request, done.error());
  }
  co_return client_result<void>();
}

awaitable<void> client_connection::close() {
  if (!broken_) {
    broken_ = true;
    boost::asio::steady_timer timer(stream_.get_executor(), settings_.shutdown_timeout);
    co_await (stream_.async_shutdown(use_tuple) || timer.async_wait(use_tuple));
  }
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

void client_connection::abort() {
  broken_ = true;
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

}  // namespace im2k::net
