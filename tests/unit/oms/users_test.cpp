#include "oms/users.hpp"

#include <gtest/gtest.h>

#include "common/crypto/password.hpp"
#include "oms/sqlite_spool.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::oms {
namespace {

TEST(Users, AddChangeRemoveList) {
  test::temp_dir dir;
  auto db = open_state_db(dir / "state");
  user_db users(db);
  const auto fast = crypto::scrypt_params{.ln = 4, .r = 8, .p = 1};
  ASSERT_FALSE(users.add("Alice@Alpha.Test", crypto::hash_password("one", fast)));
  EXPECT_TRUE(users.add("alice@alpha.test", crypto::hash_password("two", fast)));  // exists
  auto hash = users.hash_of("ALICE@alpha.test");
  ASSERT_TRUE(hash && *hash);
  EXPECT_TRUE(check_user_password(*hash, "one"));
  EXPECT_FALSE(check_user_password(*hash, "two"));

  auto changed = users.set_hash("alice@alpha.test", crypto::hash_password("two", fast));
  ASSERT_TRUE(changed && *changed);
  EXPECT_TRUE(check_user_password(*users.hash_of("alice@alpha.test").value(), "two"));
  auto missing = users.set_hash("bob@alpha.test", "x");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  EXPECT_EQ(users.list().value(), std::vector<std::string>{"alice@alpha.test"});
  EXPECT_TRUE(users.remove("alice@alpha.test").value());
  EXPECT_FALSE(users.remove("alice@alpha.test").value());
  EXPECT_FALSE(users.hash_of("alice@alpha.test").value().has_value());
}

TEST(Users, UnknownUserNeverAuthenticates) {  // [U-3]
  EXPECT_FALSE(check_user_password(std::nullopt, "anything"));
  EXPECT_FALSE(check_user_password(std::string("not a hash"), "anything"));
}

}  // namespace
}  // namespace im2k::oms
