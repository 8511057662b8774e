#include "ims/schema.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace im2k::ims {
namespace {

// Never edit a shipped script; append a new one.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE users(
  address TEXT PRIMARY KEY,          -- lower case
  password TEXT NOT NULL,            -- scrypt, common/crypto/password.hpp
  created INTEGER NOT NULL
);
-- One row per (sender domain, msg, recipient) [N-12]; states [L-11].
CREATE TABLE notifications(
  sender_domain TEXT NOT NULL,
  msg TEXT NOT NULL,
  rcpt_key TEXT NOT NULL,            -- lower-cased address, the key
  rcpt TEXT NOT NULL,                -- as notified, for the ack
  rcpt_domain TEXT NOT NULL,
  host TEXT NOT NULL,                -- H, the certified peer host
  source TEXT NOT NULL,              -- A, the connection's source address
  sender TEXT NOT NULL,              -- the notified from
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,
  token TEXT NOT NULL,
  expires INTEGER NOT NULL,
  state TEXT NOT NULL,               -- accepted rejected stored refused acked dropped
  code TEXT,
  message TEXT,
  received INTEGER NOT NULL,
  changed INTEGER NOT NULL,
  PRIMARY KEY(sender_domain, msg, rcpt_key)
);
-- One pull per (sender domain, msg, recipient domain) [P-4].
CREATE TABLE pulls(
  sender_domain TEXT NOT NULL,
  msg TEXT NOT NULL,
  rcpt_domain TEXT NOT NULL,
  host TEXT NOT NULL,
  sender TEXT NOT NULL,
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,
  token TEXT NOT NULL,
  expires INTEGER NOT NULL,
  state TEXT NOT NULL,               -- pull ack done dropped
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_error TEXT,
  PRIMARY KEY(sender_domain, msg, rcpt_domain)
);
CREATE INDEX pulls_due ON pulls(state, next_attempt);
CREATE TABLE bodies(
  name TEXT PRIMARY KEY,             -- file name under state_dir/bodies
  size INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE mailbox(
  id TEXT PRIMARY KEY,               -- [V-1], [M-5]
  user TEXT NOT NULL,                -- lower-cased address
  sender_domain TEXT NOT NULL,
  msg TEXT NOT NULL,
  sender TEXT NOT NULL,
  size INTEGER NOT NULL,             -- stored size
  received INTEGER NOT NULL,         -- when the notification was accepted
  body TEXT NOT NULL REFERENCES bodies(name),
  UNIQUE(sender_domain, msg, user)
);
CREATE INDEX mailbox_user ON mailbox(user, id);
CREATE INDEX mailbox_body ON mailbox(body);
)sql";

// The mailbox listener ([M-*]) and on-read pulls ([N-16]): every accepted recipient gets its
// mailbox id at acceptance, so that a held entry keeps the id it was listed with once stored;
// pulls gain the state `held`.
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE notifications ADD COLUMN entry_id TEXT;  -- [M-5], NULL unless accepted
CREATE UNIQUE INDEX notifications_entry ON notifications(entry_id);
CREATE INDEX notifications_rcpt ON notifications(rcpt_key, state);
)sql";

constexpr std::array<std::string_view, 2> scripts{schema_v1, schema_v2};

}  // namespace

std::filesystem::path database_path(const std::filesystem::path& state_dir) {
  return state_dir / "ims.db";
}

std::filesystem::path bodies_path(const std::filesystem::path& state_dir) {
  return state_dir / "bodies";
}

store::sqlite_db open_database(const std::filesystem::path& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create state_dir " + state_dir.string() + ": " + ec.message());
  }
  // [K-7]: other people's mail and pull tokens.
  std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  store::sqlite_db db(database_path(state_dir));
  // [K-7]: the database holds pull tokens; SQLite gives its -wal and -shm files the same mode.
  std::filesystem::permissions(
      database_path(state_dir),
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  if (ec) {
    throw std::runtime_error("cannot restrict " + database_path(state_dir).string() + ": " +
                             ec.message());
  }
  if (auto error = store::migrate(db, scripts)) {
    throw std::runtime_error("cannot prepare the database " + database_path(state_dir).string() +
                             ": " + error.message() + " (" + db.last_error_message() + ")");
  }
  return db;
}

}  // namespace im2k::ims
