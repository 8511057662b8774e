#include "mc/settings.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/config/config.hpp"
#include "common/config/parse.hpp"

namespace im2k::mc {

namespace {

constexpr std::size_t max_password = 1024;  // [V-7]

const char* section_of(service which) {
  return which == service::submit ? "submit" : "mailbox";
}

std::uint16_t default_port(service which) {
  return which == service::submit ? 4653 : 4651;  // [T-4]
}

// What the file says; empty strings where it says nothing.
struct file_values {
  std::string user;
  std::string password_file;
  std::string cert;
  std::string key;
  std::string ca_file;
  std::vector<std::string> crl_files;
  std::optional<tls::crl_mode> crl;
  std::vector<std::string> dns_servers;
  std::string server;
  std::optional<boost::asio::ip::tcp::endpoint> address;
};

std::string path_string(config::table& t, std::string_view key, config::path_check check) {
  return t.path(key, check, std::filesystem::path()).string();
}

void read_file(const std::string& file, service which, file_values& v,
               std::vector<std::string>& errors) {
  auto doc = config::document::load(file);
  auto root = doc.root();
  v.user = root.string("user", "");
  v.password_file = path_string(root, "password_file", config::path_check::file);
  v.cert = path_string(root, "cert", config::path_check::file);
  v.key = path_string(root, "key", config::path_check::file);
  v.ca_file = path_string(root, "ca_file", config::path_check::file);
  for (const auto& crl : root.string_list("crl_files", std::vector<std::string>{})) {
    std::filesystem::path p(crl);
    v.crl_files.push_back(
        p.is_absolute() ? crl : (std::filesystem::path(file).parent_path() / p).string());
  }
  if (root.has("crl")) {
    v.crl = root.choice<tls::crl_mode>(
        "crl", {{"require", tls::crl_mode::require}, {"off", tls::crl_mode::off}});
  }
  auto dns = root.subtable("dns");
  v.dns_servers = dns.string_list("servers", std::vector<std::string>{});
  // Both sections are read whatever the command, so that no key of either is reported unknown.
  for (service s : {service::submit, service::mailbox}) {
    auto section = root.subtable(section_of(s));
    auto server = section.string("server", "");
    std::optional<boost::asio::ip::tcp::endpoint> address;
    if (section.has("address")) {
      address = section.endpoint("address");
    }
    if (s == which) {
      v.server = server;
      v.address = address;
    }
  }
  for (const auto& e : doc.finish()) {
    errors.push_back(e);
  }
}

bool exists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
}

}  // namespace

void add_connection_options(CLI::App& command, connection_options& o) {
  command.add_option("--config", o.config,
                     "settings file (default ~/.config/im2k/config.toml if it exists)");
  command.add_option("--user", o.user, "your address, e.g. alice@alpha.test");
  command.add_option("--password-file", o.password_file,
                     "file holding your password (its first line); never the password itself");
  command.add_option("--cert", o.cert, "client certificate naming you (instead of a password)");
  command.add_option("--key", o.key, "the client certificate's private key");
  command.add_option("--ca-file", o.ca_file, "trust anchors for the server's certificate");
  command.add_option("--server", o.server, "the server's host name (its certificate names it)");
  command.add_option("--address", o.address,
                     "connect to IP:PORT instead of resolving the server's name");
  command.add_option("--dns-server", o.dns_servers, "DNS server as IP:PORT; repeatable")
      ->allow_extra_args(false);
  command.add_option("--timeout", o.timeout_seconds, "seconds for each network step")
      ->check(CLI::Range(1, 3600));
  command.add_flag("--json", o.json, "print one JSON document for scripts");
}

std::string default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/im2k/config.toml";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.config/im2k/config.toml";
  }
  return {};
}

outcome<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failure{code_config, false, "cannot read the password file " + path};
  }
  std::string text;
  char c;
  while (text.size() <= max_password + 2 && in.get(c) && c != '\n') {
    text.push_back(c);
  }
  if (!text.empty() && text.back() == '\r') {
    text.pop_back();
  }
  if (text.empty()) {
    return failure{code_config, false, "the password file " + path + " holds no password"};
  }
  if (text.size() > max_password) {
    return failure{code_config, false, "the password in " + path + " is longer than 1024 octets"};
  }
  return text;
}

outcome<settings> load_settings(const connection_options& o, service which) {
  std::vector<std::string> errors;
  file_values v;
  std::string file = o.config;
  if (file.empty()) {
    file = default_config_path();
    if (!file.empty() && !exists(file)) {
      file.clear();  // no file: flags only
    }
  }
  if (!file.empty() && !exists(file)) {
    // Everything else would only repeat that the file is missing.
    return failure{code_config, false, file + ": no such settings file"};
  }
  if (!file.empty()) {
    read_file(file, which, v, errors);
  }
  // Flags win over the file.
  auto pick = [](const std::string& flag, const std::string& from_file) {
    return flag.empty() ? from_file : flag;
  };
  const std::string where = file.empty() ? "no settings file" : file;
  settings s;
  s.timeout_seconds = o.timeout_seconds;
  const std::string user = pick(o.user, v.user);
  if (user.empty()) {
    errors.push_back("no user: give --user or `user` in the settings (" + where + ")");
  } else if (auto a = proto::parse_address(user)) {
    s.user = *a;
  } else {
    errors.push_back("user: expected an address like alice@example.com, got \"" + user + "\"");
  }

  // A certificate given by flag replaces the file's password, and the other way round.
  const bool cert_flag = !o.cert.empty() || !o.key.empty();
  const bool password_flag = !o.password_file.empty();
  std::string password_file = password_flag ? o.password_file
                              : cert_flag   ? std::string()
                                            : v.password_file;
  s.tls.cert_file = cert_flag ? o.cert : (password_flag ? std::string() : v.cert);
  s.tls.key_file = cert_flag ? o.key : (password_flag ? std::string() : v.key);
  if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
    errors.push_back("a client certificate needs both cert and key");
  }
  if (!password_file.empty()) {
    auto password = read_password_file(password_file);
    if (password) {
      s.password = std::move(*password);
    } else {
      errors.push_back(password.error().message);
    }
  } else if (s.tls.cert_file.empty()) {
    errors.push_back(
        "no credentials: give --password-file (or password_file), or --cert and --key");
  }
  s.tls.ca_file = pick(o.ca_file, v.ca_file);
  s.tls.crl_files = v.crl_files;
  s.tls.crl = v.crl.value_or(v.crl_files.empty() ? tls::crl_mode::off : tls::crl_mode::require);

  s.server = proto::to_lower(pick(o.server, v.server));
  if (s.server.empty()) {
    errors.push_back(std::string("no server: give --server or `server` in [") + section_of(which) +
                     "] (" + where + ")");
  } else if (!proto::is_host_name(s.server)) {
    errors.push_back("server: expected a host name like oms.example.com, got \"" + s.server + "\"");
  }
  if (!o.address.empty()) {
    s.address = config::parse_endpoint(o.address, false);
    if (!s.address) {
      errors.push_back("--address: expected IP:PORT, got \"" + o.address + "\"");
    }
  } else {
    s.address = v.address;
  }
  s.port = default_port(which);
  s.dns_servers = o.dns_servers.empty() ? v.dns_servers : o.dns_servers;

  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) {
      message += (message.empty() ? "" : "\n") + e;
    }
    return failure{code_config, false, message};
  }
  return s;
}

}  // namespace im2k::mc
