#include "oms/queue_command.hpp"

#include <iostream>

#include "common/control/command_line.hpp"
#include "oms/config.hpp"

namespace im2k::oms {
namespace {

using control::text;
using control::time_text;
using nlohmann::json;

constexpr std::string_view program = "im2k-oms";

// "deferred 1, queued 2"
std::string states_text(const json& states) {
  std::string out;
  for (const auto& [state, count] : states.items()) {
    out += (out.empty() ? "" : ", ") + state + " " + text(count);
  }
  return out.empty() ? "-" : out;
}

void print_list(const json& response) {
  const auto& messages = response.at("messages");
  if (messages.empty()) {
    std::cout << "the queue is empty\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"MSG", "USER", "FROM", "SUBMITTED", "SIZE", "RECIPIENTS", "NEXT ATTEMPT", "LAST ERROR"}};
  for (const auto& m : messages) {
    rows.push_back({text(m.value("msg", json())), text(m.value("user", json())),
                    text(m.value("from", json())), time_text(m.value("submitted", json())),
                    text(m.value("size", json())), states_text(m.value("states", json::object())),
                    time_text(m.value("next_attempt", json())),
                    text(m.value("last_code", json()))});
  }
  std::cout << control::aligned(rows);
  if (response.value("truncated", false)) {
    std::cout << "(only the oldest " << messages.size() << " messages are shown)\n";
  }
}

void print_show(const json& response) {
  const auto& m = response.at("message");
  std::cout << control::aligned({{"msg", text(m.value("msg", json()))},
                                 {"user", text(m.value("user", json()))},
                                 {"from", text(m.value("from", json()))},
                                 {"submitted", time_text(m.value("submitted", json()))},
                                 {"expires", time_text(m.value("expires", json()))},
                                 {"size", text(m.value("size", json()))}});
  std::vector<std::vector<std::string>> rows = {
      {"RECIPIENT", "STATE", "AT", "ATTEMPTS", "NEXT ATTEMPT", "CODE", "MESSAGE"}};
  for (const auto& r : m.value("recipients", json::array())) {
    rows.push_back({text(r.value("rcpt", json())), text(r.value("state", json())),
                    time_text(r.value("at", json())), text(r.value("attempts", json())),
                    time_text(r.value("next_attempt", json())), text(r.value("code", json())),
                    text(r.value("message", json()))});
  }
  std::cout << "\n" << control::aligned(rows);
}

void print_retry(const json& response) {
  std::cout << text(response.value("msg", json())) << ": "
            << text(response.value("retried", json())) << " recipient(s) due now\n";
}

void print_remove(const json& response) {
  const auto& recalled = response.value("recalled", json::array());
  std::cout << text(response.value("msg", json())) << ": withdrew " << recalled.size()
            << " recipient(s)";
  for (const auto& r : recalled) {
    std::cout << " " << text(r);
  }
  std::cout << "\n";
}

// --socket, or the [control] socket of --config.
std::optional<std::filesystem::path> socket_of(const queue_options& options) {
  if (!options.socket_path.empty()) {
    return std::filesystem::path(options.socket_path);
  }
  if (options.config_path.empty()) {
    std::cerr << program << ": queue needs --config FILE or --socket PATH\n";
    return std::nullopt;
  }
  auto outcome = load_config(options.config_path);
  for (const auto& e : outcome.errors) {
    std::cerr << e << "\n";
  }
  if (!outcome.ok()) {
    return std::nullopt;
  }
  return outcome.config.control_socket;
}

}  // namespace

CLI::App* add_queue_subcommand(CLI::App& app, queue_options& options) {
  auto* queue = app.add_subcommand("queue", "look at the spool of the running daemon");
  queue->require_subcommand(1);
  auto common = [&options](CLI::App* sub) {
    sub->add_flag("--json", options.json, "print the daemon's answer as one JSON object");
    auto* config = sub->add_option("--config", options.config_path, "configuration file (TOML)");
    auto* socket = sub->add_option("--socket", options.socket_path, "the control socket");
    config->excludes(socket);
  };
  auto* list = queue->add_subcommand("list", "messages with a recipient not yet final");
  common(list);
  list->callback([&options] { options.action = "list"; });
  for (const char* action : {"show", "retry", "remove"}) {
    const std::string name = action;
    const char* help = name == "show"    ? "a message and every recipient"
                       : name == "retry" ? "make its queued and deferred recipients due now"
                                         : "withdraw it (recall every recipient not pulled)";
    auto* sub = queue->add_subcommand(name, help);
    sub->add_option("id", options.id, "the message id")->required();
    common(sub);
    sub->callback([&options, name] { options.action = name; });
  }
  return queue;
}

int queue_command(const queue_options& options) {
  auto socket = socket_of(options);
  if (!socket) {
    return 1;
  }
  json request = {{"op", "queue." + options.action}};
  if (options.action != "list") {
    request["id"] = options.id;
  }
  std::function<void(const json&)> print = print_list;
  if (options.action == "show") {
    print = print_show;
  } else if (options.action == "retry") {
    print = print_retry;
  } else if (options.action == "remove") {
    print = print_remove;
  }
  return control::ask(program, *socket, request, options.json, print);
}

}  // namespace im2k::oms
