#include "ims/sqlite_store.hpp"

#include <ctime>
#include <set>
#include <stdexcept>
#include <utility>

#include "common/log/log.hpp"
#include "ims/schema.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using boost::system::error_code;
template <class T>
using result = boost::system::result<T>;

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

constexpr std::string_view key_where = "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3";

// Prepares `sql` and binds the pull key to ?1 ?2 ?3.
result<store::statement> prepare_for(store::sqlite_db& db, std::string_view sql,
                                     const pull_key& key) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind_text(1, key.sender_domain).bind_text(2, key.msg).bind_text(3, key.rcpt_domain);
  return stmt;
}

error_code run_for(store::sqlite_db& db, std::string_view sql, const pull_key& key) {
  auto stmt = prepare_for(db, sql, key);
  return stmt ? stmt->run() : stmt.error();
}

// Sets the pull to `done` when none of its recipients waits for a pull or an ack.
error_code settle_pull(store::sqlite_db& db, const pull_key& key) {
  auto count = prepare_for(db,
                           "SELECT count(*) FROM notifications WHERE sender_domain = ?1 AND "
                           "msg = ?2 AND rcpt_domain = ?3 AND state IN "
                           "('accepted','stored','refused')",
                           key);
  if (!count) {
    return count.error();
  }
  auto row = count->step();
  if (!row) {
    return row.error();
  }
  if (*row && count->column_int(0) == 0) {
    return run_for(db,
                   "UPDATE pulls SET state = 'done' WHERE sender_domain = ?1 AND msg = ?2 AND "
                   "rcpt_domain = ?3",
                   key);
  }
  return {};
}

// Columns: sender_domain, msg, rcpt_domain, host, sender, size, digest, token, expires, state,
// attempts, next_attempt.
constexpr std::string_view job_columns =
    "sender_domain, msg, rcpt_domain, host, sender, size, digest, token, expires, state, "
    "attempts, next_attempt";

pull_job read_job(store::statement& stmt) {
  pull_job j;
  j.key = {stmt.column_text(0), stmt.column_text(1), stmt.column_text(2)};
  j.host = stmt.column_text(3);
  j.sender = stmt.column_text(4);
  j.size = static_cast<std::uint64_t>(stmt.column_int(5));
  j.digest = stmt.column_text(6);
  j.token = stmt.column_text(7);
  j.expires = stmt.column_int(8);
  j.state = pull_state_from_string(stmt.column_text(9)).value_or(pull_state::done);
  j.attempts = stmt.column_int(10);
  j.next_attempt = stmt.column_int(11);
  return j;
}

recipient_result read_result(store::statement& stmt, int first) {
  recipient_result r;
  r.rcpt = stmt.column_text(first);
  r.state = rcpt_state_from_string(stmt.column_text(first + 1)).value_or(rcpt_state::dropped);
  if (!stmt.column_is_null(first + 2)) {
    r.code = proto::errc_from_string(stmt.column_text(first + 2));
  }
  r.message = stmt.column_is_null(first + 3) ? std::string() : stmt.column_text(first + 3);
  return r;
}

// [M-4]: a copy goes with the last mailbox entry that refers to it. True when its row went:
// the caller removes the file after the commit.
result<bool> drop_unreferenced_body(store::sqlite_db& db, const std::string& name) {
  auto orphan = db.prepare(
      "DELETE FROM bodies WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM mailbox WHERE "
      "body = ?1)");
  if (!orphan) {
    return {boost::system::in_place_error, orphan.error()};
  }
  if (auto e = orphan->bind_text(1, name).run()) {
    return {boost::system::in_place_error, e};
  }
  return db.changes() > 0;
}

}  // namespace

std::string_view to_string(rcpt_state state) {
  switch (state) {
    case rcpt_state::accepted:
      return "accepted";
    case rcpt_state::rejected:
      return "rejected";
    case rcpt_state::stored:
      return "stored";
    case rcpt_state::refused:
      return "refused";
    case rcpt_state::acked:
      return "acked";
    case rcpt_state::dropped:
      return "dropped";
  }
  return "dropped";
}

std::optional<rcpt_state> rcpt_state_from_string(std::string_view text) {
  for (auto s : {rcpt_state::accepted, rcpt_state::rejected, rcpt_state::stored,
                 rcpt_state::refused, rcpt_state::acked, rcpt_state::dropped}) {
    if (to_string(s) == text) {
      return s;
    }
  }
  return std::nullopt;
}

std::string_view to_string(pull_state state) {
  switch (state) {
    case pull_state::pull:
      return "pull";
    case pull_state::ack:
      return "ack";
    case pull_state::done:
      return "done";
    case pull_state::dropped:
      return "dropped";
    case pull_state::held:
      return "held";
  }
  return "dropped";
}

std::optional<pull_state> pull_state_from_string(std::string_view text) {
  for (auto s : {pull_state::pull, pull_state::ack, pull_state::done, pull_state::dropped,
                 pull_state::held}) {
    if (to_string(s) == text) {
      return s;
    }
  }
  return std::nullopt;
}

sqlite_store::sqlite_store(const std::filesystem::path& state_dir)
    : state_dir_(state_dir),
      bodies_dir_(bodies_path(state_dir)),
      queue_(std::make_unique<store::commit_queue>(open_database(state_dir))),
      reader_(database_path(state_dir), store::sqlite_db::options{.read_only = true}) {
  load_index();
}

