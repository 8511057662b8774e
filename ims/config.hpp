// The configuration of im2k-ims (one TOML file; schema in briefs/flow-shared.md):
//
//   host = "mx.beta.test"            domains = ["beta.test"]       state_dir = "..."
//   max_message_size = "10MiB"       bind_address = "127.0.2.2"    (optional, source of pulls)
//   user = "im2k"  group = "im2k"    (optional: run as them once bound; common/os/privileges)
//   [notify] listen   [mailbox] listen
//   [pull] port, connect_timeout, retry_initial, retry_max
//   [tls] cert, key, ca_file, crl_files, crl      [dns] servers      [log] level, file
//   [control] socket                 (the local control socket, default state_dir/control.sock)
//   [delivery] mode ("store" | "lmtp"), lmtp_socket, lmtp_timeout   (lmtp: Dovecot's mailbox)
//   [metrics] listen                 (optional, loopback only: the Prometheus endpoint)
//   [policy] allow_domains, deny_domains, allow_hosts, deny_hosts, max_recipients, pull,
//            eager_senders, on_read_senders; [policy.rate_per_address], [policy.rate_per_domain]
//            rate, per, burst
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/log/log.hpp"
#include "common/net/server_settings.hpp"
#include "common/tls/settings.hpp"
#include "ims/policy_settings.hpp"

namespace im2k::ims {

struct pull_settings {
  std::uint16_t port = 4652;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds retry_initial{60};
  std::chrono::seconds retry_max{3600};
};

// Where a stored message goes ([I-1]): kept in the IMS's own mailbox, or handed to an LMTP
// server (Dovecot) over a Unix socket, whose mailbox is then the one of record.
enum class delivery_mode { store, lmtp };

struct delivery_settings {
  delivery_mode mode = delivery_mode::store;
  std::filesystem::path lmtp_socket;      // lmtp mode only
  std::chrono::seconds lmtp_timeout{30};  // each read and write, and the connect
};

struct ims_config {
  std::filesystem::path file;        // where it was read from
  std::string host;                  // our host name: the authserv-id and the pull hello host
  std::vector<std::string> domains;  // lower case
  std::filesystem::path state_dir;
  std::optional<std::string> user;   // run as this user after binding (started as root)
  std::optional<std::string> group;  // and this group; default: the user's own
  std::uint64_t max_message_size = 10 * 1024 * 1024;
  std::optional<boost::asio::ip::address> bind_address;
  boost::asio::ip::tcp::endpoint notify_listen;
  // users: auth, list, fetch, delete; unset (and refused) in lmtp mode
  std::optional<boost::asio::ip::tcp::endpoint> mailbox_listen;
  delivery_settings delivery;
  pull_settings pull;
  tls::tls_settings tls;
  std::vector<std::string> dns_servers;  // empty: resolv.conf
  log::level log_level = log::level::info;
  std::optional<std::filesystem::path> log_file;
  std::filesystem::path control_socket;  // [control] socket; default state_dir/control.sock
  std::optional<boost::asio::ip::tcp::endpoint> metrics_listen;  // [metrics] listen
  // [limits]: connection caps and deadlines of every listener ([T-9], [T-11]).
  net::server_settings limits;
  policy_settings policy;

  // True when `domain` (lower case) has its mailboxes here.
  bool serves_domain(std::string_view domain) const;
};

struct config_outcome {
  ims_config config;
  std::vector<std::string> errors;  // each names file, key and expectation; empty = valid

  bool ok() const { return errors.empty(); }
};

// Reads and validates the whole file, collecting every error.
config_outcome load_config(const std::filesystem::path& file);
// The same on text (tests); `source_name` stands for the file name in errors.
config_outcome parse_config(std::string_view text, std::string source_name);

}  // namespace im2k::ims
