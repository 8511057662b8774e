// The store's side of the mailbox listener and of on-read pulls: list pages in id order with
// stored and held entries [M-2], ids that stay when a held entry is stored [M-5], own entries
// only [M-1], delete with the copy removed by its last entry [M-4], held pulls released by a
// read and given up at expiry [N-16].
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>

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

class mailbox_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open_database(dir_ / "state");
    for (const char* user : {"bob@beta.test", "dave@beta.test"}) {
      ASSERT_TRUE(add_user(db, user, "pw").has_value());
    }
    store_ = std::make_unique<sqlite_store>(dir_ / "state");
    ASSERT_TRUE(store_->recover(now()).has_value());
  }

  // A notification of a new message, accepted for `rcpts`.
  pull_key notify(std::vector<std::string> rcpts, bool hold, std::int64_t expires = 0,
                  std::uint64_t size = 4) {
    notification n;
    n.sender_domain = "alpha.test";
    n.msg = proto::new_message_id();
    n.rcpt_domain = "beta.test";
    n.host = "oms.alpha.test";
    n.source = "127.0.1.1";
    n.sender = "alice@alpha.test";
    n.size = size;
    n.digest = "sha256:" + std::string(64, 'a');
    n.token = proto::new_token();
    n.expires = expires != 0 ? expires : now() + 3600;
    n.received = now() - 10;
    n.hold = hold;
    std::vector<recipient_result> results;
    for (auto& r : rcpts) {
      results.push_back({std::move(r), rcpt_state::accepted, std::nullopt, {}});
    }
    EXPECT_FALSE(run_awaitable(io_, store_->record_notification(n, std::move(results))));
    return {n.sender_domain, n.msg, n.rcpt_domain};
  }

  void store_copy(const pull_key& key, const std::string& content) {
    const std::string name = proto::new_message_id();
    auto file = store::durable_file::create(store_->bodies_dir(), name);
    ASSERT_TRUE(file.has_value());
    ASSERT_FALSE(file->append(content));
    ASSERT_TRUE(run_awaitable(io_, store_->store_body(key, *file, name)).has_value());
  }

  entry_page list(const std::string& user, std::optional<std::string> after = std::nullopt,
                  std::size_t limit = 100) {
    return run_awaitable(io_, store_->list_entries(user, std::move(after), limit, now())).value();
  }

  std::optional<found_entry> find(const std::string& user, const std::string& id) {
    return run_awaitable(io_, store_->find_entry(user, id)).value();
  }

  bool erase(const std::string& user, const std::string& id) {
    return run_awaitable(io_, store_->delete_entry(user, id)).value();
  }

  std::vector<pull_job> due(std::int64_t at = now()) {
    return run_awaitable(io_, store_->due_pulls(at, 100)).value();
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite_store> store_;
};

TEST_F(mailbox_store_test, a_held_notification_is_listed_and_waits_for_a_read) {
  const auto key = notify({"bob@beta.test"}, true, 0, 1234);
  EXPECT_TRUE(due().empty());  // held: the puller leaves it alone

  auto page = list("bob@beta.test");
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_FALSE(page.more);
  const listed_entry held = page.entries[0];
  EXPECT_TRUE(held.held);
  EXPECT_TRUE(proto::is_message_id(held.id));
  EXPECT_EQ(held.sender, "alice@alpha.test");
  EXPECT_EQ(held.size, 1234u);  // the notified size while held
  EXPECT_EQ(held.received, now() - 10);
  EXPECT_TRUE(list("dave@beta.test").entries.empty());

  auto found = find("bob@beta.test", held.id);
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->stored);
  EXPECT_EQ(found->state, rcpt_state::accepted);
  EXPECT_EQ(found->key, key);

  // The read releases it; a second read has nothing more to release.
  EXPECT_EQ(run_awaitable(io_, store_->release_held("Bob@beta.test")).value(), 1u);
  EXPECT_EQ(run_awaitable(io_, store_->release_held("bob@beta.test")).value(), 0u);
  auto jobs = due();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, key);
  EXPECT_EQ(jobs[0].state, pull_state::pull);

  // Stored, the entry keeps the id it was listed with ([M-5]).
  store_copy(key, "data");
  page = list("bob@beta.test");
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_FALSE(page.entries[0].held);
  EXPECT_EQ(page.entries[0].id, held.id);
  EXPECT_EQ(page.entries[0].size, 4u);  // now the stored size
  found = find("bob@beta.test", held.id);
  ASSERT_TRUE(found && found->stored);
  EXPECT_EQ(found->stored->msg, key.msg);
}

