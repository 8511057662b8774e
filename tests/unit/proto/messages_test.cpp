// Request and response validation: every field kind, every malformation, each with the exact
// codec error and wire code (SPEC.md "Field syntax", "Requests and responses", "Operations").
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "proto/messages/request.hpp"
#include "proto/messages/response.hpp"
#include "tests/unit/proto/expect.hpp"

namespace im2k::proto {
namespace {

using json = nlohmann::json;
using test::fails_with;

const std::string id_a = "abcdefghijklmnopqrstuvwxya";
const std::string id_b = "22222222222222222222222224";
const std::string digest = "sha256:" + std::string(64, '0');

json notify() {
  return {{"op", "notify"},
          {"id", 7},
          {"msg", id_a},
          {"from", "alice@alpha.test"},
          {"rcpt", {"bob@beta.test", "carol@beta.test"}},
          {"size", 120},
          {"digest", digest},
          {"token", id_b},
          {"expires", 1767225600}};
}

// The failure's field path, for the tests that also check it.
template <class T>
std::string field_of(const result<T>& r) {
  return r ? std::string("<ok>") : r.error().field;
}

// [V-9]
TEST(Request, R1_OpAndId) {
  ASSERT_TRUE(parse_request(notify()));
  json j = notify();
  j.erase("op");
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::missing_field, errc::bad_request));
  j["op"] = 1;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
  j = notify();
  j.erase("id");
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::missing_field, errc::bad_request));
  EXPECT_EQ(field_of(r), "id");
}

//
TEST(Request, R4_UnknownOp) {
  for (const char* op : {"frobnicate", "NOTIFY", "ok", "error", ""}) {
    json j = {{"op", op}, {"id", 1}};
    auto r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::unknown_op, errc::bad_request)) << op;
    if (!r) {
      EXPECT_FALSE(is_framing_error(r.error().code));  // the connection stays open
    }
  }
}

// [V-6]: integers, on id and on the other integer fields.
TEST(Request, V6_Integers) {
  const std::pair<const char*, codec_errc> cases[] = {
      {"-1", codec_errc::out_of_range},
      {"9007199254740992", codec_errc::out_of_range},      // 2^53
      {"18446744073709551616", codec_errc::out_of_range},  // over 64 bits
      {"1.0", codec_errc::wrong_type},
      {"1.5", codec_errc::wrong_type},
      {"1e2", codec_errc::wrong_type},
      {"true", codec_errc::wrong_type},
      {"\"7\"", codec_errc::wrong_type},
      {"null", codec_errc::wrong_type},
      {"[7]", codec_errc::wrong_type},
      {"{}", codec_errc::wrong_type},
  };
  for (const char* field : {"id", "size", "expires"}) {
    for (const auto& [text, code] : cases) {
      json j = notify();
      j[field] = json::parse(text);
      auto r = parse_request(j);
      EXPECT_TRUE(fails_with(r, code, errc::bad_request)) << field << "=" << text;
      EXPECT_EQ(field_of(r), field);
    }
  }
  json j = notify();
  j["id"] = 9007199254740991ull;  // 2^53 - 1
  j["expires"] = 0;
  auto r = parse_request(j);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(request_id(*r), 9007199254740991ull);
}

// [V-1]
TEST(Request, V1_MessageIdField) {
  for (json bad : {json("ABCDEFGHIJKLMNOPQRSTUVWXYA"), json("abcdefghijklmnopqrstuvwxyb"),
                   json("abcdefghijklmnopqrstuvwxy"), json("abcdefghijklmnopqrstuvwx1a"), json(""),
                   json(std::string(2000, 'a'))}) {
    json j = notify();
    j["msg"] = bad;
    auto r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::bad_syntax, errc::bad_request)) << bad;
    EXPECT_EQ(field_of(r), "msg");
  }
  json j = notify();
  j["msg"] = 5;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
}

// [V-2]
TEST(Request, V2_TokenField) {
  json j = notify();
  j["token"] = "abcdefghijklmnopqrstuvwxy7";
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::bad_syntax, errc::bad_request));
  EXPECT_EQ(field_of(r), "token");
  j["token"] = nullptr;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
}

