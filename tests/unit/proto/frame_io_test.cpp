// The codec over a real stream: truncation, limits, bodies in bounded chunks, deadlines
// ([F-2], [F-5], [F-6], [F-7], [F-11]).
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>

#include "proto/deadline.hpp"
#include "proto/frame_io.hpp"
#include "tests/unit/proto/body_io.hpp"
#include "tests/unit/proto/expect.hpp"
#include "tests/unit/proto/stream_pair.hpp"

namespace im2k::proto {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;
using test::fails_with;

std::string header(std::uint32_t n) {
  const auto h = encode_length(n);
  return std::string(h.begin(), h.end());
}

std::string frame_bytes(const std::string& payload) {
  return header(payload.size()) + payload;
}

result<frame> read_one(test::stream_pair& pair, frame_limits limits = {}) {
  return pair.run(read_frame(pair.reader, limits));
}

// [F-1]: consecutive frames on one stream.
TEST(FrameIo, ReadsFramesInSequence) {
  test::stream_pair pair;
  pair.send(frame_bytes(R"({"op":"list","id":1})") + frame_bytes(R"({"op":"list","id":2})"));
  auto first = read_one(pair);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->object["id"], 1);
  EXPECT_FALSE(first->body_len);
  auto second = read_one(pair);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->object["id"], 2);
}

// [F-7]: a peer closing between frames is a plain end of stream, not a truncated frame.
TEST(FrameIo, CleanEndOfStream) {
  test::stream_pair pair;
  pair.close_writer();
  auto f = read_one(pair);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, boost::asio::error::eof);
}

// [F-7]
TEST(FrameIo, F7_TruncatedHeader) {
  test::stream_pair pair;
  pair.send(std::string("\x00\x00", 2));
  pair.close_writer();
  auto f = read_one(pair);
  EXPECT_TRUE(fails_with(f, codec_errc::truncated, errc::bad_request));
  if (!f) {
    EXPECT_TRUE(is_framing_error(f.error().code));
  }
}

// [F-7]
TEST(FrameIo, F7_TruncatedPayload) {
  test::stream_pair pair;
  pair.send(header(20) + R"({"op":"li)");
  pair.close_writer();
  EXPECT_TRUE(fails_with(read_one(pair), codec_errc::truncated, errc::bad_request));
}

// [F-2]: a bad length is refused without reading the L octets.
TEST(FrameIo, F2_BadLengthNotRead) {
  test::stream_pair pair;
  pair.send(header(0) + "{}");
  EXPECT_TRUE(fails_with(read_one(pair), codec_errc::length_zero, errc::bad_request));
  EXPECT_EQ(pair.reader.available(), 2u);

  test::stream_pair big;
  big.send(header(65537) + "{}");
  EXPECT_TRUE(fails_with(read_one(big), codec_errc::length_too_large, errc::bad_request));
  EXPECT_EQ(big.reader.available(), 2u);
}

// [F-3], [F-4], [F-9] through the stream as well.
TEST(FrameIo, MalformedPayloads) {
  const std::pair<std::string, codec_errc> cases[] = {
      {"{\"a\":\"\xED\xA0\x80\"}", codec_errc::invalid_utf8},
      {"{\"a\":", codec_errc::invalid_json},
      {"{}{}", codec_errc::trailing_data},
      {"[1,2]", codec_errc::not_object},
      {R"({"id":1,"id":2})", codec_errc::duplicate_member},
  };
  for (const auto& [payload, code] : cases) {
    test::stream_pair pair;
    pair.send(frame_bytes(payload));
    EXPECT_TRUE(fails_with(read_one(pair), code, errc::bad_request)) << payload;
  }
}

// [F-5], [F-6]: body_len over the announced limit: message-too-large, and no body octet read.
TEST(FrameIo, F6_BodyLenOverLimitNotRead) {
  test::stream_pair pair;
  const std::string body(101, 'b');
  pair.send(frame_bytes(R"({"op":"submit","id":1,"body_len":101})") + body);
  auto f = read_one(pair, frame_limits{100});
  EXPECT_TRUE(fails_with(f, codec_errc::body_too_large, errc::message_too_large));
  if (!f) {
    EXPECT_TRUE(is_framing_error(f.error().code));
  }
  EXPECT_EQ(pair.reader.available(), body.size());  // every body octet still on the stream
}

// [F-6]: exactly the limit is fine.
TEST(FrameIo, F6_BodyLenAtLimit) {
  test::stream_pair pair;
  pair.send(frame_bytes(R"({"op":"submit","id":1,"body_len":100})"));
  auto f = read_one(pair, frame_limits{100});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->body_len, 100u);
}

