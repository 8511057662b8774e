#include "oms/queue_command.hpp"

#include <iostream>

#include "common/control/command_line.hpp"
#include "common/control/queue_cli.hpp"
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

// The [control] socket of the configuration file at `path`.
std::optional<std::filesystem::path> socket_of_config(const std::string& path) {
  auto outcome = load_config(path);
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
  const control::queue_texts texts{"look at the spool of the running daemon",
                                   "messages with a recipient not yet final",
                                   "a message and every recipient",
                                   "make its queued and deferred recipients due now",
                                   "withdraw it (recall every recipient not pulled)",
                                   "the message id"};
  return control::add_queue_subcommand(app, options, texts);
}

int queue_command(const queue_options& options) {
  const control::queue_printers print{print_list, print_show, print_retry, print_remove};
  return control::run_queue(program, options, socket_of_config, print);
}

}  // namespace im2k::oms
