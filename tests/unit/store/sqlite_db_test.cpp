#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/store/sqlite_db.hpp"
#include "tests/unit/store/scratch_dir.hpp"

namespace im2k::store {
namespace {

std::int64_t count_rows(sqlite_db& db, std::string_view table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + std::string(table));
  EXPECT_TRUE(stmt) << db.last_error_message();
  if (!stmt)
    return -1;
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->column_int(0);
}

std::string pragma_text(sqlite_db& db, std::string_view pragma) {
  auto stmt = db.prepare("PRAGMA " + std::string(pragma));
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->column_text(0);
}

TEST(SqliteDb, OpenSetsDurabilityPragmas) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
  EXPECT_EQ(pragma_text(db, "synchronous"), "2");  // FULL
  EXPECT_EQ(pragma_text(db, "foreign_keys"), "1");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "x.db"));
}

TEST(SqliteDb, OpenFailureThrowsNamingThePath) {
  test_store::scratch_dir dir;
  auto path = dir.path() / "missing" / "x.db";
  try {
    sqlite_db db(path);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(SqliteDb, StatementBindsAndReadsEveryType) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(db.exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n TEXT)"));
  auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert);
  std::string blob("a\0b\xff", 4);
  ASSERT_FALSE(
      insert->bind_int(1, -9000000000).bind_text(2, "héllo").bind_blob(3, blob).bind_null(4).run());
  EXPECT_EQ(db.changes(), 1);
  EXPECT_EQ(db.last_insert_rowid(), 1);
  insert->reset();
  ASSERT_FALSE(insert->bind_int(1, 2).bind_text(2, "").bind_blob(3, "").bind_text(4, "x").run());

  auto select = db.prepare("SELECT i, s, b, n, typeof(b) FROM t ORDER BY rowid");
  ASSERT_TRUE(select);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_count(), 5);
  EXPECT_EQ(select->column_int(0), -9000000000);
  EXPECT_EQ(select->column_text(1), "héllo");
  EXPECT_EQ(select->column_blob(2), blob);
  EXPECT_TRUE(select->column_is_null(3));
  row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_text(4), "blob");  // an empty blob is not NULL
  EXPECT_FALSE(select->column_is_null(2));
  row = select->step();
  ASSERT_TRUE(row);
  EXPECT_FALSE(*row);
}

TEST(SqliteDb, ErrorsAreValuesWithSqliteCodes) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  auto bad = db.prepare("SELECT * FROM nowhere");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().category(), sqlite_category());
  EXPECT_EQ(bad.error().value(), SQLITE_ERROR);
  EXPECT_NE(db.last_error_message().find("no such table: nowhere"), std::string::npos);

  // prepare takes exactly one statement; a second one would be silently dropped.
  EXPECT_EQ(db.prepare("SELECT 1; SELECT 2").error(), make_sqlite_error(SQLITE_MISUSE));
  EXPECT_EQ(db.prepare("  ").error(), make_sqlite_error(SQLITE_MISUSE));
  EXPECT_TRUE(db.prepare("SELECT 1;  "));

  ASSERT_FALSE(db.exec("CREATE TABLE u(k TEXT PRIMARY KEY)"));
  auto insert = db.prepare("INSERT INTO u VALUES (?1)");
  ASSERT_FALSE(insert->bind_text(1, "a").run());
  insert->reset();
  auto dup = insert->bind_text(1, "a").run();
  EXPECT_EQ(dup, make_sqlite_error(SQLITE_CONSTRAINT_PRIMARYKEY));

  // A bind to a parameter that does not exist is reported by step.
  insert->reset();
  auto range = insert->bind_text(1, "b").bind_text(7, "c").run();
  EXPECT_EQ(range, make_sqlite_error(SQLITE_RANGE));
  EXPECT_EQ(count_rows(db, "u"), 1);
}