// [V-3]
TEST(Request, V3_DigestField) {
  for (const char* bad : {"sha256:", "sha256:XYZ", "md5:00", "0000"}) {
    json j = notify();
    j["digest"] = bad;
    auto r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::bad_syntax, errc::bad_request)) << bad;
    EXPECT_EQ(field_of(r), "digest");
  }
  json j = notify();
  j["digest"] = "sha256:" + std::string(64, 'A');
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::bad_syntax, errc::bad_request));
}

// [V-4]: a bad address is bad-address, not bad-request; literals too.
TEST(Request, V4_AddressFields) {
  for (const char* bad : {"alice", "alice@[192.0.2.1]", "alice@localhost", "a..b@alpha.test"}) {
    json j = notify();
    j["from"] = bad;
    auto r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::bad_address, errc::bad_address)) << bad;
    EXPECT_EQ(field_of(r), "from");
    j = notify();
    j["rcpt"][1] = bad;
    r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::bad_address, errc::bad_address)) << bad;
    EXPECT_EQ(field_of(r), "rcpt[1]");
  }
  json j = notify();
  j["from"] = json::array({"alice@alpha.test"});
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
}

// [V-5]
TEST(Request, V5_HostFields) {
  json j = {
      {"op", "pull"}, {"id", 3}, {"msg", id_a}, {"token", id_b}, {"rcpt_domain", "Beta.TEST"}};
  auto r = parse_request(j);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<pull_request>(*r).rcpt_domain, "beta.test");  // lower-cased
  for (const char* bad : {"beta", "beta.test.", "-beta.test", "[127.0.0.1]", "b_eta.test"}) {
    j["rcpt_domain"] = bad;
    r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::bad_syntax, errc::bad_request)) << bad;
    EXPECT_EQ(field_of(r), "rcpt_domain");
  }
  json hello = {{"op", "hello"}, {"id", 0}, {"version", 1}, {"host", "mx..alpha.test"}};
  EXPECT_TRUE(fails_with(parse_request(hello), codec_errc::bad_syntax, errc::bad_request));
}

// [V-7]: 1 024 octets once encoded as UTF-8, counted in octets.
TEST(Request, V7_TextLength) {
  json j = notify();
  j["stamp"] = std::string(1024, 's');
  EXPECT_TRUE(parse_request(j));
  std::string two_octets;
  for (int i = 0; i < 512; ++i)
    two_octets += "\xC3\xA9";
  j["stamp"] = two_octets;  // 512 characters, 1 024 octets
  EXPECT_TRUE(parse_request(j));
  j["stamp"] = two_octets + "x";
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::too_long, errc::bad_request));
  EXPECT_EQ(field_of(r), "stamp");
  j["stamp"] = 1;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));

  json auth = {{"op", "auth"},
               {"id", 1},
               {"user", "alice@alpha.test"},
               {"password", std::string(1025, 'p')}};
  EXPECT_TRUE(fails_with(parse_request(auth), codec_errc::too_long, errc::bad_request));
}

// [V-8]
TEST(Request, V8_RecipientLists) {
  json j = notify();
  j["rcpt"] = json::array();
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::bad_count, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt");

  // 1 000 on submit (any domains); notify is bounded further by [N-9].
  json submit = {{"op", "submit"}, {"id", 2}, {"from", "alice@alpha.test"}, {"body_len", 1}};
  json many = json::array();
  for (int i = 0; i < 1000; ++i)
    many.push_back("u" + std::to_string(i) + "@d" + std::to_string(i % 7) + ".test");
  submit["rcpt"] = many;
  EXPECT_TRUE(parse_request(submit));
  many.push_back("u1000@beta.test");
  submit["rcpt"] = many;
  r = parse_request(submit);
  EXPECT_TRUE(fails_with(r, codec_errc::bad_count, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt");

  j["rcpt"] = {"bob@beta.test", "carol@beta.test", "BOB@Beta.Test"};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::duplicate_value, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt[2]");

  j["rcpt"] = nullptr;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
  j["rcpt"] = "bob@beta.test";
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
  j["rcpt"] = {"bob@beta.test", 5};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::wrong_type, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt[1]");
}

// [N-9]: a notification carries at most 100 recipients.
TEST(Request, N9_NotifyAtMost100Recipients) {
  json j = notify();
  json many = json::array();
  for (int i = 0; i < 100; ++i)
    many.push_back("u" + std::to_string(i) + "@beta.test");
  j["rcpt"] = many;
  EXPECT_TRUE(parse_request(j));
  many.push_back("u100@beta.test");
  j["rcpt"] = many;
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::bad_count, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt");
}

// [N-8]: notify's rcpt all in one domain (compared case-insensitively).
TEST(Request, NotifyRecipientsInOneDomain) {
  json j = notify();
  j["rcpt"] = {"bob@beta.test", "carol@BETA.test"};
  EXPECT_TRUE(parse_request(j));
  j["rcpt"] = {"bob@beta.test", "carol@gamma.test"};
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::mixed_domains, errc::bad_request));
  EXPECT_EQ(field_of(r), "rcpt[1]");
}

