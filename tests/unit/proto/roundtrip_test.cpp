// Every operation end to end: struct -> JSON -> frame bytes -> read_frame over a real stream
// -> parse -> the same struct, with the body where the operation has one ([F-1], [F-5]).
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <boost/asio/detached.hpp>

#include "proto/frame_io.hpp"
#include "proto/messages/request.hpp"
#include "proto/messages/response.hpp"
#include "tests/unit/proto/body_io.hpp"
#include "tests/unit/proto/stream_pair.hpp"

namespace im2k::proto {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

struct received {
  json object;
  std::optional<std::uint64_t> body_len;
  std::string body;
};

// Sends `object` (and `body`, when not empty) from one end of a socket pair and reads it back at
// the other end with the codec.
received transfer(const json& object, const std::string& body = {}) {
  test::stream_pair pair;
  boost::asio::co_spawn(
      pair.io,
      [&]() -> awaitable<void> {
        auto sent = co_await write_frame(pair.writer, object);
        EXPECT_TRUE(sent) << sent.error().describe();
        if (!body.empty()) {
          auto streamed = co_await write_body(pair.writer, body.size(), test::string_source{&body});
          EXPECT_TRUE(streamed) << streamed.error().describe();
        }
      },
      boost::asio::detached);
  return pair.run([&]() -> awaitable<received> {
    received out;
    auto f = co_await read_frame(pair.reader, frame_limits{1 << 20});
    EXPECT_TRUE(f) << f.error().describe();
    if (!f)
      co_return out;
    out.object = f->object;
    out.body_len = f->body_len;
    if (f->body_len) {
      std::size_t largest = 0;
      auto got =
          co_await read_body(pair.reader, *f->body_len, test::string_sink{&out.body, &largest});
      EXPECT_TRUE(got) << got.error().describe();
    }
    co_return out;
  }());
}

template <class T>
T request_round_trip(const T& value, const std::string& body = {}) {
  const received r = transfer(to_json(value), body);
  EXPECT_EQ(r.body, body);
  auto parsed = parse_request(r.object);
  EXPECT_TRUE(parsed) << parsed.error().describe();
  if (!parsed)
    return {};
  EXPECT_TRUE(std::holds_alternative<T>(*parsed));
  return std::get<T>(*parsed);
}

template <class T, class Parse>
T response_round_trip(const T& value, Parse parse, const std::string& body = {}) {
  const received r = transfer(to_json(value), body);
  EXPECT_EQ(r.body, body);
  auto generic = parse_response(r.object);
  EXPECT_TRUE(generic && std::holds_alternative<ok_response>(*generic));
  auto parsed = parse(r.object);
  EXPECT_TRUE(parsed) << parsed.error().describe();
  return parsed ? *parsed : T{};
}

const std::string id_a = "abcdefghijklmnopqrstuvwxya";
const std::string id_b = "22222222222222222222222224";
const std::string digest = "sha256:" + std::string(64, 'e');
const address alice{"alice", "alpha.test"};
const address bob{"bob", "beta.test"};
const address carol{"Carol.C", "beta.test"};

// [F-1], [F-5], [R-1], [R-2]: Hello, SPEC "Operations".
TEST(RoundTrip, Hello) {
  hello_request peer{0, 1, "mx.alpha.test", std::nullopt};
  EXPECT_EQ(request_round_trip(peer), peer);
  hello_request user{0, 1, std::nullopt, "im2k/0.1.0"};
  EXPECT_EQ(request_round_trip(user), user);
  hello_response ok{0, 1, "mx.beta.test", 10485760};
  EXPECT_EQ(response_round_trip(ok, parse_hello_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Notify, SPEC "Operations".
TEST(RoundTrip, Notify) {
  notify_request n{12, id_a, alice, {bob, carol}, 4096, digest, id_b, 1767225600, "opaque"};
  EXPECT_EQ(request_round_trip(n), n);
  n.stamp.reset();
  EXPECT_EQ(request_round_trip(n), n);
  notify_response ok{
      12,
      {{bob, rcpt_status::accepted, std::nullopt, std::nullopt},
       {carol, rcpt_status::rejected, errc::unknown_recipient, "no such user"},
       {address{"dan", "beta.test"}, rcpt_status::deferred, errc::dns_temporary, std::nullopt}}};
  EXPECT_EQ(response_round_trip(ok, parse_notify_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: PullWithBody, SPEC "Operations".
TEST(RoundTrip, PullWithBody) {
  pull_request p{13, id_a, id_b, "beta.test"};
  EXPECT_EQ(request_round_trip(p), p);
  const std::string body = "From: alice@alpha.test\r\nSubject: hi\r\n\r\nhello\r\n";
  pull_response ok{13, body.size(), digest, body.size()};
  EXPECT_EQ(response_round_trip(ok, parse_pull_response, body), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Ack, SPEC "Operations".
TEST(RoundTrip, Ack) {
  ack_request a{14, id_a, "beta.test", {bob}, {{carol, errc::quota_exceeded, "full"}}};
  EXPECT_EQ(request_round_trip(a), a);
  ack_request empty{15, id_a, "beta.test", {}, {}};
  EXPECT_EQ(request_round_trip(empty), empty);
  ack_response ok{14};
  EXPECT_EQ(response_round_trip(ok, parse_ack_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Auth, SPEC "Operations".
TEST(RoundTrip, Auth) {
  auth_request a{1, alice, "correct horse"};
  EXPECT_EQ(request_round_trip(a), a);
  auth_request cert{2, alice, std::nullopt};
  EXPECT_EQ(request_round_trip(cert), cert);
  auth_response ok{1, alice};
  EXPECT_EQ(response_round_trip(ok, parse_auth_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: SubmitWithBody, SPEC "Operations".
TEST(RoundTrip, SubmitWithBody) {
  const std::string body = "From: alice@alpha.test\r\nTo: bob@beta.test\r\n\r\nbody\r\n";
  submit_request s{3, alice, {bob, address{"dan", "delta.test"}}, body.size()};
  EXPECT_EQ(request_round_trip(s, body), s);
  submit_response ok{3, id_a};
  EXPECT_EQ(response_round_trip(ok, parse_submit_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Status, SPEC "Operations".
TEST(RoundTrip, Status) {
  status_request s{4, id_a, std::nullopt};
  EXPECT_EQ(request_round_trip(s), s);
  status_request page{4, id_a, carol};
  EXPECT_EQ(request_round_trip(page), page);
  status_response ok{
      4,
      id_a,
      {{bob, rcpt_state::pulled, 1767225000, std::nullopt, std::nullopt, std::nullopt},
       {carol, rcpt_state::deferred, 1767225001, errc::dns_temporary, "SERVFAIL", 1767225601}}};
  EXPECT_EQ(response_round_trip(ok, parse_status_response), ok);
  ok.more = true;
  EXPECT_EQ(response_round_trip(ok, parse_status_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Recall, SPEC "Operations".
TEST(RoundTrip, Recall) {
  recall_request r{5, id_a};
  EXPECT_EQ(request_round_trip(r), r);
  recall_response ok{5, id_a, {bob, carol}};
  EXPECT_EQ(response_round_trip(ok, parse_recall_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: List, SPEC "Operations".
TEST(RoundTrip, List) {
  list_request l{6, std::nullopt};
  EXPECT_EQ(request_round_trip(l), l);
  list_request page{6, id_b};  // [M-2]
  EXPECT_EQ(request_round_trip(page), page);
  list_response ok{6,
                   {{id_a, alice, 100, 1767225000, mailbox_state::stored},
                    {id_b, alice, 200, 1767225100, mailbox_state::held}}};
  EXPECT_EQ(response_round_trip(ok, parse_list_response), ok);
  ok.more = true;  // [M-2]
  EXPECT_EQ(response_round_trip(ok, parse_list_response), ok);
}

// [F-1], [F-5], [R-1], [R-2]: FetchWithBody, SPEC "Operations".
TEST(RoundTrip, FetchWithBody) {
  fetch_request f{7, id_b};
  EXPECT_EQ(request_round_trip(f), f);
  const std::string body(70000, 'm');  // more than one chunk
  fetch_response ok{7, body.size(), body.size()};
  EXPECT_EQ(response_round_trip(ok, parse_fetch_response, body), ok);
}

// [F-1], [F-5], [R-1], [R-2]: Delete, SPEC "Operations".
TEST(RoundTrip, Delete) {
  delete_request d{8, id_a};
  EXPECT_EQ(request_round_trip(d), d);
  delete_response ok{8};
  EXPECT_EQ(response_round_trip(ok, parse_delete_response), ok);
}

// [F-10]: an error response with and without re.
TEST(RoundTrip, Error) {
  error_response e{9, errc::rate_limited, true, "slow down"};
  const received r = transfer(to_json(e));
  auto parsed = parse_response(r.object);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(std::get<error_response>(*parsed), e);
  error_response framing{std::nullopt, errc::bad_request, false, "bad frame"};
  auto p2 = parse_response(transfer(to_json(framing)).object);
  ASSERT_TRUE(p2);
  EXPECT_EQ(std::get<error_response>(*p2), framing);
}

}  // namespace
}  // namespace im2k::proto
