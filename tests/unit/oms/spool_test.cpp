#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/crypto/sha256.hpp"
#include "oms/sqlite_spool.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::oms {
namespace {

using namespace std::chrono_literals;

proto::address addr(const std::string& text) {
  return *proto::parse_address(text);
}

constexpr unix_time t0 = 1'800'000'000;
const std::string body_text = "From: alice@alpha.test\r\n\r\nhello\r\n";

class Spool : public ::testing::Test {
 protected:
  Spool() { open(); }
  ~Spool() override { close(); }

  void open() { spool_ = std::make_unique<sqlite_spool>(dir_ / "state", retry_policy{60s, 3600s}); }
  void close() {
    if (spool_) {
      spool_->stop();
      spool_.reset();
    }
  }

  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return test::run_awaitable(io_, std::move(task));
  }

  // alice sends to two users of beta.test and one of gamma.test.
  std::string submit(std::vector<std::string> rcpts = {"bob@beta.test", "carol@beta.test",
                                                       "dave@gamma.test"}) {
    new_message m;
    m.msg = proto::new_message_id();
    m.owner = "alice@alpha.test";
    m.from = addr("alice@alpha.test");
    for (const auto& r : rcpts) {
      m.rcpt.push_back(addr(r));
      if (!m.tokens.contains(m.rcpt.back().domain)) {
        m.tokens[m.rcpt.back().domain] = proto::new_token();
      }
    }
    m.submitted = t0;
    m.expires = t0 + 7 * 86400;
    auto body = spool_->create_body(m.msg);
    EXPECT_TRUE(body.has_value());
    EXPECT_FALSE(body->append(body_text));
    const std::string msg = m.msg;
    EXPECT_FALSE(run(spool_->add_message(std::move(m), std::move(*body))));
    return msg;
  }

  std::vector<recipient_record> status(const std::string& msg) {
    auto s = run(spool_->status(msg, "alice@alpha.test"));
    EXPECT_TRUE(s.has_value());
    EXPECT_TRUE(s->has_value());
    return s && *s ? **s : std::vector<recipient_record>{};
  }

  void notify(const std::string& msg, const std::string& domain, const std::string& rcpt,
              rcpt_event event, unix_time now, std::optional<proto::errc> code = std::nullopt) {
    std::vector<notify_outcome> outcomes{{addr(rcpt), event, code, code ? "why" : ""}};
    ASSERT_FALSE(run(spool_->record_notify(msg, domain, outcomes, now)));
  }

  test::temp_dir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite_spool> spool_;
};

