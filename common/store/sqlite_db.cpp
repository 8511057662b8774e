#include "common/store/sqlite_db.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "common/store/counting_vfs.hpp"

namespace im2k::store {

namespace {

boost::system::error_code from_rc(int rc) {
  return rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW ? boost::system::error_code{}
                                                                  : make_sqlite_error(rc);
}

// Bounds of the statement cache: distinct SQL texts, and idle statements kept per text (more
// than one only when the same text is in use twice at once, as in nested loops).
constexpr std::size_t max_cached_texts = 256;
constexpr std::size_t max_idle_per_text = 4;

}  // namespace

struct sqlite_db::statement_cache {
  // Node-based: a list's address stays valid while the map grows, so statements can point at it.
  std::unordered_map<std::string, statement::free_list> lists;

  ~statement_cache() {
    for (auto& [sql, idle] : lists) {
      for (auto* stmt : idle) {
        sqlite3_finalize(stmt);
      }
    }
  }
};

sqlite_db::sqlite_db(const std::filesystem::path& path) : sqlite_db(path, options{}) {}

sqlite_db::sqlite_db(const std::filesystem::path& path, options opts)
    : cache_(std::make_unique<statement_cache>()) {
  install_counting_vfs();  // im2k_store_fsyncs_total{kind="sqlite"}
  int flags = opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  // Each connection is used by one thread at a time (the writer thread, or an event loop), so it
  // needs no mutex of its own around every call.
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  auto fail = [&](std::string_view what) {
    std::string message = "cannot open database " + path.string() + ": " + std::string(what) +
                          ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error(message);
  };
  if (rc != SQLITE_OK) {
    fail("open");
  }
  sqlite3_extended_result_codes(db_, 1);
  auto timeout_ms = opts.busy_timeout.count();
  if (sqlite3_busy_timeout(db_, static_cast<int>(std::min<std::int64_t>(timeout_ms, INT_MAX))) !=
      SQLITE_OK) {
    fail("busy_timeout");
  }
  if (!opts.read_only) {
    // journal_mode answers with a row; prepare/step rather than exec to check the answer.
    auto stmt = prepare("PRAGMA journal_mode=WAL");
    if (!stmt) {
      fail("journal_mode=WAL");
    }
    auto row = stmt->step();
    if (!row || !*row || stmt->column_text(0) != "wal") {
      fail("journal_mode=WAL");
    }
  }
  if (exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")) {
    fail("pragmas");
  }
}

sqlite_db::sqlite_db(sqlite_db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

sqlite_db& sqlite_db::operator=(sqlite_db&& other) noexcept {
  if (this != &other) {
    cache_.reset();  // finalized before their connection closes
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

sqlite_db::~sqlite_db() {
  cache_.reset();
  sqlite3_close_v2(db_);
}

boost::system::error_code sqlite_db::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a terminated string
  return from_rc(sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr));
}

boost::system::result<statement> sqlite_db::prepare(std::string_view sql) {
  statement::free_list* home = nullptr;
  if (cache_) {
    auto it = cache_->lists.find(std::string(sql));
    if (it != cache_->lists.end()) {
      home = &it->second;
      if (!home->empty()) {
        sqlite3_stmt* cached = home->back();
        home->pop_back();
        return statement(cached, home);
      }
    } else if (cache_->lists.size() < max_cached_texts) {
      home = &cache_->lists.emplace(std::string(sql), statement::free_list{}).first->second;
    }
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              home ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return make_sqlite_error(rc);
  }
  // A second statement after the first would be silently ignored: refuse it (use exec()).
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (stmt == nullptr || rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    return make_sqlite_error(SQLITE_MISUSE);
  }
  return statement(stmt, home);
}

boost::system::error_code sqlite_db::run(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) {
    return stmt.error();
  }
  return stmt->run();
}

std::int64_t sqlite_db::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t sqlite_db::changes() const {
  return sqlite3_changes64(db_);
}

std::string sqlite_db::last_error_message() const {
  return sqlite3_errmsg(db_);
}

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      home_(std::exchange(other.home_, nullptr)),
      bind_error_(other.bind_error_) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    home_ = std::exchange(other.home_, nullptr);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

statement::~statement() {
  release();
}

void statement::release() {
  if (stmt_ == nullptr) {
    return;
  }
  if (home_ != nullptr && home_->size() < max_idle_per_text) {
    // Reset ends any read transaction the statement held open and drops its bound values.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    home_->push_back(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  home_ = nullptr;
}

void statement::note_bind(int rc) {
  if (rc != SQLITE_OK && !bind_error_) {
    bind_error_ = make_sqlite_error(rc);
  }
}

statement& statement::bind_int(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

statement& statement::bind_text(int index, std::string_view value) {
  note_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob is still a blob, not NULL: sqlite3_bind_blob64 with a null pointer
  // would bind NULL.
  static const char empty = 0;
  note_bind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &empty : bytes.data(), bytes.size(),
                                SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

boost::system::result<bool> statement::step() {
  // result<bool> cannot be built implicitly from an error_code (it converts to bool too).
  if (bind_error_) {
    return {boost::system::in_place_error, bind_error_};
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return {boost::system::in_place_error, make_sqlite_error(rc)};
}

boost::system::error_code statement::run() {
  for (;;) {
    auto row = step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return {};
    }
  }
}

int statement::column_count() const {
  return sqlite3_column_count(stmt_);
}

bool statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::int64_t statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string statement::column_text(int index) const {
  auto* text = sqlite3_column_text(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
              : std::string();
}

std::string statement::column_blob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  return blob ? std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size))
              : std::string();
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = {};
}

boost::system::result<transaction> transaction::begin(sqlite_db& db) {
  if (auto ec = db.run("BEGIN IMMEDIATE")) {
    return ec;
  }
  return transaction(db);
}

transaction::transaction(transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

transaction::~transaction() {
  rollback();
}

boost::system::error_code transaction::commit() {
  if (db_ == nullptr) {
    return make_sqlite_error(SQLITE_MISUSE);
  }
  auto ec = db_->run("COMMIT");
  if (ec) {
    rollback();
    return ec;
  }
  db_ = nullptr;
  return {};
}

void transaction::rollback() {
  if (db_ != nullptr && !sqlite3_get_autocommit(db_->handle())) {
    (void)db_->run("ROLLBACK");
  }
  db_ = nullptr;
}

boost::system::result<std::int64_t> schema_version(sqlite_db& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) {
    return stmt.error();
  }
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  return *row ? stmt->column_int(0) : 0;
}

boost::system::error_code migrate(sqlite_db& db, std::span<const std::string_view> scripts) {
  auto tx = transaction::begin(db);
  if (!tx) {
    return tx.error();
  }
  // Read the version inside the write transaction, so two processes cannot both migrate.
  auto version = schema_version(db);
  if (!version) {
    return version.error();
  }
  auto target = static_cast<std::int64_t>(scripts.size());
  if (*version > target) {
    return make_error_code(errc::newer_schema);
  }
  if (*version == target) {
    return {};  // tx rolls back an empty transaction
  }
  for (auto i = static_cast<std::size_t>(*version); i < scripts.size(); ++i) {
    if (auto ec = db.exec(scripts[i])) {
      return ec;
    }
  }
  if (auto ec = db.exec("PRAGMA user_version=" + std::to_string(target))) {
    return ec;
  }
  return tx->commit();
}

}  // namespace im2k::store
