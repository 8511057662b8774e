// The OMS's users: address -> scrypt hash and storage quota ([S-8]), in the `users` table of
// STATE_DIR/oms.db (one user database per daemon). The `user` commands of im2k-oms edit it; the
// submit listener reads it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/store/sqlite_db.hpp"

namespace im2k::oms {

// A user's own storage quota ([S-8]).
struct user_quota {
  bool own = false;                    // false: the server's [quota] default applies
  std::optional<std::uint64_t> bytes;  // with `own`: the limit; nullopt: unlimited

  // The limit that applies, given the server's default (nullopt: unlimited).
  std::optional<std::uint64_t> effective(std::optional<std::uint64_t> server_default) const {
    return own ? bytes : server_default;
  }
  bool operator==(const user_quota&) const = default;
};

struct user_entry {
  std::string address;
  user_quota quota;
};

class user_db {
 public:
  // `db` has the schema of open_state_db().
  explicit user_db(store::sqlite_db& db) : db_(db) {}

  // Adds a user (fails with SQLITE_CONSTRAINT_* if the address exists) or replaces the hash.
  boost::system::error_code add(const std::string& address, const std::string& hash,
                                const user_quota& quota = {});
  // false when no such user.
  boost::system::result<bool> set_hash(const std::string& address, const std::string& hash);
  boost::system::result<bool> remove(const std::string& address);
  boost::system::result<std::vector<std::string>> list();
  // Every user with their quota, by address.
  boost::system::result<std::vector<user_entry>> entries();
  // false when no such user.
  boost::system::result<bool> set_quota(const std::string& address, const user_quota& quota);
  // nullopt for an unknown user.
  boost::system::result<std::optional<user_quota>> quota_of(const std::string& address);
  // The stored hash, nullopt for an unknown user. Addresses compare case-insensitively.
  boost::system::result<std::optional<std::string>> hash_of(const std::string& address);

 private:
  store::sqlite_db& db_;
};

// Authentication per [U-2], [U-3]: runs scrypt even for an unknown user, on a fixed dummy hash,
// so that time does not tell whether the user exists. Blocks for the KDF: call off the event
// loop.
bool check_user_password(const std::optional<std::string>& stored_hash,
                         const std::string& password);

}  // namespace im2k::oms
