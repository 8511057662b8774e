#include "oms/sqlite_spool.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "common/metrics/registry.hpp"
#include "common/store/error.hpp"

namespace im2k::oms {
namespace {

using boost::system::error_code;
using boost::system::result;

constexpr std::array<std::string_view, 2> migrations = {
    R"sql(
CREATE TABLE messages (
  msg TEXT PRIMARY KEY,
  owner TEXT NOT NULL,          -- the submitting user's address, lower case
  sender TEXT NOT NULL,         -- envelope from
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,         -- sha256:<hex>
  submitted INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE TABLE domains (
  msg TEXT NOT NULL REFERENCES messages(msg) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  token TEXT NOT NULL,
  pull_served INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (msg, domain)
);
CREATE TABLE recipients (
  msg TEXT NOT NULL REFERENCES messages(msg) ON DELETE CASCADE,
  position INTEGER NOT NULL,    -- submission order
  rcpt TEXT NOT NULL,           -- as submitted
  rcpt_key TEXT NOT NULL,       -- lower case, for matching acks and notify results
  domain TEXT NOT NULL,
  state TEXT NOT NULL,
  at INTEGER NOT NULL,
  code TEXT,
  message TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER,
  PRIMARY KEY (msg, position)
);
CREATE INDEX recipients_due ON recipients(next_attempt) WHERE next_attempt IS NOT NULL;
CREATE INDEX recipients_by_domain ON recipients(msg, domain);
CREATE TABLE users (
  address TEXT PRIMARY KEY,     -- lower case
  hash TEXT NOT NULL            -- crypto::hash_password
);
)sql",
    // 2: `sent` and the quota ([S-8]) read a user's messages; the user's own quota.
    R"sql(
CREATE INDEX messages_by_owner ON messages(owner, submitted, msg);
ALTER TABLE users ADD COLUMN quota INTEGER;  -- NULL: the server's default; -1: none; octets
)sql"};

constexpr std::string_view pending_states = "('queued','deferred','notified')";

// New messages' notifications kept whole in memory; beyond this they are read when due.
constexpr std::size_t max_kept_jobs = 20000;
// A notify outcome or an expiry that could not be written is tried again this much later.
constexpr unix_time rewrite_delay = 60;
// Expiries applied per call of expire().
constexpr std::size_t max_expiries_per_call = 1000;

std::string state_text(rcpt_state s) {
  return std::string(proto::to_string(s));
}

rcpt_state state_of(const std::string& text) {
  return proto::rcpt_state_from_string(text).value_or(rcpt_state::rejected);
}

proto::address address_of(const std::string& text) {
  auto parsed = proto::parse_address(text);
  if (parsed) {
    return *parsed;
  }
  // Stored addresses were parsed at submission; keep whatever is there rather than fail.
  const auto at = text.rfind('@');
  return proto::address{text.substr(0, at), at == std::string::npos ? "" : text.substr(at + 1)};
}

// The columns every recipient query selects, in this order, and one row of them as a record.
constexpr std::string_view recipient_columns =
    "rcpt, state, at, code, message, attempts, next_attempt";

recipient_record recipient_of(const store::statement& row) {
  recipient_record r;
  r.rcpt = address_of(row.column_text(0));
  r.state = state_of(row.column_text(1));
  r.at = row.column_int(2);
  if (!row.column_is_null(3)) {
    r.code = proto::errc_from_string(row.column_text(3)).value_or(proto::errc::internal);
    r.message = row.column_text(4);
  }
  r.attempts = static_cast<int>(row.column_int(5));
  if (!row.column_is_null(6)) {
    r.next_attempt = row.column_int(6);
  }
  return r;
}

// Recorded messages are at most 1 024 octets ([V-7]), cut at a UTF-8 character boundary, so
// that a status response stays within its frame.
std::string bounded(const std::string& message) {
  constexpr std::size_t max = 1024;
  if (message.size() <= max) {
    return message;
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return message.substr(0, cut);
}

std::string key_of(const proto::address& a) {
  return proto::to_lower(a.to_string());
}

// Applies `event` to one recipient row through next_state(); writes the new state when the
// transition exists. `changed` tells whether it did.
struct row_change {
  rcpt_event event;
  std::optional<proto::errc> code;
  std::string message;
  bool pull_served = false;
};

result<bool> change_recipient(store::sqlite_db& db, const std::string& msg, std::int64_t position,
                              const row_change& change, unix_time now,
                              const std::function<unix_time(int)>& deferred_due) {
  auto read = db.prepare("SELECT state, attempts FROM recipients WHERE msg=?1 AND position=?2");
  if (!read)
    return boost::system::result<bool>(boost::system::in_place_error, read.error());
  read->bind_text(1, msg).bind_int(2, position);
  auto row = read->step();
  if (!row)
    return boost::system::result<bool>(boost::system::in_place_error, row.error());
  if (!*row)
    return false;
  const rcpt_state from = state_of(read->column_text(0));
  const int attempts = static_cast<int>(read->column_int(1));
  auto to = next_state(from, change.event, change.pull_served);
  if (!to)
    return false;
  auto write = db.prepare(
      "UPDATE recipients SET state=?3, at=?4, code=?5, message=?6, attempts=?7, next_attempt=?8 "
      "WHERE msg=?1 AND position=?2");
  if (!write)
    return boost::system::result<bool>(boost::system::in_place_error, write.error());
  write->bind_text(1, msg).bind_int(2, position).bind_text(3, state_text(*to)).bind_int(4, now);
  if (change.code) {
    write->bind_text(5, proto::to_string(*change.code)).bind_text(6, change.message);
  } else {
    write->bind_null(5).bind_null(6);
  }
  if (*to == rcpt_state::deferred) {
    write->bind_int(7, attempts + 1).bind_int(8, deferred_due(attempts + 1));
  } else {
    write->bind_int(7, attempts).bind_null(8);
  }
  if (auto ec = write->run())
    return boost::system::result<bool>(boost::system::in_place_error, ec);
  return true;
}

// The position of recipient `key` of msg in domain, if any.
result<std::optional<std::int64_t>> find_position(store::sqlite_db& db, const std::string& msg,
                                                  const std::string& domain,
                                                  const std::string& key) {
  auto q = db.prepare("SELECT position FROM recipients WHERE msg=?1 AND domain=?2 AND rcpt_key=?3");
  if (!q)
    return q.error();
  q->bind_text(1, msg).bind_text(2, domain).bind_text(3, key);
  auto row = q->step();
  if (!row)
    return row.error();
  if (!*row)
    return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{q->column_int(0)};
}

// Whether `msg` still has a recipient that is not final.
result<bool> has_pending(store::sqlite_db& db, const std::string& msg) {
  auto q = db.prepare("SELECT EXISTS (SELECT 1 FROM recipients WHERE msg = ?1 AND state IN " +
                      std::string(pending_states) + ")");
  if (!q)
    return result<bool>(boost::system::in_place_error, q.error());
  q->bind_text(1, msg);
  auto row = q->step();
  if (!row)
    return result<bool>(boost::system::in_place_error, row.error());
  return *row && q->column_int(0) != 0;
}

// The earliest next_attempt of the queued or deferred recipients of (msg, domain), if any.
result<std::optional<unix_time>> next_attempt_of(store::sqlite_db& db, const std::string& msg,
                                                 const std::string& domain) {
  auto q = db.prepare(
      "SELECT MIN(next_attempt) FROM recipients WHERE msg = ?1 AND domain = ?2 "
      "AND state IN ('queued','deferred')");
  if (!q)
    return q.error();
  q->bind_text(1, msg).bind_text(2, domain);
  auto row = q->step();
  if (!row)
    return row.error();
  if (!*row || q->column_is_null(0))
    return std::optional<unix_time>{};
  return std::optional<unix_time>{q->column_int(0)};
}

}  // namespace

std::span<const std::string_view> spool_migrations() {
  return migrations;
}

store::sqlite_db open_state_db(const std::filesystem::path& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create state_dir " + state_dir.string() + ": " + ec.message());
  }
  ::chmod(state_dir.c_str(), 0700);  // [K-7]
  store::sqlite_db db(state_dir / "oms.db");
  ::chmod((state_dir / "oms.db").c_str(), 0600);
  if (auto err = store::migrate(db, migrations)) {
    throw std::runtime_error("cannot migrate " + (state_dir / "oms.db").string() + ": " +
                             err.message());
  }
  return db;
}

sqlite_spool::sqlite_spool(const std::filesystem::path& state_dir, retry_policy retry)
    : bodies_(state_dir / "bodies"),
      retry_(retry),
      random_(std::random_device{}()),
      queue_(std::make_unique<store::commit_queue>(open_state_db(state_dir))),
      reader_(state_dir / "oms.db", store::sqlite_db::options{.read_only = true}) {
  auto stale = store::prepare_directory(bodies_);
  if (!stale) {
    throw std::runtime_error("cannot prepare " + bodies_.string() + ": " + stale.error().message());
  }
  stale_temp_files_ = *stale;
  load_index();
}

void sqlite_spool::load_index() {
  auto due = reader_.prepare(
      "SELECT msg, domain, MIN(next_attempt) FROM recipients "
      "WHERE state IN ('queued','deferred') GROUP BY msg, domain");
  if (!due) {
    throw std::runtime_error("cannot read the spool: " + due.error().message());
  }
  if (auto ec = due->for_each_row([&](auto& row) {
        due_.schedule({row.column_text(0), row.column_text(1)}, row.column_int(2));
      })) {
    throw std::runtime_error("cannot read the spool: " + ec.message());
  }
  auto expiring = reader_.prepare(
      "SELECT m.msg, m.expires FROM messages m WHERE EXISTS (SELECT 1 FROM recipients r "
      "WHERE r.msg = m.msg AND r.state IN " +
      std::string(pending_states) + ")");
  if (!expiring) {
    throw std::runtime_error("cannot read the spool: " + expiring.error().message());
  }
  if (auto ec = expiring->for_each_row(
          [&](auto& row) { expiries_.schedule(row.column_text(0), row.column_int(1)); })) {
    throw std::runtime_error("cannot read the spool: " + ec.message());
  }
}

void sqlite_spool::arm(const job_key& key, unix_time at) {
  if (!taken_.contains(key)) {
    due_.schedule_earlier(key, at);
  }
}

void sqlite_spool::forget_jobs(const std::string& msg) {
  auto it = jobs_.lower_bound({msg, std::string()});
  while (it != jobs_.end() && it->first.first == msg) {
    it = jobs_.erase(it);
  }
}

sqlite_spool::~sqlite_spool() {
  stop();
}

void sqlite_spool::stop() {
  queue_->stop();
}

result<store::durable_file> sqlite_spool::create_body(const std::string& msg) {
  return store::durable_file::create(bodies_, msg);
}

boost::asio::awaitable<error_code> sqlite_spool::add_message(new_message m,
                                                             store::durable_file body) {
  std::uint64_t size = 0;
  std::string digest;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto summary = body.finish();  // [K-2]: the body is durable before the record
    if (!summary)
      return summary.error();
    size = summary->size;
    digest = "sha256:" + summary->sha256_hex();
    auto fail = [&](error_code ec) {
      (void)store::remove_durably(summary->path);
      return ec;
    };
    auto ins = db.prepare(
        "INSERT INTO messages(msg, owner, sender, size, digest, submitted, expires) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!ins)
      return fail(ins.error());
    ins->bind_text(1, m.msg)
        .bind_text(2, proto::to_lower(m.owner))
        .bind_text(3, m.from.to_string())
        .bind_int(4, static_cast<std::int64_t>(summary->size))
        .bind_text(5, digest)
        .bind_int(6, m.submitted)
        .bind_int(7, m.expires);
    if (auto ec = ins->run())
      return fail(ec);
    for (const auto& [domain, token] : m.tokens) {
      auto d = db.prepare("INSERT INTO domains(msg, domain, token) VALUES (?1, ?2, ?3)");
      if (!d)
        return fail(d.error());
      d->bind_text(1, m.msg).bind_text(2, domain).bind_text(3, token);
      if (auto ec = d->run())
        return fail(ec);
    }
    auto r = db.prepare(
        "INSERT INTO recipients(msg, position, rcpt, rcpt_key, domain, state, at, next_attempt) "
        "VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6)");
    if (!r)
      return fail(r.error());
    for (std::size_t i = 0; i < m.rcpt.size(); ++i) {
      r->reset();
      r->bind_text(1, m.msg)
          .bind_int(2, static_cast<std::int64_t>(i))
          .bind_text(3, m.rcpt[i].to_string())
          .bind_text(4, key_of(m.rcpt[i]))
          .bind_text(5, m.rcpt[i].domain)
          .bind_int(6, m.submitted);
      if (auto ec = r->run())
        return fail(ec);
    }
    return {};
  });
  if (ec)
    co_return ec;
  // Every recipient is queued and due now; the notifier gets the jobs without a read.
  for (const auto& [domain, token] : m.tokens) {
    const job_key key{m.msg, domain};
    if (jobs_.size() < max_kept_jobs) {
      notify_job job{m.msg, domain, m.from, size, digest, token, m.expires, {}};
      for (const auto& r : m.rcpt) {
        if (r.domain == domain) {
          job.rcpt.push_back(r);
        }
      }
      jobs_.insert_or_assign(key, std::move(job));
    }
    arm(key, m.submitted);
  }
  expiries_.schedule(m.msg, m.expires);
  co_return error_code{};
}