void sqlite_store::load_index() {
  due_.clear();
  // A held pull is due when it expires, to be given up ([N-10]).
  auto stmt = reader_.prepare(
      "SELECT sender_domain, msg, rcpt_domain, CASE state WHEN 'held' THEN expires ELSE "
      "next_attempt END FROM pulls WHERE state IN ('pull','ack','held')");
  if (!stmt) {
    throw std::runtime_error("cannot read the pulls: " + stmt.error().message());
  }
  if (auto ec = stmt->for_each_row([&](auto& row) {
        pull_key key{row.column_text(0), row.column_text(1), row.column_text(2)};
        if (!taken_.contains(key)) {
          due_.schedule(key, row.column_int(3));
        }
      })) {
    throw std::runtime_error("cannot read the pulls: " + ec.message());
  }
}

void sqlite_store::reindex(const pull_key& key) {
  if (taken_.contains(key)) {
    return;
  }
  auto stmt = prepare_for(reader_,
                          "SELECT CASE state WHEN 'held' THEN expires ELSE next_attempt END FROM "
                          "pulls WHERE sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3 AND "
                          "state IN ('pull','ack','held')",
                          key);
  auto row = stmt ? stmt->step() : result<bool>(boost::system::in_place_error, stmt.error());
  if (!row) {
    // Keep it due soon rather than lose it: a due pull whose row says otherwise is skipped.
    log::error("store.failed").kv("op", "reindex").kv("code", row.error());
    due_.schedule(key, now_seconds() + 60);
    return;
  }
  if (*row) {
    due_.schedule(key, stmt->column_int(0));
  } else {
    due_.remove(key);
  }
}

result<std::optional<pull_job>> sqlite_store::read_due(const pull_key& key, std::int64_t now) {
  auto stmt = prepare_for(
      reader_,
      "SELECT " + std::string(job_columns) + " FROM pulls WHERE " + std::string(key_where) +
          " AND ((state IN ('pull','ack') AND next_attempt <= ?4) OR (state = 'held' AND "
          "expires <= ?4))",
      key);
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind_int(4, now);
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<pull_job>();
  }
  return std::optional<pull_job>(read_job(*stmt));
}

bool sqlite_store::take(const pull_key& key) {
  if (!taken_.insert(key).second) {
    return false;
  }
  due_.remove(key);
  return true;
}

void sqlite_store::settle(const pull_key& key) {
  taken_.erase(key);
  reindex(key);
}

sqlite_store::~sqlite_store() {
  stop();
}

void sqlite_store::stop() {
  queue_->stop();
}

awaitable<result<bool>> sqlite_store::user_exists(std::string address) {
  using answer = result<bool>;
  auto stmt = reader_.prepare("SELECT 1 FROM users WHERE address = ?1");
  if (!stmt) {
    co_return answer(boost::system::in_place_error, stmt.error());
  }
  stmt->bind_text(1, proto::to_lower(address));
  auto row = stmt->step();
  if (!row) {
    co_return answer(boost::system::in_place_error, row.error());
  }
  co_return *row;
}

awaitable<result<std::optional<recipient_result>>> sqlite_store::find_result(
    std::string sender_domain, std::string msg, std::string rcpt) {
  auto stmt = reader_.prepare(
      "SELECT rcpt, state, code, message FROM notifications WHERE sender_domain = ?1 AND "
      "msg = ?2 AND rcpt_key = ?3");
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_text(1, sender_domain).bind_text(2, msg).bind_text(3, proto::to_lower(rcpt));
  auto row = stmt->step();
  if (!row) {
    co_return row.error();
  }
  if (!*row) {
    co_return std::optional<recipient_result>();
  }
  co_return std::optional<recipient_result>(read_result(*stmt, 0));
}

awaitable<error_code> sqlite_store::record_notification(notification n,
                                                        std::vector<recipient_result> results) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    const std::int64_t now = now_seconds();
    auto insert = db.prepare(
        "INSERT OR IGNORE INTO notifications(sender_domain, msg, rcpt_key, rcpt, rcpt_domain, "
        "host, source, sender, size, digest, token, expires, state, code, message, received, "
        "changed, entry_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?16, ?17)");
    if (!insert) {
      return insert.error();
    }
    bool new_acceptance = false;
    for (const auto& r : results) {
      insert->reset();
      insert->bind_text(1, n.sender_domain)
          .bind_text(2, n.msg)
          .bind_text(3, proto::to_lower(r.rcpt))
          .bind_text(4, r.rcpt)
          .bind_text(5, n.rcpt_domain)
          .bind_text(6, n.host)
          .bind_text(7, n.source)
          .bind_text(8, n.sender)
          .bind_int(9, static_cast<std::int64_t>(n.size))
          .bind_text(10, n.digest)
          .bind_text(11, n.token)
          .bind_int(12, n.expires)
          .bind_text(13, to_string(r.state))
          .bind_int(16, n.received);
      if (r.code) {
        insert->bind_text(14, proto::to_string(*r.code));
      } else {
        insert->bind_null(14);
      }
      insert->bind_text(15, r.message);
      if (r.state == rcpt_state::accepted) {
        insert->bind_text(17, proto::new_message_id());  // [M-5], kept once stored
      } else {
        insert->bind_null(17);
      }
      if (auto ec = insert->run()) {
        return ec;
      }
      if (db.changes() > 0 && r.state == rcpt_state::accepted) {
        new_acceptance = true;
      }
    }
    if (!new_acceptance) {
      return {};
    }
    // The first acceptance's values stand [N-12]; a new recipient makes the pull due again,
    // unless it is held and stays held ([N-16]).
    auto pull = db.prepare(
        "INSERT INTO pulls(sender_domain, msg, rcpt_domain, host, sender, size, digest, token, "
        "expires, state, attempts, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?11, 0, ?10) ON CONFLICT(sender_domain, msg, rcpt_domain) DO UPDATE SET "
        "state = CASE WHEN pulls.state = 'held' AND excluded.state = 'held' THEN 'held' "
        "ELSE 'pull' END, attempts = 0, next_attempt = ?10");
    if (!pull) {
      return pull.error();
    }
    return pull->bind_text(1, n.sender_domain)
        .bind_text(2, n.msg)
        .bind_text(3, n.rcpt_domain)
        .bind_text(4, n.host)
        .bind_text(5, n.sender)
        .bind_int(6, static_cast<std::int64_t>(n.size))
        .bind_text(7, n.digest)
        .bind_text(8, n.token)
        .bind_int(9, n.expires)
        .bind_int(10, now)
        .bind_text(11, n.hold ? "held" : "pull")
        .run();
  });
  if (!ec) {
    reindex({n.sender_domain, n.msg, n.rcpt_domain});
  }
  co_return ec;
}