TEST_F(mailbox_store_test, an_eager_notification_is_due_at_once_and_listed_held_until_stored) {
  const auto key = notify({"bob@beta.test"}, false);
  ASSERT_EQ(due().size(), 1u);
  auto page = list("bob@beta.test");
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_TRUE(page.entries[0].held);
  EXPECT_EQ(run_awaitable(io_, store_->release_held("bob@beta.test")).value(), 0u);
  store_copy(key, "data");
  EXPECT_FALSE(list("bob@beta.test").entries.at(0).held);
}

TEST_F(mailbox_store_test, release_of_one_pull_makes_it_due_and_returns_it) {
  const auto key = notify({"bob@beta.test"}, true);
  auto job = run_awaitable(io_, store_->release(key)).value();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->key, key);
  EXPECT_EQ(job->state, pull_state::pull);
  EXPECT_EQ(job->host, "oms.alpha.test");
  EXPECT_EQ(due().size(), 1u);
  EXPECT_FALSE(run_awaitable(io_, store_->release({"alpha.test", "zzzz", "beta.test"})).value());
}

TEST_F(mailbox_store_test, a_later_held_recipient_leaves_a_pull_in_progress_due) {
  const auto key = notify({"bob@beta.test"}, false);
  notification again;
  again.sender_domain = key.sender_domain;
  again.msg = key.msg;
  again.rcpt_domain = key.rcpt_domain;
  again.host = "oms.alpha.test";
  again.source = "127.0.1.1";
  again.sender = "alice@alpha.test";
  again.size = 4;
  again.digest = "sha256:" + std::string(64, 'a');
  again.token = proto::new_token();
  again.expires = now() + 3600;
  again.received = now();
  again.hold = true;
  ASSERT_FALSE(run_awaitable(
      io_, store_->record_notification(again, {{"dave@beta.test", rcpt_state::accepted, {}, {}}})));
  ASSERT_EQ(due().size(), 1u);  // not turned into a held pull
}

TEST_F(mailbox_store_test, pages_ascend_by_id_and_say_when_more_follow) {
  for (int i = 0; i < 5; ++i) {
    const auto key = notify({"bob@beta.test"}, i % 2 == 0);
    if (i % 2 == 1) {
      store_copy(key, "data");
    }
  }
  std::vector<std::string> seen;
  std::optional<std::string> after;
  for (int round = 0; round < 10; ++round) {
    auto page = list("bob@beta.test", after, 2);
    ASSERT_LE(page.entries.size(), 2u);
    for (const auto& e : page.entries) {
      seen.push_back(e.id);
    }
    if (!page.more) {
      break;
    }
    ASSERT_FALSE(page.entries.empty());
    after = page.entries.back().id;
  }
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 5u);
  EXPECT_FALSE(list("bob@beta.test", std::nullopt, 5).more);
  EXPECT_TRUE(list("bob@beta.test", std::nullopt, 4).more);
}

