// The OMS user the suite acts as (submit, status, recall on the submit listener), so that the
// OMS under test has messages for the suite domain to notify and serve.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/net/client_connection.hpp"
#include "tests/conformance/target.hpp"

namespace im2k::conform {

// One response: ok with its object, or an error code (im2k's, or "connection: ..." when there
// was no answer).
struct user_reply {
  bool ok = false;
  nlohmann::json object;
  std::string code;
};

class user_client {
 public:
  // Connects, says hello and authenticates as t.oms.user; error says why not.
  static boost::asio::awaitable<std::unique_ptr<user_client>> open(
      boost::asio::any_io_executor executor, const target& t, std::string& error);

  // From the user's own address unless `from` is given.
  boost::asio::awaitable<user_reply> submit(const std::vector<std::string>& rcpt,
                                            const std::string& message, std::string from = {});
  boost::asio::awaitable<user_reply> call(nlohmann::json request);
  const std::string& user() const { return user_; }

  user_client(std::unique_ptr<net::client_connection> c, std::string user)
      : connection_(std::move(c)), user_(std::move(user)) {}

 private:
  std::unique_ptr<net::client_connection> connection_;
  std::string user_;
};

}  // namespace im2k::conform