// notify: size is 1 ... 2^53 - 1; every required field is required ([V-9]).
TEST(Request, NotifyFields) {
  json j = notify();
  j["size"] = 0;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::out_of_range, errc::bad_request));
  for (const char* field : {"msg", "from", "rcpt", "size", "digest", "token", "expires"}) {
    j = notify();
    j.erase(field);
    auto r = parse_request(j);
    EXPECT_TRUE(fails_with(r, codec_errc::missing_field, errc::bad_request)) << field;
    EXPECT_EQ(field_of(r), field);
  }
}

// [H-2], [H-3], [H-7]: hello: id 0, version 1 ... 65 535, client 1 ... 128 octets.
TEST(Request, HelloFields) {
  json j = {{"op", "hello"}, {"id", 0}, {"version", 1}, {"client", "im2k/0.1"}};
  ASSERT_TRUE(parse_request(j));
  j["id"] = 1;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::out_of_range, errc::bad_request));
  j["id"] = 0;
  for (int version : {0, 65536}) {
    j["version"] = version;
    EXPECT_TRUE(fails_with(parse_request(j), codec_errc::out_of_range, errc::bad_request));
  }
  j["version"] = 65535;
  EXPECT_TRUE(parse_request(j));
  j.erase("version");
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::missing_field, errc::bad_request));
  j["version"] = 1;
  j["client"] = "";
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::out_of_range, errc::bad_request));
  j["client"] = std::string(129, 'c');
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::too_long, errc::bad_request));
  j["client"] = std::string(128, 'c');
  EXPECT_TRUE(parse_request(j));
}

// [V-9], [V-4]: ack: lists, refusal objects, error codes (SPEC "ack").
TEST(Request, AckFields) {
  json j = {{"op", "ack"},
            {"id", 4},
            {"msg", id_a},
            {"rcpt_domain", "beta.test"},
            {"stored", json::array()},
            {"refused", json::array()}};
  ASSERT_TRUE(parse_request(j));
  // [E-5]: an unknown code is taken as internal; a code that is not a string is refused.
  j["refused"] = {{{"rcpt", "bob@beta.test"}, {"code", "no-such-code"}, {"message", "x"}}};
  auto r = parse_request(j);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<ack_request>(*r).refused.at(0).code, errc::internal);
  j["refused"] = {{{"rcpt", "bob@beta.test"}, {"code", 7}}};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::wrong_type, errc::bad_request));
  EXPECT_EQ(field_of(r), "refused[0].code");
  j["refused"] = {{{"rcpt", "bob@[192.0.2.1]"}, {"code", "policy"}}};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::bad_address, errc::bad_address));
  EXPECT_EQ(field_of(r), "refused[0].rcpt");
  j["refused"] = {"bob@beta.test"};
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
  j["refused"] = json::array();
  j["stored"] = nullptr;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::wrong_type, errc::bad_request));
  j.erase("stored");
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::missing_field, errc::bad_request));
}

// an address appears at most once in an ack, in one list or across both.
TEST(Request, AckAddressAtMostOnce) {
  json j = {{"op", "ack"},
            {"id", 5},
            {"msg", id_a},
            {"rcpt_domain", "beta.test"},
            {"stored", {"bob@beta.test", "carol@beta.test"}},
            {"refused", {{{"rcpt", "dave@beta.test"}, {"code", "policy"}}}}};
  ASSERT_TRUE(parse_request(j));

  j["stored"] = {"bob@beta.test", "Bob@Beta.test"};  // twice in stored, case aside
  auto r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::duplicate_value, errc::bad_request));
  EXPECT_EQ(field_of(r), "stored[1]");

  j["stored"] = {"bob@beta.test"};  // stored and refused
  j["refused"] = {{{"rcpt", "bob@beta.test"}, {"code", "policy"}}};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::duplicate_value, errc::bad_request));
  EXPECT_EQ(field_of(r), "refused[0].rcpt");

  j["stored"] = json::array();  // twice in refused
  j["refused"] = {{{"rcpt", "bob@beta.test"}, {"code", "policy"}},
                  {{"rcpt", "bob@beta.test"}, {"code", "unknown-recipient"}}};
  r = parse_request(j);
  EXPECT_TRUE(fails_with(r, codec_errc::duplicate_value, errc::bad_request));
  EXPECT_EQ(field_of(r), "refused[1].rcpt");
}