result<std::optional<notify_job>> sqlite_spool::read_job(const job_key& key, unix_time now) {
  const auto& [msg, domain] = key;
  auto head = reader_.prepare(
      "SELECT m.sender, m.size, m.digest, m.expires, d.token FROM messages m "
      "JOIN domains d ON d.msg = m.msg WHERE m.msg = ?1 AND d.domain = ?2 AND m.expires > ?3");
  if (!head)
    return head.error();
  head->bind_text(1, msg).bind_text(2, domain).bind_int(3, now);
  auto found = head->step();
  if (!found)
    return found.error();
  if (!*found)
    return std::optional<notify_job>{};  // gone, or expired: expire() takes it from here
  notify_job job;
  job.msg = msg;
  job.domain = domain;
  job.from = address_of(head->column_text(0));
  job.size = static_cast<std::uint64_t>(head->column_int(1));
  job.digest = head->column_text(2);
  job.expires = head->column_int(3);
  job.token = head->column_text(4);
  auto rcpts = reader_.prepare(
      "SELECT rcpt FROM recipients WHERE msg = ?1 AND domain = ?2 "
      "AND state IN ('queued','deferred') AND next_attempt <= ?3 ORDER BY position");
  if (!rcpts)
    return rcpts.error();
  rcpts->bind_text(1, msg).bind_text(2, domain).bind_int(3, now);
  if (auto ec = rcpts->for_each_row(
          [&](auto&) { job.rcpt.push_back(address_of(rcpts->column_text(0))); })) {
    return ec;
  }
  if (job.rcpt.empty())
    return std::optional<notify_job>{};
  return std::optional<notify_job>{std::move(job)};
}

