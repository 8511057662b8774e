#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "common/store/commit_queue.hpp"
#include "tests/unit/store/scratch_dir.hpp"

namespace im2k::store {
namespace {

using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto bound = 60s;  // an upper bound on every wait, never a timing assertion

class CommitQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = scratch_.path() / "spool.db";
    sqlite_db db(path_);
    ASSERT_FALSE(db.exec("CREATE TABLE rows(k TEXT PRIMARY KEY)"));
    ASSERT_FALSE(db.exec("INSERT INTO rows VALUES ('taken')"));
  }

  commit_queue::work insert(std::string key) {
    return [key](sqlite_db& db) -> error_code {
      auto stmt = db.prepare("INSERT INTO rows VALUES (?1)");
      if (!stmt)
        return stmt.error();
      return stmt->bind_text(1, key).run();
    };
  }

  // Inserts a row of its own, then collides with 'taken': the savepoint must undo both.
  commit_queue::work insert_then_fail(std::string key) {
    auto first = insert(std::move(key));
    auto second = insert("taken");
    return [first, second](sqlite_db& db) -> error_code {
      if (auto ec = first(db))
        return ec;
      return second(db);
    };
  }

  static bool has_row(sqlite_db& reader, const std::string& key) {
    auto stmt = reader.prepare("SELECT 1 FROM rows WHERE k = ?1");
    EXPECT_TRUE(stmt);
    auto row = stmt->bind_text(1, key).step();
    EXPECT_TRUE(row);
    return row && *row;
  }

  // Submits an item that blocks the writer until `release` says so; returns once the writer
  // is inside it, so that everything submitted afterwards lands in the next batch.
  void block_writer(commit_queue& queue, boost::asio::io_context& io,
                    std::function<bool()> release) {
    auto started = std::make_shared<std::promise<void>>();
    auto started_future = started->get_future();
    queue.async_submit(
        [started, release](sqlite_db&) -> error_code {
          started->set_value();
          auto deadline = std::chrono::steady_clock::now() + bound;
          while (!release() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
          }
          return {};
        },
        boost::asio::bind_executor(io, [](error_code ec) { EXPECT_FALSE(ec); }));
    ASSERT_EQ(started_future.wait_for(bound), std::future_status::ready);
  }

  test_store::scratch_dir scratch_;
  std::filesystem::path path_;
};

TEST_F(CommitQueueTest, EveryCoroutineResumesAfterItsRowIsCommitted) {
  boost::asio::io_context io;
  commit_queue queue{sqlite_db(path_)};
  sqlite_db reader(path_, {.read_only = true});
  constexpr int n = 500;
  int ok = 0;
  int visible = 0;
  int on_caller_thread = 0;
  auto caller = std::this_thread::get_id();
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          std::string key = "k" + std::to_string(i);
          error_code ec = co_await queue.submit(insert(key));
          ok += !ec;
          on_caller_thread += std::this_thread::get_id() == caller;
          // Committed means visible to any other connection at the moment of completion.
          visible += has_row(reader, key);
        },
        boost::asio::detached);
  }
  io.run_for(bound);
  EXPECT_EQ(ok, n);
  EXPECT_EQ(visible, n);
  EXPECT_EQ(on_caller_thread, n);
  auto stats = queue.stats();
  EXPECT_EQ(stats.items, static_cast<std::uint64_t>(n));
  EXPECT_EQ(stats.failed_items, 0u);
  // The grouping: 500 concurrent submitters cannot need 500 commits.
  EXPECT_LT(stats.batches, stats.items);
  EXPECT_GT(stats.largest_batch, 1u);
}

