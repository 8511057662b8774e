#include "common/metrics/settings.hpp"

#include "common/config/parse.hpp"
#include "common/config/sections.hpp"

namespace im2k::metrics {

std::optional<boost::asio::ip::tcp::endpoint> read_metrics_section(
    config::table t, const std::string& file, std::vector<std::string>& errors) {
  if (!t.has("listen")) {
    return std::nullopt;
  }
  // The fallback comes back only when the value is not a string, an error the getter records.
  const std::string not_a_string = "\x01";
  const std::string text = t.string("listen", not_a_string);
  if (text == not_a_string) {
    return std::nullopt;
  }
  auto endpoint = config::parse_endpoint(text, true);
  if (!endpoint || !endpoint->address().is_loopback()) {
    errors.push_back(config::key_error(file, t.path().empty() ? "listen" : t.path() + ".listen",
                                       "a loopback address \"127.0.0.1:PORT\" or \"[::1]:PORT\"",
                                       config::quote(text)));
    return std::nullopt;
  }
  return endpoint;
}

}  // namespace im2k::metrics