boost::asio::awaitable<result<std::vector<notify_job>>> sqlite_spool::due_jobs(unix_time now,
                                                                               std::size_t limit) {
  std::vector<notify_job> jobs;
  for (const auto& key : due_.peek_due(now, limit)) {
    if (auto kept = jobs_.find(key); kept != jobs_.end()) {
      if (kept->second.expires > now) {  // [L-9]: nothing is notified after expires
        jobs.push_back(kept->second);
      }
      continue;
    }
    auto job = read_job(key, now);
    if (!job) {
      co_return job.error();
    }
    if (*job && (*job)->expires > now) {
      jobs.push_back(std::move(**job));
    }
  }
  co_return jobs;
}

boost::asio::awaitable<result<std::vector<notify_job>>> sqlite_spool::take_due_jobs(
    unix_time now, std::size_t limit) {
  std::vector<notify_job> jobs;
  for (auto& key : due_.take_due(now, limit)) {
    if (auto kept = jobs_.find(key); kept != jobs_.end()) {
      if (kept->second.expires <= now) {
        continue;  // [L-9]: expire() ends it; the expiry index still holds the message
      }
      jobs.push_back(std::move(kept->second));
      jobs_.erase(kept);
      taken_.insert(std::move(key));
      continue;
    }
    auto job = read_job(key, now);
    if (!job) {
      due_.schedule(key, now + rewrite_delay);
      co_return job.error();
    }
    if (!*job) {
      // Nothing due after all (recalled, acked or expired since): time may still bring some.
      auto next = next_attempt_of(reader_, key.first, key.second);
      if (next && *next) {
        due_.schedule(key, std::max(**next, now + 1));
      }
      continue;
    }
    if ((*job)->expires <= now) {
      continue;  // [L-9]: expire() ends it
    }
    jobs.push_back(std::move(**job));
    taken_.insert(std::move(key));
  }
  co_return jobs;
}

