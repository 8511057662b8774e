#include "oms/user_check.hpp"

#include <exception>
#include <optional>
#include <utility>

#include "common/store/sqlite_db.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {

using boost::asio::awaitable;

// The user look-up and the KDF, run on the password pool. A plain coroutine whose parameters
// live in its frame (a capturing lambda here trips a GCC 12 coroutine bug: double destruction).
awaitable<user_check> check_password(std::filesystem::path db_path, std::string address,
                                     std::string password) {
  try {
    store::sqlite_db db(db_path, store::sqlite_db::options{.read_only = true});
    user_db users(db);
    auto hash = users.hash_of(address);
    user_check out;
    out.ok = hash && check_user_password(*hash, password);
    if (out.ok) {
      auto quota = users.quota_of(address);
      if (!quota) {
        out.ok = false;  // cannot tell the limit: refuse rather than ignore it
      } else if (*quota) {
        out.quota = **quota;
      }
    }
    co_return out;
  } catch (const std::exception&) {
    co_return user_check{check_user_password(std::nullopt, password), {}};
  }
}

// The certificate path ([U-2]): the user must exist (its quota is read as with a password);
// that the certificate names the user is checked before, on the strand.
awaitable<user_check> check_certified_user(std::filesystem::path db_path, std::string address) {
  user_check out;
  try {
    store::sqlite_db db(db_path, store::sqlite_db::options{.read_only = true});
    user_db users(db);
    auto hash = users.hash_of(address);
    if (!hash || !hash->has_value()) {
      co_return out;  // unknown user (or unreadable table)
    }
    auto quota = users.quota_of(address);
    if (quota) {  // cannot tell the limit: refuse rather than ignore it
      out.ok = true;
      if (*quota) {
        out.quota = **quota;
      }
    }
  } catch (const std::exception&) {
    out.ok = false;
  }
  co_return out;
}

}  // namespace im2k::oms
