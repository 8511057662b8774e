#include "oms/users.hpp"

#include "common/crypto/password.hpp"
#include "proto/syntax.hpp"

namespace im2k::oms {
namespace {

// A hash of a random password with the default parameters, made once: verifying against it
// costs what verifying a real user costs.
const std::string& dummy_hash() {
  static const std::string hash = crypto::hash_password("im2k dummy password, never valid");
  return hash;
}

}  // namespace

boost::system::error_code user_db::add(const std::string& address, const std::string& hash) {
  auto q = db_.prepare("INSERT INTO users(address, hash) VALUES (?1, ?2)");
  if (!q)
    return q.error();
  return q->bind_text(1, proto::to_lower(address)).bind_text(2, hash).run();
}

boost::system::result<bool> user_db::set_hash(const std::string& address, const std::string& hash) {
  auto q = db_.prepare("UPDATE users SET hash = ?2 WHERE address = ?1");
  if (!q)
    return boost::system::result<bool>(boost::system::in_place_error, q.error());
  if (auto ec = q->bind_text(1, proto::to_lower(address)).bind_text(2, hash).run())
    return boost::system::result<bool>(boost::system::in_place_error, ec);
  return db_.changes() > 0;
}

boost::system::result<bool> user_db::remove(const std::string& address) {
  auto q = db_.prepare("DELETE FROM users WHERE address = ?1");
  if (!q)
    return boost::system::result<bool>(boost::system::in_place_error, q.error());
  if (auto ec = q->bind_text(1, proto::to_lower(address)).run())
    return boost::system::result<bool>(boost::system::in_place_error, ec);
  return db_.changes() > 0;
}

boost::system::result<std::vector<std::string>> user_db::list() {
  auto q = db_.prepare("SELECT address FROM users ORDER BY address");
  if (!q)
    return q.error();
  std::vector<std::string> out;
  for (;;) {
    auto row = q->step();
    if (!row)
      return row.error();
    if (!*row)
      break;
    out.push_back(q->column_text(0));
  }
  return out;
}

boost::system::result<std::optional<std::string>> user_db::hash_of(const std::string& address) {
  auto q = db_.prepare("SELECT hash FROM users WHERE address = ?1");
  if (!q)
    return q.error();
  q->bind_text(1, proto::to_lower(address));
  auto row = q->step();
  if (!row)
    return row.error();
  if (!*row)
    return std::optional<std::string>{};
  return std::optional<std::string>{q->column_text(0)};
}

bool check_user_password(const std::optional<std::string>& stored_hash,
                         const std::string& password) {
  if (!stored_hash) {
    (void)crypto::verify_password(password, dummy_hash());
    return false;
  }
  return crypto::verify_password(password, *stored_hash);
}

}  // namespace im2k::oms
