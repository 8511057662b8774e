// The fsync counters: SQLite's syncs through the counting VFS, and durable_file's fsyncs of a
// body and of its directory, as a scrape of the global registry sees them.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/metrics/registry.hpp"
#include "common/store/durable_file.hpp"
#include "common/store/fsync_count.hpp"
#include "common/store/sqlite_db.hpp"
#include "tests/unit/store/scratch_dir.hpp"

namespace im2k::store {
namespace {

// im2k_store_fsyncs_total{kind=...} as exported; -1 when the series is missing.
double fsyncs(const std::string& kind) {
  expose_fsync_counts();  // a test run alone must not read "missing" (-1) as its baseline
  for (const auto& family : metrics::global().collect()) {
    if (family.name != "im2k_store_fsyncs_total") {
      continue;
    }
    for (const auto& s : family.series) {
      if (s.labels == metrics::labels{{"kind", kind}}) {
        return s.value;
      }
    }
  }
  return -1;
}

TEST(CountingVfs, IsTheDefaultOnceADatabaseIsOpen) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_NE(sqlite3_vfs_find(nullptr), nullptr);
  EXPECT_STREQ(sqlite3_vfs_find(nullptr)->zName, "im2k-counting");
  // All three series exist from the first database on, before any body is written.
  for (const char* kind : {"body", "dir", "sqlite"}) {
    EXPECT_GE(fsyncs(kind), 0) << kind;
  }
}

TEST(CountingVfs, EveryCommitSyncsAtLeastOnce) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(db.exec("CREATE TABLE t(i INTEGER)"));
  const double before = fsyncs("sqlite");
  constexpr int commits = 5;
  for (int i = 0; i < commits; ++i) {
    auto tx = transaction::begin(db);
    ASSERT_TRUE(tx);
    auto insert = db.prepare("INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(insert);
    ASSERT_FALSE(insert->bind_int(1, i).run());
    ASSERT_FALSE(tx->commit());
  }
  // synchronous=FULL in WAL mode: each commit syncs the WAL.
  EXPECT_GE(fsyncs("sqlite") - before, commits);
  // The data went through the wrapped files unchanged.
  auto count = db.prepare("SELECT count(*), sum(i) FROM t");
  ASSERT_TRUE(count);
  auto row = count->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(count->column_int(0), commits);
  EXPECT_EQ(count->column_int(1), 0 + 1 + 2 + 3 + 4);
}

TEST(CountingVfs, AReadDoesNotSync) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(db.exec("CREATE TABLE t(i INTEGER); INSERT INTO t VALUES (1);"));
  const double before = fsyncs("sqlite");
  auto select = db.prepare("SELECT i FROM t");
  ASSERT_TRUE(select);
  ASSERT_FALSE(select->run());
  EXPECT_EQ(fsyncs("sqlite"), before);
}

TEST(CountingVfs, DurableFileCountsBodyAndDirectory) {
  test_store::scratch_dir dir;
  const auto bodies = dir.path() / "bodies";
  ASSERT_TRUE(prepare_directory(bodies));
  const double body_before = fsyncs("body");
  const double dir_before = fsyncs("dir");
  auto file = durable_file::create(bodies, "m1");
  ASSERT_TRUE(file);
  ASSERT_FALSE(file->append("hello"));
  ASSERT_TRUE(file->finish());
  EXPECT_EQ(fsyncs("body") - body_before, 1);
  EXPECT_EQ(fsyncs("dir") - dir_before, 1);
  ASSERT_FALSE(remove_durably(bodies / "m1"));
  EXPECT_EQ(fsyncs("body") - body_before, 1);
  EXPECT_EQ(fsyncs("dir") - dir_before, 2);
}

TEST(CountingVfs, ABatchSyncsEachDirectoryOnceAtFlush) {
  test_store::scratch_dir dir;
  const auto bodies = dir.path() / "bodies";
  const auto other = dir.path() / "other";
  ASSERT_TRUE(prepare_directory(bodies));
  ASSERT_TRUE(prepare_directory(other));
  const double body_before = fsyncs("body");
  const double dir_before = fsyncs("dir");
  {
    directory_sync_batch batch;
    for (int i = 0; i < 5; ++i) {
      auto file = durable_file::create(bodies, "m" + std::to_string(i));
      ASSERT_TRUE(file);
      ASSERT_FALSE(file->append("hello"));
      ASSERT_TRUE(file->finish());
    }
    auto file = durable_file::create(other, "x");
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->finish());
    ASSERT_FALSE(remove_durably(bodies / "m0"));
    EXPECT_EQ(fsyncs("body") - body_before, 6);  // every body still has its own
    EXPECT_EQ(fsyncs("dir") - dir_before, 0);    // the directories wait for the flush
    ASSERT_FALSE(batch.flush());
    EXPECT_EQ(fsyncs("dir") - dir_before, 2);  // bodies and other, once each
    ASSERT_FALSE(batch.flush());
    EXPECT_EQ(fsyncs("dir") - dir_before, 2);  // nothing left to sync
  }
  EXPECT_EQ(directory_sync_batch::current(), nullptr);
  ASSERT_FALSE(remove_durably(bodies / "m1"));  // no batch open: at once
  EXPECT_EQ(fsyncs("dir") - dir_before, 3);
}

}  // namespace
}  // namespace im2k::store
