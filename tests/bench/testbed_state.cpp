#include "tests/bench/testbed_state.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

namespace im2k::bench {

namespace {

daemon_info daemon_of(const nlohmann::json& j) {
  daemon_info d;
  d.host = j.at("host").get<std::string>();
  d.address = j.at("address").get<std::string>();
  if (j.contains("pid") && j.at("pid").is_number_integer()) {
    d.pid = j.at("pid").get<int>();
  }
  d.config = j.at("config").get<std::string>();
  d.state_dir = j.at("state_dir").get<std::string>();
  d.log = j.at("log").get<std::string>();
  if (j.contains("metrics") && j.at("metrics").is_string()) {
    d.metrics = j.at("metrics").get<std::string>();
  }
  return d;
}

}  // namespace

const user_info* testbed_state::find_user(std::string_view address) const {
  for (const auto& d : domains) {
    for (const auto& u : d.users) {
      if (u.address == address) {
        return &u;
      }
    }
  }
  return nullptr;
}

mc::outcome<testbed_state> load_testbed(const std::filesystem::path& dir) {
  const auto path = dir / "state.json";
  std::ifstream in(path);
  if (!in) {
    return mc::failure{mc::code_config, false,
                       "no testbed in " + dir.string() + " (cannot read " + path.string() +
                           "); bring one up with deploy/testbed/testbed.sh up " + dir.string()};
  }
  testbed_state state;
  try {
    const auto j = nlohmann::json::parse(in);
    state.dir = j.at("dir").get<std::string>();
    state.net = j.at("net").get<int>();
    state.bin_dir = j.at("bin_dir").get<std::string>();
    for (const auto& d : j.at("domains")) {
      domain_info info;
      info.name = d.at("name").get<std::string>();
      info.oms = daemon_of(d.at("oms"));
      info.ims = daemon_of(d.at("ims"));
      for (const auto& u : d.at("users")) {
        info.users.push_back(user_info{u.at("address").get<std::string>(),
                                       u.at("password_file").get<std::string>(),
                                       u.at("client_config").get<std::string>()});
      }
      state.domains.push_back(std::move(info));
    }
  } catch (const nlohmann::json::exception& e) {
    return mc::failure{mc::code_config, false, path.string() + ": malformed: " + e.what()};
  }
  for (const auto& d : state.domains) {
    for (const auto* server : {&d.oms, &d.ims}) {
      if (!server->pid) {
        return mc::failure{mc::code_connection, true,
                           "the testbed in " + dir.string() + " is not up: " + server->host +
                               " is stopped (deploy/testbed/testbed.sh status " + dir.string() +
                               ")"};
      }
      if (!std::filesystem::exists("/proc/" + std::to_string(*server->pid))) {
        return mc::failure{mc::code_connection, true,
                           "the testbed in " + dir.string() + " is not up: " + server->host +
                               " (pid " + std::to_string(*server->pid) + ") is not running"};
      }
    }
  }
  return state;
}

}  // namespace im2k::bench
