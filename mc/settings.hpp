// The client's settings: ~/.config/im2k/config.toml (or --config PATH), overridden by flags.
//
//   user = "alice@alpha.test"
//   password_file = "alice.password"   # or a client certificate: cert = "..."; key = "..."
//   ca_file = "ca.crt"                 # optional: default the system's trust store
//   crl_files = ["crl.pem"]            # optional; given, revocation is checked (crl = "require")
//   [dns]
//   servers = ["127.0.0.1:5300"]       # optional: default /etc/resolv.conf
//   [submit]
//   server = "oms.alpha.test"          # the name its certificate must carry (SNI + verification)
//   address = "127.0.1.1:4653"         # optional: connect here instead of resolving `server`
//   [mailbox]
//   server = "mx.alpha.test"
//   address = "127.0.1.2:4651"
//
// Relative paths in the file are relative to the file's directory; in flags, to the working
// directory. The password is read from its file (trailing newline stripped), never taken from
// the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/tls/settings.hpp"
#include "mc/failure.hpp"
#include "proto/syntax.hpp"

namespace im2k::mc {

enum class service { submit, mailbox };

// The flags every mail command takes.
struct connection_options {
  std::string config;
  std::string user;
  std::string password_file;
  std::string cert;
  std::string key;
  std::string ca_file;
  std::string server;
  std::string address;
  std::vector<std::string> dns_servers;
  int timeout_seconds = 0;  // 0: the defaults of SPEC [T-10]
  bool json = false;
};

void add_connection_options(CLI::App& command, connection_options& options);

struct settings {
  proto::address user;
  std::optional<std::string> password;  // absent: a client certificate names the user
  tls::tls_settings tls;
  std::string server;                                     // host name the certificate must carry
  std::optional<boost::asio::ip::tcp::endpoint> address;  // else: resolve `server`
  std::uint16_t port = 0;                                 // the well-known port, when resolving
  std::vector<std::string> dns_servers;
  int timeout_seconds = 0;
};

// The file named by --config, else $XDG_CONFIG_HOME/im2k/config.toml or
// ~/.config/im2k/config.toml when it exists.
std::string default_config_path();

// Every mistake at once, in the failure's message, one per line (code "config").
outcome<settings> load_settings(const connection_options& options, service which);

// The password file's first line: at most 1 024 octets ([V-7]), trailing CR/LF removed.
outcome<std::string> read_password_file(const std::string& path);

}  // namespace im2k::mc
