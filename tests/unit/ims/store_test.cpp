// The SQLite store: results keyed on (S, msg, rcpt), one pull per (S, msg, R), one stored copy
// shared by the recipients, idempotence [N-12], persistence across reopen, recovery [K-6].
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "ims/schema.hpp"
#include "ims/sqlite_store.hpp"
#include "ims/users.hpp"
#include "proto/syntax.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using test::run_awaitable;

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.is_regular_file() ? 1 : 0;
  }
  return n;
}

class store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open_database(state_dir());
    for (const char* user : {"bob@beta.test", "dave@beta.test"}) {
      ASSERT_TRUE(add_user(db, user, "pw").has_value());
    }
    open();
  }

  std::filesystem::path state_dir() const { return dir_ / "state"; }

  void open() {
    store_.reset();
    store_ = std::make_unique<sqlite_store>(state_dir());
    auto recovered = store_->recover(now());
    ASSERT_TRUE(recovered.has_value());
  }

  notification values(std::string token = proto::new_token()) {
    notification n;
    n.sender_domain = "alpha.test";
    n.msg = msg_;
    n.rcpt_domain = "beta.test";
    n.host = "oms.alpha.test";
    n.source = "127.0.1.1";
    n.sender = "alice@alpha.test";
    n.size = 4;
    n.digest = "sha256:" + std::string(64, 'a');
    n.token = std::move(token);
    n.expires = now() + 3600;
    n.received = now();
    return n;
  }

  static recipient_result accepted(std::string rcpt) {
    return {std::move(rcpt), rcpt_state::accepted, std::nullopt, {}};
  }

  boost::system::error_code record(notification n, std::vector<recipient_result> results) {
    return run_awaitable(io_, store_->record_notification(std::move(n), std::move(results)));
  }

  std::optional<recipient_result> find(std::string rcpt) {
    return run_awaitable(io_, store_->find_result("alpha.test", msg_, std::move(rcpt))).value();
  }

  std::vector<pull_job> due() { return run_awaitable(io_, store_->due_pulls(now(), 100)).value(); }

  pull_key key() const { return {"alpha.test", msg_, "beta.test"}; }

  boost::system::result<delivery> store_copy(std::string content) {
    const std::string name = proto::new_message_id();
    auto file = store::durable_file::create(store_->bodies_dir(), name);
    EXPECT_TRUE(file.has_value());
    EXPECT_FALSE(file->append(content));
    return run_awaitable(io_, store_->store_body(key(), *file, name));
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite_store> store_;
  std::string msg_ = proto::new_message_id();
};

TEST_F(store_test, records_results_and_makes_one_pull_due) {
  ASSERT_FALSE(record(values(), {accepted("Bob@beta.test"),
                                 accepted("dave@beta.test"),
                                 {"carol@beta.test", rcpt_state::rejected,
                                  proto::errc::unknown_recipient, "no such user"}}));
  auto bob = find("bob@BETA.test");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->state, rcpt_state::accepted);
  EXPECT_EQ(bob->rcpt, "Bob@beta.test");  // as notified, for the ack
  auto carol = find("carol@beta.test");
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->state, rcpt_state::rejected);
  EXPECT_EQ(carol->code, proto::errc::unknown_recipient);
  EXPECT_FALSE(find("erin@beta.test"));

  auto jobs = due();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, key());
  EXPECT_EQ(jobs[0].host, "oms.alpha.test");
  EXPECT_EQ(jobs[0].state, pull_state::pull);
}

TEST_F(store_test, a_repeated_notification_changes_nothing) {
  const auto first = values("aaaaaaaaaaaaaaaaaaaaaaaaaa");
  ASSERT_FALSE(record(first, {accepted("bob@beta.test")}));
  auto second = values("bbbbbbbbbbbbbbbbbbbbbbbbba");
  second.size = 999;
  ASSERT_FALSE(record(second, {accepted("bob@beta.test")}));
  auto jobs = due();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].token, first.token);  // the first acceptance's values stand
  EXPECT_EQ(jobs[0].size, first.size);

  ASSERT_TRUE(store_copy("data").has_value());
  ASSERT_FALSE(run_awaitable(io_, store_->mark_acked(key(), {"bob@beta.test"})));
  EXPECT_TRUE(due().empty());
  ASSERT_FALSE(record(first, {accepted("bob@beta.test")}));
  EXPECT_TRUE(due().empty());  // no second pull
  EXPECT_EQ(find("bob@beta.test")->state, rcpt_state::acked);
}

