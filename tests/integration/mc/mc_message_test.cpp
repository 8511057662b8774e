// The message the client builds: CRLF line ends ([S-6]), the empty line that ends the header
// section, RFC 5322 dates, RFC 2047 subjects, and the password file rules.
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mc/message.hpp"
#include "mc/settings.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::mc {
namespace {

using ::testing::HasSubstr;

TEST(McMessage, LineEndsBecomeCrlf) {
  EXPECT_EQ(to_crlf("a\nb\r\nc\rd\n"), "a\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(to_crlf("\r\n\r\n"), "\r\n\r\n");
  EXPECT_EQ(to_crlf(""), "");
  EXPECT_EQ(to_crlf("\n\r"), "\r\n\r\n");
}

TEST(McMessage, PrepareAddsTheEmptyLineOnlyWhenMissing) {
  EXPECT_EQ(prepare_message("From: a@b.test\n\nbody\n"), "From: a@b.test\r\n\r\nbody\r\n");
  EXPECT_EQ(prepare_message("From: a@b.test"), "From: a@b.test\r\n\r\n");
  EXPECT_EQ(prepare_message("From: a@b.test\n"), "From: a@b.test\r\n\r\n");
}

TEST(McMessage, DateIsRfc5322InUtc) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1795356000), "Sun, 22 Nov 2026 14:00:00 +0000");
}

TEST(McMessage, SubjectEncoding) {
  EXPECT_EQ(*encode_subject("plain words"), "plain words");
  EXPECT_EQ(*encode_subject("é"), "=?UTF-8?B?w6k=?=");
  EXPECT_FALSE(encode_subject("two\r\nlines"));
  EXPECT_FALSE(encode_subject("tab\there"));
  EXPECT_FALSE(encode_subject("\xff\xfe"));
  // Long text: several encoded words, one per folded line, none splitting a character.
  std::string accents;
  for (int i = 0; i < 60; ++i) {
    accents += "é";
  }
  auto encoded = encode_subject(accents);
  ASSERT_TRUE(encoded);
  std::size_t start = 0;
  int words = 0;
  while (start < encoded->size()) {
    auto end = encoded->find("\r\n ", start);
    const std::string word = encoded->substr(start, end == std::string::npos ? end : end - start);
    EXPECT_LE(word.size(), 76u);
    EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u);
    ++words;
    start = end == std::string::npos ? encoded->size() : end + 3;
  }
  EXPECT_EQ(words, 3);  // 120 octets in words of at most 45
}

TEST(McMessage, ComposeWritesTheHeaderFields) {
  composition c;
  c.from = "alice@alpha.test";
  for (int i = 0; i < 6; ++i) {
    c.to.push_back("recipient" + std::to_string(i) + "@beta.test");
  }
  c.subject = "hello";
  c.body = "one\ntwo";
  c.date = 0;
  c.message_id = "<x@alpha.test>";
  auto m = compose(c);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rfind("From: alice@alpha.test\r\nTo: recipient0@beta.test, ", 0), 0u);
  EXPECT_THAT(*m, HasSubstr(",\r\n recipient"));  // the long To: is folded
  EXPECT_THAT(*m, HasSubstr("\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
  EXPECT_THAT(*m, HasSubstr("\r\nMessage-ID: <x@alpha.test>\r\nSubject: hello\r\n"));
  EXPECT_THAT(*m, HasSubstr("\r\n\r\none\r\ntwo"));
  std::size_t line_start = 0;
  while (line_start < m->size()) {
    auto end = m->find("\r\n", line_start);
    if (end == std::string::npos) {
      break;
    }
    EXPECT_LE(end - line_start, 78u);
    line_start = end + 2;
  }
}

TEST(McMessage, PasswordFileFirstLineWithoutItsEnd) {
  test::temp_dir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  };
  EXPECT_EQ(*read_password_file(write("a", "secret\n")), "secret");
  EXPECT_EQ(*read_password_file(write("b", "secret\r\n")), "secret");
  EXPECT_EQ(*read_password_file(write("c", "secret")), "secret");
  EXPECT_EQ(*read_password_file(write("d", "with space \nsecond line\n")), "with space ");
  EXPECT_FALSE(read_password_file(write("e", "\n")));
  EXPECT_FALSE(read_password_file(write("f", std::string(1025, 'x'))));
  EXPECT_TRUE(read_password_file(write("g", std::string(1024, 'x'))));
  EXPECT_FALSE(read_password_file((dir / "missing").string()));
}

}  // namespace
}  // namespace im2k::mc
