// im2k-oms: the outgoing server. It spools submitted messages, notifies the recipients'
// incoming servers and serves their pulls.
//
//   im2k-oms --config FILE                      run
//   im2k-oms --check-config FILE                validate and exit (0 ok, 1 errors on stderr)
//   im2k-oms user add|passwd --config FILE ADDRESS [--password-file FILE|-]
//                            [--quota SIZE|none|default]   (no file: asked on the terminal)
//   im2k-oms user remove --config FILE ADDRESS
//   im2k-oms user list --config FILE
//   im2k-oms queue list|show ID|retry ID|remove ID [--json] [--config FILE | --socket PATH]
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <CLI/CLI.hpp>

#include "common/cli/password_prompt.hpp"
#include "common/config/parse.hpp"
#include "common/crypto/password.hpp"
#include "common/log/log.hpp"
#include "common/version.hpp"
#include "oms/config.hpp"
#include "oms/queue_command.hpp"
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

// The password from --password-file (a file, or "-" for stdin), else asked on the terminal.
std::optional<std::string> read_password(const std::string& source) {
  std::optional<std::filesystem::path> file;
  if (!source.empty()) {
    file = source;
  }
  auto input = cli::read_new_password(file);
  if (!input.password) {
    std::cerr << "im2k-oms: " << input.error << "\n";
  }
  return input.password;
}

// --quota: SIZE ("10MiB"), "none" (unlimited) or "default" (the server's [quota] default).
std::optional<oms::user_quota> parse_quota(const std::string& text) {
  if (text == "default") {
    return oms::user_quota{};
  }
  if (text == "none") {
    return oms::user_quota{true, std::nullopt};
  }
  auto size = config::parse_size(text);
  if (!size) {
    return std::nullopt;
  }
  return oms::user_quota{true, *size};
}

std::string quota_text(const oms::user_quota& quota) {
  if (!quota.own) {
    return "default";
  }
  return quota.bytes ? config::format_size(*quota.bytes) : "none";
}

int user_command(const std::string& action, const std::string& config_path,
                 const std::string& address, const std::string& password_file,
                 const std::string& quota_option) {
  auto config = load(config_path);
  if (!config) {
    return 1;
  }
  std::optional<oms::user_quota> quota;
  if (!quota_option.empty()) {
    quota = parse_quota(quota_option);
    if (!quota) {
      std::cerr << "im2k-oms: --quota: a size such as 10MiB, none or default, not " << quota_option
                << "\n";
      return 1;
    }
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
  if (action == "list") {  // the address, and the user's own quota when one is set
    auto list = users.entries();
    if (!list) {
      std::cerr << "im2k-oms: " << list.error().message() << "\n";
      return 1;
    }
    for (const auto& u : *list) {
      std::cout << u.address;
      if (u.quota.own) {
        std::cout << "  quota " << quota_text(u.quota);
      }
      std::cout << "\n";
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
    if (auto ec = users.add(address, hash, quota.value_or(oms::user_quota{}))) {
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
  if (quota) {
    auto set = users.set_quota(address, *quota);
    if (!set || !*set) {
      std::cerr << "im2k-oms: cannot set the quota of " << address << "\n";
      return 1;
    }
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
  std::string quota;
  for (const char* action : {"add", "passwd"}) {
    auto* sub = user->add_subcommand(
        action, std::string(action) == "add" ? "add a user" : "change a password");
    sub->add_option("--config", user_config, "configuration file (TOML)")->required();
    sub->add_option("address", address, "the user's address")->required();
    sub->add_option("--password-file", password_file,
                    "file holding the password, - for stdin; without it the password is asked "
                    "on the terminal");
    sub->add_option("--quota", quota,
                    "storage quota: a size (10MiB), none (unlimited) or default (the server's "
                    "[quota] default)");
  }
  auto* remove = user->add_subcommand("remove", "remove a user");
  remove->add_option("--config", user_config, "configuration file (TOML)")->required();
  remove->add_option("address", address, "the user's address")->required();
  auto* list = user->add_subcommand("list", "list the users");
  list->add_option("--config", user_config, "configuration file (TOML)")->required();

  oms::queue_options queue_options;
  auto* queue = oms::add_queue_subcommand(app, queue_options);

  CLI11_PARSE(app, argc, argv);

  try {
    if (user->parsed()) {
      for (const char* action : {"add", "passwd", "remove", "list"}) {
        if (user->got_subcommand(action)) {
          return user_command(action, user_config, address, password_file, quota);
        }
      }
      return 1;
    }
    if (queue->parsed()) {
      return oms::queue_command(queue_options);
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
