#include "oms/config.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/config/config.hpp"
#include "proto/syntax.hpp"

namespace im2k::oms {
namespace {

using namespace std::chrono_literals;

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// An error in the format of common/config, for checks that no getter does.
std::string key_error(const std::string& file, std::string_view key, std::string_view expected,
                      std::string_view got) {
  return file + ": key " + quote(key) + ": expected " + std::string(expected) + ", got " +
         std::string(got);
}

tls::tls_settings read_tls(config::table t, const std::string& file,
                           std::vector<std::string>& errors) {
  tls::tls_settings s;
  s.cert_file = t.path("cert", config::path_check::file).string();
  s.key_file = t.path("key", config::path_check::file).string();
  s.ca_file = t.path("ca_file", config::path_check::file, std::filesystem::path()).string();
  for (const auto& crl : t.string_list("crl_files", std::vector<std::string>{})) {
    std::filesystem::path p(crl);
    if (p.is_relative()) {
      p = std::filesystem::path(file).parent_path() / p;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      errors.push_back(key_error(file, "tls.crl_files", "paths of existing files", quote(crl)));
    }
    s.crl_files.push_back(p.lexically_normal().string());
  }
  s.crl = t.choice<tls::crl_mode>(
      "crl", {{"require", tls::crl_mode::require}, {"off", tls::crl_mode::off}},
      tls::crl_mode::require);
  if (s.crl == tls::crl_mode::require && s.crl_files.empty() && t.present()) {
    errors.push_back(
        key_error(file, "tls.crl_files", "at least one CRL file when crl = \"require\"", "none"));
  }
  return s;
}

config_outcome read(config::document doc, const std::string& file) {
  config_outcome out;
  oms_config& c = out.config;
  std::vector<std::string> extra;
  c.file = file;
  auto root = doc.root();

  c.host = proto::to_lower(root.string("host"));
  if (!c.host.empty() && !proto::is_host_name(c.host)) {
    extra.push_back(
        key_error(file, "host", "a host name such as \"oms.example.org\"", quote(c.host)));
  }
  for (const auto& d : root.string_list("domains")) {
    const std::string domain = proto::to_lower(d);
    if (!proto::is_host_name(domain)) {
      extra.push_back(key_error(file, "domains", "domain names such as \"example.org\"", quote(d)));
    }
    c.domains.push_back(domain);
  }
  if (c.domains.empty() && root.has("domains")) {
    extra.push_back(key_error(file, "domains", "at least one domain", "an empty list"));
  }
  c.state_dir = root.path("state_dir");
  c.max_message_size = root.size("max_message_size", 1, std::uint64_t{1} << 40, c.max_message_size);
  c.retention = root.duration("retention", 1h, 30 * 24h, c.retention);
  c.grace = root.duration("grace", 0s, 365 * 24h, c.grace);
  if (root.has("bind_address")) {
    const std::string text = root.string("bind_address");
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(text, ec);
    if (ec) {
      extra.push_back(
          key_error(file, "bind_address", "an IP address such as \"127.0.1.1\"", quote(text)));
    } else {
      c.bind_address = address;
    }
  }

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

  c.tls = read_tls(root.subtable("tls"), file, extra);

  c.dns_servers = root.subtable("dns").string_list("servers", std::vector<std::string>{});

  auto log_table = root.subtable("log");
  c.log_level = log_table.choice<log::level>("level",
                                             {{"debug", log::level::debug},
                                              {"info", log::level::info},
                                              {"warn", log::level::warn},
                                              {"error", log::level::error}},
                                             log::level::info);
  if (log_table.has("file")) {
    c.log_file = log_table.path("file");
  }

  out.errors = doc.finish();
  // After a syntax error or an unreadable file ("FILE:LINE:COL: ..." or "FILE: cannot read")
  // the getters are silent; so are these checks, which would only repeat it.
  const bool broken = std::any_of(out.errors.begin(), out.errors.end(), [&](const std::string& e) {
    return e.rfind(file + ": cannot read", 0) == 0 ||
           (e.rfind(file + ":", 0) == 0 && e.size() > file.size() + 1 &&
            std::isdigit(static_cast<unsigned char>(e[file.size() + 1])));
  });
  if (!broken) {
    out.errors.insert(out.errors.end(), extra.begin(), extra.end());
  }
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