awaitable<result<std::vector<pull_job>>> sqlite_store::due_pulls(std::int64_t now,
                                                                 std::size_t limit) {
  std::vector<pull_job> jobs;
  for (const auto& key : due_.peek_due(now, limit)) {
    auto job = read_due(key, now);
    if (!job) {
      co_return job.error();
    }
    if (*job) {
      jobs.push_back(std::move(**job));
    }
  }
  co_return jobs;
}

awaitable<result<std::vector<pull_job>>> sqlite_store::take_due_pulls(std::int64_t now,
                                                                      std::size_t limit) {
  std::vector<pull_job> jobs;
  for (const auto& key : due_.take_due(now, limit)) {
    auto job = read_due(key, now);
    if (!job) {
      due_.schedule(key, now + 60);
      co_return job.error();
    }
    if (!*job) {
      reindex(key);  // not due after all: the index was ahead of the row
      continue;
    }
    taken_.insert(key);
    jobs.push_back(std::move(**job));
  }
  co_return jobs;
}

awaitable<result<std::optional<std::int64_t>>> sqlite_store::next_due() {
  co_return due_.next();
}

awaitable<result<std::vector<recipient_result>>> sqlite_store::recipients(pull_key key) {
  auto stmt = prepare_for(reader_,
                          "SELECT rcpt, state, code, message FROM notifications WHERE "
                          "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3 ORDER BY rcpt_key",
                          key);
  if (!stmt) {
    co_return stmt.error();
  }
  std::vector<recipient_result> out;
  if (auto ec = stmt->for_each_row([&](auto&) { out.push_back(read_result(*stmt, 0)); })) {
    co_return ec;
  }
  co_return out;
}

awaitable<result<delivery>> sqlite_store::store_body(pull_key key, store::durable_file& body,
                                                     std::string body_name) {
  delivery outcome;
  const auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    outcome = {};
    auto finished = body.finish();
    if (!finished) {
      return finished.error();
    }
    const std::int64_t now = now_seconds();
    // Recipients still waiting for their copy, with the values for their mailbox entries.
    auto waiting = prepare_for(db,
                               "SELECT n.rcpt_key, n.sender, n.received, "
                               "EXISTS(SELECT 1 FROM users u WHERE u.address = n.rcpt_key), "
                               "n.entry_id "
                               "FROM notifications n WHERE n.sender_domain = ?1 AND n.msg = ?2 "
                               "AND n.rcpt_domain = ?3 AND n.state = 'accepted'",
                               key);
    if (!waiting) {
      return waiting.error();
    }
    struct row_values {
      std::string rcpt_key;
      std::string sender;
      std::int64_t received;
      bool is_user;
      std::string entry_id;  // the id it was listed with while held; new if none
    };
    std::vector<row_values> rows;
    if (auto ec = waiting->for_each_row([&](auto&) {
          rows.push_back(
              {waiting->column_text(0), waiting->column_text(1), waiting->column_int(2),
               waiting->column_int(3) != 0,
               waiting->column_is_null(4) ? proto::new_message_id() : waiting->column_text(4)});
        })) {
      return ec;
    }
    bool any_stored = false;
    for (const auto& r : rows) {
      any_stored = any_stored || r.is_user;
    }
    if (any_stored) {
      auto insert_body = db.prepare("INSERT INTO bodies(name, size, created) VALUES (?1, ?2, ?3)");
      if (!insert_body) {
        return insert_body.error();
      }
      if (auto e = insert_body->bind_text(1, body_name)
                       .bind_int(2, static_cast<std::int64_t>(finished->size))
                       .bind_int(3, now)
                       .run()) {
        return e;
      }
    }
    auto insert_entry = db.prepare(
        "INSERT OR IGNORE INTO mailbox(id, user, sender_domain, msg, sender, size, received, "
        "body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    auto set_state = db.prepare(
        "UPDATE notifications SET state = ?4, code = ?5, message = ?6, changed = ?7 WHERE "
        "sender_domain = ?1 AND msg = ?2 AND rcpt_key = ?3");
    if (!insert_entry) {
      return insert_entry.error();
    }
    if (!set_state) {
      return set_state.error();
    }
    for (const auto& r : rows) {
      set_state->reset();
      set_state->bind_text(1, key.sender_domain)
          .bind_text(2, key.msg)
          .bind_text(3, r.rcpt_key)
          .bind_int(7, now);
      if (r.is_user) {
        insert_entry->reset();
        if (auto e = insert_entry->bind_text(1, r.entry_id)
                         .bind_text(2, r.rcpt_key)
                         .bind_text(3, key.sender_domain)
                         .bind_text(4, key.msg)
                         .bind_text(5, r.sender)
                         .bind_int(6, static_cast<std::int64_t>(finished->size))
                         .bind_int(7, r.received)
                         .bind_text(8, body_name)
                         .run()) {
          return e;
        }
        set_state->bind_text(4, "stored").bind_null(5).bind_null(6);
        ++outcome.stored;
      } else {
        set_state->bind_text(4, "refused")
            .bind_text(5, proto::to_string(proto::errc::unknown_recipient))
            .bind_text(6, "no such user");
        ++outcome.refused;
      }
      if (auto e = set_state->run()) {
        return e;
      }
    }
    if (auto e = run_for(db,
                         "UPDATE pulls SET state = 'ack', attempts = 0, next_attempt = 0, "
                         "last_error = NULL WHERE sender_domain = ?1 AND msg = ?2 AND "
                         "rcpt_domain = ?3",
                         key)) {
      return e;
    }
    if (!any_stored) {
      // Nobody refers to the copy: it must not outlive this item. A crash before this leaves
      // an unreferenced file, which recovery removes.
      return store::remove_durably(finished->path);
    }
    return {};
  });
  reindex(key);
  if (ec) {
    co_return ec;
  }
  co_return outcome;
}

