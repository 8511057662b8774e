// Grouped commits: one fsync serves many messages under load.
//
// Coroutines hand work items to a single writer thread that owns the write connection:
//
//   auto ec = co_await queue.submit([&](store::sqlite_db& db) -> boost::system::error_code {
//     auto stmt = db.prepare("INSERT INTO messages(id) VALUES (?1)");
//     if (!stmt) return stmt.error();
//     return stmt->bind_text(1, id).run();
//   });
//   if (!ec) { /* the row is on disk: now reply ok */ }
//
// The writer takes every waiting item (up to max_batch), runs them in ONE transaction with a
// SAVEPOINT around each (a failing item rolls back only its own changes and gets its own
// error), commits once, and then completes every item of the batch on the executor of the
// coroutine that submitted it. While a commit waits for the disk the next items queue up, so
// the batches grow with the load by themselves; there is no timer and no added latency.
//
// Why a thread: SQLite and fsync block, and the event loop must never block. This is the one
// thread besides the event loop; nothing else touches the write connection.
//
// A body file is finished in the same item, so that the file and its row become durable
// together before the reply (the caller is suspended, so capturing its locals by reference is
// safe):
//
//   store::durable_file body = ...;  // filled by append() on the event loop
//   auto ec = co_await queue.submit([&](store::sqlite_db& db) -> boost::system::error_code {
//     auto file = body.finish();  // fsync + rename here on the writer thread; the directory
//                                 // is fsynced once per batch, before its COMMIT
//     if (!file) return file.error();
//     return insert_message(db, id, file->sha256_hex(), file->size);
//   });
//
// If the row then fails, the file stays in place without a row: recovery at start removes such
// orphans (or a retry of the same name replaces it).
//
// Items run on the writer thread: they may use the sqlite_db they are given and may finish or
// remove durable files (fsync is fine there), but must not BEGIN/COMMIT themselves, must not
// touch the caller's other objects without their own synchronisation (the caller is suspended,
// so its own locals are safe), and should be short. An item cannot be cancelled once submitted.
//
// There is no per-item timeout and no cancellation: a submitted item runs and may commit. A
// caller that gives up waiting (its own deadline) must treat the outcome as unknown and rely on
// idempotent stores.
//
// Backpressure: the queue is bounded. A submit that finds max_pending items waiting fails at
// once with errc::queue_full rather than waiting, so that no wait is unbounded; the caller
// answers its peer with a temporary error (try again later).
//
// Reads: use a separate sqlite_db (options.read_only) on the caller's side; with WAL, readers
// see the last committed state and never wait for this writer.
//
// Shutdown: stop() (or the destructor) refuses new items with errc::stopped, lets the writer
// finish everything already queued, and joins it. Stop the queue before its callers' io_context
// is destroyed: completions are posted to their executors.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/system/error_code.hpp>

#include "common/store/error.hpp"
#include "common/store/sqlite_db.hpp"

namespace im2k::store {

class commit_queue {
 public:
  using work = std::function<boost::system::error_code(sqlite_db&)>;

  struct options {
    std::size_t max_pending = 4096;  // items waiting for the writer before submit fails
    std::size_t max_batch = 512;     // items per transaction
  };

  struct counters {
    std::uint64_t items = 0;          // items completed (committed or failed)
    std::uint64_t failed_items = 0;   // items completed with an error
    std::uint64_t batches = 0;        // transactions run (one commit, one WAL fsync each)
    std::uint64_t largest_batch = 0;  // most items in one transaction
    std::uint64_t refused = 0;        // submits refused with queue_full or stopped
  };

  // Takes the write connection (schema already migrated) and starts the writer thread.
  explicit commit_queue(sqlite_db db);
  commit_queue(sqlite_db db, options opts);
  commit_queue(const commit_queue&) = delete;
  commit_queue& operator=(const commit_queue&) = delete;
  ~commit_queue();  // stop()

  // Completes with the item's error, the batch's commit error, errc::queue_full, errc::stopped
  // or errc::item_threw; success means the item's changes are committed and durable.
  boost::asio::awaitable<boost::system::error_code> submit(work item);

  template <class CompletionToken>
  auto async_submit(work item, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, work item) {
          // Tracked, so that the caller's io_context keeps running while the item waits.
          boost::asio::any_io_executor executor =
              boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                  boost::asio::execution::outstanding_work.tracked);
          enqueue(pending_item{std::move(item), std::move(executor), std::move(handler)});
        },
        token, std::move(item));
  }

  // Refuses new items, drains the queue, joins the writer. Idempotent. Must not be called from
  // inside a work item.
  void stop();

  counters stats() const;
  // True once stop() was called (for health reports).
  bool stopping() const;

 private:
  struct pending_item {
    work fn;
    boost::asio::any_io_executor executor;
    boost::asio::any_completion_handler<void(boost::system::error_code)> handler;
  };

  void enqueue(pending_item item);
  void run_writer();
  void run_batch(std::deque<pending_item>& batch);
  boost::system::error_code run_item(pending_item& item);
  static void complete(pending_item& item, boost::system::error_code ec);

  sqlite_db db_;  // used by the writer thread only
  const options options_;

  std::mutex join_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending_item> queue_;  // guarded by mutex_
  bool stopping_ = false;           // guarded by mutex_
  counters counters_;               // guarded by mutex_

  std::thread writer_;
};

}  // namespace im2k::store
