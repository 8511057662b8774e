// The SQLite implementation of the IMS store: writes through a commit_queue (grouped durable
// commits on the writer thread), reads on a read-only connection of the caller's thread (WAL:
// readers never wait for the writer). Bodies live in state_dir/bodies. Use one sqlite_store from
// one event loop thread: the index of due pulls lives in memory.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "common/store/commit_queue.hpp"
#include "common/store/due_queue.hpp"
#include "common/store/sqlite_db.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

class sqlite_store final : public mail_store {
 public:
  // Opens (creating) the database in state_dir; throws std::runtime_error on failure.
  explicit sqlite_store(const std::filesystem::path& state_dir);
  ~sqlite_store() override;

  const std::filesystem::path& bodies_dir() const { return bodies_dir_; }
  // Refuses new writes and waits for the queued ones (drain).
  void stop();
  // Pulls not finished (any state but done and dropped), for metrics; a read on the caller's
  // thread like the others.
  boost::system::result<std::size_t> pending_pulls();

  boost::asio::awaitable<boost::system::result<std::vector<handover_item>>> handover_pending(
      pull_key key) override;
  boost::asio::awaitable<boost::system::error_code> refuse_stored(pull_key key, std::string user,
                                                                  proto::errc code,
                                                                  std::string message) override;
  boost::asio::awaitable<boost::system::result<bool>> user_exists(std::string address) override;
  boost::asio::awaitable<boost::system::result<std::optional<recipient_result>>> find_result(
      std::string sender_domain, std::string msg, std::string rcpt) override;
  boost::asio::awaitable<boost::system::error_code> record_notification(
      notification values, std::vector<recipient_result> results) override;
  boost::asio::awaitable<boost::system::result<std::vector<pull_job>>> due_pulls(
      std::int64_t now, std::size_t limit) override;
  boost::asio::awaitable<boost::system::result<std::vector<pull_job>>> take_due_pulls(
      std::int64_t now, std::size_t limit) override;
  bool take(const pull_key& key) override;
  void settle(const pull_key& key) override;
  boost::asio::awaitable<boost::system::result<std::optional<std::int64_t>>> next_due() override;
  boost::asio::awaitable<boost::system::result<std::vector<recipient_result>>> recipients(
      pull_key key) override;
  boost::asio::awaitable<boost::system::result<delivery>> store_body(
      pull_key key, store::durable_file& body, std::string body_name) override;
  boost::asio::awaitable<boost::system::error_code> refuse_all(pull_key key, proto::errc code,
                                                               std::string message) override;
  boost::asio::awaitable<boost::system::error_code> mark_acked(
      pull_key key, std::vector<std::string> rcpts) override;
  boost::asio::awaitable<boost::system::error_code> drop(pull_key key, std::string reason) override;
  boost::asio::awaitable<boost::system::error_code> give_up(pull_key key,
                                                            std::string reason) override;
  boost::asio::awaitable<boost::system::error_code> retry_later(pull_key key,
                                                                std::int64_t next_attempt,
                                                                std::string error) override;
  boost::asio::awaitable<boost::system::result<std::vector<mailbox_entry>>> mailbox(
      std::string user) override;

  // The mailbox listener and on-read pulls.
  boost::asio::awaitable<boost::system::result<entry_page>> list_entries(
      std::string user, std::optional<std::string> after, std::size_t limit,
      std::int64_t now) override;
  boost::asio::awaitable<boost::system::result<std::optional<found_entry>>> find_entry(
      std::string user, std::string id) override;
  boost::asio::awaitable<boost::system::result<std::size_t>> release_held(
      std::string user) override;
  boost::asio::awaitable<boost::system::result<std::optional<pull_job>>> release(
      pull_key key) override;
  boost::asio::awaitable<boost::system::result<bool>> delete_entry(std::string user,
                                                                   std::string id) override;

  // The operator's view of pending pulls.
  boost::asio::awaitable<boost::system::result<std::vector<queued_pull>>> queued_pulls(
      std::size_t limit) override;
  boost::asio::awaitable<boost::system::result<std::optional<queued_pull>>> queued_pull_by_id(
      std::int64_t id) override;
  boost::asio::awaitable<boost::system::result<bool>> pull_now(std::int64_t id,
                                                               std::int64_t now) override;

  boost::system::result<recovery_report> recover(std::int64_t now) override;

 private:
  // Builds the index of due pulls from the table (at open and after recovery).
  void load_index();
  // After a commit that changed the pull `key`: its due time as the row now says (a taken pull
  // waits for settle()).
  void reindex(const pull_key& key);
  // Removes a body file whose row went in a committed item (logged, not returned, on failure).
  boost::asio::awaitable<void> remove_unreferenced(std::filesystem::path file);
  // The pull's row when it is due at `now`.
  boost::system::result<std::optional<pull_job>> read_due(const pull_key& key, std::int64_t now);

  std::filesystem::path state_dir_;
  std::filesystem::path bodies_dir_;
  std::unique_ptr<store::commit_queue> queue_;
  store::sqlite_db reader_;
  // Pulls and acks by next_attempt, held pulls by expires (then they are given up): the work
  // that is due, found without a scan. Kept in step by the write methods, after each commit.
  store::due_queue<pull_key> due_;
  std::set<pull_key> taken_;  // by take_due_pulls, until settle()
};

}  // namespace im2k::ims
