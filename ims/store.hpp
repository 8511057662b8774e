// What the IMS keeps: notifications per (sender domain, msg, recipient) [N-12], pulls per
// (sender domain, msg, recipient domain) [P-4], stored bodies and mailbox entries. An interface,
// so that a shared database can replace the SQLite default (sqlite_store.hpp) later [K-3].
//
// Every write completes only once it is durable [K-5]; reads see the last committed state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/store/durable_file.hpp"
#include "proto/error.hpp"

namespace im2k::ims {

// Per (S, msg, recipient), [L-11]. `rejected` is a step-12 refusal given in the notify response.
enum class rcpt_state { accepted, rejected, stored, refused, acked, dropped };
std::string_view to_string(rcpt_state state);
std::optional<rcpt_state> rcpt_state_from_string(std::string_view text);

// Per (S, msg, R): `pull` waits for a (re)try, `ack` has outcomes waiting for the OMS's ok,
// `held` waits for its recipient to read the mailbox (policy on-read, [N-16]).
enum class pull_state { pull, ack, done, dropped, held };
std::string_view to_string(pull_state state);
std::optional<pull_state> pull_state_from_string(std::string_view text);

// The values of an accepted notification that [N-7] makes durable.
struct notification {
  std::string sender_domain;  // S, lower case
  std::string msg;
  std::string rcpt_domain;  // R, lower case
  std::string host;         // H, proved by the certificate
  std::string source;       // A, the connection's source address
  std::string sender;       // the notified `from`
  std::uint64_t size = 0;
  std::string digest;
  std::string token;
  std::int64_t expires = 0;   // unix seconds
  std::int64_t received = 0;  // unix seconds
  bool hold = false;          // on-read policy ([N-16]): record, pull only once read
};

// A per-recipient result, as recorded or to be recorded.
struct recipient_result {
  std::string rcpt;  // as notified
  rcpt_state state = rcpt_state::accepted;
  std::optional<proto::errc> code;  // set unless accepted
  std::string message;
};

struct pull_key {
  std::string sender_domain;
  std::string msg;
  std::string rcpt_domain;

  bool operator==(const pull_key&) const = default;
  auto operator<=>(const pull_key&) const = default;
};

struct pull_job {
  pull_key key;
  std::string host;
  std::string sender;
  std::uint64_t size = 0;
  std::string digest;
  std::string token;
  std::int64_t expires = 0;
  pull_state state = pull_state::pull;
  std::int64_t attempts = 0;
  std::int64_t next_attempt = 0;
};

// A stored message as a user's mailbox sees it.
struct mailbox_entry {
  std::string id;  // [V-1], the IMS's own [M-5]
  std::string user;
  std::string sender_domain;
  std::string msg;
  std::string sender;
  std::uint64_t size = 0;
  std::int64_t received = 0;
  std::string body;  // file name under the bodies directory
};

// What store_body did.
struct delivery {
  std::size_t stored = 0;   // recipients newly stored
  std::size_t refused = 0;  // recipients refused at store time ([P-12])
};

struct recovery_report {
  std::size_t temp_files_removed = 0;
  std::size_t orphan_bodies_removed = 0;  // files no record refers to, and unreferenced rows
  std::size_t missing_bodies = 0;         // records whose file is gone (logged as errors)
  std::size_t pulls_resumed = 0;          // pulls and acks due again
};

// One entry of a mailbox as `list` shows it ([M-2]).
struct listed_entry {
  std::string id;
  std::string sender;         // the notified `from`
  std::uint64_t size = 0;     // the stored size, or the notified one while held
  std::int64_t received = 0;  // when the notification was accepted
  bool held = false;
};

struct entry_page {
  std::vector<listed_entry> entries;
  bool more = false;
};

// What an entry id names: a stored copy, or a notification that has none (yet): `accepted` is
// held, `dropped` or `refused` ended without a copy (`code` says why, when known).
struct found_entry {
  std::optional<mailbox_entry> stored;
  pull_key key;
  rcpt_state state = rcpt_state::accepted;
  std::optional<proto::errc> code;
  std::int64_t expires = 0;
};

// ---- The operator's view of pending pulls (im2k-ims queue, through the control socket) ----

// A pull (S, msg, R) that is not done: waiting to pull, to ack, or held for on-read. `id` is
// the pull's row id: short, and stable for the life of the row.
struct queued_pull {
  std::int64_t id = 0;
  pull_job job;
  std::string last_error;  // "" when none
  std::vector<recipient_result> recipients;
};

class mail_store {
 public:
  virtual ~mail_store() = default;

  virtual boost::asio::awaitable<boost::system::result<bool>> user_exists(std::string address) = 0;
  // The recorded result for (S, msg, rcpt), compared case-insensitively.
  virtual boost::asio::awaitable<boost::system::result<std::optional<recipient_result>>>
  find_result(std::string sender_domain, std::string msg, std::string rcpt) = 0;

  // Records the results of one notification (accepted and rejected) with the notified values,
  // durably. A result already recorded for a recipient stays as it was [N-12]. A newly accepted
  // recipient makes the pull of (S, msg, R) due now.
  virtual boost::asio::awaitable<boost::system::error_code> record_notification(
      notification values, std::vector<recipient_result> results) = 0;

