// The `queue` subcommand both daemons have (`list`, `show ID`, `retry ID`, `remove ID`, each with
// `--json` and `--config FILE | --socket PATH`): its options, its registration with each
// daemon's help texts, and running it against the daemon's control socket.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace im2k::control {

struct queue_options {
  std::string action;  // list, show, retry, remove
  std::string id;
  bool json = false;
  std::string config_path;
  std::string socket_path;
};

// What each subcommand means at this daemon.
struct queue_texts {
  std::string queue;
  std::string list;
  std::string show;
  std::string retry;
  std::string remove;
  std::string id;  // the ID argument
};

struct queue_printers {
  std::function<void(const nlohmann::json&)> list;
  std::function<void(const nlohmann::json&)> show;
  std::function<void(const nlohmann::json&)> retry;
  std::function<void(const nlohmann::json&)> remove;
};

// Adds `queue` to `app`; the options land in `options` when it is parsed.
CLI::App* add_queue_subcommand(CLI::App& app, queue_options& options, const queue_texts& texts);

// The control socket of a configuration file, its errors printed; nullopt when it is broken.
using config_socket = std::function<std::optional<std::filesystem::path>(const std::string&)>;

// Asks the daemon (--socket, or the [control] socket of --config) and prints the answer;
// returns the exit code (1 for an error answer such as not-found).
int run_queue(std::string_view program, const queue_options& options,
              const config_socket& socket_of_config, const queue_printers& print);

}  // namespace im2k::control
