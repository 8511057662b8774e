// The configuration of im2k-oms (one TOML file; schema in briefs/flow-shared.md):
//
//   host = "oms.alpha.test"          domains = ["alpha.test"]      state_dir = "..."
//   max_message_size = "10MiB"       retention = "7d"              grace = "1d"
//   bind_address = "127.0.1.1"       (optional: source address of notify connections, [T-8])
//   user = "im2k"  group = "im2k"    (optional: run as them once bound; common/os/privileges)
//   [submit] listen   [pull] listen
//   [notify] port, retry_initial, retry_max, connect_timeout
//   [tls] cert, key, ca_file, crl_files, crl      [dns] servers      [log] level, file
//   [control] socket                 (the local control socket, default state_dir/control.sock)
//   [quota] default = "1GiB"         (optional: a user's storage quota unless their own is set)
//   [metrics] listen                 (optional, loopback only: the Prometheus endpoint)
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/log/log.hpp"
#include "common/net/server_settings.hpp"
#include "common/tls/settings.hpp"

namespace im2k::oms {

struct notify_settings {
  std::uint16_t port = 4650;
  std::chrono::seconds retry_initial{60};
  std::chrono::seconds retry_max{3600};
  std::chrono::seconds connect_timeout{10};
};

struct oms_config {
  std::filesystem::path file;  // where it was read from
  std::string host;
  std::vector<std::string> domains;  // lower case
  std::filesystem::path state_dir;
  std::optional<std::string> user;   // run as this user after binding (started as root)
  std::optional<std::string> group;  // and this group; default: the user's own
  std::uint64_t max_message_size = 10 * 1024 * 1024;
  std::chrono::seconds retention{7 * 24 * 3600};
  std::chrono::seconds grace{24 * 3600};
  std::optional<boost::asio::ip::address> bind_address;
  boost::asio::ip::tcp::endpoint submit_listen;
  boost::asio::ip::tcp::endpoint pull_listen;
  notify_settings notify;
  tls::tls_settings tls;
  std::vector<std::string> dns_servers;  // empty: resolv.conf
  log::level log_level = log::level::info;
  std::optional<std::filesystem::path> log_file;
  std::filesystem::path control_socket;        // [control] socket; default state_dir/control.sock
  std::optional<std::uint64_t> quota_default;  // [quota] default, [S-8]; absent: unlimited
  std::optional<boost::asio::ip::tcp::endpoint> metrics_listen;  // [metrics] listen
  // [limits]: connection caps and deadlines of every listener ([T-9], [T-11]).
  net::server_settings limits;

  // True when `domain` (lower case) is one of ours.
  bool serves_domain(const std::string& domain) const;
};

struct config_outcome {
  oms_config config;
  std::vector<std::string> errors;  // each names file, key and expectation; empty = valid

  bool ok() const { return errors.empty(); }
};

// Reads and validates the whole file, collecting every error.
config_outcome load_config(const std::filesystem::path& file);
// The same on text (tests); `source_name` stands for the file name in errors.
config_outcome parse_config(std::string_view text, std::string source_name);

}  // namespace im2k::oms
