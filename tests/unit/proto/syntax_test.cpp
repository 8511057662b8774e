// Field syntax checks shared by every operation (SPEC.md "Field syntax").
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/syntax.hpp"
#include "tests/unit/proto/expect.hpp"

namespace im2k::proto {
namespace {

using test::fails_with;

const std::string valid_id = "abcdefghijklmnopqrstuvwxya";  // 26 characters, ends in 'a'

// [V-1]
TEST(Syntax, V1_MessageId) {
  EXPECT_TRUE(is_message_id(valid_id));
  EXPECT_TRUE(is_message_id("22222222222222222222222224"));
  for (char last : std::string("aeimquy4")) {
    EXPECT_TRUE(is_message_id(valid_id.substr(0, 25) + last)) << last;
  }
  // The last character's two low-order bits must be zero.
  for (char last : std::string("bcdfghjklnoprstvwxz235674")) {
    if (std::string("aeimquy4").find(last) != std::string::npos)
      continue;
    EXPECT_FALSE(is_message_id(valid_id.substr(0, 25) + last)) << last;
  }
  EXPECT_FALSE(is_message_id(valid_id.substr(0, 25)));        // 25 characters
  EXPECT_FALSE(is_message_id(valid_id + "a"));                // 27 characters
  EXPECT_FALSE(is_message_id("Abcdefghijklmnopqrstuvwxya"));  // upper case
  EXPECT_FALSE(is_message_id("0bcdefghijklmnopqrstuvwxya"));  // '0' is not base32
  EXPECT_FALSE(is_message_id("1bcdefghijklmnopqrstuvwxya"));
  EXPECT_FALSE(is_message_id("8bcdefghijklmnopqrstuvwxya"));
  EXPECT_FALSE(is_message_id("abcdefghijklmnopqrstuvwx=a"));  // padding
  EXPECT_FALSE(is_message_id(""));
}

// [V-1], [V-2]: generated ids and tokens are valid, and differ.
TEST(Syntax, V2_NewIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_message_id();
    const std::string token = new_token();
    EXPECT_TRUE(is_message_id(id)) << id;
    EXPECT_TRUE(is_token(token)) << token;
    seen.insert(id);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 400u);
}

// [V-1]: the encoding of known bit patterns.
TEST(Syntax, V1_Encoding) {
  const unsigned char zeros[16] = {};
  EXPECT_EQ(encode_id(zeros), std::string(26, 'a'));
  unsigned char ones[16];
  for (auto& b : ones)
    b = 0xFF;
  EXPECT_EQ(encode_id(ones), std::string(25, '7') + "4");  // 3 one bits, then 2 zero bits
  unsigned char first[16] = {0x80};
  EXPECT_EQ(encode_id(first), "q" + std::string(25, 'a'));
}

// [V-2], [P-7]: tokens are compared in constant time.
TEST(Syntax, SecretEquals) {
  EXPECT_TRUE(secret_equals(valid_id, valid_id));
  EXPECT_FALSE(secret_equals(valid_id, "abcdefghijklmnopqrstuvwxye"));
  EXPECT_FALSE(secret_equals(valid_id, valid_id.substr(1)));
}

// [V-3]
TEST(Syntax, V3_Digest) {
  const std::string hex(64, 'f');
  EXPECT_TRUE(is_digest("sha256:" + hex));
  EXPECT_TRUE(is_digest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_digest("sha256:" + std::string(64, 'F')));  // upper case
  EXPECT_FALSE(is_digest("sha256:" + std::string(63, 'f')));
  EXPECT_FALSE(is_digest("sha256:" + std::string(65, 'f')));
  EXPECT_FALSE(is_digest("sha256:" + std::string(63, 'f') + "g"));
  EXPECT_FALSE(is_digest("SHA256:" + hex));
  EXPECT_FALSE(is_digest("sha512:" + hex));
  EXPECT_FALSE(is_digest(hex));
}

// [V-5]
TEST(Syntax, V5_HostName) {
  EXPECT_TRUE(is_host_name("mx.alpha.test"));
  EXPECT_TRUE(is_host_name("a.b"));
  EXPECT_TRUE(is_host_name("MX1.Alpha-2.TEST"));
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".test"));  // label over 63
  EXPECT_FALSE(is_host_name("localhost"));                     // one label
  EXPECT_FALSE(is_host_name("alpha.test."));                   // trailing dot
  EXPECT_FALSE(is_host_name(".alpha.test"));
  EXPECT_FALSE(is_host_name("alpha..test"));
  EXPECT_FALSE(is_host_name("-alpha.test"));
  EXPECT_FALSE(is_host_name("alpha-.test"));
  EXPECT_FALSE(is_host_name("al_pha.test"));
  EXPECT_FALSE(is_host_name("alpha.test:4650"));
  EXPECT_FALSE(is_host_name("[127.0.0.1]"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("192.0.2.1"));  // all-digit last label: an address, not a name
  EXPECT_FALSE(is_host_name("mx.123"));
  EXPECT_TRUE(is_host_name("123.alpha.test"));  // digits are fine in other labels
  EXPECT_TRUE(is_host_name("mx.t3st"));
  // 253 octets in all is the limit.
  std::string exact = std::string(61, 'a') + "." + std::string(63, 'b') + "." +
                      std::string(63, 'c') + "." + std::string(63, 'd');  // 253 octets
  ASSERT_EQ(exact.size(), 253u);
  EXPECT_TRUE(is_host_name(exact));
  EXPECT_FALSE(is_host_name("a" + exact));
}

