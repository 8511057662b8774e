// im2k-ims: the incoming server. It verifies notifications, pulls messages from the
// sender's designated server and keeps the recipients' mailboxes.
//
//   im2k-ims --config FILE                 run
//   im2k-ims --check-config FILE           validate and exit (0 ok, 1 with every error)
//   im2k-ims user add|passwd --config FILE ADDRESS [--password-file FILE|-]
//                            (without a file the password is asked on the terminal)
//   im2k-ims user remove --config FILE ADDRESS
//   im2k-ims user list --config FILE
//   im2k-ims queue list|show ID|retry ID|remove ID [--json] [--config FILE | --socket PATH]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "common/cli/password_prompt.hpp"
#include "common/log/log.hpp"
#include "common/version.hpp"
#include "ims/checkpassword.hpp"
#include "ims/config.hpp"
#include "ims/queue_command.hpp"
#include "ims/schema.hpp"
#include "ims/server.hpp"
#include "ims/users.hpp"
#include "proto/syntax.hpp"

namespace {

using namespace im2k;

// How long SIGTERM waits for work in flight.
constexpr std::chrono::seconds drain_bound{10};

std::optional<ims::ims_config> load_or_report(const std::string& path) {
  auto outcome = ims::load_config(path);
  if (!outcome.ok()) {
    for (const auto& error : outcome.errors) {
      std::cerr << error << "\n";
    }
    return std::nullopt;
  }
  return std::move(outcome.config);
}

int check_config(const std::string& path) {
  return load_or_report(path) ? 0 : 1;
}

// The password is the file's first line (stdin for "-"), or typed at the terminal; never a
// command-line argument.
std::optional<std::string> read_password(const std::string& path) {
  std::optional<std::filesystem::path> file;
  if (!path.empty()) {
    file = path;
  }
  auto input = cli::read_new_password(file);
  if (!input.password) {
    std::cerr << "im2k-ims: " << input.error << "\n";
  }
  return input.password;
}

// A user's address must be an address of a domain served here.
std::optional<std::string> user_address(const ims::ims_config& config, const std::string& text) {
  auto address = proto::parse_address(text);
  if (!address) {
    std::cerr << "im2k-ims: not an address: " << text << "\n";
    return std::nullopt;
  }
  if (!config.serves_domain(address->domain)) {
    std::cerr << "im2k-ims: " << address->domain << " is not among the domains served here\n";
    return std::nullopt;
  }
  return proto::to_lower(address->to_string());
}

int user_command(const std::string& action, const std::string& config_path,
                 const std::string& address_text, const std::string& password_file) {
  auto config = load_or_report(config_path);
  if (!config) {
    return 1;
  }
  try {
    auto db = ims::open_database(config->state_dir);
    if (action == "list") {
      auto users = ims::list_users(db);
      if (!users) {
        std::cerr << "im2k-ims: " << users.error().message() << "\n";
        return 1;
      }
      for (const auto& u : *users) {
        std::cout << u << "\n";
      }
      return 0;
    }
    auto address = user_address(*config, address_text);
    if (!address) {
      return 1;
    }
    boost::system::result<ims::user_change> change = ims::user_change::done;
    if (action == "remove") {
      change = ims::remove_user(db, *address);
    } else {
      auto password = read_password(password_file);
      if (!password) {
        return 1;
      }
      change = action == "add" ? ims::add_user(db, *address, *password)
                               : ims::set_password(db, *address, *password);
    }
    if (!change) {
      std::cerr << "im2k-ims: " << change.error().message() << "\n";
      return 1;
    }
    if (*change == ims::user_change::exists) {
      std::cerr << "im2k-ims: " << *address << " exists already\n";
      return 1;
    }
    if (*change == ims::user_change::missing) {
      std::cerr << "im2k-ims: no such user: " << *address << "\n";
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "im2k-ims: " << e.what() << "\n";
    return 1;
  }
}

int run(const std::string& config_path) {
  auto config = load_or_report(config_path);
  if (!config) {
    return 1;
  }
  log::set_min_level(config->log_level);
  try {
    if (config->log_file) {
      log::log_to_file(*config->log_file);
    }
  } catch (const std::exception& e) {
    std::cerr << "im2k-ims: " << e.what() << "\n";
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io(1);
  std::unique_ptr<ims::server> server;
  try {
    server = std::make_unique<ims::server>(io, *config);
    server->start();
  } catch (const std::exception& e) {
    log::error("server.failed").kv("reason", e.what());
    std::cerr << "im2k-ims: " << e.what() << "\n";
    return 1;
  }
  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          co_await server->stop(drain_bound);
          io.stop();
        },
        boost::asio::detached);
  });
  io.run();
  // Everything promised is durable (the store has stopped); coroutines still suspended are
  // not unwound, since they refer to the server being torn down. Log lines are flushed each.
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"im2k-ims: the im2k incoming mail server (verify, pull, store, mailbox)",
               "im2k-ims"};
  app.set_version_flag("--version", std::string("im2k-ims ") + std::string(im2k::version));
  std::string config_path;
  std::string check_path;
  auto* run_option = app.add_option("--config", config_path, "configuration file (TOML): run");
  auto* check_option =
      app.add_option("--check-config", check_path, "validate the configuration file and exit");
  run_option->excludes(check_option);

  auto* user = app.add_subcommand("user", "manage the users whose mailboxes live here");
  user->require_subcommand(1);
  std::string user_config;
  std::string address;
  std::string password_file;
  std::string action;
  for (const char* name : {"add", "passwd"}) {
    auto* sub = user->add_subcommand(
        name, std::string(name) == "add" ? "add a user" : "set a user's password");
    sub->add_option("--config", user_config, "configuration file (TOML)")->required();
    sub->add_option("address", address, "the user's address")->required();
    sub->add_option("--password-file", password_file,
                    "file holding the password; - for stdin; without it the password is asked "
                    "on the terminal");
    sub->callback([&action, name] { action = name; });
  }
  auto* remove = user->add_subcommand("remove", "remove a user");
  remove->add_option("--config", user_config, "configuration file (TOML)")->required();
  remove->add_option("address", address, "the user's address")->required();
  remove->callback([&action] { action = "remove"; });
  auto* list = user->add_subcommand("list", "list the users");
  list->add_option("--config", user_config, "configuration file (TOML)")->required();
  list->callback([&action] { action = "list"; });

  auto* checkpassword = app.add_subcommand(
      "checkpassword",
      "Dovecot's passdb checkpassword: check the user and password on fd 3, then run REPLY");
  std::string checkpassword_config;
  std::vector<std::string> reply;
  checkpassword->add_option("--config", checkpassword_config, "configuration file (TOML)")
      ->required();
  checkpassword->add_option("reply", reply, "the program to run on success (Dovecot adds it)")
      ->required();
  checkpassword->positionals_at_end();

  ims::queue_options queue_options;
  auto* queue = ims::add_queue_subcommand(app, queue_options);

  CLI11_PARSE(app, argc, argv);
  if (queue->parsed()) {
    return ims::queue_command(queue_options);
  }
  if (checkpassword->parsed()) {
    return ims::checkpassword_command(checkpassword_config, reply);
  }
  if (!action.empty()) {
    return user_command(action, user_config, address, password_file);
  }
  if (!check_path.empty()) {
    return check_config(check_path);
  }
  if (!config_path.empty()) {
    return run(config_path);
  }
  std::cerr << app.help();
  return 1;
}