TEST(SqliteDb, ForEachRowVisitsRowsInOrder) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(
      db.exec("CREATE TABLE t(i INTEGER, s TEXT);"
              "INSERT INTO t VALUES (2, 'b'), (1, 'a'), (3, 'c')"));
  auto stmt = db.prepare("SELECT i, s FROM t ORDER BY i");
  ASSERT_TRUE(stmt);
  std::vector<std::pair<std::int64_t, std::string>> rows;
  auto ec = stmt->for_each_row(
      [&](statement& s) { rows.emplace_back(s.column_int(0), s.column_text(1)); });
  EXPECT_FALSE(ec) << ec.message();
  std::vector<std::pair<std::int64_t, std::string>> want{{1, "a"}, {2, "b"}, {3, "c"}};
  EXPECT_EQ(rows, want);
}

TEST(SqliteDb, ForEachRowOnAnEmptyResultCallsNothing) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(db.exec("CREATE TABLE t(i INTEGER)"));
  auto stmt = db.prepare("SELECT i FROM t");
  ASSERT_TRUE(stmt);
  int calls = 0;
  EXPECT_FALSE(stmt->for_each_row([&](statement&) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST(SqliteDb, ForEachRowReturnsTheFirstStepError) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(
      db.exec("CREATE TABLE t(i INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)"));
  // abs() of the smallest integer fails when row 3 is stepped (it depends on i, so it is not
  // evaluated once up front; no ORDER BY, whose sorter would evaluate every row first), so rows 1
  // and 2 come before the error.
  auto stmt = db.prepare(
      "SELECT CASE WHEN i < 3 THEN i ELSE abs(i - i - 9223372036854775807 - 1) END FROM t");
  ASSERT_TRUE(stmt);
  std::vector<std::int64_t> seen;
  auto ec = stmt->for_each_row([&](statement& s) { seen.push_back(s.column_int(0)); });
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec.category(), sqlite_category());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));

  // A failed bind surfaces before any row.
  auto bad_bind = db.prepare("SELECT i FROM t WHERE i > ?1");
  ASSERT_TRUE(bad_bind);
  bad_bind->bind_int(7, 0);
  int calls = 0;
  EXPECT_EQ(bad_bind->for_each_row([&](statement&) { ++calls; }), make_sqlite_error(SQLITE_RANGE));
  EXPECT_EQ(calls, 0);
}

TEST(SqliteDb, TransactionRollsBackUnlessCommitted) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(db.exec("CREATE TABLE t(v INTEGER)"));
  {
    auto tx = transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_FALSE(db.exec("INSERT INTO t VALUES (1)"));
    EXPECT_EQ(count_rows(db, "t"), 1);
  }  // destroyed without commit
  EXPECT_EQ(count_rows(db, "t"), 0);
  {
    auto tx = transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_FALSE(db.exec("INSERT INTO t VALUES (2)"));
    ASSERT_FALSE(tx->commit());
    EXPECT_TRUE(tx->commit());  // a second commit is a misuse, reported
  }
  EXPECT_EQ(count_rows(db, "t"), 1);
  {
    auto tx = transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_FALSE(db.exec("INSERT INTO t VALUES (3)"));
    tx->rollback();
  }
  EXPECT_EQ(count_rows(db, "t"), 1);
}

TEST(SqliteDb, CommittedDataIsVisibleToAReaderConnection) {
  test_store::scratch_dir dir;
  sqlite_db writer(dir.path() / "x.db");
  ASSERT_FALSE(writer.exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1)"));
  sqlite_db reader(dir.path() / "x.db", {.read_only = true});
  EXPECT_EQ(count_rows(reader, "t"), 1);
  EXPECT_TRUE(reader.exec("INSERT INTO t VALUES (2)"));  // read-only
  auto tx = transaction::begin(writer);
  ASSERT_TRUE(tx);
  ASSERT_FALSE(writer.exec("INSERT INTO t VALUES (2)"));
  EXPECT_EQ(count_rows(reader, "t"), 1);  // not yet committed
  ASSERT_FALSE(tx->commit());
  EXPECT_EQ(count_rows(reader, "t"), 2);
}

// Statements prepared on the connection (cached or in use).
int prepared_statements(sqlite_db& db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.handle(), s)) {
    ++n;
  }
  return n;
}

