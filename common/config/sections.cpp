#include "common/config/sections.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>
#include <utility>

#include "proto/syntax.hpp"

namespace im2k::config {

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string key_error(const std::string& file, std::string_view key, std::string_view expected,
                      std::string_view got) {
  return file + ": key " + quote(key) + ": expected " + std::string(expected) + ", got " +
         std::string(got);
}

tls::tls_settings read_tls_section(table t, const std::string& file,
                                   std::vector<std::string>& errors) {
  tls::tls_settings s;
  s.cert_file = t.path("cert", path_check::file).string();
  s.key_file = t.path("key", path_check::file).string();
  if (t.has("ca_file")) {  // optional: the system store when absent
    s.ca_file = t.path("ca_file", path_check::file).string();
  }
  if (t.has("user_ca_file")) {  // optional: no user certificate is accepted when absent
    s.user_ca_file = t.path("user_ca_file", path_check::file).string();
  }
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
  s.expiry_warning = t.duration("expiry_warning", std::chrono::seconds(0),
                                std::chrono::seconds(std::int64_t{3650} * 86400), s.expiry_warning);
  if (s.crl == tls::crl_mode::require && s.crl_files.empty() && t.present()) {
    errors.push_back(
        key_error(file, "tls.crl_files", "at least one CRL file when crl = \"require\"", "none"));
  }
  return s;
}

std::vector<std::string> read_dns_section(table t) {
  return t.string_list("servers", std::vector<std::string>{});
}

log_settings read_log_section(table t) {
  log_settings s;
  s.level = t.choice<log::level>("level",
                                 {{"debug", log::level::debug},
                                  {"info", log::level::info},
                                  {"warn", log::level::warn},
                                  {"error", log::level::error}},
                                 log::level::info);
  if (t.has("file")) {
    s.file = t.path("file");
  }
  return s;
}

std::string read_host(table root, std::string_view example, const std::string& file,
                      std::vector<std::string>& errors) {
  std::string host = proto::to_lower(root.string("host"));
  if (!host.empty() && !proto::is_host_name(host)) {
    errors.push_back(key_error(file, "host", "a host name such as " + quote(example), quote(host)));
  }
  return host;
}

std::vector<std::string> read_domains(table root, const std::string& file,
                                      std::vector<std::string>& errors) {
  std::vector<std::string> domains;
  for (const auto& d : root.string_list("domains")) {
    std::string domain = proto::to_lower(d);
    if (!proto::is_host_name(domain)) {
      errors.push_back(
          key_error(file, "domains", "domain names such as \"example.org\"", quote(d)));
    }
    domains.push_back(std::move(domain));
  }
  if (domains.empty() && root.has("domains")) {
    errors.push_back(key_error(file, "domains", "at least one domain", "an empty list"));
  }
  return domains;
}

std::optional<boost::asio::ip::address> read_bind_address(table root, std::string_view example,
                                                          const std::string& file,
                                                          std::vector<std::string>& errors) {
  if (!root.has("bind_address")) {
    return std::nullopt;
  }
  const std::string text = root.string("bind_address");
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  if (ec) {
    errors.push_back(
        key_error(file, "bind_address", "an IP address such as " + quote(example), quote(text)));
    return std::nullopt;
  }
  return address;
}

void add_checks(std::vector<std::string>& errors, const std::vector<std::string>& extra,
                const std::string& file) {
  const bool broken = std::any_of(errors.begin(), errors.end(), [&](const std::string& e) {
    return e.rfind(file + ": cannot read", 0) == 0 ||
           (e.rfind(file + ":", 0) == 0 && e.size() > file.size() + 1 &&
            std::isdigit(static_cast<unsigned char>(e[file.size() + 1])));
  });
  if (!broken) {
    errors.insert(errors.end(), extra.begin(), extra.end());
  }
}

std::optional<std::string> read_account(table root, std::string_view key, const std::string& file,
                                        std::vector<std::string>& errors) {
  if (!root.has(key)) {
    return std::nullopt;
  }
  std::string name = root.string(key);
  const auto valid_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  };
  const bool valid = !name.empty() && name.size() <= 32 && name[0] != '-' &&
                     !(name[0] >= '0' && name[0] <= '9') &&
                     std::all_of(name.begin(), name.end(), valid_char);
  if (!valid) {
    errors.push_back(key_error(file, key, "an account name such as \"im2k\"", quote(name)));
    return std::nullopt;
  }
  return name;
}

}  // namespace im2k::config
