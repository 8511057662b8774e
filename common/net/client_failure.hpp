// Why a client connection failed, as a value the caller can log and classify. Per SPEC [L-6]
// every failure without an im2k response (connect, TLS, framing, deadline) is temporary and
// recorded as `internal` (a TLS failure with its named reason in the message); a refused hello
// carries the server's code and its `temporary` flag decides ([E-2], [L-7]).
#pragma once

#include <optional>
#include <string>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/tls/failure.hpp"
#include "proto/error.hpp"
#include "proto/messages/response.hpp"

namespace im2k::net {

enum class client_stage { connect, handshake, hello, request };

std::string_view to_string(client_stage stage);

struct client_failure {
  client_stage stage = client_stage::connect;
  boost::system::error_code code;                // the I/O or codec error, if any
  tls::failure tls = tls::failure::none;         // the named TLS reason of a failed handshake
  std::optional<proto::error_response> refusal;  // the server's refusal of hello
  std::string message;                           // for the log

  // Whether to retry later: the refusal's flag, else true ([L-6]).
  bool temporary() const;
  // The code to record: the refusal's, else internal ([L-6]).
  proto::errc wire_code() const;
  // "handshake: unknown-ca: ..." for logs and recorded messages.
  std::string describe() const;
};

[[noreturn]] void throw_exception_from_error(const client_failure& failure,
                                             const boost::source_location& location);

template <class T>
using client_result = boost::system::result<T, client_failure>;

}  // namespace im2k::net