// [S-4], [V-4]: submit: body_len >= 1; auth: password optional (SPEC "submit", "auth").
TEST(Request, SubmitAndAuthFields) {
  json j = {{"op", "submit"},
            {"id", 2},
            {"from", "alice@alpha.test"},
            {"rcpt", {"bob@beta.test", "dan@delta.test"}},
            {"body_len", 1}};
  ASSERT_TRUE(parse_request(j));  // any domains
  j["body_len"] = 0;
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::out_of_range, errc::bad_request));
  j.erase("body_len");
  EXPECT_TRUE(fails_with(parse_request(j), codec_errc::missing_field, errc::bad_request));

  json auth = {{"op", "auth"}, {"id", 1}, {"user", "alice@alpha.test"}};
  auto r = parse_request(auth);
  ASSERT_TRUE(r);
  EXPECT_FALSE(std::get<auth_request>(*r).password);
  auth["user"] = "alice@[192.0.2.1]";
  EXPECT_TRUE(fails_with(parse_request(auth), codec_errc::bad_address, errc::bad_address));
}

// fetch, delete: the mailbox message id ([V-1]).
TEST(Request, MailboxFields) {
  for (const char* op : {"fetch", "delete"}) {
    json j = {{"op", op}, {"id", 9}, {std::string(mailbox_message_field), id_a}};
    ASSERT_TRUE(parse_request(j)) << op;
    j[std::string(mailbox_message_field)] = "nope";
    EXPECT_TRUE(fails_with(parse_request(j), codec_errc::bad_syntax, errc::bad_request)) << op;
    j.erase(std::string(mailbox_message_field));
    EXPECT_TRUE(fails_with(parse_request(j), codec_errc::missing_field, errc::bad_request)) << op;
  }
  EXPECT_TRUE(parse_request(json{{"op", "list"}, {"id", 1}}));
  // [M-2] paging: after is a message id.
  EXPECT_TRUE(parse_request(json{{"op", "list"}, {"id", 1}, {"after", id_a}}));
  EXPECT_TRUE(fails_with(parse_request(json{{"op", "list"}, {"id", 1}, {"after", "x"}}),
                         codec_errc::bad_syntax, errc::bad_request));
  // paging: after is an address.
  EXPECT_TRUE(fails_with(
      parse_request(json{{"op", "status"}, {"id", 1}, {"msg", id_a}, {"after", "x@[1.2.3.4]"}}),
      codec_errc::bad_address, errc::bad_address));
}

// [F-8]: unknown members are ignored.
TEST(Request, F8_UnknownMembersIgnored) {
  json j = notify();
  j["future_field"] = {{"nested", {1, 2, 3}}};
  auto r = parse_request(j);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<notify_request>(*r).size, 120u);
}

// [F-10]: a refused request is answered with its id when it has a valid one.
TEST(Request, PeekRequestId) {
  EXPECT_EQ(peek_request_id(json{{"op", "nope"}, {"id", 12}}), 12u);
  EXPECT_FALSE(peek_request_id(json{{"op", "nope"}, {"id", -1}}));
  EXPECT_FALSE(peek_request_id(json{{"op", "nope"}}));
}

