// The frame codec over any Asio stream (a TCP socket, an ssl::stream, a local socket in tests):
// the I/O half of SPEC.md "Framing". Coroutines; failures are values.
//
// Deadlines are the caller's: each function here performs only reads or only writes on the
// stream, so a caller bounds it by closing or cancelling the stream from a timer, or more simply
// by wrapping the call in with_deadline() (proto/deadline.hpp), which cancels the operation when
// the time is up:
//
//   auto frame = co_await with_deadline(read_frame(socket, limits), 30s);
//
// Each function reads or writes exactly its own octets and nothing more, so the next frame or
// body stays on the stream for the next call. Only one read and one write may be outstanding on
// a stream at a time (a strand per connection).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/result.hpp>

#include "proto/codec_error.hpp"
#include "proto/frame.hpp"

namespace im2k::proto {

// The most octets of a body held in memory at once ([F-11]).
inline constexpr std::size_t body_chunk_size = std::size_t{16} * 1024;

struct frame_limits {
  // The max_message_size this side announced in hello ([F-6]); a larger body_len is refused
  // before any body octet is read.
  std::uint64_t max_message_size = max_integer;
};

// Reads one frame: header, payload, parse ([F-1] ... [F-6], [F-9], [F-12]). The body, if any,
// stays on the stream: read it with read_body(frame.body_len). A clean end of stream before the
// first header octet is boost::asio::error::eof (the peer closed between frames); an end inside
// the frame is truncated ([F-7]).
template <class AsyncReadStream>
boost::asio::awaitable<result<frame>> read_frame(AsyncReadStream& stream,
                                                 const frame_limits& limits) {
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  std::array<unsigned char, frame_header_size> header;
  auto [header_error, header_read] = co_await boost::asio::async_read(
      stream, boost::asio::buffer(header), as_tuple(use_awaitable));
  if (header_error) {
    if (header_error == boost::asio::error::eof && header_read > 0) {
      co_return codec_failure(codec_errc::truncated, {}, "inside the length");
    }
    co_return codec_failure(header_error);
  }
  auto length = decode_length(std::span<const unsigned char, frame_header_size>(header));
  if (!length)
    co_return length.error();

  std::string payload(*length, '\0');
  auto [payload_error, payload_read] = co_await boost::asio::async_read(
      stream, boost::asio::buffer(payload), as_tuple(use_awaitable));
  (void)payload_read;
  if (payload_error) {
    if (payload_error == boost::asio::error::eof) {
      co_return codec_failure(codec_errc::truncated, {}, "inside the JSON text");
    }
    co_return codec_failure(payload_error);
  }
  auto object = parse_payload(payload);
  if (!object)
    co_return object.error();
  auto body_len = parse_body_len(*object);
  if (!body_len)
    co_return body_len.error();
  if (*body_len && **body_len > limits.max_message_size) {
    co_return codec_failure(
        codec_errc::body_too_large, "body_len",
        std::to_string(**body_len) + " > " + std::to_string(limits.max_message_size));
  }
  co_return frame{std::move(*object), *body_len};
}

// Reads exactly `length` body octets, handing them to `sink` in chunks of at most
// body_chunk_size octets as they arrive; nothing else is buffered. `sink` is called as
// `co_await sink(std::span<const char>)` and returns a boost::system::error_code; a failure
// stops the transfer and is returned (the rest of the body is then still on the stream: the
// caller closes the connection). End of stream before `length` octets is short_body ([F-7]).
template <class AsyncReadStream, class Sink>
boost::asio::awaitable<result<void>> read_body(AsyncReadStream& stream, std::uint64_t length,
                                               Sink sink) {
  std::vector<char> chunk(
      static_cast<std::size_t>(std::min<std::uint64_t>(length, body_chunk_size)));
  std::uint64_t remaining = length;
  while (remaining > 0) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
    auto [error, got] = co_await stream.async_read_some(
        boost::asio::buffer(chunk.data(), want), boost::asio::as_tuple(boost::asio::use_awaitable));
    if (got > 0) {
      remaining -= got;
      const boost::system::error_code sink_error =
          co_await sink(std::span<const char>(chunk.data(), got));
      if (sink_error)
        co_return codec_failure(sink_error, {}, "body sink");
    }
    if (error && remaining > 0) {
      if (error == boost::asio::error::eof) {
        co_return codec_failure(codec_errc::short_body, {},
                                std::to_string(remaining) + " octets missing");
      }
      co_return codec_failure(error);
    }
  }
  co_return result<void>();
}

// Writes one frame (encode_frame: refuses payloads over 65 536 octets). The caller writes the
// body, if the object announces one, with write_body right after.
template <class AsyncWriteStream>
boost::asio::awaitable<result<void>> write_frame(AsyncWriteStream& stream,
                                                 const nlohmann::json& object) {
  auto bytes = encode_frame(object);
  if (!bytes)
    co_return bytes.error();
  auto [error, written] = co_await boost::asio::async_write(
      stream, boost::asio::buffer(*bytes), boost::asio::as_tuple(boost::asio::use_awaitable));
  (void)written;
  if (error)
    co_return codec_failure(error);
  co_return result<void>();
}

// Writes exactly `length` body octets taken from `source` in chunks of at most body_chunk_size
// octets. `source` is called as `co_await source(std::span<char> buffer)` and returns a
// boost::system::result<std::size_t>: how many octets it put at the front of `buffer` (1 ...
// buffer.size()), or an error. A source that returns 0 before `length` octets is short_body:
// the frame announced more than there is, and the connection cannot be saved.
template <class AsyncWriteStream, class Source>
boost::asio::awaitable<result<void>> write_body(AsyncWriteStream& stream, std::uint64_t length,
                                                Source source) {
  std::vector<char> chunk(
      static_cast<std::size_t>(std::min<std::uint64_t>(length, body_chunk_size)));
  std::uint64_t remaining = length;
  while (remaining > 0) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
    const boost::system::result<std::size_t> filled =
        co_await source(std::span<char>(chunk.data(), want));
    if (!filled)
      co_return codec_failure(filled.error(), {}, "body source");
    if (*filled == 0 || *filled > want) {
      co_return codec_failure(codec_errc::short_body, {}, "body source ended early");
    }
    auto [error, written] =
        co_await boost::asio::async_write(stream, boost::asio::buffer(chunk.data(), *filled),
                                          boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)written;
    if (error)
      co_return codec_failure(error);
    remaining -= *filled;
  }
  co_return result<void>();
}

}  // namespace im2k::proto
