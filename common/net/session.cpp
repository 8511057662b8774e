#include "common/net/session.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>
#include <utility>

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/tls/handshake.hpp"
#include "common/tls/host_check.hpp"
#include "proto/deadline.hpp"
#include "proto/frame_io.hpp"
#include "proto/messages/hello.hpp"

namespace im2k::net {

namespace {

using boost::asio::awaitable;
using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

bool is_peer_listener(tls::listener_kind kind) {
  return kind == tls::listener_kind::notify || kind == tls::listener_kind::pull;
}

}  // namespace

session::session(tls::tls_stream stream, const server_settings& settings, tls::listener_kind kind,
                 request_handler handler, hello_check check, on_end ended)
    : stream_(std::move(stream)),
      settings_(settings),
      handler_(std::move(handler)),
      check_(std::move(check)),
      ended_(std::move(ended)),
      wait_timer_(stream_.get_executor()),
      lifetime_end_(std::chrono::steady_clock::now() + settings.lifetime),
      answer_ready_(stream_.get_executor()),
      handler_ended_(stream_.get_executor()),
      writer_done_(stream_.get_executor()) {
  peer_.kind = kind;
  boost::system::error_code ignored;
  peer_.remote = stream_.lowest_layer().remote_endpoint(ignored);
  peer_.local = stream_.lowest_layer().local_endpoint(ignored);
}

void session::stop() {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    self->wait_timer_.cancel();
  });
}

void session::abort() {
  boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->broken_ = true;
    boost::system::error_code ignored;
    self->stream_.lowest_layer().close(ignored);
    self->wait_timer_.cancel();
  });
}

awaitable<void> session::run() {
  auto self = shared_from_this();  // alive until the connection is over
  if (co_await handshake() && co_await hello()) {
    co_await request_loop();
  }
  co_await shutdown();
  if (ended_) {
    ended_(this);
  }
}

awaitable<bool> session::handshake() {
  // A failure is logged and counted by the tls layer (tls::report_failure).
  const tls::failure failed =
      co_await tls::server_handshake(stream_, peer_.kind, settings_.handshake_timeout);
  if (failed != tls::failure::none) {
    broken_ = true;
    co_return false;
  }
  SSL* ssl = stream_.native_handle();
  peer_.tls_version = SSL_get_version(ssl);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn != nullptr) {
    peer_.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  }
  peer_.dns_names = tls::peer_dns_names(ssl);
  peer_.email_names = tls::peer_email_names(ssl);
  co_return true;
}

awaitable<bool> session::hello() {
  auto frame = co_await read_frame(settings_.hello_timeout);
  if (!frame) {
    co_await handle_read_failure(frame.error());
    co_return false;
  }
  const nlohmann::json& object = frame->object;
  const auto op = object.find("op");
  if (op == object.end() || !op->is_string() || op->get<std::string>() != "hello") {
    co_await refuse_hello(proto::peek_request_id(object), proto::errc::bad_request,
                          "the first request must be hello");
    co_return false;
  }
  if (frame->body_len) {
    co_await refuse_hello(0, proto::errc::bad_request, "hello has no body");
    co_return false;
  }
  // [H-3]: a version 1 server speaks no version below 1.
  const auto version = object.find("version");
  if (version != object.end() && version->is_number_integer() && *version == 0) {
    co_await refuse_hello(0, proto::errc::unsupported_version, "this server speaks version 1");
    co_return false;
  }
  auto parsed = proto::parse_hello_request(object);
  if (!parsed) {
    co_await refuse_hello(0, proto::errc::bad_request, parsed.error().describe());
    co_return false;
  }
  if (is_peer_listener(peer_.kind)) {
    if (!parsed->host) {  // [H-4]
      co_await refuse_hello(0, proto::errc::bad_request, "host is required");
      co_return false;
    }
    // [H-5]: the certificate, not the claim, decides (a mismatch is logged as tls.failure).
    if (tls::check_peer_host(stream_, peer_.kind, *parsed->host) != tls::failure::none) {
      co_await refuse_hello(0, proto::errc::cert_name_mismatch,
                            "the client certificate does not name " + *parsed->host);
      co_return false;
    }
    peer_.host = *parsed->host;
  } else {
    if (!parsed->client) {  // [H-7]
      co_await refuse_hello(0, proto::errc::bad_request, "client is required");
      co_return false;
    }
    peer_.client = *parsed->client;
  }
  if (check_) {
    auto refusal = co_await check_(peer_);
    if (refusal) {
      refusal->re = 0;  // [H-11]
      log::warn("hello.refused")
          .kv("listener", tls::to_string(peer_.kind))
          .kv("peer", to_string(peer_.remote))
          .kv("host", peer_.host)
          .kv("code", proto::to_string(refusal->code))
          .kv("message", refusal->message);
      co_await send(proto::to_json(*refusal));
      co_return false;
    }
  }
  const proto::hello_response ok{0, 1, settings_.host, settings_.max_message_size};
  if (co_await send(proto::to_json(ok))) {
    co_return false;
  }
  log::debug("hello.accepted")
      .kv("listener", tls::to_string(peer_.kind))
      .kv("peer", to_string(peer_.remote))
      .kv("host", peer_.host)
      .kv("client", peer_.client);
  co_return true;
}

