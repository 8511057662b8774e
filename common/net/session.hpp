// One accepted connection of a listener: TLS handshake, the hello exchange ([H-*]) and then the
// request loop, all on the connection's own strand. Requests are handed to the daemon's handler
// in arrival order, up to max_concurrent_requests at once (each in its own coroutine, so that
// the commits of pipelined requests share an fsync), and their answers are written in that
// same order by one writer coroutine ([R-3]). A request with a body is read to its end (by the
// handler, or discarded) before the next frame is read ([R-6]).
#pragma once

#include <any>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "common/net/body.hpp"
#include "common/net/event.hpp"
#include "common/net/server_settings.hpp"
#include "common/tls/stream.hpp"
#include "proto/codec_error.hpp"
#include "proto/error.hpp"
#include "proto/frame.hpp"
#include "proto/messages/request.hpp"
#include "proto/messages/response.hpp"

namespace im2k::net {

class session;

// One parsed request. A request with a body has body_len set; the handler reads the body with
// session::read_body, or the session discards it after the handler returns ([R-6]).
struct incoming_request {
  std::uint64_t id = 0;
  proto::request request;
  nlohmann::json object;  // the whole request, for fields a later version adds
  std::optional<std::uint64_t> body_len;
};

// Answers one request through the session: exactly one send_ok, send_ok_with_body or send_error
// with the request's id (a handler that sends nothing gets an `internal` answer for it). With
// max_concurrent_requests above 1, handlers of one connection overlap: they must not depend on
// each other's order (answers keep it). A request whose id is still being handled waits.
using request_handler = std::function<boost::asio::awaitable<void>(session&, incoming_request)>;

// Runs before the hello `ok` (for example the IMS's address check, [N-3]); a value refuses the
// hello with that code ("re" is set to 0 by the session) and closes the connection.
using hello_check =
    std::function<boost::asio::awaitable<std::optional<proto::error_response>>(const peer_info&)>;

class session : public std::enable_shared_from_this<session> {
 public:
  // Called on the session's strand when the session has ended.
  using on_end = std::function<void(session*)>;

  session(tls::tls_stream stream, const server_settings& settings, tls::listener_kind kind,
          request_handler handler, hello_check check, on_end ended);
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // The whole life of the connection; spawn it on the stream's executor (a strand).
  boost::asio::awaitable<void> run();

  // From any thread: stop reading requests. The request in progress is finished and answered;
  // a session waiting for the next request closes at once.
  void stop();
  // From any thread: close the socket now (the drain bound has passed).
  void abort();

  // --- for the handler, on the session's strand ---
  const peer_info& peer() const { return peer_; }
  // The daemon's own per-connection state (for example the authenticated user), empty at first
  // and destroyed with the session.
  std::any& state() { return state_; }

  // Reads the body of the request being read (the handler's own: the session reads no further
  // frame until it is read or its handler returns) into `sink`, within the body deadline. A
  // failure leaves the connection unusable: the session closes it after the handler returns.
  boost::asio::awaitable<proto::result<void>> read_body(body_sink sink);

  boost::asio::awaitable<boost::system::error_code> send_ok(std::uint64_t id,
                                                            nlohmann::json fields = {});
  boost::asio::awaitable<boost::system::error_code> send_error(std::uint64_t id, proto::errc code,
                                                               bool temporary, std::string message);
  // With the table's value of `temporary` ([E-3]).
  boost::asio::awaitable<boost::system::error_code> send_error(std::uint64_t id, proto::errc code,
                                                               std::string message);
  // `fields` plus body_len = length, then `length` octets from `source`.
  boost::asio::awaitable<boost::system::error_code> send_ok_with_body(std::uint64_t id,
                                                                      nlohmann::json fields,
                                                                      std::uint64_t length,
                                                                      body_source source);
  // Read no further request; close once the requests read so far are answered.
  void close() { closing_ = true; }
  // How request `id`, while its handler runs, was answered (metrics): answered(id) and, after
  // send_error, the code.
  bool answered(std::uint64_t id) const;
  std::optional<proto::errc> answer_error(std::uint64_t id) const;

 private:
  // One request from dispatch until its answer is written.
  struct slot {
    explicit slot(boost::asio::any_io_executor executor) : written(std::move(executor)) {}
    std::optional<std::uint64_t> id;  // nullopt: an answer to no request ([F-10])
    bool answered = false;
    std::optional<proto::errc> error;
    nlohmann::json response;
    std::uint64_t body_length = 0;
    body_source body;  // set for send_ok_with_body
    event written;     // the answer is on the wire, or cannot be
    boost::system::error_code write_error;
  };

  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> hello();
  boost::asio::awaitable<void> request_loop();
  boost::asio::awaitable<void> serve(proto::frame frame);
  boost::asio::awaitable<void> run_handler(std::shared_ptr<slot> answer, incoming_request request);
  boost::asio::awaitable<void> write_loop();
  // Queues an answer that needs no handler (a refused frame or request).
  void answer_now(std::optional<std::uint64_t> id, const nlohmann::json& response);
  boost::asio::awaitable<boost::system::error_code> answer(std::uint64_t id,
                                                           nlohmann::json response,
                                                           std::optional<proto::errc> error,
                                                           std::uint64_t body_length,
                                                           body_source body);
  boost::asio::awaitable<proto::result<proto::frame>> read_frame(duration first_octet_timeout);
  boost::asio::awaitable<proto::result<proto::frame>> read_rest_of_frame(unsigned char first);
  boost::asio::awaitable<void> handle_read_failure(const proto::codec_failure& failure);
  boost::asio::awaitable<void> discard_body();
  // Writes one frame now (hello, before the writer runs; and the writer itself).
  boost::asio::awaitable<boost::system::error_code> send(const nlohmann::json& object);
  boost::asio::awaitable<void> refuse_hello(std::optional<std::uint64_t> re, proto::errc code,
                                            std::string message);
  boost::asio::awaitable<void> shutdown();

  tls::tls_stream stream_;
  const server_settings settings_;
  request_handler handler_;
  hello_check check_;
  on_end ended_;
  peer_info peer_;
  std::any state_;
  boost::asio::steady_timer wait_timer_;  // the idle / hello wait, cancelled by stop()
  std::chrono::steady_clock::time_point lifetime_end_;
  bool stopping_ = false;
  bool closing_ = false;
  bool broken_ = false;  // a failed read or write: the stream cannot be used any more
  std::optional<std::uint64_t> pending_body_;  // body of the request being read, not yet read
  std::deque<std::shared_ptr<slot>> answers_;  // in request order, until written
  std::map<std::uint64_t, std::shared_ptr<slot>> handling_;  // by id, while the handler runs
  std::size_t handlers_ = 0;                                 // handlers running
  bool reading_done_ = false;                                // no answer will be queued any more
  event answer_ready_;                                       // the writer has something to do
  event handler_ended_;                                      // a handler returned, or read its body
  event writer_done_;
};

}  // namespace im2k::net
