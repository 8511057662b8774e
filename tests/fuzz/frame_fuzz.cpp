// libFuzzer target for the frame codec: arbitrary bytes through decode_length, parse_payload,
// parse_request, parse_response and every parse_<op>_response, and through read_frame and
// read_body over a real local stream. Beyond "no crash, no sanitizer report" it checks that a
// request that parses survives to_json -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "proto/codec.hpp"

namespace {

using namespace im2k::proto;
using json = nlohmann::json;

void check(bool condition) {
  if (!condition)
    std::abort();
}

void parse_object(const json& object) {
  (void)parse_body_len(object);
  (void)peek_request_id(object);
  if (auto request = parse_request(object)) {
    // A valid request round-trips through its typed form.
    const json again = to_json(*request);
    auto reparsed = parse_request(again);
    check(reparsed.has_value());
    check(*reparsed == *request);
    check(request_id(*request) == request_id(*reparsed));
  } else {
    (void)wire_code(request.error().code);
    (void)make_error_response(peek_request_id(object), request.error());
  }
  if (auto response = parse_response(object)) {
    if (const auto* error = std::get_if<error_response>(&*response)) {
      auto reparsed = parse_error_response(to_json(*error));
      check(reparsed && *reparsed == *error);
    }
  }
  (void)parse_hello_response(object);
  (void)parse_notify_response(object);
  (void)parse_pull_response(object);
  (void)parse_ack_response(object);
  (void)parse_auth_response(object);
  (void)parse_submit_response(object);
  (void)parse_status_response(object);
  (void)parse_recall_response(object);
  (void)parse_list_response(object);
  (void)parse_fetch_response(object);
  (void)parse_delete_response(object);
  if (auto bytes = encode_frame(object)) {
    auto back = parse_payload(std::string_view(*bytes).substr(frame_header_size));
    check(back && *back == object);
  }
}

// The same bytes as a stream: read_frame, then the body, bounded by a small announced limit.
void read_stream(std::string_view data) {
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket writer(io), reader(io);
  boost::asio::local::connect_pair(writer, reader);
  boost::system::error_code ignored;
  boost::asio::write(writer, boost::asio::buffer(data.data(), data.size()), ignored);
  writer.close(ignored);
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        auto frame = co_await read_frame(reader, frame_limits{1 << 16});
        if (!frame)
          co_return;
        parse_object(frame->object);
        if (frame->body_len) {
          std::size_t total = 0;
          auto body = co_await read_body(reader, *frame->body_len,
                                         [&](std::span<const char> chunk)
                                             -> boost::asio::awaitable<boost::system::error_code> {
                                           check(chunk.size() <= body_chunk_size);
                                           total += chunk.size();
                                           co_return boost::system::error_code{};
                                         });
          check(total <= *frame->body_len);
          if (body)
            check(total == *frame->body_len);
        }
      },
      boost::asio::detached);
  io.run();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size >= frame_header_size) {
    (void)decode_length(bytes.substr(0, frame_header_size));
    if (auto object = parse_payload(bytes.substr(frame_header_size)))
      parse_object(*object);
  }
  if (auto object = parse_payload(bytes))
    parse_object(*object);
  // The socket buffer holds a whole fuzz input (libFuzzer's default -max_len is 4096).
  if (size <= 65536)
    read_stream(bytes);
  return 0;
}