awaitable<void> session::refuse_hello(std::optional<std::uint64_t> re, proto::errc code,
                                      std::string message) {
  log::warn("hello.refused")
      .kv("listener", tls::to_string(peer_.kind))
      .kv("peer", to_string(peer_.remote))
      .kv("code", proto::to_string(code))
      .kv("message", message);
  co_await send(proto::to_json(proto::make_error_response(re, code, std::move(message))));
}

awaitable<void> session::request_loop() {
  boost::asio::co_spawn(stream_.get_executor(), write_loop(), boost::asio::detached);
  const std::size_t max_handlers = std::max<std::size_t>(settings_.max_concurrent_requests, 1);
  while (!stopping_ && !closing_ && !broken_) {
    while (handlers_ >= max_handlers && !broken_) {  // stop reading, drop nothing
      handler_ended_.reset();
      co_await handler_ended_.wait();
    }
    if (stopping_ || closing_ || broken_) {
      break;
    }
    auto frame = co_await read_frame(settings_.idle_timeout);
    if (!frame) {
      co_await handle_read_failure(frame.error());
      break;
    }
    co_await serve(std::move(*frame));
  }
  // Every request read is answered (or its connection is gone) before the session ends.
  while (handlers_ > 0) {
    handler_ended_.reset();
    co_await handler_ended_.wait();
  }
  reading_done_ = true;
  answer_ready_.set();
  co_await writer_done_.wait();
}

void session::answer_now(std::optional<std::uint64_t> id, const nlohmann::json& response) {
  auto a = std::make_shared<slot>(stream_.get_executor());
  a->id = id;
  a->answered = true;
  a->response = response;
  answers_.push_back(std::move(a));
  answer_ready_.set();
}

awaitable<void> session::serve(proto::frame frame) {
  pending_body_ = frame.body_len;
  const auto id = proto::peek_request_id(frame.object);
  auto parsed = proto::parse_request(frame.object);
  if (!parsed) {  // [V-*]: refuse the request, keep the connection
    answer_now(id, proto::to_json(proto::make_error_response(id, parsed.error())));
  } else if (std::holds_alternative<proto::hello_request>(*parsed)) {  // [H-10]
    answer_now(id, proto::to_json(proto::make_error_response(id, proto::errc::bad_request,
                                                             "hello was already sent")));
  } else {
    const std::uint64_t request_id = proto::request_id(*parsed);
    // A client may reuse an id once answered; until then the second request waits its turn.
    while (handling_.contains(request_id) && !broken_) {
      handler_ended_.reset();
      co_await handler_ended_.wait();
    }
    auto a = std::make_shared<slot>(stream_.get_executor());
    a->id = request_id;
    answers_.push_back(a);
    handling_[request_id] = a;
    ++handlers_;
    const bool has_body = frame.body_len.has_value();
    incoming_request request{request_id, std::move(*parsed), std::move(frame.object),
                             frame.body_len};
    boost::asio::co_spawn(stream_.get_executor(), run_handler(a, std::move(request)),
                          boost::asio::detached);
    if (settings_.max_concurrent_requests <= 1) {
      // One at a time: the handler's end (its answer written) before the next frame.
      while (handling_.contains(request_id)) {
        handler_ended_.reset();
        co_await handler_ended_.wait();
      }
    } else if (has_body) {
      // The stream is the body until it is read: wait for the handler to read it or to end.
      while (pending_body_ && handling_.contains(request_id) && !broken_) {
        handler_ended_.reset();
        co_await handler_ended_.wait();  // read_body sets it too
      }
    }
  }
  if (pending_body_ && !broken_) {
    co_await discard_body();
  }
}

