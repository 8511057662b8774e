// im2k-oms: the outgoing server. It spools submitted messages, notifies the recipients'
// incoming servers and serves their pulls.
//
//   im2k-oms --config FILE                      run
//   im2k-oms --check-config FILE                validate and exit (0 ok, 1 errors on stderr)
//   im2k-oms user add|passwd --config FILE ADDRESS --password-file FILE|-
//   im2k-oms user remove --config FILE ADDRESS
//   im2k-oms user list --config FILE
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <CLI/CLI.hpp>

#include "common/crypto/password.hpp"
#include "common/log/log.hpp"
#include "common/version.hpp"
#include "oms/config.hpp"
#include "oms/server.hpp"
#include "oms/sqlite_spool.hpp"
#include "oms/users.hpp"
#include "proto/syntax.hpp"

namespace {

using namespace im2k;

// Loads the configuration or prints every error and returns nullopt.
std::optional<oms::oms_config> load(const std::string& path) {
  auto outcome = oms::load_config(path);
  for (const auto& e : outcome.errors) {
    std::cerr << e << "\n";
  }
  if (!outcome.ok()) {
    return std::nullopt;
  }
  return std::move(outcome.config);
}

// The password from a file or stdin ("-"): its first line, without the line end.
std::optional<std::string> read_password(const std::string& source) {
  std::string text;
  if (source == "-") {
    std::getline(std::cin, text);
  } else {
    std::ifstream in(source);
    if (!in) {
      std::cerr << "im2k-oms: cannot read the password file " << source << "\n";
      return std::nullopt;
    }
    std::getline(in, text);
  }
  if (!text.empty() && text.back() == '\r') {
    text.pop_back();
  }
  if (text.empty()) {
    std::cerr << "im2k-oms: the password is empty\n";
    return std::nullopt;
  }
  return text;
}

int user_command(const std::string& action, const std::string& config_path,
                 const std::string& address, const std::string& password_file) {
  auto config = load(config_path);
  if (!config) {
    return 1;
  }
  if (action != "list") {
    auto parsed = proto::parse_address(address);
    if (!parsed) {
      std::cerr << "im2k-oms: not an address: " << address << "\n";
      return 1;
    }
    if (!config->serves_domain(parsed->domain)) {
      std::cerr << "im2k-oms: " << parsed->domain << " is not among the configured domains\n";
      return 1;
    }
  }
  auto db = oms::open_state_db(config->state_dir);
  oms::user_db users(db);
  if (action == "list") {
    auto list = users.list();
    if (!list) {
      std::cerr << "im2k-oms: " << list.error().message() << "\n";
      return 1;
    }
    for (const auto& u : *list) {
      std::cout << u << "\n";
    }
    return 0;
  }
  if (action == "remove") {
    auto removed = users.remove(address);
    if (!removed || !*removed) {
      std::cerr << "im2k-oms: no such user: " << address << "\n";
      return 1;
    }
    return 0;
  }
  auto password = read_password(password_file);
  if (!password) {
    return 1;
  }
  const std::string hash = crypto::hash_password(*password);
  if (action == "add") {
    if (auto ec = users.add(address, hash)) {
      std::cerr << "im2k-oms: cannot add " << address << " (does the user exist?): " << ec.message()
                << "\n";
      return 1;
    }
    return 0;
  }
  auto changed = users.set_hash(address, hash);
  if (!changed || !*changed) {
    std::cerr << "im2k-oms: no such user: " << address << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"im2k-oms: the im2k outgoing mail server (submit, spool, notify, serve pulls)",
               "im2k-oms"};
  app.set_version_flag("--version", std::string("im2k-oms ") + std::string(im2k::version));
  std::string config_path;
  std::string check_path;
  auto* config_option = app.add_option("--config", config_path, "configuration file (TOML)");
  auto* check_option =
      app.add_option("--check-config", check_path, "validate the configuration file and exit");
  config_option->excludes(check_option);

  auto* user = app.add_subcommand("user", "manage the users of this server");
  user->require_subcommand(1);
  std::string user_config;
  std::string address;
  std::string password_file;
  for (const char* action : {"add", "passwd"}) {
    auto* sub = user->add_subcommand(
        action, std::string(action) == "add" ? "add a user" : "change a password");
    sub->add_option("--config", user_config, "configuration file (TOML)")->required();
    sub->add_option("address", address, "the user's address")->required();
    sub->add_option("--password-file", password_file, "file holding the password, - for stdin")
        ->required();
  }
  auto* remove = user->add_subcommand("remove", "remove a user");
  remove->add_option("--config", user_config, "configuration file (TOML)")->required();
  remove->add_option("address", address, "the user's address")->required();
  auto* list = user->add_subcommand("list", "list the users");
  list->add_option("--config", user_config, "configuration file (TOML)")->required();

  CLI11_PARSE(app, argc, argv);

  try {
    if (user->parsed()) {
      for (const char* action : {"add", "passwd", "remove", "list"}) {
        if (user->got_subcommand(action)) {
          return user_command(action, user_config, address, password_file);
        }
      }
      return 1;
    }
    if (!check_path.empty()) {
      return load(check_path) ? 0 : 1;
    }
    if (config_path.empty()) {
      std::cerr << "im2k-oms: --config FILE is required (or --check-config FILE)\n";
      return 1;
    }
    auto config = load(config_path);
    if (!config) {
      return 1;
    }
    log::set_min_level(config->log_level);
    if (config->log_file) {
      log::log_to_file(*config->log_file);
    }
    return oms::run_server(*config);
  } catch (const std::exception& e) {
    im2k::log::error("server.failed").kv("error", e.what());
    std::cerr << "im2k-oms: " << e.what() << "\n";
    return 1;
  }
}
