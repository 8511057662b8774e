// The suite's own OMS pull listener (for the IMS under test): serves the messages the suite
// notified, counts pulls and records acks, so that cases can check what the IMS did.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "common/net/listener.hpp"
#include "tests/conformance/target.hpp"

namespace im2k::conform {

struct served_message {
  std::string body;
  std::string digest;  // sha256:<hex>
  std::string token;
  std::string rcpt_domain;
  int pulls = 0;                     // pulls answered ok
  int attempts = 0;                  // pull requests for this msg, answered or refused
  std::vector<nlohmann::json> acks;  // every ack request received
};

class fake_oms {
 public:
  fake_oms(boost::asio::any_io_executor executor, const target& t, std::string cert,
           std::string key);

  // Binds the suite's OMS address at the pull port the IMS under test uses.
  boost::system::error_code open();
  boost::asio::awaitable<void> stop();

  // A message the suite is about to notify: served to a pull with its token.
  void add(const std::string& msg, served_message m) { messages_[msg] = std::move(m); }
  const served_message* find(const std::string& msg) const;

 private:
  boost::asio::awaitable<void> handle(net::session& s, net::incoming_request r);

  const target& target_;
  std::shared_ptr<net::listener> listener_;
  std::map<std::string, served_message> messages_;
};

// A valid message from `from`, to `rcpt`, with CRLF line ends ([S-6]).
std::string make_message(const std::string& from, const std::string& rcpt,
                         const std::string& subject);

}  // namespace im2k::conform
