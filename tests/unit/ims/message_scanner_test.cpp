// The streaming check of a pulled message: digest of the pulled octets, [S-6] line rules, the
// From: domain of [P-11], and the stored copy of [P-13].
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto/sha256.hpp"
#include "ims/message_scanner.hpp"

namespace im2k::ims {
namespace {

const std::string prefix = "Received: test\r\n";

struct scanned {
  std::string stored;
  scan_verdict verdict;
};

scanned scan(const std::string& message, std::size_t chunk,
             std::string sender_domain = "alpha.test") {
  message_scanner scanner(prefix, "mx.beta.test", std::move(sender_domain));
  scanned out;
  for (std::size_t i = 0; i < message.size(); i += chunk) {
    scanner.feed(std::string_view(message).substr(i, chunk), out.stored);
  }
  out.verdict = scanner.finish();
  return out;
}

const std::string good =
    "From: Alice <alice@alpha.test>\r\n"
    "Authentication-Results: mx.beta.test; spf=pass\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "body line\r\n"
    "\r\n"
    "last line\r\n";

TEST(message_scanner, stores_prefix_kept_header_and_body_whatever_the_chunking) {
  const std::string expected = prefix +
                               "From: Alice <alice@alpha.test>\r\n"
                               "Subject: hello\r\n"
                               "\r\n"
                               "body line\r\n"
                               "\r\n"
                               "last line\r\n";
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    auto s = scan(good, chunk);
    ASSERT_FALSE(s.verdict.refusal) << chunk << ": " << s.verdict.reason;
    EXPECT_EQ(s.stored, expected) << chunk;
    EXPECT_EQ(s.verdict.size, good.size());
    EXPECT_EQ(s.verdict.digest, "sha256:" + crypto::sha256_hex(good));
    EXPECT_EQ(s.verdict.from_domain, "alpha.test");
  }
}

TEST(message_scanner, empty_body_is_fine) {
  auto s = scan("From: alice@alpha.test\r\n\r\n", 5);
  EXPECT_FALSE(s.verdict.refusal) << s.verdict.reason;
  EXPECT_EQ(s.stored, prefix + "From: alice@alpha.test\r\n\r\n");
}

TEST(message_scanner, from_outside_the_sender_domain_is_sender_not_owned) {
  auto s = scan(good, 10, "other.test");
  EXPECT_EQ(s.verdict.refusal, proto::errc::sender_not_owned);
  auto sub = scan("From: alice@mail.alpha.test\r\n\r\nx\r\n", 10);
  EXPECT_EQ(sub.verdict.refusal, proto::errc::sender_not_owned);  // no relaxed alignment
}

TEST(message_scanner, line_rule_violations_are_bad_request_and_still_hashed) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("From: a@alpha.test\r\n\r\nbare\nlf\r\n"),
           std::string("From: a@alpha.test\r\n\r\nbare\rcr\r\n"),
           std::string("From: a@alpha.test\r\n\r\nnul\0here\r\n", 37),
           std::string("From: a@alpha.test\r\n\r\nends in cr\r"),
           std::string("From: a@alpha.test\r\nno empty line\r\n"),
           std::string("\r\nFrom: a@alpha.test\r\n\r\n"),
           std::string("Subject: no from\r\n\r\nx\r\n"),
       }) {
    auto s = scan(bad, 3);
    EXPECT_EQ(s.verdict.refusal, proto::errc::bad_request) << bad;
    EXPECT_EQ(s.verdict.digest, "sha256:" + crypto::sha256_hex(bad));
    EXPECT_EQ(s.verdict.size, bad.size());
  }
}

TEST(message_scanner, oversized_header_section_is_refused_without_unbounded_buffering) {
  std::string big = "From: a@alpha.test\r\n";
  while (big.size() < 70000) {
    big += "X-Filler: " + std::string(80, 'f') + "\r\n";
  }
  big += "\r\nbody\r\n";
  auto s = scan(big, 4096);
  EXPECT_EQ(s.verdict.refusal, proto::errc::bad_request);
  EXPECT_TRUE(s.stored.empty());
}

}  // namespace
}  // namespace im2k::ims