boost::asio::awaitable<result<std::optional<unix_time>>> sqlite_spool::next_wakeup() {
  std::optional<unix_time> next = due_.next();
  if (auto e = expiries_.next(); e && (!next || *e < *next)) {
    next = e;
  }
  co_return next;
}

boost::asio::awaitable<error_code> sqlite_spool::record_notify(std::string msg, std::string domain,
                                                               std::vector<notify_outcome> outcomes,
                                                               unix_time now) {
  std::optional<unix_time> next;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto due = [&](int attempts) {
      return now + jittered_delay(retry_, attempts, draw_jitter(random_)).count();
    };
    for (const auto& outcome : outcomes) {
      auto position = find_position(db, msg, domain, key_of(outcome.rcpt));
      if (!position)
        return position.error();
      if (!*position)
        continue;  // not a recipient of this message in this domain
      row_change change{outcome.event, outcome.code, bounded(outcome.message), false};
      if (outcome.event == rcpt_event::notify_accepted) {
        change.code.reset();
      }
      auto changed = change_recipient(db, msg, **position, change, now, due);
      if (!changed)
        return changed.error();
    }
    auto after = next_attempt_of(db, msg, domain);
    if (!after)
      return after.error();
    next = *after;
    return {};
  });
  const job_key key{msg, domain};
  taken_.erase(key);
  if (ec) {
    due_.schedule(key, now + rewrite_delay);  // the tables still say it is due
  } else if (next) {
    due_.schedule(key, *next);
  } else {
    due_.remove(key);
  }
  co_return ec;
}

boost::asio::awaitable<result<std::optional<pull_target>>> sqlite_spool::find_pull(
    std::string msg, std::string domain) {
  auto head = reader_.prepare(
      "SELECT d.token, m.size, m.digest, m.expires FROM domains d JOIN messages m "
      "ON m.msg = d.msg WHERE d.msg = ?1 AND d.domain = ?2");
  if (!head)
    co_return head.error();
  head->bind_text(1, msg).bind_text(2, domain);
  auto found = head->step();
  if (!found)
    co_return found.error();
  if (!*found)
    co_return std::optional<pull_target>{};
  pull_target target;
  target.token = head->column_text(0);
  target.size = static_cast<std::uint64_t>(head->column_int(1));
  target.digest = head->column_text(2);
  target.expires = head->column_int(3);
  target.body = body_path(msg);
  auto states = reader_.prepare(
      "SELECT state FROM recipients WHERE msg = ?1 AND domain = ?2 ORDER BY position");
  if (!states)
    co_return states.error();
  states->bind_text(1, msg).bind_text(2, domain);
  if (auto ec = states->for_each_row(
          [&](auto&) { target.states.push_back(state_of(states->column_text(0))); })) {
    co_return ec;
  }
  co_return std::optional<pull_target>{std::move(target)};
}

boost::asio::awaitable<error_code> sqlite_spool::mark_pull_served(std::string msg,
                                                                  std::string domain) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto q = db.prepare("UPDATE domains SET pull_served = 1 WHERE msg = ?1 AND domain = ?2");
    if (!q)
      return q.error();
    return q->bind_text(1, msg).bind_text(2, domain).run();
  });
}

