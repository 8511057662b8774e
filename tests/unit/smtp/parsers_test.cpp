// The sans-IO parts of common/smtp: replies, lines, commands, the DATA stream, SASL, the error
// table, and the fuzz entry point over its seed corpus.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "common/smtp/client.hpp"
#include "common/smtp/command.hpp"
#include "common/smtp/data_reader.hpp"
#include "common/smtp/error_reply.hpp"
#include "common/smtp/fuzz.hpp"
#include "common/smtp/line_buffer.hpp"
#include "common/smtp/reply.hpp"
#include "common/smtp/sasl.hpp"

namespace im2k::smtp {
namespace {

// ---- replies ----

TEST(SmtpReply, FormatsSingleAndMultiLineWithEnhancedCodes) {
  EXPECT_EQ(format({250, "2.0.0", {"Ok: queued as abc"}}), "250 2.0.0 Ok: queued as abc\r\n");
  EXPECT_EQ(format({250, {}, {"mx.test", "PIPELINING", "SIZE 10"}}),
            "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  // RFC 2034: every line of a multi-line reply carries the enhanced code.
  EXPECT_EQ(format({550, "5.7.1", {"one", "two"}}), "550-5.7.1 one\r\n550 5.7.1 two\r\n");
  EXPECT_EQ(format({334, {}, {}}), "334 \r\n");
}

TEST(SmtpReply, FormatCleansTextForTheWire) {
  // A CR or LF in the text must not end the reply early or forge a second one.
  EXPECT_EQ(format({550, "5.1.1", {"bad\r\n250 ok"}}), "550 5.1.1 bad??250 ok\r\n");
  const std::string text = format({250, {}, {std::string(2000, 'x')}});
  EXPECT_EQ(text.size(), 4 + max_reply_text + 2);
  EXPECT_THROW(format({99, {}, {"x"}}), std::invalid_argument);
}

TEST(SmtpReply, ParserReadsMultiLineRepliesAndEnhancedCodes) {
  reply_parser p;
  auto a = p.feed("250-mx.beta.test");
  ASSERT_TRUE(a);
  EXPECT_FALSE(*a);
  ASSERT_TRUE(p.feed("250-PIPELINING"));
  auto done = p.feed("250 AUTH PLAIN LOGIN");
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->code, 250);
  EXPECT_EQ((*done)->enhanced, "");
  EXPECT_EQ((*done)->lines.size(), 3u);
  EXPECT_EQ((*done)->lines[2], "AUTH PLAIN LOGIN");

  auto e = p.feed("553 5.1.3 bad address");
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->enhanced, "5.1.3");
  EXPECT_EQ((*e)->lines[0], "bad address");
  EXPECT_TRUE((*e)->permanent());
  // An enhanced code of another class is only text.
  auto f = p.feed("250 5.1.3 odd");
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->enhanced, "");
  EXPECT_EQ((*f)->lines[0], "5.1.3 odd");
  auto bare = p.feed("221");
  ASSERT_TRUE(bare && *bare);
  EXPECT_EQ((*bare)->code, 221);
}

TEST(SmtpReply, ParserRefusesMalformedLines) {
  reply_parser p;
  EXPECT_EQ(p.feed("25 x").error(), reply_fault::syntax);
  EXPECT_EQ(p.feed("250x").error(), reply_fault::syntax);
  EXPECT_EQ(p.feed("650 x").error(), reply_fault::syntax);
  ASSERT_TRUE(p.feed("250-a"));
  EXPECT_EQ(p.feed("251 b").error(), reply_fault::code_changed);
  for (std::size_t i = 0; i < max_reply_lines; ++i) {
    ASSERT_TRUE(p.feed("250-x")) << i;
  }
  EXPECT_EQ(p.feed("250-x").error(), reply_fault::too_many_lines);
}

TEST(SmtpReply, EnhancedCodeSyntax) {
  EXPECT_TRUE(is_enhanced_code("2.0.0"));
  EXPECT_TRUE(is_enhanced_code("5.7.23"));
  EXPECT_TRUE(is_enhanced_code("4.999.999"));
  EXPECT_FALSE(is_enhanced_code("3.0.0"));
  EXPECT_FALSE(is_enhanced_code("5.01.1"));
  EXPECT_FALSE(is_enhanced_code("5.1"));
  EXPECT_FALSE(is_enhanced_code("5.1.1000"));
}

// ---- lines ----

line_buffer fed(std::string_view text, std::size_t limit = max_command_line) {
  line_buffer in(limit);
  auto space = in.prepare();
  std::copy(text.begin(), text.end(), space.begin());
  in.commit(text.size());
  return in;
}

