#include "common/smtp/sasl.hpp"

#include "common/crypto/base64.hpp"

namespace im2k::smtp {

boost::system::result<std::string, sasl_fault> decode_response(std::string_view line) {
  if (line == "*") {
    return sasl_fault::cancelled;
  }
  if (line.empty() || line == "=") {
    return std::string();
  }
  auto decoded = crypto::base64_decode_padded(line);
  if (!decoded) {
    return sasl_fault::bad_base64;
  }
  return std::move(*decoded);
}

boost::system::result<plain_credentials, sasl_fault> parse_plain(std::string_view message) {
  const auto first = message.find('\0');
  if (first == std::string_view::npos) {
    return sasl_fault::malformed;
  }
  const auto second = message.find('\0', first + 1);
  if (second == std::string_view::npos ||
      message.find('\0', second + 1) != std::string_view::npos) {
    return sasl_fault::malformed;
  }
  plain_credentials out;
  out.authzid = std::string(message.substr(0, first));
  out.authcid = std::string(message.substr(first + 1, second - first - 1));
  out.password = std::string(message.substr(second + 1));
  if (out.authcid.empty() || out.password.empty()) {
    return sasl_fault::malformed;
  }
  return out;
}

std::string encode_plain(std::string_view authcid, std::string_view password) {
  std::string message;
  message.push_back('\0');
  message.append(authcid);
  message.push_back('\0');
  message.append(password);
  return crypto::base64_encode_padded(message);
}

}  // namespace im2k::smtp
