#include <string>

#include <gtest/gtest.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/compare.hpp"
#include "common/crypto/password.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace im2k::crypto {
namespace {

// Low cost so that the suite stays fast; the default parameters get one round trip below.
constexpr scrypt_params cheap{.ln = 10, .r = 8, .p = 1};

TEST(ConstantTimeEqual, EqualInputs) {
  EXPECT_TRUE(constant_time_equal("token-123", "token-123"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
}

TEST(ConstantTimeEqual, UnequalInputs) {
  EXPECT_FALSE(constant_time_equal("token-123", "token-124"));
  EXPECT_FALSE(constant_time_equal("xoken-123", "token-123"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(ConstantTimeEqual, DifferentLengths) {
  EXPECT_FALSE(constant_time_equal("token", "token-123"));
  EXPECT_FALSE(constant_time_equal("token-123", "token"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal("x", ""));
}

TEST(RandomBytes, SizeAndVariety) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  auto a = random_bytes(16);
  auto b = random_bytes(16);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);  // a 2^-128 chance of a false failure
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  sha256 hash;
  hash.update("a");
  hash.update("");
  hash.update("bc");
  EXPECT_EQ(to_hex(hash.finish()), sha256_hex("abc"));
}

TEST(Base64, RoundTripAllLengths) {
  std::string data = random_bytes(40);
  for (std::size_t n = 0; n <= data.size(); ++n) {
    auto text = base64_encode(data.substr(0, n));
    EXPECT_EQ(text.find('='), std::string::npos);
    auto back = base64_decode(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, data.substr(0, n));
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8");
}

TEST(Base64, RefusesGarbage) {
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Zm9vY"));  // length 1 mod 4
  EXPECT_FALSE(base64_decode("Zm9="));   // padding is not part of the format
  EXPECT_FALSE(base64_decode("ZmB"));    // non-zero leftover bits
}

TEST(Base64, PaddedFormAsSaslUsesIt) {
  std::string data = random_bytes(40);
  for (std::size_t n = 0; n <= data.size(); ++n) {
    auto text = base64_encode_padded(data.substr(0, n));
    EXPECT_EQ(text.size() % 4, 0u) << n;
    auto back = base64_decode_padded(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, data.substr(0, n));
  }
  EXPECT_EQ(base64_encode_padded("fo"), "Zm8=");
  EXPECT_EQ(base64_encode_padded("f"), "Zg==");
  EXPECT_EQ(base64_decode_padded("AGFsaWNlAHNlY3JldA=="), std::string("\0alice\0secret", 13));
  EXPECT_FALSE(base64_decode_padded("Zm8"));   // unpadded: the length is not a multiple of 4
  EXPECT_FALSE(base64_decode_padded("Z==="));  // three pads
  EXPECT_FALSE(base64_decode_padded("Zm=8"));  // a pad inside
  EXPECT_FALSE(base64_decode_padded("===="));
}

TEST(Password, RoundTrip) {
  auto stored = hash_password("correct horse", cheap);
  EXPECT_TRUE(stored.starts_with("$scrypt$ln=10,r=8,p=1$")) << stored;
  EXPECT_EQ(check_password("correct horse", stored), password_check::match);
  EXPECT_TRUE(verify_password("correct horse", stored));
}

TEST(Password, DefaultParametersRoundTrip) {
  auto stored = hash_password("pw");
  EXPECT_TRUE(stored.starts_with("$scrypt$ln=15,r=8,p=1$")) << stored;
  EXPECT_TRUE(verify_password("pw", stored));
  EXPECT_FALSE(verify_password("pW", stored));
}

TEST(Password, WrongPassword) {
  auto stored = hash_password("correct horse", cheap);
  EXPECT_EQ(check_password("correct horsE", stored), password_check::mismatch);
  EXPECT_EQ(check_password("", stored), password_check::mismatch);
  EXPECT_FALSE(verify_password("correct horse ", stored));
}

TEST(Password, SaltMakesHashesDiffer) {
  EXPECT_NE(hash_password("same", cheap), hash_password("same", cheap));
}

TEST(Password, TamperedHashIsMismatch) {
  auto stored = hash_password("pw", cheap);
  auto last = stored.rfind('$');
  std::string tampered = stored;
  tampered[last + 1] = tampered[last + 1] == 'A' ? 'B' : 'A';
  EXPECT_EQ(check_password("pw", tampered), password_check::mismatch);
}

TEST(Password, ChangedParametersAreMismatch) {
  auto stored = hash_password("pw", cheap);
  std::string changed = stored;
  changed.replace(changed.find("ln=10"), 5, "ln=11");
  EXPECT_EQ(check_password("pw", changed), password_check::mismatch);
}

TEST(Password, ParametersAreReadBack) {
  scrypt_params other{.ln = 9, .r = 4, .p = 2};
  auto stored = hash_password("pw", other);
  EXPECT_TRUE(stored.starts_with("$scrypt$ln=9,r=4,p=2$")) << stored;
  EXPECT_TRUE(verify_password("pw", stored));
}

TEST(Password, MalformedIsDistinguishable) {
  auto stored = hash_password("pw", cheap);
  auto salt_start = stored.find('$', 8) + 1;
  std::string bad_b64 = stored;
  bad_b64[salt_start] = '*';
  for (const std::string& bad :
       {std::string(""), std::string("plaintext"), std::string("$bcrypt$x$y$z"),
        std::string(
            "$scrypt$ln=10,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        std::string("$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        stored + "$extra", stored.substr(0, stored.rfind('$')), bad_b64}) {
    EXPECT_EQ(check_password("pw", bad), password_check::malformed) << bad;
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
}

TEST(Password, RefusesUnsafeParameters) {
  EXPECT_THROW(hash_password("pw", {.ln = 30, .r = 8, .p = 1}), std::invalid_argument);
  EXPECT_THROW(hash_password("pw", {.ln = 0, .r = 8, .p = 1}), std::invalid_argument);
}

}  // namespace
}  // namespace im2k::crypto