TEST(SmtpLines, SplitsPipelinedLinesAndKeepsTheRest) {
  auto in = fed("EHLO a\r\nMAIL FROM:<x@y.test>\r\nRCPT");
  auto a = in.next();
  EXPECT_EQ(a.what, line_result::kind::line);
  EXPECT_EQ(a.text, "EHLO a");
  EXPECT_EQ(in.next().text, "MAIL FROM:<x@y.test>");
  EXPECT_EQ(in.next().what, line_result::kind::need_more);
  EXPECT_EQ(in.pending(), "RCPT");
  auto space = in.prepare();
  const std::string rest = " TO:<z@y.test>\r\n";
  std::copy(rest.begin(), rest.end(), space.begin());
  in.commit(rest.size());
  EXPECT_EQ(in.next().text, "RCPT TO:<z@y.test>");
  EXPECT_FALSE(in.has_pending());
}

TEST(SmtpLines, ThousandOctetsWithCrlfIsTheLimit) {
  const std::string ok(998, 'a');
  auto in = fed(ok + "\r\n" + ok + "b\r\nNOOP\r\n");
  EXPECT_EQ(in.next().what, line_result::kind::line);
  EXPECT_EQ(in.next().what, line_result::kind::too_long);
  EXPECT_EQ(in.next().text, "NOOP");  // back in step after the long line
}

TEST(SmtpLines, OverLongLineIsDroppedAsItArrivesAndReportedAtItsEnd) {
  line_buffer in(100);
  for (int i = 0; i < 50; ++i) {  // 50 * 16 KiB without LF: memory stays bounded
    auto space = in.prepare();
    std::fill(space.begin(), space.end(), 'x');
    in.commit(space.size());
    EXPECT_EQ(in.next().what, line_result::kind::need_more);
    EXPECT_LE(in.pending().size(), 100u + read_chunk);
  }
  auto space = in.prepare();
  const std::string end = "xx\r\nQUIT\r\n";
  std::copy(end.begin(), end.end(), space.begin());
  in.commit(end.size());
  EXPECT_EQ(in.next().what, line_result::kind::too_long);
  EXPECT_EQ(in.next().text, "QUIT");
}

TEST(SmtpLines, BareLfIsAFault) {
  auto in = fed("NOOP\nQUIT\r\n");
  EXPECT_EQ(in.next().what, line_result::kind::bare_lf);
  EXPECT_EQ(in.next().text, "QUIT");
}

// ---- commands ----

TEST(SmtpCommand, MailWithParameters) {
  auto c = parse_command("MAIL FROM:<alice@alpha.test> SIZE=1200 BODY=8BITMIME");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->what, verb::mail);
  EXPECT_EQ(c->path, "alice@alpha.test");
  EXPECT_EQ(c->size, 1200u);
  EXPECT_EQ(c->body, body_type::eight_bit_mime);
  ASSERT_EQ(c->parameters.size(), 2u);
  EXPECT_EQ(c->parameters[0].first, "SIZE");
  EXPECT_EQ(c->parameters[1].second, "8BITMIME");
  auto lower = parse_command("mail from: <a@b.test> body=7bit auth=<>");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->path, "a@b.test");
  EXPECT_EQ(lower->body, body_type::seven_bit);
  EXPECT_EQ(lower->parameters[1].first, "AUTH");
  auto null_path = parse_command("MAIL FROM:<>");
  ASSERT_TRUE(null_path);
  EXPECT_EQ(null_path->path, "");
}

TEST(SmtpCommand, PathsKeepTheMailboxAndDropSourceRoutes) {
  EXPECT_EQ(parse_command("RCPT TO:<@relay.test,@b.test:bob@beta.test>")->path, "bob@beta.test");
  EXPECT_EQ(parse_command("RCPT TO:<\"odd > one\"@beta.test>")->path, "\"odd > one\"@beta.test");
  EXPECT_EQ(parse_command("RCPT TO:<user@[192.0.2.1]>")->path, "user@[192.0.2.1]");
  EXPECT_EQ(parse_command("RCPT TO:<>").error(), command_fault::bad_path);
  EXPECT_EQ(parse_command("RCPT TO:bob@beta.test").error(), command_fault::bad_path);
  EXPECT_EQ(parse_command("RCPT TO:<bob@beta.test").error(), command_fault::bad_path);
  EXPECT_EQ(parse_command("RCPT TO:<b ob@beta.test>").error(), command_fault::bad_path);
  EXPECT_EQ(parse_command("RCPT TO:<b\xc3\xa9@beta.test>").error(), command_fault::bad_path);
  EXPECT_EQ(parse_command("RCPT TO:<a@b.test>x").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("RCPT FROM:<a@b.test>").error(), command_fault::syntax);
}