TEST_F(Spool, SubmitStoresOnceWithQueuedRecipientsAndOneTokenPerDomain) {  // [S-9], [N-15]
  const auto msg = submit();
  auto st = status(msg);
  ASSERT_EQ(st.size(), 3u);
  for (const auto& r : st) {
    EXPECT_EQ(r.state, rcpt_state::queued);
    EXPECT_EQ(r.at, t0);
    EXPECT_EQ(r.next_attempt, t0);
  }
  EXPECT_EQ(st[0].rcpt.to_string(), "bob@beta.test");
  EXPECT_EQ(st[2].rcpt.to_string(), "dave@gamma.test");

  std::ifstream in(spool_->body_path(msg), std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(stored, body_text);

  auto jobs = run(spool_->due_jobs(t0, 10));
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 2u);  // one per recipient domain
  std::set<std::string> tokens;
  for (const auto& j : *jobs) {
    EXPECT_EQ(j.msg, msg);
    EXPECT_EQ(j.size, body_text.size());
    EXPECT_EQ(j.digest, "sha256:" + crypto::sha256_hex(body_text));
    EXPECT_TRUE(proto::is_token(j.token));
    tokens.insert(j.token);
    EXPECT_EQ(j.rcpt.size(), j.domain == "beta.test" ? 2u : 1u);
  }
  EXPECT_EQ(tokens.size(), 2u);
  auto beta = run(spool_->find_pull(msg, "beta.test"));
  ASSERT_TRUE(beta && *beta);
  auto gamma = run(spool_->find_pull(msg, "gamma.test"));
  ASSERT_TRUE(gamma && *gamma);
  EXPECT_NE((*beta)->token, (*gamma)->token);
  auto none = run(spool_->find_pull(msg, "delta.test"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(Spool, StatusIsOnlyForTheOwner) {
  const auto msg = submit();
  auto other = run(spool_->status(msg, "eve@alpha.test"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
  auto unknown = run(spool_->status(proto::new_message_id(), "alice@alpha.test"));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
  auto upper = run(spool_->status(msg, "Alice@Alpha.Test"));
  ASSERT_TRUE(upper);
  EXPECT_TRUE(upper->has_value());
}

TEST_F(Spool, DeferredBacksOffWithJitter) {  // [L-8]
  const auto msg = submit();
  notify(msg, "gamma.test", "dave@gamma.test", rcpt_event::notify_deferred, t0,
         proto::errc::internal);
  auto st = status(msg);
  EXPECT_EQ(st[2].state, rcpt_state::deferred);
  EXPECT_EQ(st[2].attempts, 1);
  EXPECT_EQ(st[2].code, proto::errc::internal);
  ASSERT_TRUE(st[2].next_attempt);
  EXPECT_GE(*st[2].next_attempt, t0 + 48);
  EXPECT_LE(*st[2].next_attempt, t0 + 72);

  auto jobs = run(spool_->due_jobs(t0, 10));
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->front().domain, "beta.test");
  auto later = run(spool_->due_jobs(*st[2].next_attempt, 10));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->size(), 2u);

  const unix_time second = *st[2].next_attempt;
  notify(msg, "gamma.test", "dave@gamma.test", rcpt_event::notify_deferred, second,
         proto::errc::dns_temporary);
  st = status(msg);
  EXPECT_EQ(st[2].attempts, 2);
  EXPECT_GE(*st[2].next_attempt, second + 96);
  EXPECT_LE(*st[2].next_attempt, second + 144);

  auto wake = run(spool_->next_wakeup());
  ASSERT_TRUE(wake && *wake);
  EXPECT_EQ(**wake, t0);  // beta.test is still due at t0
}

TEST_F(Spool, NotifyOutcomesFollowTheLifecycle) {  // [L-2], [L-4]
  const auto msg = submit();
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_accepted, t0 + 1);
  notify(msg, "beta.test", "carol@beta.test", rcpt_event::notify_rejected, t0 + 1,
         proto::errc::unknown_recipient);
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_deferred, t0 + 2,
         proto::errc::internal);  // refused: notified never goes back
  notify(msg, "gamma.test", "bob@beta.test", rcpt_event::notify_rejected, t0 + 2,
         proto::errc::policy);  // wrong domain: ignored
  auto st = status(msg);
  EXPECT_EQ(st[0].state, rcpt_state::notified);
  EXPECT_EQ(st[0].at, t0 + 1);
  EXPECT_FALSE(st[0].next_attempt);
  EXPECT_EQ(st[1].state, rcpt_state::rejected);
  EXPECT_EQ(st[1].code, proto::errc::unknown_recipient);
  EXPECT_EQ(st[1].message, "why");
  EXPECT_EQ(st[2].state, rcpt_state::queued);
}

TEST_F(Spool, RecordedMessagesAreBounded) {  // [V-7], so that status fits its frame
  const auto msg = submit();
  std::vector<notify_outcome> outcomes{{addr("bob@beta.test"), rcpt_event::notify_rejected,
                                        proto::errc::policy, std::string(3000, 'x')}};
  ASSERT_FALSE(run(spool_->record_notify(msg, "beta.test", outcomes, t0 + 1)));
  auto st = status(msg);
  ASSERT_TRUE(st[0].message);
  EXPECT_EQ(st[0].message->size(), 1024u);
}

TEST_F(Spool, AckMovesNonFinalRecipientsAndIgnoresTheRest) {
  const auto msg = submit();
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_accepted, t0 + 1);
  ASSERT_FALSE(run(
      spool_->apply_ack(msg, "beta.test", {addr("BOB@beta.test"), addr("x@beta.test")},
                        {{addr("carol@beta.test"), proto::errc::quota_exceeded, "full"}}, t0 + 5)));
  // Repeated and contradicting ack: nothing changes.
  ASSERT_FALSE(run(spool_->apply_ack(msg, "beta.test", {addr("carol@beta.test")}, {}, t0 + 6)));
  // An ack for another domain's recipient is ignored.
  ASSERT_FALSE(run(spool_->apply_ack(msg, "beta.test", {addr("dave@gamma.test")}, {}, t0 + 6)));
  ASSERT_FALSE(run(spool_->apply_ack(proto::new_message_id(), "beta.test", {}, {}, t0 + 6)));
  auto st = status(msg);
  EXPECT_EQ(st[0].state, rcpt_state::pulled);
  EXPECT_EQ(st[0].at, t0 + 5);
  EXPECT_EQ(st[1].state, rcpt_state::rejected);
  EXPECT_EQ(st[1].code, proto::errc::quota_exceeded);
  EXPECT_EQ(st[1].message, "full");
  EXPECT_EQ(st[2].state, rcpt_state::queued);
}

TEST_F(Spool, RecallStopsAtAServedPull) {
  const auto msg = submit();
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_accepted, t0 + 1);
  notify(msg, "gamma.test", "dave@gamma.test", rcpt_event::notify_accepted, t0 + 1);
  ASSERT_FALSE(run(spool_->mark_pull_served(msg, "gamma.test")));
  auto foreign = run(spool_->recall(msg, "eve@alpha.test", t0 + 2));
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->has_value());
  auto recalled = run(spool_->recall(msg, "alice@alpha.test", t0 + 2));
  ASSERT_TRUE(recalled && *recalled);
  ASSERT_EQ((*recalled)->size(), 2u);
  EXPECT_EQ((**recalled)[0].to_string(), "bob@beta.test");
  EXPECT_EQ((**recalled)[1].to_string(), "carol@beta.test");
  auto st = status(msg);
  EXPECT_EQ(st[2].state, rcpt_state::notified);
  auto beta = run(spool_->find_pull(msg, "beta.test"));
  EXPECT_EQ(decide_pull((*beta)->states, false), pull_decision::recalled);
  auto again = run(spool_->recall(msg, "alice@alpha.test", t0 + 3));
  EXPECT_TRUE((*again)->empty());
}