// ok versus error; re null only on errors.
TEST(Response, R2_OkAndError) {
  auto ok = parse_response(json{{"op", "ok"}, {"re", 5}});
  ASSERT_TRUE(ok);
  ASSERT_TRUE(std::holds_alternative<ok_response>(*ok));
  EXPECT_EQ(std::get<ok_response>(*ok).re, 5u);

  json e = {{"op", "error"},
            {"re", nullptr},
            {"code", "bad-request"},
            {"temporary", false},
            {"message", "framing"}};
  auto err = parse_response(e);
  ASSERT_TRUE(err);
  const auto& er = std::get<error_response>(*err);
  EXPECT_FALSE(er.re);
  EXPECT_EQ(er.code, errc::bad_request);

  EXPECT_TRUE(fails_with(parse_response(json{{"op", "ok"}, {"re", nullptr}}),
                         codec_errc::wrong_type, errc::bad_request));
  EXPECT_TRUE(
      fails_with(parse_response(json{{"op", "ok"}}), codec_errc::missing_field, errc::bad_request));
  EXPECT_TRUE(fails_with(parse_response(json{{"op", "maybe"}, {"re", 1}}), codec_errc::bad_syntax,
                         errc::bad_request));
  e["code"] = 418;
  EXPECT_TRUE(fails_with(parse_response(e), codec_errc::wrong_type, errc::bad_request));
  e["code"] = "policy";
  e["temporary"] = "no";
  EXPECT_TRUE(fails_with(parse_response(e), codec_errc::wrong_type, errc::bad_request));
  e["temporary"] = true;
  e.erase("message");
  EXPECT_TRUE(fails_with(parse_response(e), codec_errc::missing_field, errc::bad_request));
}

// [E-5]: an unknown code is internal with the flag as sent, the code kept in the message.
TEST(Response, E5_UnknownCodeIsInternal) {
  for (bool temporary : {false, true}) {
    json e = {{"op", "error"},
              {"re", 4},
              {"code", "teapot"},
              {"temporary", temporary},
              {"message", "short and stout"}};
    auto r = parse_response(e);
    ASSERT_TRUE(r);
    const auto& er = std::get<error_response>(*r);
    EXPECT_EQ(er.code, errc::internal);
    EXPECT_EQ(er.temporary, temporary);
    EXPECT_EQ(er.message, "teapot: short and stout");
  }
  json n = {{"op", "ok"},
            {"re", 1},
            {"results", {{{"rcpt", "bob@beta.test"}, {"status", "rejected"}, {"code", "x-new"}}}}};
  auto r = parse_notify_response(n);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->results.at(0).code, errc::internal);
  EXPECT_EQ(r->results.at(0).status, rcpt_status::rejected);
}

// [N-6], [E-2]: notify results: code required unless accepted; status enumerated.
TEST(Response, NotifyResults) {
  json j = {
      {"op", "ok"}, {"re", 1}, {"results", {{{"rcpt", "bob@beta.test"}, {"status", "accepted"}}}}};
  ASSERT_TRUE(parse_notify_response(j));
  j["results"][0]["status"] = "rejected";
  auto r = parse_notify_response(j);
  EXPECT_TRUE(fails_with(r, codec_errc::missing_field, errc::bad_request));
  EXPECT_EQ(field_of(r), "results[0].code");
  j["results"][0]["code"] = "unknown-recipient";
  ASSERT_TRUE(parse_notify_response(j));
  j["results"][0]["status"] = "maybe";
  EXPECT_TRUE(fails_with(parse_notify_response(j), codec_errc::bad_syntax, errc::bad_request));
}

// [P-9]: pull: body_len equals size.
TEST(Response, PullBodyLenEqualsSize) {
  json j = {{"op", "ok"}, {"re", 1}, {"size", 10}, {"digest", digest}, {"body_len", 10}};
  ASSERT_TRUE(parse_pull_response(j));
  j["body_len"] = 11;
  EXPECT_TRUE(fails_with(parse_pull_response(j), codec_errc::out_of_range, errc::bad_request));
}

// [E-3], [V-7]: error responses carry the table's temporary flag and bounded text.
TEST(Response, ErrorResponseHelpers) {
  const auto e = make_error_response(3, codec_failure(codec_errc::bad_address, "from", "literal"));
  EXPECT_EQ(e.re, 3u);
  EXPECT_EQ(e.code, errc::bad_address);
  EXPECT_FALSE(e.temporary);
  EXPECT_NE(e.message.find("from"), std::string::npos);
  const auto t = make_error_response(std::nullopt, errc::dns_temporary, std::string(3000, 'x'));
  EXPECT_TRUE(t.temporary);
  EXPECT_EQ(t.message.size(), 1024u);
  EXPECT_EQ(to_json(t)["re"], nullptr);
}

}  // namespace
}  // namespace im2k::proto
