#include "tests/conformance/raw_peer.hpp"

#include <array>
#include <variant>

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace im2k::conform {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

// Runs `op` (an awaitable yielding a tuple) with a deadline; nullopt when time ran out (the
// operation is cancelled by the operator).
template <class T>
asio::awaitable<std::optional<T>> bounded(asio::awaitable<T> op, duration timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(timeout);
  auto outcome = co_await (std::move(op) || timer.async_wait(as_tuple(use_awaitable)));
  if (outcome.index() == 0)
    co_return std::get<0>(std::move(outcome));
  co_return std::nullopt;
}

std::shared_ptr<asio::ssl::context> make_context(const dial_settings& s, std::string& error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  int version = s.tls12_only ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(native, version);
  SSL_CTX_set_max_proto_version(native, version);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  boost::system::error_code ec;
  context->load_verify_file(s.ca_file, ec);
  if (ec) {
    error = "cannot load CA file " + s.ca_file + ": " + ec.message();
    return nullptr;
  }
  context->set_verify_mode(asio::ssl::verify_peer, ec);
  if (!s.cert_file.empty()) {
    context->use_certificate_chain_file(s.cert_file, ec);
    if (!ec)
      context->use_private_key_file(s.key_file, asio::ssl::context::pem, ec);
    if (ec) {
      error = "cannot load certificate " + s.cert_file + ": " + ec.message();
      return nullptr;
    }
  }
  if (!s.alpn.empty()) {
    std::string wire(1, static_cast<char>(s.alpn.size()));
    wire += s.alpn;
    SSL_CTX_set_alpn_protos(native, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  return context;
}

}  // namespace

std::string reply::describe() const {
  switch (what) {
    case kind::frame:
      if (object.value("op", "") == "error")
        return "error " + object.value("code", "?") +
               (object.value("temporary", false) ? " (temporary)" : "");
      return object.value("op", "?");
    case kind::closed:
      return "closed (" + detail + ")";
    case kind::timeout:
      return "no answer (timeout)";
  }
  return "?";
}

std::string raw_frame(std::string_view payload) {
  std::string out(4, '\0');
  auto n = payload.size();
  out[0] = static_cast<char>((n >> 24) & 0xff);
  out[1] = static_cast<char>((n >> 16) & 0xff);
  out[2] = static_cast<char>((n >> 8) & 0xff);
  out[3] = static_cast<char>(n & 0xff);
  out += payload;
  return out;
}

asio::awaitable<std::unique_ptr<raw_peer>> raw_peer::dial(asio::any_io_executor executor,
                                                          const dial_settings& s,
                                                          std::string& error) {
  auto context = make_context(s, error);
  if (!context)
    co_return nullptr;
  stream_type stream(executor, *context);
  auto& socket = stream.next_layer();
  asio::ip::tcp::endpoint remote(s.address, s.port);
  boost::system::error_code ec;
  socket.open(remote.protocol(), ec);
  if (!ec && s.bind_address)
    socket.bind(asio::ip::tcp::endpoint(*s.bind_address, 0), ec);
  if (ec) {
    error = "cannot bind: " + ec.message();
    co_return nullptr;
  }
  auto connected =
      co_await bounded(socket.async_connect(remote, as_tuple(use_awaitable)), s.timeout);
  if (!connected || std::get<0>(*connected)) {
    error = "connect to " + s.address.to_string() + ":" + std::to_string(s.port) +
            " failed: " + (connected ? std::get<0>(*connected).message() : "timeout");
    co_return nullptr;
  }
  SSL* ssl = stream.native_handle();
  SSL_set_tlsext_host_name(ssl, s.server_name.c_str());
  stream.set_verify_callback(asio::ssl::host_name_verification(s.server_name));
  auto shaken = co_await bounded(
      stream.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable)), s.timeout);
  if (!shaken || std::get<0>(*shaken)) {
    error = "TLS handshake failed: " + (shaken ? std::get<0>(*shaken).message() : "timeout");
    co_return nullptr;
  }
  co_return std::make_unique<raw_peer>(std::move(context), std::move(stream));
}

asio::awaitable<bool> raw_peer::write_raw(std::string octets) {
  auto written =
      co_await bounded(asio::async_write(stream_, asio::buffer(octets), as_tuple(use_awaitable)),
                       std::chrono::seconds(30));
  co_return written && !std::get<0>(*written);
}

asio::awaitable<bool> raw_peer::send(const nlohmann::json& object) {
  co_return co_await write_raw(raw_frame(object.dump()));
}

asio::awaitable<reply> raw_peer::read(duration timeout) {
  reply r;
  std::array<unsigned char, 4> header{};
  auto got = co_await bounded(
      asio::async_read(stream_, asio::buffer(header), as_tuple(use_awaitable)), timeout);
  if (!got) {
    r.what = reply::kind::timeout;
    co_return r;
  }
  if (auto ec = std::get<0>(*got)) {
    r.detail = ec.message();
    co_return r;
  }
  std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                       (std::size_t{header[2]} << 8) | header[3];
  if (length == 0 || length > 65536) {
    r.detail = "the server sent a frame of length " + std::to_string(length);
    co_return r;
  }
  std::string payload(length, '\0');
  got = co_await bounded(asio::async_read(stream_, asio::buffer(payload), as_tuple(use_awaitable)),
                         timeout);
  if (!got || std::get<0>(*got)) {
    r.detail = "truncated frame from the server";
    co_return r;
  }
  auto object = nlohmann::json::parse(payload, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    r.detail = "the server sent a frame that is not a JSON object";
    co_return r;
  }
  r.what = reply::kind::frame;
  r.object = std::move(object);
  co_return r;
}

asio::awaitable<std::optional<std::string>> raw_peer::read_body(std::uint64_t length,
                                                                duration timeout) {
  std::string body(length, '\0');
  auto got = co_await bounded(
      asio::async_read(stream_, asio::buffer(body), as_tuple(use_awaitable)), timeout);
  if (!got || std::get<0>(*got))
    co_return std::nullopt;
  co_return body;
}

asio::awaitable<bool> raw_peer::closed_within(duration timeout, reply* frame) {
  auto first = co_await read(timeout);
  if (first.what == reply::kind::closed)
    co_return true;
  if (first.what == reply::kind::timeout)
    co_return false;
  if (frame)
    *frame = first;
  auto second = co_await read(timeout);
  co_return second.what == reply::kind::closed;
}

asio::awaitable<reply> raw_peer::hello(const std::string& host, std::int64_t version) {
  nlohmann::json h = {{"op", "hello"}, {"id", 0}, {"version", version}, {"host", host}};
  co_return co_await request(h, std::chrono::seconds(60));
}

asio::awaitable<reply> raw_peer::request(const nlohmann::json& object, duration timeout) {
  if (!co_await send(object)) {
    reply r;
    r.detail = "write failed";
    co_return r;
  }
  co_return co_await read(timeout);
}

void raw_peer::shutdown_send() {
  boost::system::error_code ignored;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void raw_peer::close() {
  boost::system::error_code ignored;
  stream_.next_layer().close(ignored);
}

}  // namespace im2k::conform
