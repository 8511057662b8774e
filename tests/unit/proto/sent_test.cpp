// The `sent` operation's request and response: round trip through JSON, and every bound of
// [Q-9] and [Q-10] checked on parse.
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "proto/messages/request.hpp"
#include "proto/messages/sent.hpp"
#include "tests/unit/proto/expect.hpp"

namespace im2k::proto {
namespace {

using json = nlohmann::json;
using test::fails_with;

const std::string id_a = "abcdefghijklmnopqrstuvwxya";
const std::string id_b = "22222222222222222222222224";

sent_message one_message(const std::string& msg, std::size_t recipients) {
  sent_message m{msg, 1'800'000'000, 512, recipients, {}};
  for (std::size_t i = 0; i < recipients; ++i) {
    m.recipients.push_back(
        {address{"u" + std::to_string(i), "beta.test"}, rcpt_state::queued, 1'800'000'000, {}, {}});
  }
  return m;
}

json response_of(std::vector<sent_message> messages, bool more = false) {
  return to_json(sent_response{3, std::move(messages), more});
}

TEST(Sent, RequestRoundTripsThroughTheRequestParser) {  // [Q-8], [Q-9]
  for (const auto& request : {sent_request{5, std::nullopt}, sent_request{6, id_a}}) {
    auto parsed = parse_request(to_json(request));
    ASSERT_TRUE(parsed) << parsed.error().describe();
    ASSERT_TRUE(std::holds_alternative<sent_request>(*parsed));
    EXPECT_EQ(std::get<sent_request>(*parsed), request);
  }
  EXPECT_EQ(to_json(sent_request{5, std::nullopt}).dump(), R"({"id":5,"op":"sent"})");
}

TEST(Sent, RequestBeforeMustBeAMessageId) {  // [Q-9], [V-1]
  EXPECT_TRUE(fails_with(parse_sent_request(json{{"op", "sent"}, {"id", 1}, {"before", "nope"}}),
                         codec_errc::bad_syntax, errc::bad_request));
  EXPECT_TRUE(fails_with(parse_sent_request(json{{"op", "sent"}, {"id", 1}, {"before", 7}}),
                         codec_errc::wrong_type, errc::bad_request));
  EXPECT_TRUE(fails_with(parse_sent_request(json{{"op", "status"}, {"id", 1}}),
                         codec_errc::unknown_op, errc::bad_request));
}

TEST(Sent, ResponseRoundTrips) {  // [Q-8], [Q-10]
  sent_message first = one_message(id_a, 2);
  first.rcpt_count = 250;  // the first recipients only
  first.recipients[1].state = rcpt_state::rejected;
  first.recipients[1].code = errc::unknown_recipient;
  first.recipients[1].message = "no such user";
  const sent_response response{3, {first, one_message(id_b, 1)}, true};
  auto parsed = parse_sent_response(to_json(response));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(*parsed, response);

  auto empty = parse_sent_response(json{{"op", "ok"}, {"re", 3}, {"messages", json::array()}});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->messages.empty());
  EXPECT_FALSE(empty->more);  // absent means false
}

TEST(Sent, ResponseBoundsAreChecked) {  // [Q-9], [Q-10]
  std::vector<sent_message> many(max_sent_messages + 1, one_message(id_a, 1));
  EXPECT_TRUE(
      fails_with(parse_sent_response(response_of(many)), codec_errc::bad_count, errc::bad_request));
  many.pop_back();
  EXPECT_TRUE(parse_sent_response(response_of(many)));

  EXPECT_TRUE(fails_with(parse_sent_response(response_of({}, true)), codec_errc::bad_count,
                         errc::bad_request));  // more, but nothing in this page

  json j = response_of({one_message(id_a, max_sent_recipients + 1)});
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::bad_count, errc::bad_request));
  j = response_of({one_message(id_a, max_sent_recipients)});
  EXPECT_TRUE(parse_sent_response(j));

  j = response_of({one_message(id_a, 3)});
  j["messages"][0]["rcpt_count"] = 2;  // more recipients listed than the message has
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::bad_count, errc::bad_request));
  j["messages"][0]["recipients"] = json::array();
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::bad_count, errc::bad_request));
}

TEST(Sent, ResponseFieldsAreValidated) {  // [V-*] inside each message
  json j = response_of({one_message(id_a, 1)});
  j["messages"][0]["msg"] = "not-an-id";
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::bad_syntax, errc::bad_request));
  j = response_of({one_message(id_a, 1)});
  j["messages"][0]["size"] = 0;
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::out_of_range, errc::bad_request));
  j = response_of({one_message(id_a, 1)});
  j["messages"][0].erase("submitted");
  auto missing = parse_sent_response(j);
  EXPECT_TRUE(fails_with(missing, codec_errc::missing_field, errc::bad_request));
  EXPECT_EQ(missing.error().field, "messages[0].submitted");
  j = response_of({one_message(id_a, 1)});
  j["messages"][0]["recipients"][0]["state"] = "lost";
  auto state = parse_sent_response(j);
  EXPECT_TRUE(fails_with(state, codec_errc::bad_syntax, errc::bad_request));
  EXPECT_EQ(state.error().field, "messages[0].recipients[0].state");
  j = response_of({one_message(id_a, 1)});
  j["messages"][0]["recipients"][0]["rcpt"] = "x@[1.2.3.4]";
  EXPECT_TRUE(fails_with(parse_sent_response(j), codec_errc::bad_address, errc::bad_address));
}

}  // namespace
}  // namespace im2k::proto
