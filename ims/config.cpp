#include "ims/config.hpp"

#include <algorithm>
#include <utility>

#include "common/config/config.hpp"
#include "common/config/sections.hpp"

namespace im2k::ims {
namespace {

using namespace std::chrono_literals;

using config::key_error;

config_outcome read(config::document doc, const std::string& file) {
  config_outcome out;
  ims_config& c = out.config;
  std::vector<std::string> extra;
  c.file = file;
  auto root = doc.root();

  c.host = config::read_host(root, "mx.example.org", file, extra);
  c.domains = config::read_domains(root, file, extra);
  c.state_dir = root.path("state_dir");
  c.max_message_size = root.size("max_message_size", 1, std::uint64_t{1} << 40, c.max_message_size);
  c.bind_address = config::read_bind_address(root, "127.0.2.2", file, extra);

  c.notify_listen =
      root.subtable("notify").endpoint("listen", std::nullopt, config::port_zero::allowed);
  c.mailbox_listen =
      root.subtable("mailbox").endpoint("listen", std::nullopt, config::port_zero::allowed);

  auto pull = root.subtable("pull");
  c.pull.port = static_cast<std::uint16_t>(pull.integer("port", 1, 65535, 4652));
  c.pull.connect_timeout = pull.duration("connect_timeout", 1s, 10min, 10s);
  c.pull.retry_initial = pull.duration("retry_initial", 1s, 24h, 60s);
  c.pull.retry_max = pull.duration("retry_max", 1s, 7 * 24h, 3600s);
  if (c.pull.retry_max < c.pull.retry_initial) {
    extra.push_back(key_error(file, "pull.retry_max", "a duration not below retry_initial",
                              std::to_string(c.pull.retry_max.count()) + "s"));
  }

  c.tls = config::read_tls_section(root.subtable("tls"), file, extra);
  if (!root.subtable("tls").present()) {
    extra.push_back(file + ": table \"tls\": expected a [tls] table with cert and key, got none");
  }

  c.dns_servers = config::read_dns_section(root.subtable("dns"));

  const auto logging = config::read_log_section(root.subtable("log"));
  c.log_level = logging.level;
  c.log_file = logging.file;

  out.errors = doc.finish();
  out.errors.insert(out.errors.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

bool ims_config::serves_domain(std::string_view domain) const {
  return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

config_outcome load_config(const std::filesystem::path& file) {
  return read(config::document::load(file), file.string());
}

config_outcome parse_config(std::string_view text, std::string source_name) {
  std::string file = source_name;
  return read(config::document::parse(text, std::move(source_name)), file);
}

}  // namespace im2k::ims
