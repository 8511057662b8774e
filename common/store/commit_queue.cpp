#include "common/store/commit_queue.hpp"

#include <algorithm>
#include <exception>
#include <vector>

#include <sqlite3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace im2k::store {

commit_queue::commit_queue(sqlite_db db) : commit_queue(std::move(db), options{}) {}

commit_queue::commit_queue(sqlite_db db, options opts)
    : db_(std::move(db)), options_(opts), writer_([this] { run_writer(); }) {}

commit_queue::~commit_queue() {
  stop();
}

boost::asio::awaitable<boost::system::error_code> commit_queue::submit(work item) {
  auto [ec] =
      co_await async_submit(std::move(item), boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return ec;
}

void commit_queue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  std::lock_guard lock(join_mutex_);  // two threads calling stop() must not both join
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) {
    writer_.join();
  }
}

commit_queue::counters commit_queue::stats() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

bool commit_queue::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void commit_queue::enqueue(pending_item item) {
  boost::system::error_code refusal;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refusal = make_error_code(errc::stopped);
    } else if (queue_.size() >= options_.max_pending) {
      refusal = make_error_code(errc::queue_full);
    } else {
      queue_.push_back(std::move(item));
    }
    if (refusal) {
      ++counters_.refused;
    }
  }
  if (refusal) {
    complete(item, refusal);
  } else {
    wake_.notify_one();
  }
}

void commit_queue::run_writer() {
  std::deque<pending_item> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping and drained
      }
      std::size_t n = std::min(queue_.size(), std::max<std::size_t>(options_.max_batch, 1));
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

boost::system::error_code commit_queue::run_item(pending_item& item) {
  try {
    return item.fn(db_);
  } catch (...) {
    // A bug in the item; the writer must survive it and the neighbours must not pay for it.
    return make_error_code(errc::item_threw);
  }
}

void commit_queue::run_batch(std::deque<pending_item>& batch) {
  std::vector<boost::system::error_code> results(batch.size());
  boost::system::error_code batch_error;
  auto tx = transaction::begin(db_);
  if (!tx) {
    batch_error = tx.error();
  }
  for (std::size_t i = 0; i < batch.size() && !batch_error; ++i) {
    if (auto ec = db_.run("SAVEPOINT item")) {
      batch_error = ec;
      break;
    }
    results[i] = run_item(batch[i]);
    if (sqlite3_get_autocommit(db_.handle())) {
      // SQLite rolled the whole transaction back (disk full, I/O error) or the item ended it:
      // the earlier items' changes are gone too.
      batch_error = results[i] ? results[i] : make_sqlite_error(SQLITE_ABORT);
      break;
    }
    if (results[i]) {
      if (auto ec = db_.run("ROLLBACK TO item")) {
        batch_error = ec;
        break;
      }
    }
    if (auto ec = db_.run("RELEASE item")) {
      batch_error = ec;
      break;
    }
  }
  if (!batch_error) {
    batch_error = tx->commit();
  } else if (tx) {
    tx->rollback();
  }

  std::uint64_t failed = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch_error && !results[i]) {
      results[i] = batch_error;
    }
    if (results[i]) {
      ++failed;
    }
  }
  {
    std::lock_guard lock(mutex_);
    counters_.items += batch.size();
    counters_.failed_items += failed;
    counters_.batches += 1;
    counters_.largest_batch = std::max<std::uint64_t>(counters_.largest_batch, batch.size());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    complete(batch[i], results[i]);
  }
}

void commit_queue::complete(pending_item& item, boost::system::error_code ec) {
  auto executor = std::move(item.executor);
  boost::asio::post(executor,
                    [handler = std::move(item.handler), ec]() mutable { std::move(handler)(ec); });
}

}  // namespace im2k::store
