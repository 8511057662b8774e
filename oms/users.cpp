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

// The quota column: NULL for the server's default, -1 for unlimited, else octets.
user_quota quota_from_column(const store::statement& q, int column) {
  if (q.column_is_null(column))
    return {};
  const std::int64_t value = q.column_int(column);
  if (value < 0)
    return {true, std::nullopt};
  return {true, static_cast<std::uint64_t>(value)};
}

void bind_quota(store::statement& q, int index, const user_quota& quota) {
  if (!quota.own) {
    q.bind_null(index);
  } else {
    q.bind_int(index, quota.bytes ? static_cast<std::int64_t>(*quota.bytes) : -1);
  }
}

}  // namespace

boost::system::error_code user_db::add(const std::string& address, const std::string& hash,
                                       const user_quota& quota) {
  auto q = db_.prepare("INSERT INTO users(address, hash, quota) VALUES (?1, ?2, ?3)");
  if (!q)
    return q.error();
  q->bind_text(1, proto::to_lower(address)).bind_text(2, hash);
  bind_quota(*q, 3, quota);
  return q->run();
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

boost::system::result<std::vector<user_entry>> user_db::entries() {
  auto q = db_.prepare("SELECT address, quota FROM users ORDER BY address");
  if (!q)
    return q.error();
  std::vector<user_entry> out;
  if (auto ec = q->for_each_row([&](auto&) {
        out.push_back({q->column_text(0), quota_from_column(*q, 1)});
      })) {
    return ec;
  }
  return out;
}

boost::system::result<bool> user_db::set_quota(const std::string& address,
                                               const user_quota& quota) {
  auto q = db_.prepare("UPDATE users SET quota = ?2 WHERE address = ?1");
  if (!q)
    return boost::system::result<bool>(boost::system::in_place_error, q.error());
  q->bind_text(1, proto::to_lower(address));
  bind_quota(*q, 2, quota);
  if (auto ec = q->run())
    return boost::system::result<bool>(boost::system::in_place_error, ec);
  return db_.changes() > 0;
}

boost::system::result<std::optional<user_quota>> user_db::quota_of(const std::string& address) {
  auto q = db_.prepare("SELECT quota FROM users WHERE address = ?1");
  if (!q)
    return q.error();
  q->bind_text(1, proto::to_lower(address));
  auto row = q->step();
  if (!row)
    return row.error();
  if (!*row)
    return std::optional<user_quota>{};
  return std::optional<user_quota>{quota_from_column(*q, 0)};
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