TEST_F(CommitQueueTest, AFailingItemRollsBackOnlyItselfAndItsNeighboursCommit) {
  boost::asio::io_context io;
  commit_queue queue{sqlite_db(path_)};
  std::promise<void> release;
  auto released = release.get_future().share();
  block_writer(queue, io,
               [released] { return released.wait_for(0s) == std::future_status::ready; });

  constexpr int n = 100;
  std::vector<error_code> results(n, make_error_code(errc::stopped));
  std::vector<bool> done(n, false);
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          std::string key = "k" + std::to_string(i);
          commit_queue::work item;
          if (i == 50) {
            item = [](sqlite_db&) -> error_code { throw std::runtime_error("bug"); };
          } else if (i % 3 == 1) {
            item = insert_then_fail(key);
          } else {
            item = insert(key);
          }
          results[i] = co_await queue.submit(std::move(item));
          done[i] = true;
        },
        boost::asio::detached);
  }
  // Spawned last, so it runs after every submitter has queued its item.
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        release.set_value();
        co_return;
      },
      boost::asio::detached);
  io.run_for(bound);

  sqlite_db reader(path_, {.read_only = true});
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(done[i]) << i;
    std::string key = "k" + std::to_string(i);
    if (i == 50) {
      EXPECT_EQ(results[i], make_error_code(errc::item_threw));
      EXPECT_FALSE(has_row(reader, key));
    } else if (i % 3 == 1) {
      EXPECT_EQ(results[i], make_sqlite_error(SQLITE_CONSTRAINT_PRIMARYKEY)) << i;
      EXPECT_FALSE(has_row(reader, key)) << i;  // its first insert was rolled back
    } else {
      EXPECT_FALSE(results[i]) << i << ": " << results[i].message();
      EXPECT_TRUE(has_row(reader, key)) << i;
    }
  }
  auto stats = queue.stats();
  EXPECT_EQ(stats.batches, 2u);  // the blocking item, then all 100 in one transaction
  EXPECT_EQ(stats.largest_batch, static_cast<std::uint64_t>(n));
  EXPECT_EQ(stats.items, static_cast<std::uint64_t>(n + 1));
  EXPECT_EQ(stats.failed_items, 34u);  // 33 collisions (i % 3 == 1) and the thrower
}

TEST_F(CommitQueueTest, BatchesAreBoundedByMaxBatch) {
  boost::asio::io_context io;
  commit_queue queue{sqlite_db(path_), {.max_pending = 1000, .max_batch = 10}};
  std::atomic<bool> release{false};
  block_writer(queue, io, [&] { return release.load(); });
  int ok = 0;
  for (int i = 0; i < 35; ++i) {
    queue.async_submit(insert("k" + std::to_string(i)),
                       boost::asio::bind_executor(io, [&](error_code ec) { ok += !ec; }));
  }
  release = true;
  io.run_for(bound);
  EXPECT_EQ(ok, 35);
  auto stats = queue.stats();
  EXPECT_EQ(stats.batches, 1u + 4u);  // 10 + 10 + 10 + 5
  EXPECT_EQ(stats.largest_batch, 10u);
}

TEST_F(CommitQueueTest, AFullQueueRefusesAtOnce) {
  boost::asio::io_context io;
  commit_queue queue{sqlite_db(path_), {.max_pending = 5, .max_batch = 100}};
  std::atomic<bool> release{false};
  block_writer(queue, io, [&] { return release.load(); });
  std::vector<error_code> results(8);
  for (int i = 0; i < 8; ++i) {
    queue.async_submit(insert("k" + std::to_string(i)),
                       boost::asio::bind_executor(io, [&, i](error_code ec) { results[i] = ec; }));
  }
  release = true;
  io.run_for(bound);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(results[i]) << i;
  }
  for (int i = 5; i < 8; ++i) {
    EXPECT_EQ(results[i], make_error_code(errc::queue_full)) << i;
  }
  EXPECT_EQ(queue.stats().refused, 3u);
}

TEST_F(CommitQueueTest, StopDrainsQueuedItemsThenRefuses) {
  boost::asio::io_context io;
  auto queue = std::make_unique<commit_queue>(sqlite_db(path_));
  // The writer is held until stop() has been called, so the items below are still queued
  // when the queue is told to stop.
  commit_queue* q = queue.get();
  block_writer(*queue, io, [q] { return q->stopping(); });
  constexpr int n = 50;
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    queue->async_submit(insert("k" + std::to_string(i)),
                        boost::asio::bind_executor(io, [&](error_code ec) { ok += !ec; }));
  }
  queue->stop();
  EXPECT_TRUE(queue->stopping());
  error_code late;
  queue->async_submit(insert("late"),
                      boost::asio::bind_executor(io, [&](error_code ec) { late = ec; }));
  io.run_for(bound);
  EXPECT_EQ(ok, n);
  EXPECT_EQ(late, make_error_code(errc::stopped));
  queue.reset();  // a second stop (in the destructor) is harmless

  sqlite_db reader(path_, {.read_only = true});
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(has_row(reader, "k" + std::to_string(i))) << i;
  }
  EXPECT_FALSE(has_row(reader, "late"));
}

}  // namespace
}  // namespace im2k::store
