#include "oms/config.hpp"

#include <algorithm>
#include <utility>

#include "common/config/config.hpp"
#include "common/config/limits.hpp"
#include "common/config/sections.hpp"
#include "common/metrics/settings.hpp"

namespace im2k::oms {
namespace {

using namespace std::chrono_literals;

using config::key_error;

config_outcome read(config::document doc, const std::string& file) {
  config_outcome out;
  oms_config& c = out.config;
  std::vector<std::string> extra;
  c.file = file;
  auto root = doc.root();

  c.host = config::read_host(root, "oms.example.org", file, extra);
  c.domains = config::read_domains(root, file, extra);
  c.state_dir = root.path("state_dir");
  c.user = config::read_account(root, "user", file, extra);
  c.group = config::read_account(root, "group", file, extra);
  c.max_message_size = root.size("max_message_size", 1, std::uint64_t{1} << 40, c.max_message_size);
  c.retention = root.duration("retention", 1h, 30 * 24h, c.retention);
  c.grace = root.duration("grace", 0s, 365 * 24h, c.grace);
  c.bind_address = config::read_bind_address(root, "127.0.1.1", file, extra);

  c.submit_listen =
      root.subtable("submit").endpoint("listen", std::nullopt, config::port_zero::allowed);
  c.pull_listen =
      root.subtable("pull").endpoint("listen", std::nullopt, config::port_zero::allowed);

  auto notify = root.subtable("notify");
  c.notify.port = static_cast<std::uint16_t>(notify.integer("port", 1, 65535, 4650));
  c.notify.retry_initial = notify.duration("retry_initial", 1s, 24h, 60s);
  c.notify.retry_max = notify.duration("retry_max", 1s, 7 * 24h, 3600s);
  c.notify.connect_timeout = notify.duration("connect_timeout", 1s, 10min, 10s);
  if (c.notify.retry_max < c.notify.retry_initial) {
    extra.push_back(key_error(file, "notify.retry_max", "a duration not below retry_initial",
                              std::to_string(c.notify.retry_max.count()) + "s"));
  }

  c.tls = config::read_tls_section(root.subtable("tls"), file, extra);

  c.dns_servers = config::read_dns_section(root.subtable("dns"));

  const auto logging = config::read_log_section(root.subtable("log"));
  c.log_level = logging.level;
  c.log_file = logging.file;

  c.control_socket = root.subtable("control").path(
      "socket", config::path_check::none,
      c.state_dir.empty() ? std::filesystem::path() : c.state_dir / "control.sock");

  if (auto quota = root.subtable("quota"); quota.has("default")) {  // [S-8]
    c.quota_default = quota.size("default", 0, std::uint64_t{1} << 50);
  }
  c.metrics_listen = metrics::read_metrics_section(root.subtable("metrics"), file, extra);
  config::read_limits_section(root.subtable("limits"), c.limits);

  out.errors = doc.finish();
  config::add_checks(out.errors, extra, file);
  return out;
}

}  // namespace

bool oms_config::serves_domain(const std::string& domain) const {
  return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

config_outcome load_config(const std::filesystem::path& file) {
  return read(config::document::load(file), file.string());
}

config_outcome parse_config(std::string_view text, std::string source_name) {
  std::string file = source_name;
  return read(config::document::parse(text, std::move(source_name)), file);
}

}  // namespace im2k::oms
