// Bounded TLS handshakes that end in a named reason: none on success, else the failure, which
// is also logged and counted (report_failure); callers need not log it again.
#pragma once

#include <chrono>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/tls/failure.hpp"
#include "common/tls/settings.hpp"
#include "common/tls/stream.hpp"

namespace im2k::tls {

inline constexpr std::chrono::seconds default_handshake_timeout{30};

// The server side of a connection accepted on a `make_server_context(…, kind)` listener. The
// client's claimed host is checked later with check_peer_host.
boost::asio::awaitable<failure> server_handshake(
    tls_stream& stream, listener_kind kind,
    std::chrono::steady_clock::duration timeout = default_handshake_timeout);

// Sets SNI and the expected certificate name to `host` (call before the handshake; false if
// `host` is not a host name, see is_host_name). client_handshake does this itself.
bool set_peer_host(tls_stream& stream, std::string_view host);

// The client side towards `host`, a `kind` listener: sends SNI, verifies that the server
// certificate names `host`, and that the server selected alpn_of(kind).
boost::asio::awaitable<failure> client_handshake(
    tls_stream& stream, std::string_view host, listener_kind kind,
    std::chrono::steady_clock::duration timeout = default_handshake_timeout);

}  // namespace im2k::tls
