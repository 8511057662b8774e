// The OMS spool: messages stored once, their recipients' states ([L-1]) and the tokens of their
// recipient domains. An interface, so that a shared database can replace SQLite later ([K-3]);
// sqlite_spool.hpp is the embedded implementation.
//
// Every method that changes state completes only once the change is durable ([K-5]). Times are
// unix seconds, passed in by the caller so that tests control the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/store/durable_file.hpp"
#include "oms/lifecycle.hpp"
#include "proto/error.hpp"
#include "proto/syntax.hpp"

namespace im2k::oms {

using unix_time = std::int64_t;

// The wall clock in unix seconds.
inline unix_time unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A submitted message, ready to be committed with its body.
struct new_message {
  std::string msg;    // [V-1]
  std::string owner;  // the submitting user's address
  proto::address from;
  std::vector<proto::address> rcpt;           // submission order
  std::map<std::string, std::string> tokens;  // recipient domain -> token [V-2]
  unix_time submitted = 0;
  unix_time expires = 0;
};

struct recipient_record {
  proto::address rcpt;
  rcpt_state state = rcpt_state::queued;
  unix_time at = 0;
  std::optional<proto::errc> code;
  std::optional<std::string> message;
  int attempts = 0;  // consecutive failed notify attempts
  std::optional<unix_time> next_attempt;
};

// One notification to send: the due recipients of one (message, domain) ([N-15]).
struct notify_job {
  std::string msg;
  std::string domain;
  proto::address from;
  std::uint64_t size = 0;
  std::string digest;  // "sha256:<hex>"
  std::string token;
  unix_time expires = 0;
  std::vector<proto::address> rcpt;  // in submission order
};

// The outcome of one notify attempt for one recipient.
struct notify_outcome {
  proto::address rcpt;
  rcpt_event event = rcpt_event::notify_deferred;  // accepted, rejected or deferred
  std::optional<proto::errc> code;
  std::string message;
};

// What the pull listener needs for (msg, R), before and after the token check.
struct pull_target {
  std::string token;
  std::uint64_t size = 0;
  std::string digest;
  unix_time expires = 0;
  std::filesystem::path body;
  std::vector<rcpt_state> states;  // the recipients of R
};

struct ack_refusal {
  proto::address rcpt;
  proto::errc code = proto::errc::policy;
  std::string message;
};

// One of a user's own messages, as `sent` shows it ([Q-8], [Q-10]).
struct sent_record {
  std::string msg;
  unix_time submitted = 0;
  std::uint64_t size = 0;
  std::size_t rcpt_count = 0;                // all recipients
  std::vector<recipient_record> recipients;  // the first ones, in submission order
};

struct recovery_report {
  std::size_t stale_temp_files = 0;
  std::size_t orphan_bodies = 0;            // bodies no record refers to (removed)
  std::vector<std::string> missing_bodies;  // records whose body is missing (logged as errors)
  std::size_t pending_recipients = 0;       // queued, deferred, notified: work to resume
};

// ---- The operator's view of the queue (im2k-oms queue, through the control socket) ----

// A message that still has a non-final recipient.
struct queued_message {
  std::string msg;
  std::string owner;
  std::string from;  // envelope sender, as stored
  unix_time submitted = 0;
  unix_time expires = 0;
  std::uint64_t size = 0;
  std::map<rcpt_state, std::size_t> states;  // recipients per state
  std::optional<unix_time> next_attempt;     // earliest, of queued and deferred recipients
  std::optional<proto::errc> last_code;      // of the latest change of a non-final recipient
};

// One message in full: its summary and every recipient, in submission order.
struct queued_message_detail {
  queued_message message;
  std::vector<recipient_record> recipients;
};

class spool {
 public:
  virtual ~spool() = default;

  // A new body file for `msg`, streamed by the caller; add_message finishes it.
  virtual boost::system::result<store::durable_file> create_body(const std::string& msg) = 0;
  // Makes the body durable, then records the message with every recipient queued and due at
  // `submitted` ([S-9]). On failure nothing is recorded and the body is removed.
  virtual boost::asio::awaitable<boost::system::error_code> add_message(
      new_message message, store::durable_file body) = 0;