awaitable<error_code> sqlite_store::refuse_all(pull_key key, proto::errc code,
                                               std::string message) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto stmt = prepare_for(db,
                            "UPDATE notifications SET state = 'refused', code = ?4, message = "
                            "?5, changed = ?6 WHERE sender_domain = ?1 AND msg = ?2 AND "
                            "rcpt_domain = ?3 AND state = 'accepted'",
                            key);
    if (!stmt) {
      return stmt.error();
    }
    if (auto e = stmt->bind_text(4, proto::to_string(code))
                     .bind_text(5, message)
                     .bind_int(6, now_seconds())
                     .run()) {
      return e;
    }
    return run_for(db,
                   "UPDATE pulls SET state = 'ack', attempts = 0, next_attempt = 0 WHERE "
                   "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3",
                   key);
  });
  reindex(key);
  co_return ec;
}

awaitable<error_code> sqlite_store::mark_acked(pull_key key, std::vector<std::string> rcpts) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto stmt = prepare_for(db,
                            "UPDATE notifications SET state = 'acked', changed = ?5 WHERE "
                            "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3 AND "
                            "rcpt_key = ?4 AND state IN ('stored','refused')",
                            key);
    if (!stmt) {
      return stmt.error();
    }
    for (const auto& rcpt : rcpts) {
      stmt->reset();
      stmt->bind_text(1, key.sender_domain)
          .bind_text(2, key.msg)
          .bind_text(3, key.rcpt_domain)
          .bind_text(4, proto::to_lower(rcpt))
          .bind_int(5, now_seconds());
      if (auto e = stmt->run()) {
        return e;
      }
    }
    return settle_pull(db, key);
  });
  reindex(key);
  co_return ec;
}

awaitable<error_code> sqlite_store::drop(pull_key key, std::string reason) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto stmt = prepare_for(db,
                            "UPDATE notifications SET state = 'dropped', message = ?4, "
                            "changed = ?5 WHERE sender_domain = ?1 AND msg = ?2 AND "
                            "rcpt_domain = ?3 AND state = 'accepted'",
                            key);
    if (!stmt) {
      return stmt.error();
    }
    if (auto e = stmt->bind_text(4, reason).bind_int(5, now_seconds()).run()) {
      return e;
    }
    auto pull = prepare_for(db,
                            "UPDATE pulls SET state = 'dropped', last_error = ?4 WHERE "
                            "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3",
                            key);
    if (!pull) {
      return pull.error();
    }
    if (auto e = pull->bind_text(4, reason).run()) {
      return e;
    }
    // Outcomes already stored or refused still deserve their ack.
    auto pending = prepare_for(db,
                               "SELECT count(*) FROM notifications WHERE sender_domain = ?1 AND "
                               "msg = ?2 AND rcpt_domain = ?3 AND state IN ('stored','refused')",
                               key);
    if (!pending) {
      return pending.error();
    }
    auto row = pending->step();
    if (!row) {
      return row.error();
    }
    if (*row && pending->column_int(0) > 0) {
      return run_for(db,
                     "UPDATE pulls SET state = 'ack', next_attempt = 0 WHERE sender_domain = "
                     "?1 AND msg = ?2 AND rcpt_domain = ?3",
                     key);
    }
    return {};
  });
  reindex(key);
  co_return ec;
}

awaitable<error_code> sqlite_store::give_up(pull_key key, std::string reason) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto pull = prepare_for(db,
                            "UPDATE pulls SET state = 'done', last_error = ?4 WHERE "
                            "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3",
                            key);
    if (!pull) {
      return pull.error();
    }
    return pull->bind_text(4, reason).run();
  });
  reindex(key);
  co_return ec;
}

awaitable<error_code> sqlite_store::retry_later(pull_key key, std::int64_t next_attempt,
                                                std::string error) {
  const error_code ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto pull = prepare_for(db,
                            "UPDATE pulls SET attempts = attempts + 1, next_attempt = ?4, "
                            "last_error = ?5 WHERE sender_domain = ?1 AND msg = ?2 AND "
                            "rcpt_domain = ?3 AND state IN ('pull','ack')",
                            key);
    if (!pull) {
      return pull.error();
    }
    return pull->bind_int(4, next_attempt).bind_text(5, error).run();
  });
  reindex(key);
  co_return ec;
}