  // Pulls and acks due at `now`, oldest first, at most `limit`; those taken by take_due_pulls
  // and not settled yet are left out. Found in memory, not by scanning the table.
  virtual boost::asio::awaitable<boost::system::result<std::vector<pull_job>>> due_pulls(
      std::int64_t now, std::size_t limit) = 0;
  // The same, and takes them: a taken pull is not due again until settle(), so that a puller
  // runs each one once at a time. Every pull taken must be settled.
  virtual boost::asio::awaitable<boost::system::result<std::vector<pull_job>>> take_due_pulls(
      std::int64_t now, std::size_t limit) = 0;
  // Takes one pull whatever its schedule (a fetch of a held entry, [M-3]); false when it is
  // taken already. Settled like the others.
  virtual bool take(const pull_key& key) = 0;
  // The run of a taken pull has ended: it is due again as its row now says.
  virtual void settle(const pull_key& key) = 0;
  // The earliest next_attempt of a pending pull or ack, if any.
  virtual boost::asio::awaitable<boost::system::result<std::optional<std::int64_t>>> next_due() = 0;
  // Every recipient of (S, msg, R) with its state.
  virtual boost::asio::awaitable<boost::system::result<std::vector<recipient_result>>> recipients(
      pull_key key) = 0;

  // Finishes `body` (fsync, rename) and stores it for every `accepted` recipient of the pull
  // who is still a user ([P-12]; others become `refused` unknown-recipient), one mailbox entry
  // each, sharing the file; the pull then waits for its ack. Recipients stored before are left
  // alone ([A-6]). If nobody is stored the file is removed.
  virtual boost::asio::awaitable<boost::system::result<delivery>> store_body(
      pull_key key, store::durable_file& body, std::string body_name) = 0;
  // Every `accepted` recipient of the pull becomes `refused` with `code`; the pull waits for
  // its ack.
  virtual boost::asio::awaitable<boost::system::error_code> refuse_all(pull_key key,
                                                                       proto::errc code,
                                                                       std::string message) = 0;
  // The OMS answered ok to an ack listing `rcpts` (as notified): they become `acked`. The pull
  // is done when nothing is left to pull or ack.
  virtual boost::asio::awaitable<boost::system::error_code> mark_acked(
      pull_key key, std::vector<std::string> rcpts) = 0;
  // [P-14]: the pull and every `accepted` recipient of it are dropped; nothing is stored.
  virtual boost::asio::awaitable<boost::system::error_code> drop(pull_key key,
                                                                 std::string reason) = 0;
  // Stops retrying: done (after expiry, or a permanent refusal of an ack).
  virtual boost::asio::awaitable<boost::system::error_code> give_up(pull_key key,
                                                                    std::string reason) = 0;
  // A temporary failure: try again at `next_attempt`.
  virtual boost::asio::awaitable<boost::system::error_code> retry_later(pull_key key,
                                                                        std::int64_t next_attempt,
                                                                        std::string error) = 0;

  virtual boost::asio::awaitable<boost::system::result<std::vector<mailbox_entry>>> mailbox(
      std::string user) = 0;

  // --- The mailbox listener and on-read pulls ([M-*], [N-16]) ---

  // One page of `user`'s entries for `list` ([M-2]): stored copies and `held` notifications
  // (accepted, not stored, not expired at `now`), in ascending id order, those with an id
  // greater than `after`, at most `limit`; `more` when further entries follow.
  virtual boost::asio::awaitable<boost::system::result<entry_page>> list_entries(
      std::string user, std::optional<std::string> after, std::size_t limit, std::int64_t now) = 0;
  // What `id` names for `user` ([M-1]); nullopt for another user's id or an unknown one.
  virtual boost::asio::awaitable<boost::system::result<std::optional<found_entry>>> find_entry(
      std::string user, std::string id) = 0;
  // Makes every `held` pull with an accepted recipient `user` due now; how many it released.
  virtual boost::asio::awaitable<boost::system::result<std::size_t>> release_held(
      std::string user) = 0;
  // Makes the pull due now if it is `held` (else changes nothing); the job as it then stands,
  // nullopt if there is no such pull.
  virtual boost::asio::awaitable<boost::system::result<std::optional<pull_job>>> release(
      pull_key key) = 0;
  // [M-4]: removes `user`'s entry `id` durably. A stored copy's file is removed once no entry
  // refers to it; a held entry's notification is dropped for that recipient (its pull with it
  // when nobody else waits for it). False when `user` has no such entry.
  virtual boost::asio::awaitable<boost::system::result<bool>> delete_entry(std::string user,
                                                                           std::string id) = 0;

  // ---- The operator's view of pending pulls (im2k-ims queue) ----
  // Pulls neither done nor dropped, oldest next_attempt first, at most `limit`.
  virtual boost::asio::awaitable<boost::system::result<std::vector<queued_pull>>> queued_pulls(
      std::size_t limit) = 0;
  // One of them by id; nullopt when there is no such pending pull.
  virtual boost::asio::awaitable<boost::system::result<std::optional<queued_pull>>>
  queued_pull_by_id(std::int64_t id) = 0;
  // Makes the pending pull `id` due at `now` (a held one is pulled now); false when there is
  // no such pending pull.
  virtual boost::asio::awaitable<boost::system::result<bool>> pull_now(std::int64_t id,
                                                                       std::int64_t now) = 0;
  // ---- end of the operator's view ----

  // [K-6], before the daemon answers anything: removes temporary and unreferenced body files,
  // logs records whose body is gone, and makes every unfinished pull and ack due now. Blocks:
  // call it at start, before the event loop serves requests.
  virtual boost::system::result<recovery_report> recover(std::int64_t now) = 0;
};

}  // namespace im2k::ims
