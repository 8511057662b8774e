#include "ims/sqlite_store.hpp"

#include <ctime>
#include <set>
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
  }
  return "dropped";
}

std::optional<pull_state> pull_state_from_string(std::string_view text) {
  for (auto s : {pull_state::pull, pull_state::ack, pull_state::done, pull_state::dropped}) {
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
      reader_(database_path(state_dir), store::sqlite_db::options{.read_only = true}) {}

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
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    const std::int64_t now = now_seconds();
    auto insert = db.prepare(
        "INSERT OR IGNORE INTO notifications(sender_domain, msg, rcpt_key, rcpt, rcpt_domain, "
        "host, source, sender, size, digest, token, expires, state, code, message, received, "
        "changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?16)");
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
    // The first acceptance's values stand [N-12]; a new recipient makes the pull due again.
    auto pull = db.prepare(
        "INSERT INTO pulls(sender_domain, msg, rcpt_domain, host, sender, size, digest, token, "
        "expires, state, attempts, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "'pull', 0, ?10) ON CONFLICT(sender_domain, msg, rcpt_domain) DO UPDATE SET "
        "state = 'pull', attempts = 0, next_attempt = ?10");
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
        .run();
  });
}

awaitable<result<std::vector<pull_job>>> sqlite_store::due_pulls(std::int64_t now,
                                                                 std::size_t limit) {
  auto stmt = reader_.prepare(
      "SELECT sender_domain, msg, rcpt_domain, host, sender, size, digest, token, expires, "
      "state, attempts, next_attempt FROM pulls WHERE state IN ('pull','ack') AND "
      "next_attempt <= ?1 ORDER BY next_attempt LIMIT ?2");
  if (!stmt) {
    co_return stmt.error();
  }
  stmt->bind_int(1, now).bind_int(2, static_cast<std::int64_t>(limit));
  std::vector<pull_job> jobs;
  if (auto ec = stmt->for_each_row([&](auto&) {
        pull_job j;
        j.key = {stmt->column_text(0), stmt->column_text(1), stmt->column_text(2)};
        j.host = stmt->column_text(3);
        j.sender = stmt->column_text(4);
        j.size = static_cast<std::uint64_t>(stmt->column_int(5));
        j.digest = stmt->column_text(6);
        j.token = stmt->column_text(7);
        j.expires = stmt->column_int(8);
        j.state = pull_state_from_string(stmt->column_text(9)).value_or(pull_state::done);
        j.attempts = stmt->column_int(10);
        j.next_attempt = stmt->column_int(11);
        jobs.push_back(std::move(j));
      })) {
    co_return ec;
  }
  co_return jobs;
}

awaitable<result<std::optional<std::int64_t>>> sqlite_store::next_due() {
  auto stmt = reader_.prepare("SELECT min(next_attempt) FROM pulls WHERE state IN ('pull','ack')");
  if (!stmt) {
    co_return stmt.error();
  }
  auto row = stmt->step();
  if (!row) {
    co_return row.error();
  }
  if (!*row || stmt->column_is_null(0)) {
    co_return std::optional<std::int64_t>();
  }
  co_return std::optional<std::int64_t>(stmt->column_int(0));
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
                               "EXISTS(SELECT 1 FROM users u WHERE u.address = n.rcpt_key) "
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
    };
    std::vector<row_values> rows;
    if (auto ec = waiting->for_each_row([&](auto&) {
          rows.push_back({waiting->column_text(0), waiting->column_text(1), waiting->column_int(2),
                          waiting->column_int(3) != 0});
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
        if (auto e = insert_entry->bind_text(1, proto::new_message_id())
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
  if (ec) {
    co_return ec;
  }
  co_return outcome;
}

awaitable<error_code> sqlite_store::refuse_all(pull_key key, proto::errc code,
                                               std::string message) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
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
}

awaitable<error_code> sqlite_store::mark_acked(pull_key key, std::vector<std::string> rcpts) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
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
}

awaitable<error_code> sqlite_store::drop(pull_key key, std::string reason) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
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
}

awaitable<error_code> sqlite_store::give_up(pull_key key, std::string reason) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
    auto pull = prepare_for(db,
                            "UPDATE pulls SET state = 'done', last_error = ?4 WHERE "
                            "sender_domain = ?1 AND msg = ?2 AND rcpt_domain = ?3",
                            key);
    if (!pull) {
      return pull.error();
    }
    return pull->bind_text(4, reason).run();
  });
}

awaitable<error_code> sqlite_store::retry_later(pull_key key, std::int64_t next_attempt,
                                                std::string error) {
  co_return co_await queue_->submit([&](store::sqlite_db& db) -> error_code {
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

}  // namespace im2k::ims
