// A deliberately low-level client for the conformance suite: TCP from a chosen source address,
// TLS with a chosen certificate (or none), ALPN and protocol version, then raw octets or frames.
// Unlike net::client_connection it never refuses to send something malformed, which is the
// point: the suite sends what a broken or hostile peer would.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <nlohmann/json.hpp>

namespace im2k::conform {

using duration = std::chrono::steady_clock::duration;

struct dial_settings {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  std::optional<boost::asio::ip::address> bind_address;
  std::string server_name;  // SNI and the name the server certificate must carry
  std::string alpn;         // offered ALPN id; empty offers none
  std::string ca_file;      // anchors for the server certificate
  std::string cert_file;    // client certificate; empty presents none
  std::string key_file;
  bool tls12_only = false;  // offer TLS 1.2 and nothing newer ([T-1] cases)
  duration timeout = std::chrono::seconds(10);
};

// What one read saw.
struct reply {
  enum class kind { frame, closed, timeout };
  kind what = kind::closed;
  nlohmann::json object;  // for kind::frame
  std::string detail;     // why it is closed, for reasons

  bool is_frame() const { return what == kind::frame; }
  bool is_ok() const { return is_frame() && object.value("op", "") == "ok"; }
  bool is_error(std::string_view code) const {
    return is_frame() && object.value("op", "") == "error" && object.value("code", "") == code;
  }
  // "ok", "error <code>", "closed (<detail>)", "timeout": for reasons.
  std::string describe() const;
};

class raw_peer {
 public:
  using stream_type = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  // TCP connect and TLS handshake. On failure returns null and sets `error`. A TLS 1.3 client
  // finishes its handshake before the server has judged the client certificate, so a refused
  // client certificate usually shows as a closed connection on the first read instead.
  static boost::asio::awaitable<std::unique_ptr<raw_peer>> dial(
      boost::asio::any_io_executor executor, const dial_settings& settings, std::string& error);

  boost::asio::awaitable<bool> write_raw(std::string octets);
  boost::asio::awaitable<bool> send(const nlohmann::json& object);
  // The next frame (and nothing of a body after it).
  boost::asio::awaitable<reply> read(duration timeout = std::chrono::seconds(30));
  // `length` body octets after a frame; nullopt if the stream ended or timed out.
  boost::asio::awaitable<std::optional<std::string>> read_body(std::uint64_t length,
                                                               duration timeout);
  // Whether the server closes the connection (end of stream or error) within `timeout`,
  // skipping at most one frame (the optional `re: null` error of [F-10]); that frame, if any,
  // is stored in `frame`.
  boost::asio::awaitable<bool> closed_within(duration timeout, reply* frame = nullptr);

  // send hello {"op":"hello","id":0,"version":1,"host":host} and read the answer.
  boost::asio::awaitable<reply> hello(const std::string& host, std::int64_t version = 1);
  // send + read.
  boost::asio::awaitable<reply> request(const nlohmann::json& object,
                                        duration timeout = std::chrono::seconds(60));

  // Ends the TCP send direction without a TLS close_notify (a truncated stream, [F-7]).
  void shutdown_send();
  void close();
  explicit raw_peer(std::shared_ptr<boost::asio::ssl::context> context, stream_type stream)
      : context_(std::move(context)), stream_(std::move(stream)) {}

 private:
  std::shared_ptr<boost::asio::ssl::context> context_;
  stream_type stream_;
};

// A frame with any payload: 4-octet big-endian length, then the octets as given.
std::string raw_frame(std::string_view payload);

}  // namespace im2k::conform
