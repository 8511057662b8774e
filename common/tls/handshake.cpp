#include "common/tls/handshake.hpp"

#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/tls/classify.hpp"
#include "common/tls/host_check.hpp"

namespace im2k::tls {

namespace {

using boost::asio::awaitable;

// The handshake, cancelled (per-operation cancellation) if it outlasts `timeout`.
awaitable<boost::system::error_code> bounded_handshake(
    tls_stream& stream, boost::asio::ssl::stream_base::handshake_type type,
    std::chrono::steady_clock::duration timeout) {
  using namespace boost::asio::experimental::awaitable_operators;
  constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, timeout);
  auto outcome = co_await (stream.async_handshake(type, use_tuple) || timer.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return boost::asio::error::timed_out;
  }
  co_return std::get<0>(std::get<0>(outcome));
}

}  // namespace

awaitable<failure> server_handshake(tls_stream& stream, listener_kind kind,
                                    std::chrono::steady_clock::duration timeout) {
  const auto ec = co_await bounded_handshake(stream, tls_stream::server, timeout);
  const failure result = classify(ec, stream);
  if (result != failure::none) {
    report_failure(result, {.side = "server",
                            .listener = kind,
                            .peer = peer_of(stream),
                            .detail = describe(ec, stream.native_handle())});
  }
  co_return result;
}

bool set_peer_host(tls_stream& stream, std::string_view host) {
  if (!is_host_name(host)) {
    return false;
  }
  const std::string name(host);
  SSL* ssl = stream.native_handle();
  SSL_set_hostflags(ssl, host_check_flags());
  return SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 && SSL_set1_host(ssl, name.c_str()) == 1;
}

awaitable<failure> client_handshake(tls_stream& stream, std::string_view host, listener_kind kind,
                                    std::chrono::steady_clock::duration timeout) {
  const std::string peer = peer_of(stream);
  failure_report report{.side = "client", .listener = kind, .peer = peer, .host = host};
  if (!set_peer_host(stream, host)) {
    report.detail = "unusable host name";
    report_failure(failure::name_mismatch, report);
    co_return failure::name_mismatch;
  }
  const auto ec = co_await bounded_handshake(stream, tls_stream::client, timeout);
  if (ec) {
    const failure result = classify(ec, stream);
    const std::string detail = describe(ec, stream.native_handle());
    report.detail = detail;
    report_failure(result, report);
    co_return result;
  }
  // OpenSSL lets a server that selects no protocol through; im2k does not.
  const unsigned char* selected = nullptr;
  unsigned int selected_len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &selected, &selected_len);
  const std::string_view alpn(reinterpret_cast<const char*>(selected), selected_len);
  if (selected == nullptr || alpn != alpn_of(kind)) {
    const std::string detail = "server selected ALPN '" + std::string(alpn) + "'";
    report.detail = detail;
    report_failure(failure::alpn, report);
    co_return failure::alpn;
  }
  co_return failure::none;
}

}  // namespace im2k::tls