boost::asio::awaitable<error_code> sqlite_spool::apply_ack(std::string msg, std::string domain,
                                                           std::vector<proto::address> stored,
                                                           std::vector<ack_refusal> refused,
                                                           unix_time now) {
  std::size_t pulled = 0;  // recipients this ack moved to pulled: observed once committed
  bool pending = true;     // msg still has a recipient that is not final
  unix_time submitted = now;
  auto outcome = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    pulled = 0;
    auto no_retry = [](int) { return unix_time{0}; };
    auto apply = [&](const proto::address& rcpt, const row_change& change) -> error_code {
      auto position = find_position(db, msg, domain, key_of(rcpt));
      if (!position)
        return position.error();
      if (!*position)
        return {};  // [A-4]: not a recipient of msg in this domain: ignored
      auto changed = change_recipient(db, msg, **position, change, now, no_retry);
      if (changed && *changed && change.event == rcpt_event::ack_stored)
        ++pulled;
      return changed ? error_code{} : changed.error();
    };
    if (auto q = db.prepare("SELECT submitted FROM messages WHERE msg = ?1")) {
      q->bind_text(1, msg);
      if (auto row = q->step(); row && *row)
        submitted = q->column_int(0);
    }
    for (const auto& rcpt : stored) {
      if (auto ec = apply(rcpt, row_change{rcpt_event::ack_stored, std::nullopt, "", false}))
        return ec;
    }
    for (const auto& r : refused) {
      if (auto ec =
              apply(r.rcpt, row_change{rcpt_event::ack_refused, r.code, bounded(r.message), false}))
        return ec;
    }
    auto left = has_pending(db, msg);
    if (!left)
      return left.error();
    pending = *left;
    return {};
  });
  if (!outcome) {
    jobs_.erase({msg, domain});  // an ack can overtake the notify response
    if (!pending) {
      expiries_.remove(msg);
    }
  }
  if (!outcome && pulled > 0) {
    auto& delay = metrics::global().histogram(
        "im2k_submit_to_pulled_seconds", "Seconds from submission to the ack that stored a copy.",
        metrics::delay_buckets());
    for (std::size_t i = 0; i < pulled; ++i)
      delay.observe(static_cast<double>(std::max<unix_time>(now - submitted, 0)));
  }
  co_return outcome;
}

boost::asio::awaitable<result<std::optional<std::vector<recipient_record>>>> sqlite_spool::status(
    std::string msg, std::string owner) {
  using out = std::optional<std::vector<recipient_record>>;
  auto head = reader_.prepare("SELECT owner FROM messages WHERE msg = ?1");
  if (!head)
    co_return head.error();
  head->bind_text(1, msg);
  auto found = head->step();
  if (!found)
    co_return found.error();
  if (!*found || head->column_text(0) != proto::to_lower(owner))
    co_return out{};  // [Q-1]: unknown and foreign alike
  auto q = reader_.prepare("SELECT " + std::string(recipient_columns) +
                           " FROM recipients WHERE msg = ?1 ORDER BY position");
  if (!q)
    co_return q.error();
  q->bind_text(1, msg);
  std::vector<recipient_record> records;
  if (auto ec = q->for_each_row([&](auto& row) { records.push_back(recipient_of(row)); })) {
    co_return ec;
  }
  co_return out{std::move(records)};
}

boost::asio::awaitable<result<std::optional<std::vector<proto::address>>>> sqlite_spool::recall(
    std::string msg, std::string owner, unix_time now) {
  bool known = false;
  bool pending = true;
  std::vector<proto::address> recalled;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    known = false;
    recalled.clear();
    auto head = db.prepare("SELECT owner FROM messages WHERE msg = ?1");
    if (!head)
      return head.error();
    head->bind_text(1, msg);
    auto found = head->step();
    if (!found)
      return found.error();
    if (!*found || head->column_text(0) != proto::to_lower(owner))
      return {};
    known = true;
    auto q = db.prepare(
        "SELECT r.position, r.rcpt, d.pull_served FROM recipients r JOIN domains d "
        "ON d.msg = r.msg AND d.domain = r.domain WHERE r.msg = ?1 ORDER BY r.position");
    if (!q)
      return q.error();
    q->bind_text(1, msg);
    std::vector<std::tuple<std::int64_t, std::string, bool>> rows;
    if (auto ec = q->for_each_row([&](auto&) {
          rows.emplace_back(q->column_int(0), q->column_text(1), q->column_int(2) != 0);
        })) {
      return ec;
    }
    auto no_retry = [](int) { return unix_time{0}; };
    for (const auto& [position, rcpt, served] : rows) {
      auto changed =
          change_recipient(db, msg, position,
                           row_change{rcpt_event::recall, std::nullopt, "", served}, now, no_retry);
      if (!changed)
        return changed.error();
      if (*changed) {
        recalled.push_back(address_of(rcpt));
      }
    }
    auto left = has_pending(db, msg);
    if (!left)
      return left.error();
    pending = *left;
    return {};
  });
  if (ec)
    co_return ec;
  if (known) {
    forget_jobs(msg);  // its due keys stay: when taken, nothing of them is due any more
    if (!pending) {
      expiries_.remove(msg);
    }
  }
  if (!known)
    co_return std::optional<std::vector<proto::address>>{};
  co_return std::optional<std::vector<proto::address>>{std::move(recalled)};
}