awaitable<result<std::vector<mailbox_entry>>> sqlite_store::mailbox(std::string user) {
  auto stmt = reader_.prepare(
      "SELECT id, user, sender_domain, msg, sender, size, received, body FROM mailbox WHERE "
      "user = ?1 ORDER BY id");
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_text(1, proto::to_lower(user));
  std::vector<mailbox_entry> out;
  if (auto ec = stmt->for_each_row([&](auto&) {
        out.push_back({stmt->column_text(0), stmt->column_text(1), stmt->column_text(2),
                       stmt->column_text(3), stmt->column_text(4),
                       static_cast<std::uint64_t>(stmt->column_int(5)), stmt->column_int(6),
                       stmt->column_text(7)});
      })) {
    co_return ec;
  }
  co_return out;
}

// --- The mailbox listener and on-read pulls ---

awaitable<result<entry_page>> sqlite_store::list_entries(std::string user,
                                                         std::optional<std::string> after,
                                                         std::size_t limit, std::int64_t now) {
  // Stored copies and held notifications share one id space ([M-5]); one more row than the
  // page tells whether more follow.
  auto stmt = reader_.prepare(
      "SELECT id, sender, size, received, 0 FROM mailbox WHERE user = ?1 AND id > ?2 "
      "UNION ALL SELECT entry_id, sender, size, received, 1 FROM notifications WHERE "
      "rcpt_key = ?1 AND state = 'accepted' AND entry_id IS NOT NULL AND entry_id > ?2 AND "
      "expires > ?3 ORDER BY 1 LIMIT ?4");
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_text(1, proto::to_lower(user))
      .bind_text(2, after.value_or(std::string()))
      .bind_int(3, now)
      .bind_int(4, static_cast<std::int64_t>(limit) + 1);
  entry_page page;
  if (auto ec = stmt->for_each_row([&](auto&) {
        page.entries.push_back({stmt->column_text(0), stmt->column_text(1),
                                static_cast<std::uint64_t>(stmt->column_int(2)),
                                stmt->column_int(3), stmt->column_int(4) != 0});
      })) {
    co_return ec;
  }
  if (page.entries.size() > limit) {
    page.entries.resize(limit);
    page.more = true;
  }
  co_return page;
}

awaitable<result<std::optional<found_entry>>> sqlite_store::find_entry(std::string user,
                                                                       std::string id) {
  using answer = std::optional<found_entry>;
  const std::string user_key = proto::to_lower(user);
  auto stored = reader_.prepare(
      "SELECT id, user, sender_domain, msg, sender, size, received, body FROM mailbox WHERE "
      "id = ?1 AND user = ?2");
  if (!stored) {
    co_return stored.error();
  }
  stored->bind_text(1, id).bind_text(2, user_key);
  auto row = stored->step();
  if (!row) {
    co_return row.error();
  }
  if (*row) {
    found_entry f;
    f.stored =
        mailbox_entry{stored->column_text(0), stored->column_text(1),
                      stored->column_text(2), stored->column_text(3),
                      stored->column_text(4), static_cast<std::uint64_t>(stored->column_int(5)),
                      stored->column_int(6),  stored->column_text(7)};
    f.key = {f.stored->sender_domain, f.stored->msg, {}};
    f.state = rcpt_state::stored;
    co_return answer(std::move(f));
  }
  // Not stored: a notification listed with this id. Once stored and deleted, it names nothing.
  auto held = reader_.prepare(
      "SELECT sender_domain, msg, rcpt_domain, state, code, expires FROM notifications WHERE "
      "entry_id = ?1 AND rcpt_key = ?2 AND state IN ('accepted','dropped','refused')");
  if (!held) {
    co_return held.error();
  }
  held->bind_text(1, id).bind_text(2, user_key);
  row = held->step();
  if (!row) {
    co_return row.error();
  }
  if (!*row) {
    co_return answer();
  }
  found_entry f;
  f.key = {held->column_text(0), held->column_text(1), held->column_text(2)};
  f.state = rcpt_state_from_string(held->column_text(3)).value_or(rcpt_state::dropped);
  if (!held->column_is_null(4)) {
    f.code = proto::errc_from_string(held->column_text(4));
  }
  f.expires = held->column_int(5);
  co_return answer(std::move(f));
}

awaitable<result<std::size_t>> sqlite_store::release_held(std::string user) {
  const std::string user_key = proto::to_lower(user);
  constexpr std::string_view held_of_user =
      "state = 'held' AND EXISTS (SELECT 1 FROM notifications n WHERE n.sender_domain = "
      "pulls.sender_domain AND n.msg = pulls.msg AND n.rcpt_domain = pulls.rcpt_domain AND "
      "n.rcpt_key = ?1 AND n.state = 'accepted')";
  // A read first: most lists release nothing, and need no write.
  auto any = reader_.prepare("SELECT EXISTS (SELECT 1 FROM pulls WHERE " +
                             std::string(held_of_user) + ")");
  if (!any) {
    co_return any.error();
  }
  any->bind_text(1, user_key);
  auto row = any->step();
  if (!row) {
    co_return row.error();
  }
  if (!*row || any->column_int(0) == 0) {
    co_return std::size_t{0};
  }
  any->reset();  // ends its read transaction: reindex below must see the release
  std::size_t released = 0;
  std::vector<pull_key> keys;
  const std::string sql =
      "UPDATE pulls SET state = 'pull', next_attempt = ?2 WHERE " + std::string(held_of_user);
  const std::string which =
      "SELECT sender_domain, msg, rcpt_domain FROM pulls WHERE " + std::string(held_of_user);
  // Named: a lambda inside a co_await expression trips a GCC 12 coroutine bug.
  store::commit_queue::work item = [&](store::sqlite_db& db) -> error_code {
    keys.clear();
    auto select = db.prepare(which);
    if (!select) {
      return select.error();
    }
    select->bind_text(1, user_key);
    if (auto e = select->for_each_row([&](auto& row) {
          keys.push_back({row.column_text(0), row.column_text(1), row.column_text(2)});
        })) {
      return e;
    }
    auto stmt = db.prepare(sql);
    if (!stmt) {
      return stmt.error();
    }
    if (auto e = stmt->bind_text(1, user_key).bind_int(2, now_seconds()).run()) {
      return e;
    }
    released = static_cast<std::size_t>(db.changes());
    return {};
  };
  const auto ec = co_await queue_->submit(std::move(item));
  for (const auto& key : keys) {
    reindex(key);
  }
  if (ec) {
    co_return ec;
  }
  co_return released;
}

