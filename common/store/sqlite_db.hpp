// A thin RAII layer over SQLite: a connection, prepared statements, transactions and schema
// migrations. Failures are error_code values in store::sqlite_category(), except failing to open
// the database, which is a start-up failure and throws.
//
// A connection belongs to one thread at a time. All calls block (disk I/O, fsync, lock waits up
// to the busy timeout), so writes go through commit_queue's writer thread; a daemon may keep a
// second, read-only connection on its event loop for short reads: in WAL mode readers never wait
// for the writer.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/store/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace im2k::store {

class statement;

class sqlite_db {
 public:
  struct options {
    std::chrono::milliseconds busy_timeout{5000};
    // A reader connection: opened read-only, and the database must already exist.
    bool read_only = false;
  };

  // Opens (creating unless read_only) the database with journal_mode=WAL, synchronous=FULL,
  // foreign_keys=ON and the busy timeout. Throws std::runtime_error naming the path and
  // SQLite's message if any of that fails.
  explicit sqlite_db(const std::filesystem::path& path);
  sqlite_db(const std::filesystem::path& path, options opts);
  sqlite_db(sqlite_db&& other) noexcept;
  sqlite_db& operator=(sqlite_db&& other) noexcept;
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;
  ~sqlite_db();

  // Runs one or more SQL statements that return no rows (DDL, PRAGMA, ...), parsed each time.
  [[nodiscard]] boost::system::error_code exec(std::string_view sql);
  // Exactly one statement: empty SQL or a second statement gives SQLITE_MISUSE.
  //
  // Statements are cached by their SQL text: parsing is a large part of a short query's cost,
  // so a statement handed back (destroyed) is reset and kept for the next prepare of the same
  // text. The same text may be prepared again while an earlier statement of it is still in use
  // (a fresh one is made). The cache is bounded; call sites need not know it exists.
  [[nodiscard]] boost::system::result<statement> prepare(std::string_view sql);
  // prepare(sql) and run(): one cached statement that returns no rows (BEGIN, SAVEPOINT, ...).
  [[nodiscard]] boost::system::error_code run(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  // Rows changed by the latest INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  // SQLite's detailed text for the latest failure on this connection ("no such table: x"),
  // for logs; the error_code carries only the code.
  std::string last_error_message() const;

  sqlite3* handle() const { return db_; }

 private:
  struct statement_cache;

  sqlite3* db_ = nullptr;
  std::unique_ptr<statement_cache> cache_;  // stable across moves: statements point into it
};

// A prepared statement. Bind indexes start at 1 (SQLite's "?1"); column indexes start at 0.
// A failed bind is remembered and returned by the next step()/run(), so binds can be chained.
class statement {
 public:
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind_int(int index, std::int64_t value);
  statement& bind_text(int index, std::string_view value);
  statement& bind_blob(int index, std::string_view bytes);
  statement& bind_null(int index);

  // true: a row is available through the column_ functions; false: the statement is done.
  [[nodiscard]] boost::system::result<bool> step();
  // Steps until done, ignoring rows: for INSERT, UPDATE, DELETE.
  [[nodiscard]] boost::system::error_code run();
  // Steps until done, calling on_row(*this) for each row in order; returns the first step error
  // (rows already visited stay visited). In a coroutine, call it as a plain statement, never
  // inside a co_await expression (GCC 12 miscompiles temporaries there).
  template <class F>
  [[nodiscard]] boost::system::error_code for_each_row(F&& on_row) {
    for (;;) {
      auto row = step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        return {};
      }
      on_row(*this);
    }
  }

  int column_count() const;
  bool column_is_null(int index) const;
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;

  // Makes the statement ready to run again, with no values bound.
  void reset();

 private:
  friend class sqlite_db;
  using free_list = std::vector<sqlite3_stmt*>;
  statement(sqlite3_stmt* stmt, free_list* home) : stmt_(stmt), home_(home) {}
  void note_bind(int rc);
  void release();

  sqlite3_stmt* stmt_ = nullptr;
  free_list* home_ = nullptr;  // the cache's list for this SQL text; null: finalize
  boost::system::error_code bind_error_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back by the destructor unless committed.
class transaction {
 public:
  [[nodiscard]] static boost::system::result<transaction> begin(sqlite_db& db);
  transaction(transaction&& other) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  [[nodiscard]] boost::system::error_code commit();
  // Explicit rollback; the destructor does the same when commit() was not reached.
  void rollback();

 private:
  explicit transaction(sqlite_db& db) : db_(&db) {}
  sqlite_db* db_;  // null once committed or rolled back
};

// PRAGMA user_version of the database (0 for a new one).
boost::system::result<std::int64_t> schema_version(sqlite_db& db);

// Brings the schema up to date: scripts[i] moves the schema from version i to i + 1. The
// scripts not yet applied run in order inside one transaction that also sets user_version, so a
// crash leaves the old schema or the new one, never a mix. A database whose version is above
// scripts.size() gives errc::newer_schema (never downgrade silently). Never edit a script that
// has shipped; append a new one.
[[nodiscard]] boost::system::error_code migrate(sqlite_db& db,
                                                std::span<const std::string_view> scripts);

}  // namespace im2k::store