awaitable<void> session::run_handler(std::shared_ptr<slot> answer, incoming_request request) {
  auto self = shared_from_this();
  const std::uint64_t id = request.id;
  try {
    co_await handler_(*this, std::move(request));
  } catch (const std::exception& e) {
    log::error("request.failed").kv("peer", to_string(peer_.remote)).kv("error", e.what());
    closing_ = true;
  }
  if (!answer->answered) {
    // An unanswered request gets `internal`; with the connection gone this only frees the slot.
    answer->answered = true;
    answer->error = proto::errc::internal;
    answer->response = proto::to_json(
        proto::make_error_response(id, proto::errc::internal, "the request was not answered"));
    answer_ready_.set();
  }
  handling_.erase(id);
  --handlers_;
  handler_ended_.set();
}

awaitable<void> session::write_loop() {
  auto self = shared_from_this();
  for (;;) {
    if (answers_.empty() || !answers_.front()->answered) {
      if (reading_done_ && answers_.empty()) {
        break;
      }
      answer_ready_.reset();
      co_await answer_ready_.wait();
      continue;
    }
    auto a = answers_.front();
    answers_.pop_front();
    if (broken_) {
      a->write_error = boost::asio::error::not_connected;
    } else if (auto ec = co_await send(a->response)) {
      a->write_error = ec;
    } else if (a->body) {
      auto written = co_await proto::with_deadline(
          proto::write_body(stream_, a->body_length, std::move(a->body)),
          body_deadline(settings_.write_timeout, a->body_length, settings_.min_body_rate));
      if (!written) {
        broken_ = true;  // the frame announced a body that did not follow
        a->write_error = written.error().code;
      }
    }
    a->written.set();
  }
  writer_done_.set();
}

awaitable<proto::result<proto::frame>> session::read_frame(duration first_octet_timeout) {
  const auto now = std::chrono::steady_clock::now();
  if (stopping_ || now >= lifetime_end_) {
    co_return proto::codec_failure(boost::asio::error::operation_aborted, {}, "stopping");
  }
  // The idle (or hello) deadline runs until the first octet; the frame deadline from there.
  unsigned char first = 0;
  wait_timer_.expires_after(std::min<duration>(first_octet_timeout, lifetime_end_ - now));
  auto outcome = co_await (stream_.async_read_some(boost::asio::buffer(&first, 1), use_tuple) ||
                           wait_timer_.async_wait(use_tuple));
  if (outcome.index() == 1) {
    if (stopping_) {
      co_return proto::codec_failure(boost::asio::error::operation_aborted, {}, "stopping");
    }
    co_return proto::codec_failure(boost::asio::error::timed_out, {}, "idle");
  }
  auto [error, read] = std::get<0>(outcome);
  if (error || read != 1) {
    co_return proto::codec_failure(error ? error : boost::asio::error::eof);
  }
  co_return co_await proto::with_deadline(read_rest_of_frame(first), settings_.frame_timeout);
}

awaitable<proto::result<proto::frame>> session::read_rest_of_frame(unsigned char first) {
  std::array<unsigned char, proto::frame_header_size> header{first};
  auto [header_error, header_read] = co_await boost::asio::async_read(
      stream_, boost::asio::buffer(header.data() + 1, header.size() - 1), use_tuple);
  (void)header_read;
  if (header_error) {
    if (header_error == boost::asio::error::eof) {
      co_return proto::codec_failure(proto::codec_errc::truncated, {}, "inside the length");
    }
    co_return proto::codec_failure(header_error);
  }
  auto length =
      proto::decode_length(std::span<const unsigned char, proto::frame_header_size>(header));
  if (!length) {
    co_return length.error();
  }
  std::string payload(*length, '\0');
  auto [payload_error, payload_read] =
      co_await boost::asio::async_read(stream_, boost::asio::buffer(payload), use_tuple);
  (void)payload_read;
  if (payload_error) {
    if (payload_error == boost::asio::error::eof) {
      co_return proto::codec_failure(proto::codec_errc::truncated, {}, "inside the JSON text");
    }
    co_return proto::codec_failure(payload_error);
  }
  auto object = proto::parse_payload(payload);
  if (!object) {
    co_return object.error();
  }
  auto body_len = proto::parse_body_len(*object);
  if (!body_len) {
    co_return body_len.error();
  }
  if (*body_len && **body_len > settings_.max_message_size) {  // [F-6]
    co_return proto::codec_failure(
        proto::codec_errc::body_too_large, "body_len",
        std::to_string(**body_len) + " > " + std::to_string(settings_.max_message_size));
  }
  co_return proto::frame{std::move(*object), *body_len};
}