// [V-4]
TEST(Syntax, V4_Address) {
  auto a = parse_address("Alice.Smith+tag@Alpha.TEST");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local, "Alice.Smith+tag");
  EXPECT_EQ(a->domain, "alpha.test");  // domains are lower-cased, local parts kept
  EXPECT_EQ(a->to_string(), "Alice.Smith+tag@alpha.test");
  EXPECT_TRUE(parse_address("!#$%&'*+-/=?^_`{|}~@alpha.test"));
  EXPECT_TRUE(parse_address(std::string(64, 'l') + "@alpha.test"));
}

// [V-4]
TEST(Syntax, V4_BadAddresses) {
  for (const std::string& bad : std::vector<std::string>{
           "alice", "@alpha.test", "alice@", "alice@@alpha.test", "al@ice@alpha.test",
           ".alice@alpha.test", "alice.@alpha.test", "al..ice@alpha.test", "\"alice\"@alpha.test",
           "al ice@alpha.test", "alice(c)@alpha.test", "alice@localhost", "alice@alpha.test.",
           "alice@-alpha.test", "al\xC3\xA9@alpha.test", "alice@alpha_test.test",
           std::string(65, 'l') + "@alpha.test"}) {
    EXPECT_TRUE(fails_with(parse_address(bad), codec_errc::bad_address, errc::bad_address)) << bad;
  }
  // The whole address is at most 254 octets, though each part is fine.
  const std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                             std::string(63, 'c') + "." + std::string(57, 'd');
  ASSERT_TRUE(is_host_name(domain));
  EXPECT_TRUE(parse_address(std::string(4, 'l') + "@" + domain));  // 254
  EXPECT_TRUE(fails_with(parse_address(std::string(5, 'l') + "@" + domain), codec_errc::bad_address,
                         errc::bad_address));
}

// [V-4]: address literals are not addresses.
TEST(Syntax, V4_AddressLiteral) {
  for (const char* literal :
       {"user@[192.0.2.1]", "user@[IPv6:2001:db8::1]", "user@[127.0.0.1]", "user@192.0.2.1"}) {
    auto a = parse_address(literal);
    EXPECT_TRUE(fails_with(a, codec_errc::bad_address, errc::bad_address)) << literal;
  }
}

// [V-5], [V-8]: ASCII case folding for names and recipient comparison.
TEST(Syntax, CaseFolding) {
  EXPECT_EQ(to_lower("MiXeD.Test"), "mixed.test");
  EXPECT_TRUE(iequals("Alice@Alpha.test", "alice@alpha.TEST"));
  EXPECT_FALSE(iequals("alice@alpha.test", "alicf@alpha.test"));
}

}  // namespace
}  // namespace im2k::proto
