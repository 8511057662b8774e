#include "common/control/queue_cli.hpp"

#include <iostream>

#include "common/control/command_line.hpp"

namespace im2k::control {

CLI::App* add_queue_subcommand(CLI::App& app, queue_options& options, const queue_texts& texts) {
  auto* queue = app.add_subcommand("queue", texts.queue);
  queue->require_subcommand(1);
  auto common = [&options](CLI::App* sub) {
    sub->add_flag("--json", options.json, "print the daemon's answer as one JSON object");
    auto* config = sub->add_option("--config", options.config_path, "configuration file (TOML)");
    auto* socket = sub->add_option("--socket", options.socket_path, "the control socket");
    config->excludes(socket);
  };
  auto* list = queue->add_subcommand("list", texts.list);
  common(list);
  list->callback([&options] { options.action = "list"; });
  const std::pair<std::string, std::string> actions[] = {
      {"show", texts.show}, {"retry", texts.retry}, {"remove", texts.remove}};
  for (const auto& [name, help] : actions) {
    auto* sub = queue->add_subcommand(name, help);
    sub->add_option("id", options.id, texts.id)->required();
    common(sub);
    sub->callback([&options, action = name] { options.action = action; });
  }
  return queue;
}

int run_queue(std::string_view program, const queue_options& options,
              const config_socket& socket_of_config, const queue_printers& print) {
  std::optional<std::filesystem::path> socket;
  if (!options.socket_path.empty()) {
    socket = std::filesystem::path(options.socket_path);
  } else if (options.config_path.empty()) {
    std::cerr << program << ": queue needs --config FILE or --socket PATH\n";
  } else {
    socket = socket_of_config(options.config_path);
  }
  if (!socket) {
    return 1;
  }
  nlohmann::json request = {{"op", "queue." + options.action}};
  if (options.action != "list") {
    request["id"] = options.id;
  }
  const auto& printer = options.action == "show"     ? print.show
                        : options.action == "retry"  ? print.retry
                        : options.action == "remove" ? print.remove
                                                     : print.list;
  return ask(program, *socket, request, options.json, printer);
}

}  // namespace im2k::control