awaitable<result<std::optional<pull_job>>> sqlite_store::release(pull_key key) {
  std::optional<pull_job> job;
  // Named: a lambda inside a co_await expression trips a GCC 12 coroutine bug.
  store::commit_queue::work item = [&](store::sqlite_db& db) -> error_code {
    job.reset();
    auto update = prepare_for(db,
                              "UPDATE pulls SET state = 'pull', next_attempt = ?4 WHERE "
                              "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3 AND "
                              "state = 'held'",
                              key);
    if (!update) {
      return update.error();
    }
    if (auto e = update->bind_int(4, now_seconds()).run()) {
      return e;
    }
    auto select = prepare_for(
        db, "SELECT " + std::string(job_columns) + " FROM pulls WHERE " + std::string(key_where),
        key);
    if (!select) {
      return select.error();
    }
    auto row = select->step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      job = read_job(*select);
    }
    return {};
  };
  const auto ec = co_await queue_->submit(std::move(item));
  reindex(key);
  if (ec) {
    co_return ec;
  }
  co_return job;
}

awaitable<result<std::vector<handover_item>>> sqlite_store::handover_pending(pull_key key) {
  std::vector<handover_item> out;
  store::commit_queue::work item = [&](store::sqlite_db& db) -> error_code {
    out.clear();
    auto stmt = prepare_for(db,
                            "SELECT n.rcpt, m.user, m.id, m.body FROM notifications n JOIN "
                            "mailbox m ON m.sender_domain = n.sender_domain AND m.msg = n.msg "
                            "AND m.user = n.rcpt_key WHERE n.sender_domain = ?1 AND n.msg = ?2 "
                            "AND n.rcpt_domain = ?3 AND n.state = 'stored' ORDER BY m.body",
                            key);
    if (!stmt) {
      return stmt.error();
    }
    return stmt->for_each_row([&](auto&) {
      out.push_back(
          {stmt->column_text(0), stmt->column_text(1), stmt->column_text(2), stmt->column_text(3)});
    });
  };
  if (auto ec = co_await queue_->submit(std::move(item))) {
    co_return result<std::vector<handover_item>>(boost::system::in_place_error, ec);
  }
  co_return out;
}

awaitable<error_code> sqlite_store::refuse_stored(pull_key key, std::string user, proto::errc code,
                                                  std::string message) {
  const std::string user_key = proto::to_lower(user);
  std::optional<std::filesystem::path> unreferenced;
  store::commit_queue::work item = [&](store::sqlite_db& db) -> error_code {
    unreferenced.reset();
    auto refuse = prepare_for(db,
                              "UPDATE notifications SET state = 'refused', code = ?5, message = "
                              "?6, changed = ?7 WHERE sender_domain = ?1 AND msg = ?2 AND "
                              "rcpt_domain = ?3 AND rcpt_key = ?4 AND state = 'stored'",
                              key);
    if (!refuse) {
      return refuse.error();
    }
    if (auto e = refuse->bind_text(4, user_key)
                     .bind_text(5, proto::to_string(code))
                     .bind_text(6, message)
                     .bind_int(7, now_seconds())
                     .run()) {
      return e;
    }
    auto body =
        db.prepare("SELECT body FROM mailbox WHERE sender_domain = ?1 AND msg = ?2 AND user = ?3");
    if (!body) {
      return body.error();
    }
    auto row =
        body->bind_text(1, key.sender_domain).bind_text(2, key.msg).bind_text(3, user_key).step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return {};
    }
    const std::string name = body->column_text(0);
    auto remove =
        db.prepare("DELETE FROM mailbox WHERE sender_domain = ?1 AND msg = ?2 AND user = ?3");
    if (!remove) {
      return remove.error();
    }
    if (auto e = remove->bind_text(1, key.sender_domain)
                     .bind_text(2, key.msg)
                     .bind_text(3, user_key)
                     .run()) {
      return e;
    }
    auto dropped = drop_unreferenced_body(db, name);
    if (!dropped) {
      return dropped.error();
    }
    if (*dropped) {
      unreferenced = bodies_dir_ / name;
    }
    return {};
  };
  if (auto ec = co_await queue_->submit(std::move(item))) {
    co_return ec;
  }
  if (unreferenced) {
    co_await remove_unreferenced(*unreferenced);
  }
  co_return error_code{};
}