// ---- A user's own messages: `sent` and the quota ----

boost::asio::awaitable<result<std::optional<std::vector<sent_record>>>> sqlite_spool::sent(
    std::string owner, std::optional<std::string> before, std::size_t limit, std::size_t max_rcpt) {
  using out = std::optional<std::vector<sent_record>>;
  const std::string key = proto::to_lower(owner);
  // Where the page starts: after `before` in (submitted, msg) descending order ([Q-9]).
  unix_time start_submitted = std::numeric_limits<unix_time>::max();
  std::string start_msg;
  if (before) {
    auto head = reader_.prepare("SELECT submitted FROM messages WHERE msg = ?1 AND owner = ?2");
    if (!head)
      co_return head.error();
    head->bind_text(1, *before).bind_text(2, key);
    auto found = head->step();
    if (!found)
      co_return found.error();
    if (!*found)
      co_return out{};  // unknown and foreign alike ([Q-1])
    start_submitted = head->column_int(0);
    start_msg = *before;
  }
  auto q = reader_.prepare(
      "SELECT msg, submitted, size, (SELECT COUNT(*) FROM recipients r WHERE r.msg = m.msg) "
      "FROM messages m WHERE owner = ?1 AND (submitted < ?2 OR (submitted = ?2 AND msg < ?3)) "
      "ORDER BY submitted DESC, msg DESC LIMIT ?4");
  if (!q)
    co_return q.error();
  if (before) {
    q->bind_text(3, start_msg);
  } else {
    q->bind_text(3, std::string(1, '\x7f'));  // above every [V-1] id: none is excluded
  }
  q->bind_text(1, key).bind_int(2, start_submitted).bind_int(4, static_cast<std::int64_t>(limit));
  std::vector<sent_record> records;
  if (auto ec = q->for_each_row([&](auto&) {
        sent_record r;
        r.msg = q->column_text(0);
        r.submitted = q->column_int(1);
        r.size = static_cast<std::uint64_t>(q->column_int(2));
        r.rcpt_count = static_cast<std::size_t>(q->column_int(3));
        records.push_back(std::move(r));
      })) {
    co_return ec;
  }
  auto rcpts = reader_.prepare("SELECT " + std::string(recipient_columns) +
                               " FROM recipients WHERE msg = ?1 ORDER BY position LIMIT ?2");
  if (!rcpts)
    co_return rcpts.error();
  for (auto& record : records) {
    rcpts->reset();
    rcpts->bind_text(1, record.msg).bind_int(2, static_cast<std::int64_t>(max_rcpt));
    if (auto ec = rcpts->for_each_row(
            [&](auto& row) { record.recipients.push_back(recipient_of(row)); })) {
      co_return ec;
    }
  }
  co_return out{std::move(records)};
}

boost::asio::awaitable<result<std::uint64_t>> sqlite_spool::spooled_bytes(std::string owner) {
  auto q = reader_.prepare("SELECT COALESCE(SUM(size), 0) FROM messages WHERE owner = ?1");
  if (!q)
    co_return q.error();
  q->bind_text(1, proto::to_lower(owner));
  auto row = q->step();
  if (!row)
    co_return row.error();
  co_return static_cast<std::uint64_t>(*row ? q->column_int(0) : 0);
}

// ---- end of a user's own messages ----

boost::asio::awaitable<result<std::size_t>> sqlite_spool::expire(unix_time now) {
  std::vector<std::string> due = expiries_.take_due(now, max_expiries_per_call);
  if (due.empty())
    co_return std::size_t{0};
  std::size_t count = 0;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    count = 0;
    auto q = db.prepare("SELECT position FROM recipients WHERE msg = ?1 AND state IN " +
                        std::string(pending_states));
    if (!q)
      return q.error();
    auto no_retry = [](int) { return unix_time{0}; };
    for (const auto& msg : due) {
      q->reset();
      q->bind_text(1, msg);
      std::vector<std::int64_t> positions;
      if (auto ec = q->for_each_row([&](auto&) { positions.push_back(q->column_int(0)); })) {
        return ec;
      }
      for (const auto position : positions) {
        auto changed = change_recipient(
            db, msg, position,
            row_change{rcpt_event::expire, proto::errc::expired, "not pulled before expiry", false},
            now, no_retry);
        if (!changed)
          return changed.error();
        count += *changed ? 1 : 0;
      }
    }
    return {};
  });
  for (const auto& msg : due) {
    if (ec) {
      expiries_.schedule(msg, now + rewrite_delay);
    } else {
      forget_jobs(msg);
      due_.remove_from({msg, std::string()}, [&](const job_key& k) { return k.first == msg; });
    }
  }
  if (ec)
    co_return ec;
  co_return count;
}