TEST_F(Spool, ExpireThenPurgeRemovesRecordAndBody) {  // [L-9], retention
  const auto msg = submit();
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_accepted, t0 + 1);
  ASSERT_FALSE(run(spool_->apply_ack(msg, "beta.test", {addr("bob@beta.test")}, {}, t0 + 2)));
  const unix_time expires = t0 + 7 * 86400;
  auto none = run(spool_->expire(expires - 1));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
  auto jobs = run(spool_->due_jobs(expires, 10));
  EXPECT_TRUE(jobs->empty());  // nothing is notified after expires
  auto count = run(spool_->expire(expires));
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 2u);
  auto st = status(msg);
  EXPECT_EQ(st[0].state, rcpt_state::pulled);
  EXPECT_EQ(st[1].state, rcpt_state::expired);
  EXPECT_EQ(st[1].code, proto::errc::expired);
  EXPECT_FALSE(run(spool_->next_wakeup())->has_value());

  auto early = run(spool_->purge(expires - 1));
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty());
  auto removed = run(spool_->purge(expires));
  ASSERT_TRUE(removed);
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(spool_->body_path(msg)));
  EXPECT_FALSE(run(spool_->status(msg, "alice@alpha.test"))->has_value());
  EXPECT_FALSE(run(spool_->find_pull(msg, "beta.test"))->has_value());
}

TEST_F(Spool, StatePersistsAcrossReopen) {  // [K-6]
  const auto msg = submit();
  notify(msg, "gamma.test", "dave@gamma.test", rcpt_event::notify_deferred, t0,
         proto::errc::internal);
  notify(msg, "beta.test", "bob@beta.test", rcpt_event::notify_accepted, t0);
  ASSERT_FALSE(run(spool_->mark_pull_served(msg, "beta.test")));
  const auto before = status(msg);
  close();
  open();
  const auto after = status(msg);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].next_attempt, before[i].next_attempt);
    EXPECT_EQ(after[i].attempts, before[i].attempts);
  }
  auto report = run(spool_->recover());
  ASSERT_TRUE(report);
  EXPECT_EQ(report->pending_recipients, 3u);
  EXPECT_TRUE(report->missing_bodies.empty());
  // The served mark survived: bob's recall is refused.
  auto recalled = run(spool_->recall(msg, "alice@alpha.test", t0 + 1));
  ASSERT_EQ((*recalled)->size(), 2u);
}

TEST_F(Spool, RecoveryRemovesTempAndOrphanFilesAndReportsMissingBodies) {  // [K-6]
  const auto kept = submit();
  const auto lost = submit();
  close();
  std::ofstream(dir_ / "state" / "bodies" / "tmp" / "half.tmp") << "partial";
  std::ofstream(dir_ / "state" / "bodies" / "orphan") << "no record";
  std::filesystem::remove(dir_ / "state" / "bodies" / lost);
  open();
  auto report = run(spool_->recover());
  ASSERT_TRUE(report);
  EXPECT_EQ(report->stale_temp_files, 1u);
  EXPECT_EQ(report->orphan_bodies, 1u);
  EXPECT_EQ(report->missing_bodies, std::vector<std::string>{lost});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / "bodies" / "orphan"));
  EXPECT_TRUE(std::filesystem::exists(spool_->body_path(kept)));
}

TEST_F(Spool, ManySubmissionsAreGroupedIntoFewCommits) {  // [K-4]
  boost::asio::io_context& io = io_;
  int done = 0;
  for (int i = 0; i < 50; ++i) {
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          new_message m;
          m.msg = proto::new_message_id();
          m.owner = "alice@alpha.test";
          m.from = addr("alice@alpha.test");
          m.rcpt = {addr("bob@beta.test")};
          m.tokens["beta.test"] = proto::new_token();
          m.submitted = t0;
          m.expires = t0 + 100;
          auto body = spool_->create_body(m.msg);
          (void)body->append(body_text);
          auto ec = co_await spool_->add_message(std::move(m), std::move(*body));
          EXPECT_FALSE(ec);
          ++done;
        },
        boost::asio::detached);
  }
  io.restart();
  while (done < 50 && io.run_one_for(30s)) {
  }
  ASSERT_EQ(done, 50);
  EXPECT_LT(spool_->commit_stats().batches, 50u);
}

}  // namespace
}  // namespace im2k::oms