TEST(SmtpCommand, BadParameters) {
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> SIZE=12x").error(), command_fault::bad_parameter);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> SIZE").error(), command_fault::bad_parameter);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> SIZE=123456789012345678901").error(),
            command_fault::bad_parameter);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> BODY=9BIT").error(), command_fault::bad_parameter);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> SIZE=1 SIZE=2").error(),
            command_fault::bad_parameter);
  EXPECT_EQ(parse_command("MAIL FROM:<a@b.test> X=").error(), command_fault::bad_parameter);
  // Unknown but well-formed parameters are the server's decision.
  EXPECT_TRUE(parse_command("MAIL FROM:<a@b.test> NOTIFY=NEVER"));
}

TEST(SmtpCommand, OtherVerbs) {
  EXPECT_EQ(parse_command("EHLO client.example")->argument, "client.example");
  EXPECT_EQ(parse_command("helo [127.0.0.1]")->what, verb::helo);
  EXPECT_EQ(parse_command("EHLO").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("EHLO a b").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("DATA")->what, verb::data);
  EXPECT_EQ(parse_command("DATA now").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("STARTTLS")->what, verb::starttls);
  EXPECT_EQ(parse_command("QUIT ")->what, verb::quit);
  EXPECT_EQ(parse_command("NOOP anything")->what, verb::noop);
  EXPECT_EQ(parse_command("VRFY bob")->what, verb::vrfy);
  EXPECT_EQ(parse_command("VRFY").error(), command_fault::syntax);
  auto auth = parse_command("auth plain AGFAYgBj");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->argument, "PLAIN");
  EXPECT_EQ(auth->initial_response, "AGFAYgBj");
  EXPECT_FALSE(parse_command("AUTH LOGIN")->initial_response);
  EXPECT_EQ(parse_command("AUTH").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("AUTH PL@IN").error(), command_fault::syntax);
  EXPECT_EQ(parse_command("BDAT 10").error(), command_fault::unknown);
  EXPECT_EQ(parse_command("").error(), command_fault::unknown);
  EXPECT_EQ(parse_command(std::string("NOOP\0x", 6)).error(), command_fault::syntax);
}

// ---- DATA ----

std::string unstuff(std::string_view stream, std::size_t chunk, std::size_t* consumed = nullptr,
                    bool* done = nullptr) {
  data_reader r;
  std::string out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < stream.size() && !r.done(); i += chunk) {
    auto step = r.feed(stream.substr(i, chunk), out);
    used += step.consumed;
  }
  if (consumed != nullptr) {
    *consumed = used;
  }
  if (done != nullptr) {
    *done = r.done();
  }
  return out;
}

TEST(SmtpData, UnstuffsAndStopsAtTheDotLineWhateverTheChunks) {
  const std::string stream = "From: a@b.test\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n";
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    std::size_t consumed = 0;
    bool done = false;
    EXPECT_EQ(unstuff(stream, chunk, &consumed, &done), "From: a@b.test\r\n\r\n.leading dot\r\n")
        << chunk;
    EXPECT_TRUE(done);
    EXPECT_EQ(stream.substr(consumed), "QUIT\r\n") << chunk;
  }
  EXPECT_EQ(unstuff(".\r\n", 1), "");
  EXPECT_EQ(unstuff("a\r\n.x\r\n.\r\n", 1), "a\r\nx\r\n");
  EXPECT_EQ(unstuff("a\r\n.\rx\r\n.\r\n", 2), "a\r\n\rx\r\n");
}

TEST(SmtpData, OnlyCrlfDotCrlfEndsTheMessage) {
  // "SMTP smuggling": LF.LF, CR.CR and LF.CRLF must not end the text.
  bool done = true;
  auto out = unstuff("a\n.\nb\r.\rc\n.\r\nd", 1, nullptr, &done);
  EXPECT_FALSE(done);
  EXPECT_EQ(out, "a\n.\nb\r.\rc\n.\r\nd");
}

