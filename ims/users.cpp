#include "ims/users.hpp"

#include <ctime>

#include "common/crypto/password.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {
namespace {

const std::string& dummy_hash() {
  static const std::string hash = crypto::hash_password("im2k dummy password, never valid");
  return hash;
}

}  // namespace

boost::system::result<user_change> add_user(store::sqlite_db& db, std::string_view address,
                                            std::string_view password) {
  auto exists = user_exists(db, address);
  if (!exists) {
    return exists.error();
  }
  if (*exists) {
    return user_change::exists;
  }
  auto stmt = db.prepare("INSERT INTO users(address, password, created) VALUES (?1, ?2, ?3)");
  if (!stmt) {
    return stmt.error();
  }
  const std::string hash = crypto::hash_password(password);
  if (auto ec = stmt->bind_text(1, proto::to_lower(address))
                    .bind_text(2, hash)
                    .bind_int(3, std::time(nullptr))
                    .run()) {
    return ec;
  }
  return user_change::done;
}

boost::system::result<user_change> set_password(store::sqlite_db& db, std::string_view address,
                                                std::string_view password) {
  auto stmt = db.prepare("UPDATE users SET password = ?2 WHERE address = ?1");
  if (!stmt) {
    return stmt.error();
  }
  const std::string hash = crypto::hash_password(password);
  if (auto ec = stmt->bind_text(1, proto::to_lower(address)).bind_text(2, hash).run()) {
    return ec;
  }
  return db.changes() > 0 ? user_change::done : user_change::missing;
}

boost::system::result<user_change> remove_user(store::sqlite_db& db, std::string_view address) {
  auto stmt = db.prepare("DELETE FROM users WHERE address = ?1");
  if (!stmt) {
    return stmt.error();
  }
  if (auto ec = stmt->bind_text(1, proto::to_lower(address)).run()) {
    return ec;
  }
  return db.changes() > 0 ? user_change::done : user_change::missing;
}

boost::system::result<std::vector<std::string>> list_users(store::sqlite_db& db) {
  auto stmt = db.prepare("SELECT address FROM users ORDER BY address");
  if (!stmt) {
    return stmt.error();
  }
  std::vector<std::string> users;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    users.push_back(stmt->column_text(0));
  }
  return users;
}

boost::system::result<bool> user_exists(store::sqlite_db& db, std::string_view address) {
  using answer = boost::system::result<bool>;
  auto stmt = db.prepare("SELECT 1 FROM users WHERE address = ?1");
  if (!stmt) {
    return answer(boost::system::in_place_error, stmt.error());
  }
  stmt->bind_text(1, proto::to_lower(address));
  auto row = stmt->step();
  if (!row) {
    return answer(boost::system::in_place_error, row.error());
  }
  return *row;
}

boost::system::result<std::optional<std::string>> password_hash(store::sqlite_db& db,
                                                                std::string_view address) {
  auto stmt = db.prepare("SELECT password FROM users WHERE address = ?1");
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind_text(1, proto::to_lower(address));
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  if (!*row) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(stmt->column_text(0));
}

bool password_matches(const std::optional<std::string>& stored, std::string_view password) {
  if (!stored) {
    (void)crypto::verify_password(password, dummy_hash());
    return false;
  }
  return crypto::verify_password(password, *stored);
}

}  // namespace im2k::ims
