// What a listener is configured with ([T-9], [T-11], [H-9]) and what a session knows about its
// peer once the hello exchange is done.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/tls/settings.hpp"

namespace im2k::net {

using duration = std::chrono::steady_clock::duration;

inline constexpr std::uint64_t default_max_message_size = std::uint64_t{32} * 1024 * 1024;  // [H-9]
inline constexpr std::uint64_t default_min_body_rate = std::uint64_t{16} * 1024;  // octets/s, [T-9]

struct server_settings {
  std::string host;  // ours, sent in the hello response
  std::uint64_t max_message_size = default_max_message_size;
  duration handshake_timeout = std::chrono::seconds(10);
  duration hello_timeout = std::chrono::seconds(10);
  duration idle_timeout = std::chrono::seconds(60);
  duration frame_timeout = std::chrono::seconds(30);
  duration write_timeout = std::chrono::seconds(30);
  duration lifetime = std::chrono::hours(1);
  // A body of N octets gets frame_timeout + N / min_body_rate seconds, read or written.
  std::uint64_t min_body_rate = default_min_body_rate;
  // Requests of one connection handled at once ([R-3]); answers still go in request order. 1
  // handles each request to its end before reading the next (user listeners: auth first).
  std::size_t max_concurrent_requests = 1;
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 16;
  // How long a session waits for the client's close_notify after sending its own.
  duration shutdown_timeout = std::chrono::seconds(2);
};

// The deadline of a body of `length` octets ([T-9]: base + N / rate).
duration body_deadline(duration base, std::uint64_t length, std::uint64_t min_body_rate);

// What the session knows about the other end. `host` is set on peer listeners once the client
// certificate has been checked against the hello's host ([H-5]): a fact, not a claim. `client`
// is the user listener's informational hello field ([H-7]).
struct peer_info {
  tls::listener_kind kind = tls::listener_kind::notify;
  boost::asio::ip::tcp::endpoint remote;
  boost::asio::ip::tcp::endpoint local;
  std::string tls_version;               // "TLSv1.3"
  std::string alpn;                      // the selected ALPN id
  std::vector<std::string> dns_names;    // DNS subjectAltNames of the client certificate
  std::vector<std::string> email_names;  // its rfc822Names: the users it names ([C-11])
  std::string host;
  std::string client;
};

// True if one of the rfc822Names of the client certificate equals `address`, compared
// case-insensitively as ASCII ([C-11]); the handshake has verified the certificate.
bool certificate_names_user(const peer_info& peer, std::string_view address);

// "127.0.0.1:4650", "[::1]:4650".
std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace im2k::net