boost::asio::awaitable<result<std::vector<std::string>>> sqlite_spool::purge(unix_time before) {
  std::vector<std::string> removed;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    removed.clear();
    auto q = db.prepare(
        "SELECT m.msg FROM messages m WHERE NOT EXISTS (SELECT 1 FROM recipients r "
        "WHERE r.msg = m.msg AND r.state IN " +
        std::string(pending_states) +
        ") AND COALESCE((SELECT MAX(at) FROM recipients r WHERE r.msg = m.msg), m.submitted) "
        "<= ?1 LIMIT 1000");
    if (!q)
      return q.error();
    q->bind_int(1, before);
    if (auto ec = q->for_each_row([&](auto&) { removed.push_back(q->column_text(0)); })) {
      return ec;
    }
    for (const auto& msg : removed) {
      auto del = db.prepare("DELETE FROM messages WHERE msg = ?1");
      if (!del)
        return del.error();
      if (auto err = del->bind_text(1, msg).run())
        return err;
    }
    return {};
  });
  if (ec)
    co_return ec;
  if (!removed.empty()) {
    // The records are gone durably; now the bodies. A crash in between leaves orphan bodies,
    // which recover() removes.
    co_await queue_->submit([&](store::sqlite_db&) -> error_code {
      for (const auto& msg : removed) {
        (void)store::remove_durably(body_path(msg));
      }
      return {};
    });
  }
  co_return removed;
}

// Runs at start, before any listener: a submission in flight could otherwise look like an
// orphan between its rename and its record.
boost::asio::awaitable<result<recovery_report>> sqlite_spool::recover() {
  recovery_report report;
  report.stale_temp_files = stale_temp_files_;
  std::set<std::string> known;
  auto q = reader_.prepare("SELECT msg FROM messages");
  if (!q)
    co_return q.error();
  if (auto ec = q->for_each_row([&](auto&) { known.insert(q->column_text(0)); })) {
    co_return ec;
  }
  std::vector<std::filesystem::path> orphans;
  std::error_code fs_error;
  for (const auto& entry : std::filesystem::directory_iterator(bodies_, fs_error)) {
    if (entry.is_regular_file() && !known.contains(entry.path().filename().string())) {
      orphans.push_back(entry.path());
    }
  }
  for (const auto& msg : known) {
    if (!std::filesystem::exists(body_path(msg), fs_error)) {
      report.missing_bodies.push_back(msg);
    }
  }
  auto pending = reader_.prepare("SELECT COUNT(*) FROM recipients WHERE state IN " +
                                 std::string(pending_states));
  if (!pending)
    co_return pending.error();
  if (auto row = pending->step(); row && *row) {
    report.pending_recipients = static_cast<std::size_t>(pending->column_int(0));
  }
  report.orphan_bodies = orphans.size();
  if (!orphans.empty()) {
    auto ec = co_await queue_->submit([&](store::sqlite_db&) -> error_code {
      for (const auto& path : orphans) {
        if (auto err = store::remove_durably(path))
          return err;
      }
      return {};
    });
    if (ec)
      co_return ec;
  }
  co_return report;
}

// ---- The operator's view of the queue (im2k-oms queue) ----

namespace {

// The per-message columns of queued_message, filled from `head` (msg, owner, sender, submitted,
// size, expires) and three per-message queries prepared once by the caller.
struct queue_queries {
  store::statement states;
  store::statement next;
  store::statement last_code;
};

result<queue_queries> prepare_queue_queries(store::sqlite_db& db) {
  auto states = db.prepare("SELECT state, count(*) FROM recipients WHERE msg = ?1 GROUP BY state");
  if (!states)
    return states.error();
  auto next = db.prepare(
      "SELECT MIN(next_attempt) FROM recipients WHERE msg = ?1 "
      "AND state IN ('queued','deferred')");
  if (!next)
    return next.error();
  auto last = db.prepare(
      "SELECT code FROM recipients WHERE msg = ?1 AND code IS NOT NULL "
      "AND state IN " +
      std::string(pending_states) + " ORDER BY at DESC, position LIMIT 1");
  if (!last)
    return last.error();
  return queue_queries{std::move(*states), std::move(*next), std::move(*last)};
}

constexpr std::string_view queue_columns =
    "SELECT m.msg, m.owner, m.sender, m.submitted, m.size, m.expires FROM messages m ";

result<queued_message> read_queued(store::statement& head, queue_queries& q) {
  queued_message m;
  m.msg = head.column_text(0);
  m.owner = head.column_text(1);
  m.from = head.column_text(2);
  m.submitted = head.column_int(3);
  m.size = static_cast<std::uint64_t>(head.column_int(4));
  m.expires = head.column_int(5);
  q.states.reset();
  q.states.bind_text(1, m.msg);
  if (auto ec = q.states.for_each_row([&](auto&) {
        m.states[state_of(q.states.column_text(0))] +=
            static_cast<std::size_t>(q.states.column_int(1));
      })) {
    return ec;
  }
  q.next.reset();
  q.next.bind_text(1, m.msg);
  auto row = q.next.step();
  if (!row)
    return row.error();
  if (*row && !q.next.column_is_null(0)) {
    m.next_attempt = q.next.column_int(0);
  }
  q.last_code.reset();
  q.last_code.bind_text(1, m.msg);
  row = q.last_code.step();
  if (!row)
    return row.error();
  if (*row) {
    m.last_code = proto::errc_from_string(q.last_code.column_text(0));
  }
  return m;
}

}  // namespace