awaitable<result<bool>> sqlite_store::delete_entry(std::string user, std::string id) {
  const std::string user_key = proto::to_lower(user);
  bool found = false;
  std::optional<std::filesystem::path> unreferenced;
  std::optional<pull_key> changed;  // a held entry's pull
  // Named: a lambda inside a co_await expression trips a GCC 12 coroutine bug.
  store::commit_queue::work item = [&](store::sqlite_db& db) -> error_code {
    found = false;
    unreferenced.reset();
    changed.reset();
    auto body = db.prepare("SELECT body FROM mailbox WHERE id = ?1 AND user = ?2");
    if (!body) {
      return body.error();
    }
    auto row = body->bind_text(1, id).bind_text(2, user_key).step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      const std::string name = body->column_text(0);
      auto remove = db.prepare("DELETE FROM mailbox WHERE id = ?1");
      if (!remove) {
        return remove.error();
      }
      if (auto e = remove->bind_text(1, id).run()) {
        return e;
      }
      auto dropped = drop_unreferenced_body(db, name);
      if (!dropped) {
        return dropped.error();
      }
      if (*dropped) {
        unreferenced = bodies_dir_ / name;
      }
      found = true;
      return {};
    }
    // A held entry: this recipient's notification is dropped ([M-4]).
    auto held = db.prepare(
        "SELECT sender_domain, msg, rcpt_domain FROM notifications WHERE entry_id = ?1 AND "
        "rcpt_key = ?2 AND state = 'accepted'");
    if (!held) {
      return held.error();
    }
    row = held->bind_text(1, id).bind_text(2, user_key).step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return {};
    }
    const pull_key key{held->column_text(0), held->column_text(1), held->column_text(2)};
    changed = key;
    auto drop_one = db.prepare(
        "UPDATE notifications SET state = 'dropped', message = 'deleted by the recipient "
        "before it was pulled', changed = ?2 WHERE entry_id = ?1");
    if (!drop_one) {
      return drop_one.error();
    }
    if (auto e = drop_one->bind_text(1, id).bind_int(2, now_seconds()).run()) {
      return e;
    }
    // Nobody else waits for the copy: no pull; outcomes already stored or refused keep their
    // ack.
    if (auto e = run_for(db,
                         "UPDATE pulls SET state = CASE WHEN EXISTS (SELECT 1 FROM notifications "
                         "n WHERE n.sender_domain = ?1 AND n.msg = ?2 AND n.rcpt_domain = ?3 AND "
                         "n.state IN ('stored','refused')) THEN 'ack' ELSE 'dropped' END, "
                         "next_attempt = 0 WHERE sender_domain = ?1 AND msg = ?2 AND "
                         "rcpt_domain = ?3 AND state IN ('held','pull') AND NOT EXISTS (SELECT 1 "
                         "FROM notifications n WHERE n.sender_domain = ?1 AND n.msg = ?2 AND "
                         "n.rcpt_domain = ?3 AND n.state = 'accepted')",
                         key)) {
      return e;
    }
    found = true;
    return {};
  };
  const auto ec = co_await queue_->submit(std::move(item));
  if (changed) {
    reindex(*changed);
  }
  if (ec) {
    co_return result<bool>(boost::system::in_place_error, ec);
  }
  if (unreferenced) {
    co_await remove_unreferenced(*unreferenced);
  }
  co_return found;
}

awaitable<void> sqlite_store::remove_unreferenced(std::filesystem::path file) {
  // After the commit, on the writer thread (fsync): a crash before this leaves a file no row
  // names, which recovery removes.
  store::commit_queue::work remove = [&](store::sqlite_db&) -> error_code {
    return store::remove_durably(file);
  };
  if (const auto removed = co_await queue_->submit(std::move(remove))) {
    log::warn("store.remove_failed").kv("body", file.filename().string()).kv("code", removed);
  }
}

result<recovery_report> sqlite_store::recover(std::int64_t now) {
  recovery_report report;
  auto removed = store::prepare_directory(bodies_dir_);
  if (!removed) {
    return removed.error();
  }
  report.temp_files_removed = *removed;

  // A second write connection: the writer thread is idle before the daemon serves anything.
  store::sqlite_db db(database_path(state_dir_));
  auto tx = store::transaction::begin(db);
  if (!tx) {
    return tx.error();
  }
  // Rows no mailbox entry refers to (a crash between an entry's removal and its file's).
  std::set<std::string> referenced;
  {
    auto unreferenced = db.prepare(
        "SELECT name FROM bodies WHERE NOT EXISTS (SELECT 1 FROM mailbox m WHERE m.body = "
        "bodies.name)");
    if (!unreferenced) {
      return unreferenced.error();
    }
    std::vector<std::string> names;
    if (auto ec = unreferenced->for_each_row(
            [&](auto&) { names.push_back(unreferenced->column_text(0)); })) {
      return ec;
    }
    auto remove_row = db.prepare("DELETE FROM bodies WHERE name = ?1");
    if (!remove_row) {
      return remove_row.error();
    }
    for (const auto& name : names) {
      remove_row->reset();
      if (auto e = remove_row->bind_text(1, name).run()) {
        return e;
      }
    }
    auto all = db.prepare("SELECT name FROM bodies");
    if (!all) {
      return all.error();
    }
    if (auto ec = all->for_each_row([&](auto&) { referenced.insert(all->column_text(0)); })) {
      return ec;
    }
  }
  for (const auto& name : referenced) {
    std::error_code fs_error;
    if (!std::filesystem::exists(bodies_dir_ / name, fs_error)) {
      ++report.missing_bodies;
      log::error("store.body_missing").kv("body", name);
    }
  }
  auto resume = db.prepare(
      "UPDATE pulls SET next_attempt = ?1 WHERE state IN ('pull','ack') AND next_attempt > ?1");
  if (!resume) {
    return resume.error();
  }
  if (auto e = resume->bind_int(1, now).run()) {
    return e;
  }
  auto pending = db.prepare("SELECT count(*) FROM pulls WHERE state IN ('pull','ack')");
  if (!pending) {
    return pending.error();
  }
  auto row = pending->step();
  if (!row) {
    return row.error();
  }
  report.pulls_resumed = *row ? static_cast<std::size_t>(pending->column_int(0)) : 0;
  if (auto e = tx->commit()) {
    return e;
  }
  load_index();  // recovery made unfinished pulls due now
  // Files after the commit: a file is removed only once no committed row can refer to it.
  std::error_code fs_error;
  for (const auto& entry : std::filesystem::directory_iterator(bodies_dir_, fs_error)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const std::string name = entry.path().filename().string();
    if (!referenced.contains(name)) {
      if (!store::remove_durably(entry.path())) {
        ++report.orphan_bodies_removed;
      }
    }
  }
  return report;
}

