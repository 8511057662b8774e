// The user checks of [U-2] that every submission listener of the OMS shares (the native submit
// listener, and the SMTP ones): a password against the user table, or, for a client
// certificate that names the user, that the user exists. Both read the user's quota ([S-8]).
// Plain coroutines to run on the password pool (the KDF takes about 100 ms).
#pragma once

#include <filesystem>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "oms/users.hpp"

namespace im2k::oms {

struct user_check {
  bool ok = false;
  user_quota quota;  // read with the hash
};

// [U-2], [U-3]: an unknown user still runs the KDF on a dummy hash.
boost::asio::awaitable<user_check> check_password(std::filesystem::path db_path,
                                                  std::string address, std::string password);
// That the certificate names `address` is the caller's check ([C-11]); this one that it exists.
boost::asio::awaitable<user_check> check_certified_user(std::filesystem::path db_path,
                                                        std::string address);

}  // namespace im2k::oms
