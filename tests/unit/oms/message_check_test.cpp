#include "oms/message_check.hpp"

#include <string>

#include <gtest/gtest.h>

namespace im2k::oms {
namespace {

boost::system::result<proto::address, message_fault> scan(const std::string& text,
                                                          std::size_t chunk = 7) {
  message_scanner s;
  for (std::size_t i = 0; i < text.size(); i += chunk) {
    s.feed(std::string_view(text).substr(i, chunk));
  }
  return s.finish();
}

proto::errc fault_of(const std::string& text) {
  auto r = scan(text);
  EXPECT_FALSE(r.has_value()) << text;
  return r ? proto::errc::internal : r.error().code;
}

TEST(MessageCheck, PlainFrom) {
  auto r = scan("From: alice@alpha.test\r\nSubject: hi\r\n\r\nbody\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->to_string(), "alice@alpha.test");
}

TEST(MessageCheck, DisplayNameAndFoldedFrom) {  // [S-7] unfolding
  auto r = scan("Subject: x\r\nFROM: \"Alice, A.\"\r\n\t<alice@Alpha.Test>\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->local, "alice");
  EXPECT_EQ(r->domain, "alpha.test");
}

TEST(MessageCheck, ChunkBoundariesDoNotMatter) {
  const std::string text = "From: Alice <alice@alpha.test>\r\nX: y\r\n\r\nbody";
  for (std::size_t chunk = 1; chunk < 12; ++chunk) {
    auto r = scan(text, chunk);
    ASSERT_TRUE(r.has_value()) << chunk;
    EXPECT_EQ(r->to_string(), "alice@alpha.test");
  }
}

TEST(MessageCheck, MissingOrDuplicateFrom) {
  EXPECT_EQ(fault_of("Subject: x\r\n\r\nbody"), proto::errc::bad_request);
  EXPECT_EQ(fault_of("From: a@alpha.test\r\nFrom: b@alpha.test\r\n\r\n"), proto::errc::bad_request);
}

TEST(MessageCheck, LineEnds) {  // [S-6] 1
  EXPECT_EQ(fault_of("From: a@alpha.test\n\n"), proto::errc::bad_request);
  EXPECT_EQ(fault_of("From: a@alpha.test\r\n\r\nbare\rcr"), proto::errc::bad_request);
  EXPECT_EQ(fault_of("From: a@alpha.test\r\n\r\nbare\nlf"), proto::errc::bad_request);
  EXPECT_EQ(fault_of(std::string("From: a@alpha.test\r\n\r\nnul\0x", 28)),
            proto::errc::bad_request);
  EXPECT_EQ(fault_of("From: a@alpha.test\r\n"), proto::errc::bad_request);  // no empty line
  EXPECT_TRUE(scan("From: a@alpha.test\r\n\r\n").has_value());              // empty body is fine
}

TEST(MessageCheck, OversizedHeader) {  // [S-6] 2, 3
  std::string big = "From: a@alpha.test\r\n";
  while (big.size() <= max_header_section) {
    big += "X-Filler: " + std::string(900, 'x') + "\r\n";
  }
  EXPECT_EQ(fault_of(big + "\r\n"), proto::errc::bad_request);
  EXPECT_EQ(fault_of("From: a@alpha.test\r\nX: " + std::string(996, 'y') + "\r\n\r\n"),
            proto::errc::bad_request);
  EXPECT_TRUE(scan("From: a@alpha.test\r\nX: " + std::string(995, 'y') + "\r\n\r\n").has_value());
  // The body may have long lines.
  EXPECT_TRUE(scan("From: a@alpha.test\r\n\r\n" + std::string(5000, 'z') + "\r\n").has_value());
}

TEST(MessageCheck, BadHeaderLines) {  // [S-6] 3
  EXPECT_EQ(fault_of(" folded first\r\nFrom: a@alpha.test\r\n\r\n"), proto::errc::bad_request);
  EXPECT_EQ(fault_of("no colon here\r\nFrom: a@alpha.test\r\n\r\n"), proto::errc::bad_request);
  EXPECT_EQ(fault_of(": empty name\r\nFrom: a@alpha.test\r\n\r\n"), proto::errc::bad_request);
}

TEST(MessageCheck, FromValueRules) {  // [S-7]
  EXPECT_EQ(fault_of("From: a@alpha.test, b@alpha.test\r\n\r\n"), proto::errc::sender_not_owned);
  EXPECT_EQ(fault_of("From: group: a@alpha.test;\r\n\r\n"), proto::errc::sender_not_owned);
  EXPECT_EQ(fault_of("From: a@alpha.test (comment)\r\n\r\n"), proto::errc::sender_not_owned);
  EXPECT_EQ(fault_of("From: Mallory@x <a@alpha.test>\r\n\r\n"), proto::errc::sender_not_owned);
  EXPECT_EQ(fault_of("From: a@[127.0.0.1]\r\n\r\n"), proto::errc::sender_not_owned);
  EXPECT_EQ(fault_of("From: <a@alpha.test> trailing\r\n\r\n"), proto::errc::sender_not_owned);
  auto quoted = parse_from_value(" \"Smith; John\" <john@alpha.test> ");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_EQ(quoted->to_string(), "john@alpha.test");
}

}  // namespace
}  // namespace im2k::oms