result<std::size_t> sqlite_store::pending_pulls() {
  auto q = reader_.prepare("SELECT count(*) FROM pulls WHERE state NOT IN ('done', 'dropped')");
  if (!q) {
    return q.error();
  }
  auto row = q->step();
  if (!row) {
    return row.error();
  }
  return *row ? static_cast<std::size_t>(q->column_int(0)) : 0;
}

// ---- The operator's view of pending pulls (im2k-ims queue) ----

namespace {

constexpr std::string_view pending_pull_columns =
    "SELECT rowid, sender_domain, msg, rcpt_domain, host, sender, size, digest, expires, state, "
    "attempts, next_attempt, last_error FROM pulls ";
constexpr std::string_view pending_pull_states = "state NOT IN ('done','dropped')";

// A row of pending_pull_columns, without its recipients. The token stays in the database.
queued_pull read_queued_pull(store::statement& stmt) {
  queued_pull p;
  p.id = stmt.column_int(0);
  p.job.key = {stmt.column_text(1), stmt.column_text(2), stmt.column_text(3)};
  p.job.host = stmt.column_text(4);
  p.job.sender = stmt.column_text(5);
  p.job.size = static_cast<std::uint64_t>(stmt.column_int(6));
  p.job.digest = stmt.column_text(7);
  p.job.expires = stmt.column_int(8);
  p.job.state = pull_state_from_string(stmt.column_text(9)).value_or(pull_state::pull);
  p.job.attempts = stmt.column_int(10);
  p.job.next_attempt = stmt.column_int(11);
  p.last_error = stmt.column_is_null(12) ? std::string() : stmt.column_text(12);
  return p;
}

}  // namespace

awaitable<result<std::vector<queued_pull>>> sqlite_store::queued_pulls(std::size_t limit) {
  auto stmt =
      reader_.prepare(std::string(pending_pull_columns) + "WHERE " +
                      std::string(pending_pull_states) + " ORDER BY next_attempt, rowid LIMIT ?1");
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_int(1, static_cast<std::int64_t>(limit));
  std::vector<queued_pull> out;
  if (auto ec = stmt->for_each_row([&](auto&) { out.push_back(read_queued_pull(*stmt)); })) {
    co_return ec;
  }
  for (auto& p : out) {
    auto rcpts = co_await recipients(p.job.key);
    if (!rcpts) {
      co_return rcpts.error();
    }
    p.recipients = std::move(*rcpts);
  }
  co_return out;
}

awaitable<result<std::optional<queued_pull>>> sqlite_store::queued_pull_by_id(std::int64_t id) {
  auto stmt = reader_.prepare(std::string(pending_pull_columns) + "WHERE rowid = ?1 AND " +
                              std::string(pending_pull_states));
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_int(1, id);
  auto row = stmt->step();
  if (!row) {
    co_return row.error();
  }
  if (!*row) {
    co_return std::optional<queued_pull>();
  }
  auto p = read_queued_pull(*stmt);
  auto rcpts = co_await recipients(p.job.key);
  if (!rcpts) {
    co_return rcpts.error();
  }
  p.recipients = std::move(*rcpts);
  co_return std::optional<queued_pull>(std::move(p));
}

awaitable<result<bool>> sqlite_store::pull_now(std::int64_t id, std::int64_t now) {
  bool changed = false;
  std::optional<pull_key> key;
  const auto ec = co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto which = db.prepare("SELECT sender_domain, msg, rcpt_domain FROM pulls WHERE rowid = ?1");
    if (!which) {
      return which.error();
    }
    auto found = which->bind_int(1, id).step();
    if (!found) {
      return found.error();
    }
    if (*found) {
      key = pull_key{which->column_text(0), which->column_text(1), which->column_text(2)};
    }
    // A held pull ([N-16]) waits for nobody once the operator asks for it.
    auto stmt = db.prepare(
        "UPDATE pulls SET next_attempt = ?2, state = CASE state WHEN 'held' THEN 'pull' ELSE "
        "state END WHERE rowid = ?1 AND " +
        std::string(pending_pull_states));
    if (!stmt) {
      return stmt.error();
    }
    if (auto e = stmt->bind_int(1, id).bind_int(2, now).run()) {
      return e;
    }
    changed = db.changes() > 0;
    return {};
  });
  if (key) {
    reindex(*key);
  }
  if (ec) {
    co_return result<bool>(boost::system::in_place_error, ec);
  }
  co_return changed;
}

// ---- end of the operator's view ----

}  // namespace im2k::ims