// [F-5]: a body_len that is not an integer makes the stream unreadable: framing error.
TEST(FrameIo, F5_BadBodyLen) {
  test::stream_pair pair;
  pair.send(frame_bytes(R"({"op":"submit","id":1,"body_len":-5})"));
  EXPECT_TRUE(fails_with(read_one(pair), codec_errc::bad_body_len, errc::bad_request));
}

// [F-7]: end of stream inside the body.
TEST(FrameIo, F7_ShortBody) {
  test::stream_pair pair;
  pair.send(frame_bytes(R"({"op":"ok","re":1,"body_len":10})") + "12345");
  pair.close_writer();
  auto f = read_one(pair);
  ASSERT_TRUE(f);
  std::string body;
  std::size_t largest = 0;
  auto got = pair.run(read_body(pair.reader, *f->body_len, test::string_sink{&body, &largest}));
  EXPECT_TRUE(fails_with(got, codec_errc::short_body, errc::bad_request));
  if (!got) {
    EXPECT_TRUE(is_framing_error(got.error().code));
  }
  EXPECT_EQ(body, "12345");
}

// [F-11]: a 5 MiB body goes through in chunks of at most body_chunk_size octets.
TEST(FrameIo, F11_LargeBodyInBoundedChunks) {
  test::stream_pair pair;
  std::string body(5 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>((i * 7919) % 251);
  const json object = {{"op", "ok"}, {"re", 1}, {"body_len", body.size()}};
  boost::asio::co_spawn(
      pair.io,
      [&]() -> awaitable<void> {
        auto sent = co_await write_frame(pair.writer, object);
        EXPECT_TRUE(sent);
        auto streamed = co_await write_body(pair.writer, body.size(), test::string_source{&body});
        EXPECT_TRUE(streamed);
      },
      boost::asio::detached);
  std::string received;
  std::size_t largest = 0;
  auto got = pair.run([&]() -> awaitable<result<void>> {
    auto f = co_await read_frame(pair.reader, frame_limits{body.size()});
    if (!f)
      co_return f.error();
    co_return co_await read_body(pair.reader, *f->body_len, test::string_sink{&received, &largest});
  }());
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(received.size(), body.size());
  EXPECT_TRUE(received == body);
  EXPECT_GT(largest, 0u);
  EXPECT_LE(largest, body_chunk_size);
}

// [F-11]: a failing sink stops the transfer with its own error.
TEST(FrameIo, SinkFailureStops) {
  test::stream_pair pair;
  pair.send(std::string(100, 'x'));
  int calls = 0;
  auto got = pair.run(read_body(
      pair.reader, 100, [&](std::span<const char>) -> awaitable<boost::system::error_code> {
        ++calls;
        co_return boost::system::errc::make_error_code(boost::system::errc::no_space_on_device);
      }));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code,
            boost::system::errc::make_error_code(boost::system::errc::no_space_on_device));
  EXPECT_EQ(calls, 1);
}

// [F-5], [F-7]: a source that ends before body_len octets is short_body, not a short frame.
TEST(FrameIo, WriteBodySourceEndsEarly) {
  test::stream_pair pair;
  const std::string data = "short";
  auto sent = pair.run(write_body(pair.writer, 10, test::string_source{&data}));
  EXPECT_TRUE(fails_with(sent, codec_errc::short_body, errc::bad_request));
}

// [F-2]: write_frame refuses what encode_frame refuses, and writes nothing.
TEST(FrameIo, F2_WriteFrameTooLarge) {
  test::stream_pair pair;
  auto sent = pair.run(write_frame(pair.writer, json{{"x", std::string(70000, 'a')}}));
  EXPECT_TRUE(fails_with(sent, codec_errc::length_too_large, errc::bad_request));
  EXPECT_EQ(pair.reader.available(), 0u);
}

// [T-10], [F-7]: with_deadline: a peer that stops mid-frame ends in timed_out (a value, no
// duration assertion).
TEST(FrameIo, DeadlineCancelsRead) {
  test::stream_pair pair;
  pair.send(std::string("\x00\x00", 2));  // half a header, then silence
  auto f = pair.run(
      with_deadline(read_frame(pair.reader, frame_limits{}), std::chrono::milliseconds(50)));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, boost::asio::error::timed_out);
}

// [T-10], [F-1]: with_deadline: an operation that finishes in time yields its own result.
TEST(FrameIo, DeadlinePassesResultThrough) {
  test::stream_pair pair;
  pair.send(frame_bytes(R"({"op":"list","id":3})"));
  auto f =
      pair.run(with_deadline(read_frame(pair.reader, frame_limits{}), std::chrono::seconds(30)));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->object["id"], 3);
}

}  // namespace
}  // namespace im2k::proto
