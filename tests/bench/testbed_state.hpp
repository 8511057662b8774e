// What the bench needs from a testbed's state.json (deploy/testbed/README.md): per domain its
// OMS and IMS (pid, state directory, config, log) and its users with their client configs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mc/failure.hpp"

namespace im2k::bench {

struct daemon_info {
  std::string host;
  std::string address;
  std::optional<int> pid;  // absent: stopped
  std::filesystem::path config;
  std::filesystem::path state_dir;
  std::filesystem::path log;
  std::string metrics;  // "ADDRESS:PORT" of its Prometheus endpoint; empty if it has none
};

struct user_info {
  std::string address;
  std::filesystem::path password_file;
  std::filesystem::path client_config;
};

struct domain_info {
  std::string name;
  daemon_info oms;
  daemon_info ims;
  std::vector<user_info> users;
};

struct testbed_state {
  std::filesystem::path dir;
  int net = 0;
  std::filesystem::path bin_dir;
  std::vector<domain_info> domains;

  const user_info* find_user(std::string_view address) const;
};

// Reads DIR/state.json; a missing or malformed file, or a stopped daemon, is a failure that
// says what to do.
mc::outcome<testbed_state> load_testbed(const std::filesystem::path& dir);

}  // namespace im2k::bench