awaitable<void> session::handle_read_failure(const proto::codec_failure& failure) {
  if (failure.code.category() == proto::codec_category()) {
    // [F-10]: one error with "re": null, then close; nothing of the frame is acted on.
    log::warn("frame.refused")
        .kv("listener", tls::to_string(peer_.kind))
        .kv("peer", to_string(peer_.remote))
        .kv("code", proto::to_string(proto::wire_code(failure.code)))
        .kv("message", failure.describe());
    answer_now(std::nullopt, proto::to_json(proto::make_error_response(std::nullopt, failure)));
    co_return;
  }
  // A deadline, a drain, or the client's close: no response ([T-9]), but a clean close_notify
  // unless the transport itself failed.
  if (failure.code != boost::asio::error::operation_aborted &&
      failure.code != boost::asio::error::timed_out && failure.code != boost::asio::error::eof) {
    broken_ = true;
  }
  log::debug("connection.closed")
      .kv("listener", tls::to_string(peer_.kind))
      .kv("peer", to_string(peer_.remote))
      .kv("reason", failure.describe());
}

awaitable<void> session::discard_body() {
  co_await read_body([](std::span<const char>) -> awaitable<boost::system::error_code> {
    co_return boost::system::error_code();
  });
}

awaitable<proto::result<void>> session::read_body(body_sink sink) {
  if (!pending_body_) {
    co_return proto::codec_failure(make_error_code(boost::system::errc::invalid_argument), {},
                                   "no body to read");
  }
  const std::uint64_t length = *pending_body_;
  pending_body_.reset();
  auto done = co_await proto::with_deadline(
      proto::read_body(stream_, length, std::move(sink)),
      body_deadline(settings_.frame_timeout, length, settings_.min_body_rate));
  if (!done) {
    broken_ = true;
  }
  handler_ended_.set();  // the reader waits for the body to be read
  co_return done;
}

awaitable<boost::system::error_code> session::send(const nlohmann::json& object) {
  if (broken_) {
    co_return boost::asio::error::not_connected;
  }
  auto written =
      co_await proto::with_deadline(proto::write_frame(stream_, object), settings_.write_timeout);
  if (!written) {
    broken_ = true;
    co_return written.error().code;
  }
  co_return boost::system::error_code();
}

bool session::answered(std::uint64_t id) const {
  auto it = handling_.find(id);
  return it != handling_.end() && it->second->answered;
}

std::optional<proto::errc> session::answer_error(std::uint64_t id) const {
  auto it = handling_.find(id);
  return it == handling_.end() ? std::nullopt : it->second->error;
}

awaitable<boost::system::error_code> session::answer(std::uint64_t id, nlohmann::json response,
                                                     std::optional<proto::errc> error,
                                                     std::uint64_t body_length, body_source body) {
  auto it = handling_.find(id);
  if (it == handling_.end()) {
    throw std::logic_error("an answer to a request that is not being handled");
  }
  auto a = it->second;
  if (a->answered) {
    throw std::logic_error("a request was answered twice");
  }
  a->answered = true;
  a->error = error;
  a->response = std::move(response);
  a->body_length = body_length;
  a->body = std::move(body);
  answer_ready_.set();
  co_await a->written.wait();  // the handler keeps what the body source reads alive until then
  co_return a->write_error;
}

awaitable<boost::system::error_code> session::send_ok(std::uint64_t id, nlohmann::json fields) {
  nlohmann::json object = {{"op", "ok"}, {"re", id}};
  if (fields.is_object()) {
    object.update(fields);
  }
  object["op"] = "ok";
  object["re"] = id;
  co_return co_await answer(id, std::move(object), std::nullopt, 0, {});
}

awaitable<boost::system::error_code> session::send_error(std::uint64_t id, proto::errc code,
                                                         bool temporary, std::string message) {
  auto response = proto::make_error_response(id, code, std::move(message));
  response.temporary = temporary;
  co_return co_await answer(id, proto::to_json(response), code, 0, {});
}

awaitable<boost::system::error_code> session::send_error(std::uint64_t id, proto::errc code,
                                                         std::string message) {
  co_return co_await send_error(id, code, proto::is_temporary(code), std::move(message));
}

awaitable<boost::system::error_code> session::send_ok_with_body(std::uint64_t id,
                                                                nlohmann::json fields,
                                                                std::uint64_t length,
                                                                body_source source) {
  if (!fields.is_object()) {
    fields = nlohmann::json::object();
  }
  fields["body_len"] = length;
  nlohmann::json object = {{"op", "ok"}, {"re", id}};
  object.update(fields);
  object["op"] = "ok";
  object["re"] = id;
  co_return co_await answer(id, std::move(object), std::nullopt, length, std::move(source));
}

awaitable<void> session::shutdown() {
  if (!broken_) {
    // close_notify; the client's answer is waited for only briefly.
    wait_timer_.expires_after(settings_.shutdown_timeout);
    co_await (stream_.async_shutdown(use_tuple) || wait_timer_.async_wait(use_tuple));
  }
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace im2k::net