TEST_F(store_test, one_copy_is_shared_by_the_recipients_and_never_stored_twice) {
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test"), accepted("dave@beta.test")}));
  auto first = store_copy("data");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->stored, 2u);
  EXPECT_EQ(files_in(store_->bodies_dir()), 1u);
  auto bob = run_awaitable(io_, store_->mailbox("bob@beta.test")).value();
  auto dave = run_awaitable(io_, store_->mailbox("dave@beta.test")).value();
  ASSERT_EQ(bob.size(), 1u);
  ASSERT_EQ(dave.size(), 1u);
  EXPECT_EQ(bob[0].body, dave[0].body);
  EXPECT_NE(bob[0].id, dave[0].id);
  EXPECT_TRUE(proto::is_message_id(bob[0].id));
  EXPECT_EQ(bob[0].msg, msg_);
  EXPECT_EQ(bob[0].size, 4u);

  // The pull repeated after a crash: stores nothing, leaves no file ([A-6]).
  auto again = store_copy("data");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(files_in(store_->bodies_dir()), 1u);
  EXPECT_EQ(run_awaitable(io_, store_->mailbox("bob@beta.test")).value().size(), 1u);

  auto jobs = due();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].state, pull_state::ack);
}

TEST_F(store_test, a_user_removed_before_the_pull_is_refused_and_nothing_is_kept) {
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test")}));
  {
    auto db = open_database(state_dir());
    ASSERT_EQ(remove_user(db, "bob@beta.test").value(), user_change::done);
  }
  auto outcome = store_copy("data");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->stored, 0u);
  EXPECT_EQ(outcome->refused, 1u);
  EXPECT_EQ(files_in(store_->bodies_dir()), 0u);
  auto bob = find("bob@beta.test");
  EXPECT_EQ(bob->state, rcpt_state::refused);
  EXPECT_EQ(bob->code, proto::errc::unknown_recipient);
}

TEST_F(store_test, refusals_and_drops) {
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test")}));
  ASSERT_FALSE(
      run_awaitable(io_, store_->refuse_all(key(), proto::errc::digest_mismatch, "mismatch")));
  EXPECT_EQ(find("bob@beta.test")->state, rcpt_state::refused);
  EXPECT_EQ(find("bob@beta.test")->code, proto::errc::digest_mismatch);
  EXPECT_EQ(due().at(0).state, pull_state::ack);  // the refusal is acked

  msg_ = proto::new_message_id();
  ASSERT_FALSE(record(values(), {accepted("dave@beta.test")}));
  ASSERT_FALSE(run_awaitable(io_, store_->drop(key(), "recalled")));
  EXPECT_EQ(find("dave@beta.test")->state, rcpt_state::dropped);
  for (const auto& job : due()) {
    EXPECT_NE(job.key, key());  // a dropped pull is never tried again
  }
}

TEST_F(store_test, results_survive_reopening) {
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test")}));
  ASSERT_FALSE(run_awaitable(io_, store_->retry_later(key(), now() + 10000, "internal: down")));
  EXPECT_TRUE(due().empty());
  open();  // a restart: recovery makes the pull due at once
  EXPECT_EQ(find("bob@beta.test")->state, rcpt_state::accepted);
  auto jobs = due();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempts, 1);
}

TEST_F(store_test, recovery_removes_temporary_and_unreferenced_files) {
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test")}));
  ASSERT_TRUE(store_copy("kept").has_value());
  std::ofstream(store_->bodies_dir() / "tmp" / "stale.tmp") << "half";
  std::ofstream(store_->bodies_dir() / "orphan") << "no record";
  store_.reset();
  store_ = std::make_unique<sqlite_store>(state_dir());
  auto report = store_->recover(now());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->temp_files_removed, 1u);
  EXPECT_EQ(report->orphan_bodies_removed, 1u);
  EXPECT_EQ(report->missing_bodies, 0u);
  EXPECT_EQ(report->pulls_resumed, 1u);  // the ack of the stored copy
  EXPECT_EQ(files_in(store_->bodies_dir()), 1u);
  EXPECT_EQ(run_awaitable(io_, store_->mailbox("bob@beta.test")).value().size(), 1u);
}

TEST_F(store_test, the_state_is_readable_by_the_server_only) {
  using std::filesystem::perms;
  const auto mode = [](const std::filesystem::path& p) {
    return std::filesystem::status(p).permissions() & perms::all;
  };
  EXPECT_EQ(mode(state_dir()), perms::owner_all);
  EXPECT_EQ(mode(database_path(state_dir())), perms::owner_read | perms::owner_write);
  EXPECT_EQ(mode(store_->bodies_dir()), perms::owner_all);
  ASSERT_FALSE(record(values(), {accepted("bob@beta.test")}));
  ASSERT_TRUE(store_copy("data").has_value());
  for (const auto& e : std::filesystem::directory_iterator(store_->bodies_dir())) {
    if (e.is_regular_file()) {
      EXPECT_EQ(mode(e.path()), perms::owner_read | perms::owner_write);
    }
  }
}

}  // namespace
}  // namespace im2k::ims
