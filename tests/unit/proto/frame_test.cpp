// The sans-IO frame codec: length header, payload parsing, encoding (SPEC.md "Framing").
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/error.hpp>

#include "proto/frame.hpp"
#include "proto/utf8.hpp"
#include "tests/unit/proto/expect.hpp"

namespace im2k::proto {
namespace {

using test::fails_with;
using json = nlohmann::json;

std::string header(std::uint32_t n) {
  const auto h = encode_length(n);
  return std::string(h.begin(), h.end());
}

// [F-2]
TEST(Frame, F2_LengthBigEndian) {
  auto n = decode_length(std::string("\x00\x00\x01\x02", 4));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0x0102u);
  EXPECT_EQ(*decode_length(header(1)), 1u);
  EXPECT_EQ(*decode_length(header(65536)), 65536u);
}

// [F-2]
TEST(Frame, F2_LengthZeroIsFramingError) {
  auto n = decode_length(header(0));
  EXPECT_TRUE(fails_with(n, codec_errc::length_zero, errc::bad_request));
  EXPECT_TRUE(is_framing_error(n.error().code));
}

// [F-2]
TEST(Frame, F2_LengthOverLimitIsFramingError) {
  EXPECT_TRUE(
      fails_with(decode_length(header(65537)), codec_errc::length_too_large, errc::bad_request));
  EXPECT_TRUE(fails_with(decode_length(std::string("\xff\xff\xff\xff", 4)),
                         codec_errc::length_too_large, errc::bad_request));
  EXPECT_TRUE(is_framing_error(make_error_code(codec_errc::length_too_large)));
}

// [F-7]: fewer than 4 header octets.
TEST(Frame, F7_TruncatedHeader) {
  EXPECT_TRUE(fails_with(decode_length(std::string("\x00\x00\x01", 3)), codec_errc::truncated,
                         errc::bad_request));
}

// [F-1], [F-4]
TEST(Frame, F4_ParsesOneObject) {
  auto j = parse_payload(R"( {"op":"hello","id":0,"list":[1,{"a":null}]} )");
  ASSERT_TRUE(j) << j.error().describe();
  EXPECT_EQ((*j)["op"], "hello");
  EXPECT_EQ((*j)["list"][1]["a"], nullptr);
}

// [F-3]
TEST(Frame, F3_InvalidUtf8) {
  const char* bad[] = {
      "{\"a\":\"\xC0\xAF\"}",          // overlong '/'
      "{\"a\":\"\xE0\x80\xAF\"}",      // overlong, three octets
      "{\"a\":\"\xF0\x80\x80\xAF\"}",  // overlong, four octets
      "{\"a\":\"\xED\xA0\x80\"}",      // surrogate U+D800
      "{\"a\":\"\xED\xBF\xBF\"}",      // surrogate U+DFFF
      "{\"a\":\"\xF4\x90\x80\x80\"}",  // U+110000
      "{\"a\":\"\xF5\x80\x80\x80\"}",  // lead octet over U+10FFFF
      "{\"a\":\"\x80\"}",              // lone continuation octet
      "{\"a\":\"\xC3\"}",              // truncated sequence
      "{\"a\":\"\xE2\x82\"}",          // truncated sequence
      "{\"a\":\"\xFF\"}",              // never valid
  };
  for (const char* payload : bad) {
    auto j = parse_payload(payload);
    EXPECT_TRUE(fails_with(j, codec_errc::invalid_utf8, errc::bad_request)) << payload;
    if (!j) {
      EXPECT_TRUE(is_framing_error(j.error().code));
    }
  }
}

// [F-3]: the boundaries that are valid.
TEST(Frame, F3_ValidUtf8Boundaries) {
  EXPECT_TRUE(is_valid_utf8("\x7F"));
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));          // U+0080
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));      // U+0800
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80"));      // U+E000
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  auto j = parse_payload("{\"a\":\"gr\xC3\xBC\xC3\x9F\"}");
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["a"], "gr\xC3\xBC\xC3\x9F");
}

// [F-4]
TEST(Frame, F4_InvalidJson) {
  for (const char* payload :
       {"{", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"\\x\"}", "{\"a\":tru}",
        "{\"a\":\"\\ud800\"}", "\xEF\xBB\xBF{}", "{/*c*/}", " "}) {
    EXPECT_TRUE(fails_with(parse_payload(payload), codec_errc::invalid_json, errc::bad_request))
        << payload;
  }
}

// [F-4]
TEST(Frame, F4_TrailingGarbage) {
  for (const char* payload : {"{} {}", "{}x", "{\"a\":1}]", "{}\n0"}) {
    EXPECT_TRUE(fails_with(parse_payload(payload), codec_errc::trailing_data, errc::bad_request))
        << payload;
  }
  EXPECT_TRUE(parse_payload("{} \t\r\n"));  // JSON white space is allowed
}

// [F-4]
TEST(Frame, F4_NotAnObject) {
  for (const char* payload :
       {"[]", "[{\"op\":\"hello\"}]", "\"hello\"", "42", "-1.5", "null", "true"}) {
    auto j = parse_payload(payload);
    EXPECT_TRUE(fails_with(j, codec_errc::not_object, errc::bad_request)) << payload;
    if (!j) {
      EXPECT_TRUE(is_framing_error(j.error().code));
    }
  }
}

