// The spool on SQLite (WAL, synchronous=FULL) and body files, as ARCHITECTURE.md "Storage":
//   STATE_DIR/oms.db          messages, domains (tokens), recipients, users
//   STATE_DIR/bodies/<msg>    one body per message, written through store::durable_file
// Changes go through a commit_queue (grouped commits on its writer thread); reads use a second,
// read-only connection on the caller's thread. Use one sqlite_spool from one event loop thread.
//
// Due work is found in memory, not by scanning tables: an index of the (msg, domain) pairs with
// queued or deferred recipients by their earliest next_attempt, and of the messages with a
// non-final recipient by their expiry. It is built from the tables when the spool opens and
// kept in step by the spool's own write methods, after each commit. A new message's
// notifications are kept whole in memory too (bounded), so the notifier reads nothing for them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/store/commit_queue.hpp"
#include "common/store/due_queue.hpp"
#include "common/store/sqlite_db.hpp"
#include "oms/backoff.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

// The schema migrations of oms.db (the users table lives here too, see users.hpp).
std::span<const std::string_view> spool_migrations();

// Creates STATE_DIR (0700) if needed and brings oms.db up to date. Throws on failure (start-up).
store::sqlite_db open_state_db(const std::filesystem::path& state_dir);

class sqlite_spool final : public spool {
 public:
  // Opens or creates the spool in state_dir; removes stale temporary body files. Throws
  // std::runtime_error when it cannot (a start-up failure).
  sqlite_spool(const std::filesystem::path& state_dir, retry_policy retry);
  ~sqlite_spool() override;

  boost::system::result<store::durable_file> create_body(const std::string& msg) override;
  boost::asio::awaitable<boost::system::error_code> add_message(new_message message,
                                                                store::durable_file body) override;
  boost::asio::awaitable<boost::system::result<std::vector<notify_job>>> due_jobs(
      unix_time now, std::size_t limit) override;
  boost::asio::awaitable<boost::system::result<std::vector<notify_job>>> take_due_jobs(
      unix_time now, std::size_t limit) override;
  boost::asio::awaitable<boost::system::result<std::optional<unix_time>>> next_wakeup() override;
  boost::asio::awaitable<boost::system::error_code> record_notify(
      std::string msg, std::string domain, std::vector<notify_outcome> outcomes,
      unix_time now) override;
  boost::asio::awaitable<boost::system::result<std::optional<pull_target>>> find_pull(
      std::string msg, std::string domain) override;
  boost::asio::awaitable<boost::system::error_code> mark_pull_served(std::string msg,
                                                                     std::string domain) override;
  boost::asio::awaitable<boost::system::error_code> apply_ack(std::string msg, std::string domain,
                                                              std::vector<proto::address> stored,
                                                              std::vector<ack_refusal> refused,
                                                              unix_time now) override;
  boost::asio::awaitable<boost::system::result<std::optional<std::vector<recipient_record>>>>
  status(std::string msg, std::string owner) override;
  boost::asio::awaitable<boost::system::result<std::optional<std::vector<proto::address>>>> recall(
      std::string msg, std::string owner, unix_time now) override;
  // A user's own messages.
  boost::asio::awaitable<boost::system::result<std::optional<std::vector<sent_record>>>> sent(
      std::string owner, std::optional<std::string> before, std::size_t limit,
      std::size_t max_rcpt) override;
  boost::asio::awaitable<boost::system::result<std::uint64_t>> spooled_bytes(
      std::string owner) override;
  boost::asio::awaitable<boost::system::result<std::size_t>> expire(unix_time now) override;
  boost::asio::awaitable<boost::system::result<std::vector<std::string>>> purge(
      unix_time before) override;
  boost::asio::awaitable<boost::system::result<recovery_report>> recover() override;
  // The operator's view of the queue.
  boost::asio::awaitable<boost::system::result<std::vector<queued_message>>> queued(
      std::size_t limit) override;
  boost::asio::awaitable<boost::system::result<std::optional<queued_message_detail>>> queued_detail(
      std::string msg) override;
  boost::asio::awaitable<boost::system::result<std::optional<std::size_t>>> retry_now(
      std::string msg, unix_time now) override;
  boost::asio::awaitable<boost::system::result<std::optional<std::vector<proto::address>>>>
  withdraw(std::string msg, unix_time now) override;
  boost::asio::awaitable<boost::system::result<std::map<rcpt_state, std::size_t>>> count_by_state()
      override;

  void stop() override;

  std::filesystem::path body_path(const std::string& msg) const { return bodies_ / msg; }
  store::commit_queue::counters commit_stats() const { return queue_->stats(); }

 private:
  using job_key = std::pair<std::string, std::string>;  // (msg, domain)

  // Builds the due and expiry indexes from the tables (at open).
  void load_index();
  // Key is due at `at`, unless the notifier holds it now: record_notify then re-reads its time.
  void arm(const job_key& key, unix_time at);
  // The recipients of `key` due at `now`, read from the tables; nullopt when none is.
  boost::system::result<std::optional<notify_job>> read_job(const job_key& key, unix_time now);
  // Forgets the kept jobs of `msg` (its recipients changed outside a notify attempt).
  void forget_jobs(const std::string& msg);

  std::filesystem::path bodies_;
  retry_policy retry_;
  std::size_t stale_temp_files_ = 0;
  std::mt19937_64 random_;  // jitter; used on the writer thread only
  std::unique_ptr<store::commit_queue> queue_;
  store::sqlite_db reader_;

  store::due_queue<job_key> due_;           // (msg, domain) by earliest queued/deferred attempt
  std::set<job_key> taken_;                 // handed out by due_jobs, until record_notify
  std::map<job_key, notify_job> jobs_;      // new messages' notifications, not read again
  store::due_queue<std::string> expiries_;  // messages with a non-final recipient, by expires
};

}  // namespace im2k::oms