  // Notifications due at `now`: (msg, domain) groups of queued or deferred recipients whose
  // next_attempt has come and whose message has not expired, oldest first, at most `limit`.
  // Those taken by take_due_jobs and not yet recorded are left out.
  virtual boost::asio::awaitable<boost::system::result<std::vector<notify_job>>> due_jobs(
      unix_time now, std::size_t limit) = 0;
  // The same, and takes them: until record_notify of a (msg, domain) it is not due again, so
  // that a notifier sends each one once at a time. Every job taken must be recorded.
  virtual boost::asio::awaitable<boost::system::result<std::vector<notify_job>>> take_due_jobs(
      unix_time now, std::size_t limit) = 0;
  // The earliest next_attempt or expiry among non-final recipients, if any.
  virtual boost::asio::awaitable<boost::system::result<std::optional<unix_time>>> next_wakeup() = 0;
  // Applies one attempt's outcomes through next_state(); a deferred recipient counts one more
  // failed attempt and is due again after the backoff of [L-8]. Ends a take of (msg, domain).
  virtual boost::asio::awaitable<boost::system::error_code> record_notify(
      std::string msg, std::string domain, std::vector<notify_outcome> outcomes, unix_time now) = 0;

  // nullopt when no token was issued for (msg, domain).
  virtual boost::asio::awaitable<boost::system::result<std::optional<pull_target>>> find_pull(
      std::string msg, std::string domain) = 0;
  // Durable mark that a pull of (msg, domain) was served ([P-9], [Q-5], [K-5]).
  virtual boost::asio::awaitable<boost::system::error_code> mark_pull_served(
      std::string msg, std::string domain) = 0;
  // recipients of msg in domain that are not final move to pulled / rejected; anything
  // else is ignored.
  virtual boost::asio::awaitable<boost::system::error_code> apply_ack(
      std::string msg, std::string domain, std::vector<proto::address> stored,
      std::vector<ack_refusal> refused, unix_time now) = 0;

  // The recipients of `msg` when `owner` submitted it, in submission order; nullopt otherwise.
  virtual boost::asio::awaitable<
      boost::system::result<std::optional<std::vector<recipient_record>>>>
  status(std::string msg, std::string owner) = 0;
  // nullopt when `owner` did not submit `msg`.
  virtual boost::asio::awaitable<boost::system::result<std::optional<std::vector<proto::address>>>>
  recall(std::string msg, std::string owner, unix_time now) = 0;

  // ---- A user's own messages: `sent` ([Q-8], [Q-9]) and the quota ([S-8]) ----
  // The newest messages `owner` submitted, newest first (submitted, then msg, descending), those
  // after `before` in that order when given; at most `limit`, each with its first `max_rcpt`
  // recipients. nullopt when `before` is not a message of `owner`.
  virtual boost::asio::awaitable<boost::system::result<std::optional<std::vector<sent_record>>>>
  sent(std::string owner, std::optional<std::string> before, std::size_t limit,
       std::size_t max_rcpt) = 0;
  // The sum of the sizes of the messages `owner` has in the spool.
  virtual boost::asio::awaitable<boost::system::result<std::uint64_t>> spooled_bytes(
      std::string owner) = 0;
  // ---- end of a user's own messages ----

  // [L-9]: every non-final recipient of a message whose expires <= now becomes expired.
  virtual boost::asio::awaitable<boost::system::result<std::size_t>> expire(unix_time now) = 0;
  // Removes messages (record and body) whose recipients are all final and whose last change is
  // at or before `before`. Returns the removed message ids.
  virtual boost::asio::awaitable<boost::system::result<std::vector<std::string>>> purge(
      unix_time before) = 0;

  // [K-6]: removes bodies no record refers to, reports records without a body.
  virtual boost::asio::awaitable<boost::system::result<recovery_report>> recover() = 0;
  // ---- The operator's view of the queue (im2k-oms queue) ----
  // Messages with a non-final recipient, oldest first, at most `limit`.
  virtual boost::asio::awaitable<boost::system::result<std::vector<queued_message>>> queued(
      std::size_t limit) = 0;
  // One message whoever submitted it; nullopt when unknown.
  virtual boost::asio::awaitable<boost::system::result<std::optional<queued_message_detail>>>
  queued_detail(std::string msg) = 0;
  // Every queued or deferred recipient of `msg` becomes due at `now`; how many (nullopt when
  // `msg` is unknown).
  virtual boost::asio::awaitable<boost::system::result<std::optional<std::size_t>>> retry_now(
      std::string msg, unix_time now) = 0;
  // The operator withdraws `msg`: a recall ([Q-5]) whoever submitted it, through next_state()
  // like any recall; the recipients it withdrew (nullopt when `msg` is unknown).
  virtual boost::asio::awaitable<boost::system::result<std::optional<std::vector<proto::address>>>>
  withdraw(std::string msg, unix_time now) = 0;
  // Recipients per state over the whole spool (for metrics).
  virtual boost::asio::awaitable<boost::system::result<std::map<rcpt_state, std::size_t>>>
  count_by_state() = 0;
  // ---- end of the operator's view ----

  // Stops taking changes and waits for those queued (start-up failures and shutdown).
  virtual void stop() = 0;
};

}  // namespace im2k::oms