// [F-9]
TEST(Frame, F9_DuplicateMemberAtAnyDepth) {
  for (const char* payload : {R"({"op":"a","op":"b"})", R"({"a":{"x":1,"x":1}})",
                              R"({"a":[{"k":1},{"k":1,"k":2}]})", R"({"a":1,"b":2,"a":1})"}) {
    auto j = parse_payload(payload);
    EXPECT_TRUE(fails_with(j, codec_errc::duplicate_member, errc::bad_request)) << payload;
  }
  // The same name in sibling objects is not a duplicate.
  EXPECT_TRUE(parse_payload(R"({"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]})"));
}

std::string nested(std::size_t depth) {
  // depth containers in all: the top object, then alternating arrays and objects.
  std::string open = "{\"a\":";
  std::string close = "}";
  for (std::size_t i = 1; i < depth; ++i) {
    if (i % 2) {
      open += "[";
      close = "]" + close;
    } else {
      open += "{\"b\":";
      close = "}" + close;
    }
  }
  return open + "1" + close;
}

// [F-12]
TEST(Frame, F12_SixteenLevelsAllowed) {
  auto j = parse_payload(nested(16));
  EXPECT_TRUE(j) << j.error().describe();
}

// [F-12]
TEST(Frame, F12_TooDeep) {
  EXPECT_TRUE(fails_with(parse_payload(nested(17)), codec_errc::too_deep, errc::bad_request));
  EXPECT_TRUE(
      fails_with(parse_payload(std::string(100000, '[')), codec_errc::too_deep, errc::bad_request));
}

// [F-5]
TEST(Frame, F5_BodyLen) {
  EXPECT_FALSE(*parse_body_len(json{{"op", "ok"}}));
  EXPECT_EQ(*parse_body_len(json{{"body_len", 0}}), 0u);
  EXPECT_EQ(*parse_body_len(json{{"body_len", 9007199254740991ull}}), 9007199254740991ull);
  for (const char* payload :
       {R"({"body_len":-1})", R"({"body_len":1.5})", R"({"body_len":1e3})", R"({"body_len":"1"})",
        R"({"body_len":null})", R"({"body_len":true})", R"({"body_len":9007199254740992})"}) {
    auto j = parse_payload(payload);
    ASSERT_TRUE(j);
    auto n = parse_body_len(*j);
    EXPECT_TRUE(fails_with(n, codec_errc::bad_body_len, errc::bad_request)) << payload;
    if (!n) {
      EXPECT_TRUE(is_framing_error(n.error().code));
    }
  }
}

// [F-1], [F-2]: encode_frame writes the header and refuses an over-long payload.
TEST(Frame, F2_EncodeFrame) {
  auto bytes = encode_frame(json{{"op", "ok"}, {"re", 1}});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, header(18) + R"({"op":"ok","re":1})");
  ASSERT_EQ(bytes->size(), 4u + 18u);

  // Exactly 65 536 octets is fine, one more is not.
  const std::string base = R"({"x":""})";
  auto at_limit = encode_frame(json{{"x", std::string(65536 - base.size(), 'a')}});
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->size(), 4u + 65536u);
  EXPECT_TRUE(fails_with(encode_frame(json{{"x", std::string(65536 - base.size() + 1, 'a')}}),
                         codec_errc::length_too_large, errc::bad_request));
}

// [F-3]: the encoder does not emit invalid UTF-8 either.
TEST(Frame, F3_EncodeRefusesInvalidUtf8) {
  EXPECT_TRUE(fails_with(encode_frame(json{{"x", "\xC0\xAF"}}), codec_errc::invalid_utf8,
                         errc::bad_request));
}

// The codec/wire mapping and framing classification of every codec error ([F-10], [V-*]).
TEST(CodecError, WireCodesAndFramingClass) {
  EXPECT_EQ(wire_code(make_error_code(codec_errc::body_too_large)), errc::message_too_large);
  EXPECT_TRUE(is_framing_error(make_error_code(codec_errc::body_too_large)));
  EXPECT_TRUE(is_framing_error(make_error_code(codec_errc::short_body)));
  EXPECT_EQ(wire_code(make_error_code(codec_errc::bad_address)), errc::bad_address);
  EXPECT_FALSE(is_framing_error(make_error_code(codec_errc::bad_address)));
  for (auto c : {codec_errc::missing_field, codec_errc::wrong_type, codec_errc::out_of_range,
                 codec_errc::too_long, codec_errc::bad_syntax, codec_errc::bad_count,
                 codec_errc::duplicate_value, codec_errc::mixed_domains, codec_errc::unknown_op}) {
    EXPECT_FALSE(is_framing_error(make_error_code(c))) << make_error_code(c).message();
    EXPECT_EQ(wire_code(make_error_code(c)), errc::bad_request);
  }
  EXPECT_EQ(wire_code(make_error_code(errc::not_found)), errc::not_found);
  EXPECT_FALSE(is_framing_error(make_error_code(errc::not_found)));
  EXPECT_TRUE(is_framing_error(boost::system::error_code(boost::asio::error::eof)));
  EXPECT_EQ(wire_code(boost::asio::error::connection_reset), errc::internal);
}

}  // namespace
}  // namespace im2k::proto
