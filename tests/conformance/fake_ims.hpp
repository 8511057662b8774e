// The suite's own IMS notify listener (for the OMS under test): accepts every notification for
// the suite domain and keeps it, so that cases learn message ids and tokens and can then pull
// and ack on the OMS's pull listener as that domain's MX host.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "common/net/listener.hpp"
#include "tests/conformance/target.hpp"

namespace im2k::conform {

struct received_notification {
  std::string peer_host;       // proved by the certificate ([H-5])
  std::string remote_address;  // the connection's source address
  nlohmann::json request;
};

class fake_ims {
 public:
  fake_ims(boost::asio::any_io_executor executor, const target& t, std::string cert,
           std::string key);

  // Binds the suite's MX address at the notify port the OMS under test uses.
  boost::system::error_code open();
  boost::asio::awaitable<void> stop();

  // The first notification whose rcpt list holds `rcpt`, waiting up to `timeout`.
  boost::asio::awaitable<std::optional<received_notification>> wait_for(
      const std::string& rcpt, std::chrono::steady_clock::duration timeout);

 private:
  boost::asio::awaitable<void> handle(net::session& s, net::incoming_request r);

  const target& target_;
  std::shared_ptr<net::listener> listener_;
  std::vector<received_notification> received_;
};

}  // namespace im2k::conform
