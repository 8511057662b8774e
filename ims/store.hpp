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

// Per (S, msg, R): `pull` waits for a (re)try, `ack` has outcomes waiting for the OMS's ok.
enum class pull_state { pull, ack, done, dropped };
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

  // Pulls and acks due at `now`, oldest first, at most `limit`.
  virtual boost::asio::awaitable<boost::system::result<std::vector<pull_job>>> due_pulls(
      std::int64_t now, std::size_t limit) = 0;
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

  // [K-6], before the daemon answers anything: removes temporary and unreferenced body files,
  // logs records whose body is gone, and makes every unfinished pull and ack due now. Blocks:
  // call it at start, before the event loop serves requests.
  virtual boost::system::result<recovery_report> recover(std::int64_t now) = 0;
};

}  // namespace im2k::ims