TEST(SqliteDb, StatementsArePreparedOnceAndReturnedClean) {
  test_store::scratch_dir dir;
  sqlite_db writer(dir.path() / "x.db");
  ASSERT_FALSE(writer.exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1)"));
  sqlite_db reader(dir.path() / "x.db", {.read_only = true});
  const std::string select = "SELECT v FROM t WHERE v = ?1 OR ?1 IS NULL";
  {
    auto stmt = reader.prepare(select);
    ASSERT_TRUE(stmt);
    stmt->bind_int(1, 1);
    auto row = stmt->step();  // a row, not done: a read transaction is open
    ASSERT_TRUE(row && *row);
  }
  const int before = prepared_statements(reader);
  // Returned to the cache reset: its read transaction ended, so the reader sees a new commit.
  ASSERT_FALSE(writer.exec("INSERT INTO t VALUES (2)"));
  {
    auto again = reader.prepare(select);
    ASSERT_TRUE(again);
    EXPECT_EQ(prepared_statements(reader), before);  // the cached one, not a new one
    std::vector<std::int64_t> seen;
    // Its old binding was cleared: ?1 is NULL, so every row matches.
    ASSERT_FALSE(again->for_each_row([&](auto& r) { seen.push_back(r.column_int(0)); }));
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));
    // The same text in use twice at once gets a second statement.
    auto second = reader.prepare(select);
    ASSERT_TRUE(second);
    EXPECT_EQ(prepared_statements(reader), before + 1);
  }
}

constexpr std::array<std::string_view, 2> schema_v2 = {
    "CREATE TABLE a(x INTEGER);",
    "CREATE TABLE b(y INTEGER); INSERT INTO a VALUES (1);",
};

TEST(SqliteMigrate, AppliesScriptsInOrderOnce) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  EXPECT_EQ(schema_version(db).value(), 0);
  ASSERT_FALSE(migrate(db, schema_v2));
  EXPECT_EQ(schema_version(db).value(), 2);
  EXPECT_EQ(count_rows(db, "a"), 1);
  ASSERT_FALSE(migrate(db, schema_v2));  // nothing to do: the INSERT does not run again
  EXPECT_EQ(count_rows(db, "a"), 1);

  std::array<std::string_view, 3> schema_v3 = {schema_v2[0], schema_v2[1],
                                               "INSERT INTO b VALUES (7);"};
  ASSERT_FALSE(migrate(db, schema_v3));
  EXPECT_EQ(schema_version(db).value(), 3);
  EXPECT_EQ(count_rows(db, "a"), 1);
  EXPECT_EQ(count_rows(db, "b"), 1);
}

TEST(SqliteMigrate, SurvivesReopen) {
  test_store::scratch_dir dir;
  {
    sqlite_db db(dir.path() / "x.db");
    ASSERT_FALSE(migrate(db, schema_v2));
  }
  sqlite_db db(dir.path() / "x.db");
  EXPECT_EQ(schema_version(db).value(), 2);
  ASSERT_FALSE(migrate(db, schema_v2));
  EXPECT_EQ(count_rows(db, "a"), 1);
}

TEST(SqliteMigrate, FailingScriptLeavesTheOldSchema) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  std::array<std::string_view, 2> broken = {"CREATE TABLE a(x INTEGER);",
                                            "INSERT INTO nowhere VALUES (1);"};
  auto ec = migrate(db, broken);
  EXPECT_EQ(ec.category(), sqlite_category());
  EXPECT_EQ(schema_version(db).value(), 0);
  EXPECT_FALSE(db.prepare("SELECT * FROM a"));  // the first script was rolled back too
}

TEST(SqliteMigrate, RefusesANewerDatabase) {
  test_store::scratch_dir dir;
  sqlite_db db(dir.path() / "x.db");
  ASSERT_FALSE(migrate(db, schema_v2));
  std::array<std::string_view, 1> older = {schema_v2[0]};
  EXPECT_EQ(migrate(db, older), make_error_code(errc::newer_schema));
  EXPECT_EQ(schema_version(db).value(), 2);
}

}  // namespace
}  // namespace im2k::store
