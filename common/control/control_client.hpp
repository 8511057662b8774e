// The client side of a daemon's control socket (control_server.hpp): connect, send one request
// line, read one response line, all within one deadline. Used by `im2k-oms queue` and
// `im2k-ims queue`.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

namespace im2k::control {

struct client_options {
  std::chrono::steady_clock::duration timeout = std::chrono::seconds(10);
  std::size_t max_response = 16 * 1024 * 1024;  // a long queue listing is one line
};

// The daemon's response object (ok or error). Failures to reach the daemon or to read a JSON
// object back are error codes: the connect errors (no such file, connection refused),
// timed_out, message_size (response too long), bad_message (not a JSON object), eof.
boost::system::result<nlohmann::json> call(const std::filesystem::path& socket,
                                           const nlohmann::json& request,
                                           client_options options = {});

}  // namespace im2k::control
