#include "common/net/client_failure.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace im2k::net {

std::string_view to_string(client_stage stage) {
  switch (stage) {
    case client_stage::connect:
      return "connect";
    case client_stage::handshake:
      return "handshake";
    case client_stage::hello:
      return "hello";
    case client_stage::request:
      return "request";
  }
  return "request";
}

bool client_failure::temporary() const {
  return refusal ? refusal->temporary : true;
}

proto::errc client_failure::wire_code() const {
  return refusal ? refusal->code : proto::errc::internal;
}

std::string client_failure::describe() const {
  std::string text(to_string(stage));
  if (refusal) {
    text += ": " + std::string(proto::to_string(refusal->code));
    if (!refusal->message.empty()) {
      text += ": " + refusal->message;
    }
    return text;
  }
  if (tls != tls::failure::none) {
    text += ": " + std::string(tls::to_string(tls));
  }
  if (!message.empty()) {
    text += ": " + message;
  } else if (code) {
    text += ": " + code.message();
  }
  return text;
}

void throw_exception_from_error(const client_failure& failure,
                                const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(failure.code, failure.describe()), location);
}

}  // namespace im2k::net