boost::asio::awaitable<result<std::vector<queued_message>>> sqlite_spool::queued(
    std::size_t limit) {
  auto head =
      reader_.prepare(std::string(queue_columns) +
                      "WHERE EXISTS (SELECT 1 FROM recipients r WHERE r.msg = m.msg AND "
                      "r.state IN " +
                      std::string(pending_states) + ") ORDER BY m.submitted, m.msg LIMIT ?1");
  if (!head)
    co_return head.error();
  auto queries = prepare_queue_queries(reader_);
  if (!queries)
    co_return queries.error();
  head->bind_int(1, static_cast<std::int64_t>(limit));
  std::vector<queued_message> out;
  error_code failure;
  if (auto ec = head->for_each_row([&](auto&) {
        if (failure)
          return;
        auto m = read_queued(*head, *queries);
        if (!m) {
          failure = m.error();
          return;
        }
        out.push_back(std::move(*m));
      })) {
    co_return ec;
  }
  if (failure)
    co_return failure;
  co_return out;
}

boost::asio::awaitable<result<std::optional<queued_message_detail>>> sqlite_spool::queued_detail(
    std::string msg) {
  using out = std::optional<queued_message_detail>;
  auto head = reader_.prepare(std::string(queue_columns) + "WHERE m.msg = ?1");
  if (!head)
    co_return head.error();
  auto queries = prepare_queue_queries(reader_);
  if (!queries)
    co_return queries.error();
  head->bind_text(1, msg);
  auto found = head->step();
  if (!found)
    co_return found.error();
  if (!*found)
    co_return out{};
  auto summary = read_queued(*head, *queries);
  if (!summary)
    co_return summary.error();
  queued_message_detail detail{std::move(*summary), {}};
  auto records = co_await status(msg, detail.message.owner);
  if (!records)
    co_return records.error();
  if (*records) {
    detail.recipients = std::move(**records);
  }
  co_return out{std::move(detail)};
}

boost::asio::awaitable<result<std::optional<std::size_t>>> sqlite_spool::retry_now(std::string msg,
                                                                                   unix_time now) {
  bool known = false;
  std::size_t count = 0;
  std::vector<std::string> domains;
  auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    domains.clear();
    auto head = db.prepare("SELECT 1 FROM messages WHERE msg = ?1");
    if (!head)
      return head.error();
    head->bind_text(1, msg);
    auto found = head->step();
    if (!found)
      return found.error();
    known = *found;
    if (!known)
      return {};
    auto q = db.prepare(
        "UPDATE recipients SET next_attempt = ?2 WHERE msg = ?1 AND state IN "
        "('queued','deferred')");
    if (!q)
      return q.error();
    if (auto err = q->bind_text(1, msg).bind_int(2, now).run())
      return err;
    count = static_cast<std::size_t>(db.changes());
    auto d = db.prepare(
        "SELECT DISTINCT domain FROM recipients WHERE msg = ?1 AND state IN ('queued','deferred')");
    if (!d)
      return d.error();
    d->bind_text(1, msg);
    return d->for_each_row([&](auto&) { domains.push_back(d->column_text(0)); });
  });
  if (ec)
    co_return ec;
  for (const auto& domain : domains) {
    arm({msg, domain}, now);
  }
  if (!known)
    co_return std::optional<std::size_t>{};
  co_return std::optional<std::size_t>{count};
}

boost::asio::awaitable<result<std::optional<std::vector<proto::address>>>> sqlite_spool::withdraw(
    std::string msg, unix_time now) {
  // The owner check of recall() does not apply: the operator may withdraw anyone's message.
  auto owner = reader_.prepare("SELECT owner FROM messages WHERE msg = ?1");
  if (!owner)
    co_return owner.error();
  owner->bind_text(1, msg);
  auto found = owner->step();
  if (!found)
    co_return found.error();
  if (!*found)
    co_return std::optional<std::vector<proto::address>>{};
  const std::string submitter = owner->column_text(0);
  co_return co_await recall(msg, submitter, now);
}

boost::asio::awaitable<result<std::map<rcpt_state, std::size_t>>> sqlite_spool::count_by_state() {
  auto q = reader_.prepare("SELECT state, count(*) FROM recipients GROUP BY state");
  if (!q)
    co_return q.error();
  std::map<rcpt_state, std::size_t> counts;
  if (auto ec = q->for_each_row([&](auto&) {
        counts[state_of(q->column_text(0))] += static_cast<std::size_t>(q->column_int(1));
      })) {
    co_return ec;
  }
  co_return counts;
}

// ---- end of the operator's view ----

}  // namespace im2k::oms
