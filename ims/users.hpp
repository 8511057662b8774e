// The IMS's users: addresses of the served domains with scrypt password hashes, stored in the
// daemon's own database (schema.hpp). Used by the `user` commands and by the notify checks.
// Calls block (SQLite, scrypt): use them from the command line or on the writer thread, and
// user_exists on a read connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/store/sqlite_db.hpp"

namespace im2k::ims {

enum class user_change { done, exists, missing };

// Adds a user (address lower-cased). `exists` if there is one already.
boost::system::result<user_change> add_user(store::sqlite_db& db, std::string_view address,
                                            std::string_view password);
// Replaces the password. `missing` if there is no such user.
boost::system::result<user_change> set_password(store::sqlite_db& db, std::string_view address,
                                                std::string_view password);
// Removes the user (their mailbox entries stay until deleted). `missing` if none.
boost::system::result<user_change> remove_user(store::sqlite_db& db, std::string_view address);
// Every user, in address order.
boost::system::result<std::vector<std::string>> list_users(store::sqlite_db& db);
boost::system::result<bool> user_exists(store::sqlite_db& db, std::string_view address);
// The stored scrypt hash of a user, nullopt for an unknown one.
boost::system::result<std::optional<std::string>> password_hash(store::sqlite_db& db,
                                                                std::string_view address);
// [U-2], [U-3]: true when `password` matches `stored`. For an unknown user (nullopt) the KDF
// still runs, on a fixed dummy hash, so that time does not tell whether the user exists. Blocks
// for the KDF (about 100 ms): call it off the event loop.
bool password_matches(const std::optional<std::string>& stored, std::string_view password);

}  // namespace im2k::ims
