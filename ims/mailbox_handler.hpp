// The mailbox listener's requests ([U-*], [M-*]): auth, list, fetch and delete of the
// authenticated user's own entries, and the on-read pulls they start ([N-16]): `list` releases
// the user's held pulls to the puller, `fetch` of a held entry pulls it now ([M-3]).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/net/auth_failures.hpp"
#include "common/net/session.hpp"
#include "ims/puller.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

class mailbox_handler {
 public:
  // `user_db_path`: the database holding the users table (schema.hpp), read for passwords.
  // `password_pool` runs the scrypt checks, about 100 ms each, off the event loop. `bodies_dir`
  // holds the stored copies.
  mailbox_handler(std::filesystem::path user_db_path, std::filesystem::path bodies_dir,
                  mail_store& records, std::shared_ptr<puller> pulls,
                  boost::asio::thread_pool& password_pool);

  boost::asio::awaitable<void> operator()(net::session& s, net::incoming_request request);

 private:
  boost::asio::awaitable<void> auth(net::session& s, const proto::auth_request& request);
  boost::asio::awaitable<void> list(net::session& s, const std::string& user,
                                    const proto::list_request& request);
  boost::asio::awaitable<void> fetch(net::session& s, const std::string& user,
                                     const proto::fetch_request& request);
  boost::asio::awaitable<void> erase(net::session& s, const std::string& user,
                                     const proto::delete_request& request);
  boost::asio::awaitable<void> send_body(net::session& s, std::uint64_t id,
                                         const mailbox_entry& entry);

  std::filesystem::path user_db_path_;
  std::filesystem::path bodies_dir_;
  mail_store& records_;
  std::shared_ptr<puller> pulls_;
  boost::asio::thread_pool& password_pool_;
  net::auth_failures failures_;  // [U-4], per source address and per user value
};

}  // namespace im2k::ims
