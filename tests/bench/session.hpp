// An authenticated user connection to an OMS submit listener, opened from a chosen loopback
// source address: the listener admits at most 16 connections per client address, and the bench
// opens more than that for one user.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "common/net/client_connection.hpp"
#include "common/tls/credentials.hpp"
#include "mc/failure.hpp"
#include "mc/settings.hpp"

namespace im2k::bench {

// A user's submit settings (from their client config) and TLS credentials, loaded once and
// shared by all of that user's connections.
struct user_endpoint {
  mc::settings settings;
  std::shared_ptr<tls::credentials> credentials;
};

mc::outcome<user_endpoint> load_endpoint(const std::string& client_config);

// TCP from `source`, TLS, hello, auth. A refused auth is reported with the server's code.
boost::asio::awaitable<mc::outcome<std::unique_ptr<net::client_connection>>> open_session(
    const user_endpoint& endpoint, std::optional<boost::asio::ip::address> source);

// The failure of a request on an open connection, as the bench reports it.
mc::failure failure_of(const net::client_failure& f);

// An ok response's object, or the server's refusal or the connection failure.
mc::outcome<nlohmann::json> ok_object(const net::client_result<proto::response>& response);

}  // namespace im2k::bench
