// A user's own messages in the spool: `sent` ([Q-8] ... [Q-10]), the spooled bytes that the
// quota counts ([S-8]), expiry as `sent` and `status` show it ([L-9]); the users' quotas and
// the migration that added them; `[quota] default` in the configuration.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto/password.hpp"
#include "common/store/sqlite_db.hpp"
#include "oms/config.hpp"
#include "oms/sqlite_spool.hpp"
#include "oms/users.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::oms {
namespace {

using namespace std::chrono_literals;

constexpr unix_time t0 = 1'800'000'000;
const std::string alice = "alice@alpha.test";

proto::address addr(const std::string& text) {
  return *proto::parse_address(text);
}

class SentSpool : public ::testing::Test {
 protected:
  SentSpool() { spool_ = std::make_unique<sqlite_spool>(dir_ / "state", retry_policy{60s, 3600s}); }
  ~SentSpool() override { spool_->stop(); }

  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return test::run_awaitable(io_, std::move(task));
  }

  std::string submit(const std::string& owner, unix_time when, std::vector<std::string> rcpts,
                     const std::string& body = "From: x@alpha.test\r\n\r\nhello\r\n") {
    new_message m;
    m.msg = proto::new_message_id();
    m.owner = owner;
    m.from = addr(owner);
    for (const auto& r : rcpts) {
      m.rcpt.push_back(addr(r));
      if (!m.tokens.contains(m.rcpt.back().domain)) {
        m.tokens[m.rcpt.back().domain] = proto::new_token();
      }
    }
    m.submitted = when;
    m.expires = when + 7 * 86400;
    auto file = spool_->create_body(m.msg);
    EXPECT_TRUE(file.has_value());
    EXPECT_FALSE(file->append(body));
    const std::string msg = m.msg;
    EXPECT_FALSE(run(spool_->add_message(std::move(m), std::move(*file))));
    return msg;
  }

  std::vector<sent_record> sent(const std::string& owner,
                                std::optional<std::string> before = std::nullopt,
                                std::size_t limit = 21, std::size_t max_rcpt = 100) {
    auto out = run(spool_->sent(owner, std::move(before), limit, max_rcpt));
    EXPECT_TRUE(out.has_value());
    EXPECT_TRUE(out && out->has_value());
    return out && *out ? **out : std::vector<sent_record>{};
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite_spool> spool_;
};

TEST_F(SentSpool, NewestFirstAndOnlyTheOwners) {  // [Q-8]
  const auto first = submit(alice, t0, {"bob@beta.test"});
  const auto second = submit(alice, t0 + 10, {"bob@beta.test", "carol@gamma.test"});
  submit("eve@alpha.test", t0 + 20, {"bob@beta.test"});
  auto list = sent("Alice@Alpha.Test");  // addresses compare case-insensitively
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].msg, second);
  EXPECT_EQ(list[0].submitted, t0 + 10);
  EXPECT_EQ(list[0].rcpt_count, 2u);
  ASSERT_EQ(list[0].recipients.size(), 2u);
  EXPECT_EQ(list[0].recipients[1].rcpt.to_string(), "carol@gamma.test");
  EXPECT_EQ(list[0].recipients[1].state, rcpt_state::queued);
  EXPECT_EQ(list[1].msg, first);
  EXPECT_EQ(list[1].size, std::string("From: x@alpha.test\r\n\r\nhello\r\n").size());
  EXPECT_TRUE(sent("nobody@alpha.test").empty());
}

TEST_F(SentSpool, PagesWithBeforeAndBoundsRecipients) {  // [Q-9], [Q-10]
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(submit(alice, t0 + (i / 2), {"a@beta.test", "b@beta.test", "c@beta.test"}));
  }
  // Same-second messages are ordered by msg, descending: the whole list is a strict order.
  auto all = sent(alice, std::nullopt, 10, 2);
  ASSERT_EQ(all.size(), 5u);
  for (const auto& m : all) {
    EXPECT_EQ(m.rcpt_count, 3u);
    ASSERT_EQ(m.recipients.size(), 2u);  // the first ones, in submission order
    EXPECT_EQ(m.recipients[0].rcpt.local, "a");
  }
  auto page1 = sent(alice, std::nullopt, 2);
  ASSERT_EQ(page1.size(), 2u);
  auto page2 = sent(alice, page1.back().msg, 2);
  ASSERT_EQ(page2.size(), 2u);
  auto page3 = sent(alice, page2.back().msg, 2);
  ASSERT_EQ(page3.size(), 1u);
  std::vector<std::string> paged;
  for (const auto* page : {&page1, &page2, &page3}) {
    for (const auto& m : *page) {
      paged.push_back(m.msg);
    }
  }
  std::vector<std::string> whole;
  for (const auto& m : all) {
    whole.push_back(m.msg);
  }
  EXPECT_EQ(paged, whole);
  EXPECT_TRUE(sent(alice, all.back().msg).empty());

  // A `before` that is not alice's: unknown and foreign alike.
  const auto eves = submit("eve@alpha.test", t0, {"bob@beta.test"});
  for (const std::string& before : {eves, proto::new_message_id()}) {
    auto refused = run(spool_->sent(alice, before, 20, 100));
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->has_value());
  }
}

