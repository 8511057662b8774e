#include "ims/config.hpp"

#include <algorithm>
#include <utility>

#include "common/config/config.hpp"
#include "common/config/limits.hpp"
#include "common/config/sections.hpp"
#include "common/metrics/settings.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {
namespace {

using namespace std::chrono_literals;

using config::key_error;

// Domain or host names, lower-cased; each bad entry is an error naming the key.
std::vector<std::string> read_names(config::table t, std::string_view key, const std::string& file,
                                    std::vector<std::string>& errors) {
  std::vector<std::string> names;
  for (const auto& n : t.string_list(key, std::vector<std::string>{})) {
    std::string name = proto::to_lower(n);
    if (!proto::is_host_name(name)) {
      errors.push_back(key_error(file, t.path() + "." + std::string(key),
                                 "domain or host names such as \"example.org\"", config::quote(n)));
    }
    names.push_back(std::move(name));
  }
  return names;
}

// [policy.rate_per_address] or [policy.rate_per_domain]: absent means unlimited.
std::optional<rate_limit> read_rate(config::table t) {
  if (!t.present()) {
    return std::nullopt;
  }
  rate_limit r;
  r.rate = static_cast<std::uint32_t>(t.integer("rate", 1, 1'000'000));
  r.per = t.duration("per", 1s, 24h, 60s);
  r.burst = static_cast<std::uint32_t>(
      t.integer("burst", 1, 1'000'000, std::max<std::int64_t>(r.rate, 1)));
  return r;
}

policy_settings read_policy(config::table t, const std::string& file,
                            std::vector<std::string>& errors) {
  policy_settings p;
  p.allow_domains = read_names(t, "allow_domains", file, errors);
  p.deny_domains = read_names(t, "deny_domains", file, errors);
  p.allow_hosts = read_names(t, "allow_hosts", file, errors);
  p.deny_hosts = read_names(t, "deny_hosts", file, errors);
  p.max_recipients = static_cast<std::size_t>(t.integer("max_recipients", 1, 100, 100));
  p.pull = t.choice<pull_mode>(
      "pull", {{"eager", pull_mode::eager}, {"on-read", pull_mode::on_read}}, pull_mode::eager);
  p.eager_senders = read_names(t, "eager_senders", file, errors);
  p.on_read_senders = read_names(t, "on_read_senders", file, errors);
  p.per_address = read_rate(t.subtable("rate_per_address"));
  p.per_domain = read_rate(t.subtable("rate_per_domain"));
  return p;
}

config_outcome read(config::document doc, const std::string& file) {
  config_outcome out;
  ims_config& c = out.config;
  std::vector<std::string> extra;
  c.file = file;
  auto root = doc.root();

  c.host = config::read_host(root, "mx.example.org", file, extra);
  c.domains = config::read_domains(root, file, extra);
  c.state_dir = root.path("state_dir");
  c.user = config::read_account(root, "user", file, extra);
  c.group = config::read_account(root, "group", file, extra);
  c.max_message_size = root.size("max_message_size", 1, std::uint64_t{1} << 40, c.max_message_size);
  c.bind_address = config::read_bind_address(root, "127.0.2.2", file, extra);

  c.notify_listen =
      root.subtable("notify").endpoint("listen", std::nullopt, config::port_zero::allowed);
  auto delivery = root.subtable("delivery");
  c.delivery.mode = delivery.choice<delivery_mode>(
      "mode", {{"store", delivery_mode::store}, {"lmtp", delivery_mode::lmtp}},
      delivery_mode::store);
  c.delivery.lmtp_timeout = delivery.duration("lmtp_timeout", 1s, 10min, 30s);
  if (c.delivery.mode == delivery_mode::lmtp) {
    c.delivery.lmtp_socket = delivery.path("lmtp_socket");
    // [I-5]: Dovecot's mailbox is the one of record; a second one would drift apart.
    if (root.subtable("mailbox").has("listen")) {
      extra.push_back(key_error(file, "mailbox.listen",
                                "no [mailbox] listen when delivery.mode = \"lmtp\" (Dovecot's "
                                "IMAP serves the mailbox; remove [mailbox] or set delivery.mode "
                                "= \"store\")",
                                "a listen address"));
    }
  } else {
    if (delivery.has("lmtp_socket")) {
      extra.push_back(key_error(file, "delivery.lmtp_socket",
                                "no lmtp_socket unless delivery.mode = \"lmtp\"", "a path"));
    }
    c.mailbox_listen =
        root.subtable("mailbox").endpoint("listen", std::nullopt, config::port_zero::allowed);
  }

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

  c.control_socket = root.subtable("control").path(
      "socket", config::path_check::none,
      c.state_dir.empty() ? std::filesystem::path() : c.state_dir / "control.sock");
  c.metrics_listen = metrics::read_metrics_section(root.subtable("metrics"), file, extra);
  config::read_limits_section(root.subtable("limits"), c.limits);

  c.policy = read_policy(root.subtable("policy"), file, extra);
  // An on-read pull waits for a `list` on the mailbox listener, which lmtp mode does not have.
  if (c.delivery.mode == delivery_mode::lmtp &&
      (c.policy.pull == pull_mode::on_read || !c.policy.on_read_senders.empty())) {
    extra.push_back(key_error(file, "policy.pull",
                              "\"eager\" and no on_read_senders when delivery.mode = \"lmtp\" "
                              "(on-read pulls wait for the native mailbox listener)",
                              "on-read"));
  }

  out.errors = doc.finish();
  config::add_checks(out.errors, extra, file);
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