TEST(SmtpData, StufferAndReaderRoundTrip) {
  std::mt19937 random(7);
  const std::string alphabet = "\r\n.ab";
  for (int n = 0; n < 500; ++n) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) {
      text.push_back(alphabet[random() % alphabet.size()]);
    }
    text += "\r\n";
    std::string stuffed;
    dot_stuffer s;
    s.feed(text, stuffed);
    s.finish(stuffed);
    bool done = false;
    std::size_t consumed = 0;
    EXPECT_EQ(unstuff(stuffed, 1 + random() % 5, &consumed, &done), text);
    EXPECT_TRUE(done);
    EXPECT_EQ(consumed, stuffed.size());
  }
  std::string unterminated;
  dot_stuffer s;
  s.feed(".no end", unterminated);
  s.finish(unterminated);
  EXPECT_EQ(unterminated, "..no end\r\n.\r\n");
}

// ---- SASL ----

TEST(SmtpSasl, PlainAndResponses) {
  const auto message = decode_response(encode_plain("alice@alpha.test", "secret"));
  ASSERT_TRUE(message);
  auto creds = parse_plain(*message);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->authzid, "");
  EXPECT_EQ(creds->authcid, "alice@alpha.test");
  EXPECT_EQ(creds->password, "secret");
  EXPECT_EQ(parse_plain(std::string("z\0u\0p", 5))->authzid, "z");
  EXPECT_EQ(parse_plain("no nul").error(), sasl_fault::malformed);
  EXPECT_EQ(parse_plain(std::string("\0u\0", 3)).error(), sasl_fault::malformed);
  EXPECT_EQ(parse_plain(std::string("\0u\0p\0", 5)).error(), sasl_fault::malformed);
  EXPECT_EQ(decode_response("*").error(), sasl_fault::cancelled);
  EXPECT_EQ(*decode_response("="), "");
  EXPECT_EQ(decode_response("!!!!").error(), sasl_fault::bad_base64);
  EXPECT_EQ(*decode_response("YWxpY2U="), "alice");
}

// ---- the client's view of EHLO ----

TEST(SmtpExtensions, ParsesTheEhloReply) {
  reply ehlo{250,
             {},
             {"oms.alpha.test", "PIPELINING", "size 1000", "AUTH PLAIN LOGIN", "8BITMIME",
              "STARTTLS", "ENHANCEDSTATUSCODES"}};
  auto e = parse_extensions(ehlo);
  EXPECT_TRUE(e.pipelining);
  EXPECT_TRUE(e.starttls);
  EXPECT_TRUE(e.eight_bit_mime);
  EXPECT_TRUE(e.enhanced_status_codes);
  EXPECT_EQ(e.size, 1000u);
  EXPECT_EQ(e.auth, (std::vector<std::string>{"PLAIN", "LOGIN"}));
}

// ---- the error table ([W-9]) ----

TEST(SmtpErrorReply, EachSubmissionCodeHasItsReply) {
  using proto::errc;
  const std::vector<std::tuple<errc, int, std::string>> table = {
      {errc::not_authenticated, 535, "5.7.8"}, {errc::rate_limited, 454, "4.7.0"},
      {errc::bad_address, 553, "5.1.3"},       {errc::sender_not_owned, 550, "5.7.1"},
      {errc::quota_exceeded, 552, "5.2.2"},    {errc::message_too_large, 552, "5.3.4"},
      {errc::bad_request, 550, "5.6.0"},       {errc::internal, 451, "4.3.0"},
  };
  for (const auto& [code, smtp, enhanced] : table) {
    const auto r = reply_for(code, "why");
    EXPECT_EQ(r.code, smtp) << proto::to_string(code);
    EXPECT_EQ(r.enhanced, enhanced) << proto::to_string(code);
    EXPECT_EQ(r.lines, std::vector<std::string>{"why"});
    // A temporary im2k code is a 4xx reply, a permanent one 5xx ([E-3]).
    EXPECT_EQ(r.transient(), proto::is_temporary(code)) << proto::to_string(code);
  }
}

// ---- the fuzz entry point on its seeds and on random octets ----

TEST(SmtpFuzz, SeedCorpusAndRandomInputsKeepTheInvariants) {
  const std::filesystem::path corpus = IM2K_SOURCE_DIR "/tests/fuzz/smtp_fuzz_corpus";
  std::size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    fuzz_one(data);  // aborts on a broken invariant
    ++seeds;
  }
  EXPECT_GE(seeds, 5u);
  std::mt19937 random(12);
  const std::string alphabet = "\r\n. :<>@=AZaz09\"\\\x80";
  for (int n = 0; n < 3000; ++n) {
    std::string data;
    const int length = static_cast<int>(random() % 300);
    for (int i = 0; i < length; ++i) {
      data.push_back(alphabet[random() % alphabet.size()]);
    }
    fuzz_one(data);
  }
}

}  // namespace
}  // namespace im2k::smtp
