#include "ims/queue_command.hpp"

#include <iostream>

#include "common/control/command_line.hpp"
#include "ims/config.hpp"

namespace im2k::ims {
namespace {

using control::text;
using control::time_text;
using nlohmann::json;

constexpr std::string_view program = "im2k-ims";

std::string recipients_text(const json& recipients) {
  std::string out;
  for (const auto& r : recipients) {
    out += (out.empty() ? "" : ", ") + text(r.value("rcpt", json())) + " " +
           text(r.value("state", json()));
  }
  return out.empty() ? "-" : out;
}

void print_list(const json& response) {
  const auto& pulls = response.at("pulls");
  if (pulls.empty()) {
    std::cout << "no pending pulls\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "SENDER DOMAIN", "MSG", "RCPT DOMAIN",
                                                 "HOST", "STATE", "ATTEMPTS", "NEXT ATTEMPT",
                                                 "LAST ERROR", "RECIPIENTS"}};
  for (const auto& p : pulls) {
    rows.push_back({text(p.value("id", json())), text(p.value("sender_domain", json())),
                    text(p.value("msg", json())), text(p.value("rcpt_domain", json())),
                    text(p.value("host", json())), text(p.value("state", json())),
                    text(p.value("attempts", json())), time_text(p.value("next_attempt", json())),
                    text(p.value("last_error", json())),
                    recipients_text(p.value("recipients", json::array()))});
  }
  std::cout << control::aligned(rows);
  if (response.value("truncated", false)) {
    std::cout << "(only the first " << pulls.size() << " pulls are shown)\n";
  }
}

void print_show(const json& response) {
  const auto& p = response.at("pull");
  std::cout << control::aligned({{"id", text(p.value("id", json()))},
                                 {"sender domain", text(p.value("sender_domain", json()))},
                                 {"msg", text(p.value("msg", json()))},
                                 {"recipient domain", text(p.value("rcpt_domain", json()))},
                                 {"host", text(p.value("host", json()))},
                                 {"from", text(p.value("from", json()))},
                                 {"size", text(p.value("size", json()))},
                                 {"expires", time_text(p.value("expires", json()))},
                                 {"state", text(p.value("state", json()))},
                                 {"attempts", text(p.value("attempts", json()))},
                                 {"next attempt", time_text(p.value("next_attempt", json()))},
                                 {"last error", text(p.value("last_error", json()))}});
  std::vector<std::vector<std::string>> rows = {{"RECIPIENT", "STATE", "CODE", "MESSAGE"}};
  for (const auto& r : p.value("recipients", json::array())) {
    rows.push_back({text(r.value("rcpt", json())), text(r.value("state", json())),
                    text(r.value("code", json())), text(r.value("message", json()))});
  }
  std::cout << "\n" << control::aligned(rows);
}

void print_retry(const json& response) {
  std::cout << "pull " << text(response.value("id", json())) << " is due now\n";
}

void print_remove(const json& response) {
  std::cout << "pull " << text(response.value("id", json())) << " dropped\n";
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
  auto* queue = app.add_subcommand("queue", "look at the pending pulls of the running daemon");
  queue->require_subcommand(1);
  auto common = [&options](CLI::App* sub) {
    sub->add_flag("--json", options.json, "print the daemon's answer as one JSON object");
    auto* config = sub->add_option("--config", options.config_path, "configuration file (TOML)");
    auto* socket = sub->add_option("--socket", options.socket_path, "the control socket");
    config->excludes(socket);
  };
  auto* list = queue->add_subcommand("list", "pulls and acks not done, and held notifications");
  common(list);
  list->callback([&options] { options.action = "list"; });
  for (const char* action : {"show", "retry", "remove"}) {
    const std::string name = action;
    const char* help = name == "show"    ? "a pending pull and its recipients"
                       : name == "retry" ? "make it due now (a held one too)"
                                         : "drop it: nothing is stored, no pull is made";
    auto* sub = queue->add_subcommand(name, help);
    sub->add_option("id", options.id, "the pull id that list shows")->required();
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

}  // namespace im2k::ims
