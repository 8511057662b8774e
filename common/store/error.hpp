// Error codes of the storage layer: SQLite's own result codes as one category, and the few
// failures of the store classes themselves as another.
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace im2k::store {

// An error_code in this category holds SQLite's extended result code (SQLITE_BUSY,
// SQLITE_CONSTRAINT_UNIQUE, ...); message() is sqlite3_errstr's text for it.
const boost::system::error_category& sqlite_category() noexcept;
boost::system::error_code make_sqlite_error(int code) noexcept;

enum class errc {
  queue_full = 1,    // commit_queue: too many items waiting; answer the peer "try later"
  stopped,           // commit_queue: stop() was called; no new work is taken
  item_threw,        // commit_queue: the work item threw an exception (a bug)
  newer_schema,      // migrate: the database was written by a newer program
  bad_name,          // durable_file: a name with '/', "." or ".."
  already_finished,  // durable_file: append/finish after finish or abort
};

const boost::system::error_category& store_category() noexcept;
boost::system::error_code make_error_code(errc code) noexcept;

}  // namespace im2k::store

template <>
struct boost::system::is_error_code_enum<im2k::store::errc> : std::true_type {};