TEST_F(mailbox_store_test, another_users_id_or_an_unknown_one_names_nothing) {
  const auto key = notify({"bob@beta.test", "dave@beta.test"}, false);
  store_copy(key, "data");
  const std::string bobs = list("bob@beta.test").entries.at(0).id;
  notify({"bob@beta.test"}, true);
  std::string bobs_held;
  for (const auto& e : list("bob@beta.test").entries) {
    if (e.held) {
      bobs_held = e.id;
    }
  }
  ASSERT_FALSE(bobs_held.empty());
  EXPECT_TRUE(find("bob@beta.test", bobs));
  EXPECT_FALSE(find("dave@beta.test", bobs));
  EXPECT_FALSE(find("dave@beta.test", bobs_held));
  EXPECT_FALSE(find("bob@beta.test", proto::new_message_id()));
  EXPECT_FALSE(erase("dave@beta.test", bobs));
  EXPECT_FALSE(erase("dave@beta.test", bobs_held));
  EXPECT_TRUE(find("bob@beta.test", bobs));
}

TEST_F(mailbox_store_test, delete_removes_the_entry_and_the_copy_with_its_last_entry) {
  const auto key = notify({"bob@beta.test", "dave@beta.test"}, false);
  store_copy(key, "data");
  EXPECT_EQ(files_in(store_->bodies_dir()), 1u);
  const std::string bobs = list("bob@beta.test").entries.at(0).id;
  const std::string daves = list("dave@beta.test").entries.at(0).id;

  EXPECT_TRUE(erase("bob@beta.test", bobs));
  EXPECT_FALSE(erase("bob@beta.test", bobs));  // a second delete finds nothing
  EXPECT_FALSE(find("bob@beta.test", bobs));
  EXPECT_TRUE(list("bob@beta.test").entries.empty());
  EXPECT_EQ(files_in(store_->bodies_dir()), 1u);  // dave's entry still refers to it

  EXPECT_TRUE(erase("dave@beta.test", daves));
  EXPECT_EQ(files_in(store_->bodies_dir()), 0u);

  // Deleted for good: a reopened store finds nothing either.
  store_ = std::make_unique<sqlite_store>(dir_ / "state");
  ASSERT_TRUE(store_->recover(now()).has_value());
  EXPECT_FALSE(find("dave@beta.test", daves));
}

TEST_F(mailbox_store_test, deleting_a_held_entry_drops_it_and_its_pull) {
  const auto key = notify({"bob@beta.test"}, true);
  const std::string id = list("bob@beta.test").entries.at(0).id;
  EXPECT_TRUE(erase("bob@beta.test", id));
  EXPECT_FALSE(erase("bob@beta.test", id));
  EXPECT_TRUE(list("bob@beta.test").entries.empty());
  EXPECT_EQ(run_awaitable(io_, store_->release_held("bob@beta.test")).value(), 0u);
  auto job = run_awaitable(io_, store_->release(key)).value();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, pull_state::dropped);
  auto found = find("bob@beta.test", id);
  ASSERT_TRUE(found);  // known, but ended: the mailbox handler answers not-found
  EXPECT_EQ(found->state, rcpt_state::dropped);
}

TEST_F(mailbox_store_test, deleting_one_held_recipient_keeps_the_pull_for_the_other) {
  const auto key = notify({"bob@beta.test", "dave@beta.test"}, true);
  EXPECT_TRUE(erase("bob@beta.test", list("bob@beta.test").entries.at(0).id));
  EXPECT_EQ(list("dave@beta.test").entries.size(), 1u);
  EXPECT_EQ(run_awaitable(io_, store_->release_held("dave@beta.test")).value(), 1u);
  store_copy(key, "data");
  EXPECT_TRUE(list("bob@beta.test").entries.empty());
  EXPECT_EQ(list("dave@beta.test").entries.size(), 1u);
}

TEST_F(mailbox_store_test, an_expired_held_notification_is_not_listed_and_becomes_due) {
  const auto key = notify({"bob@beta.test"}, true, now() + 100);
  EXPECT_TRUE(due().empty());
  const auto later = now() + 200;
  auto jobs = due(later);  // due to be given up by the puller
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, key);
  EXPECT_EQ(jobs[0].state, pull_state::held);
  auto page = run_awaitable(io_, store_->list_entries("bob@beta.test", std::nullopt, 100, later));
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->entries.empty());
  auto next = run_awaitable(io_, store_->next_due()).value();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, now() + 100);
}

}  // namespace
}  // namespace im2k::ims