TEST_F(SentSpool, ExpiredRecipientsShowInSentAndStatus) {  // [L-9], [Q-8]
  const auto msg = submit(alice, t0, {"bob@beta.test", "carol@gamma.test"});
  ASSERT_FALSE(run(spool_->apply_ack(msg, "beta.test", {addr("bob@beta.test")}, {}, t0 + 5)));
  const unix_time expires = t0 + 7 * 86400;
  ASSERT_EQ(run(spool_->expire(expires - 1)).value(), 0u);
  EXPECT_EQ(sent(alice)[0].recipients[1].state, rcpt_state::queued);
  ASSERT_EQ(run(spool_->expire(expires)).value(), 1u);  // the clock passes `expires`
  auto list = sent(alice);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].recipients[0].state, rcpt_state::pulled);  // final: unchanged
  EXPECT_EQ(list[0].recipients[1].state, rcpt_state::expired);
  EXPECT_EQ(list[0].recipients[1].at, expires);
  EXPECT_EQ(list[0].recipients[1].code, proto::errc::expired);
  auto status = run(spool_->status(msg, alice));
  ASSERT_TRUE(status && *status);
  EXPECT_EQ((**status)[1].state, rcpt_state::expired);
  EXPECT_EQ((**status)[1].code, proto::errc::expired);
}

TEST_F(SentSpool, SpooledBytesCountTheOwnersMessagesUntilPurged) {  // [S-8]
  EXPECT_EQ(run(spool_->spooled_bytes(alice)).value(), 0u);
  const std::string body(1000, 'x');
  const auto msg = submit(alice, t0, {"bob@beta.test"}, body);
  submit(alice, t0 + 1, {"bob@beta.test"}, body);
  submit("eve@alpha.test", t0, {"bob@beta.test"}, body);
  EXPECT_EQ(run(spool_->spooled_bytes("ALICE@alpha.test")).value(), 2000u);
  ASSERT_FALSE(run(spool_->apply_ack(msg, "beta.test", {addr("bob@beta.test")}, {}, t0 + 2)));
  EXPECT_EQ(run(spool_->spooled_bytes(alice)).value(), 2000u);  // final, but still spooled
  ASSERT_EQ(run(spool_->purge(t0 + 2)).value().size(), 1u);
  EXPECT_EQ(run(spool_->spooled_bytes(alice)).value(), 1000u);
}

const auto fast = crypto::scrypt_params{.ln = 4, .r = 8, .p = 1};

TEST(UserQuota, StoredPerUser) {  // [S-8]
  test::temp_dir dir;
  auto db = open_state_db(dir / "state");
  user_db users(db);
  ASSERT_FALSE(users.add(alice, crypto::hash_password("pw", fast)));
  ASSERT_FALSE(
      users.add("bob@alpha.test", crypto::hash_password("pw", fast), user_quota{true, 4096}));
  EXPECT_EQ(users.quota_of(alice).value(), user_quota{});  // the server's default
  EXPECT_EQ(users.quota_of("BOB@alpha.test").value(), (user_quota{true, 4096}));
  EXPECT_FALSE(users.quota_of("nobody@alpha.test").value().has_value());

  ASSERT_TRUE(users.set_quota(alice, user_quota{true, std::nullopt}).value());
  EXPECT_EQ(users.quota_of(alice).value(), (user_quota{true, std::nullopt}));
  EXPECT_FALSE(users.set_quota("nobody@alpha.test", user_quota{}).value());

  auto entries = users.entries().value();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].address, alice);
  EXPECT_EQ(entries[0].quota, (user_quota{true, std::nullopt}));
  EXPECT_EQ(entries[1].quota, (user_quota{true, 4096}));

  // The limit that applies: the user's own, else the server's default.
  EXPECT_EQ(user_quota{}.effective(100), 100u);
  EXPECT_EQ(user_quota{}.effective(std::nullopt), std::nullopt);
  EXPECT_EQ((user_quota{true, std::nullopt}.effective(100)), std::nullopt);
  EXPECT_EQ((user_quota{true, 5}.effective(100)), 5u);
}

TEST(UserQuota, ADatabaseOfTheFirstSchemaKeepsItsUsers) {  // "keep existing databases working"
  test::temp_dir dir;
  std::filesystem::create_directories(dir / "state");
  const std::string hash = crypto::hash_password("pw", fast);
  {
    store::sqlite_db old(dir / "state" / "oms.db");
    ASSERT_FALSE(store::migrate(old, spool_migrations().first(1)));
    auto q = old.prepare("INSERT INTO users(address, hash) VALUES (?1, ?2)");
    ASSERT_TRUE(q);
    ASSERT_FALSE(q->bind_text(1, alice).bind_text(2, hash).run());
  }
  auto db = open_state_db(dir / "state");
  EXPECT_EQ(store::schema_version(db).value(),
            static_cast<std::int64_t>(spool_migrations().size()));
  user_db users(db);
  EXPECT_EQ(users.hash_of(alice).value(), hash);
  EXPECT_EQ(users.quota_of(alice).value(), user_quota{});
}

TEST(QuotaConfig, DefaultIsOptional) {  // [S-8]
  const std::string base = R"(host = "oms.alpha.test"
domains = ["alpha.test"]
state_dir = "/tmp/x"
[submit]
listen = "127.0.1.1:0"
[pull]
listen = "127.0.1.1:0"
)";
  auto none = parse_config(base, "oms.toml");
  EXPECT_FALSE(none.config.quota_default.has_value());
  auto set = parse_config(base + "[quota]\ndefault = \"1GiB\"\n", "oms.toml");
  EXPECT_EQ(set.config.quota_default, std::uint64_t{1} << 30);
  auto bad = parse_config(base + "[quota]\ndefault = \"lots\"\n", "oms.toml");
  bool named = false;
  for (const auto& e : bad.errors) {
    named = named || e.find("quota.default") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace im2k::oms
