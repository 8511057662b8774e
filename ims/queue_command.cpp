#include "ims/queue_command.hpp"

#include <iostream>

#include "common/control/command_line.hpp"
#include "common/control/queue_cli.hpp"
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
  const control::queue_texts texts{"look at the pending pulls of the running daemon",
                                   "pulls and acks not done, and held notifications",
                                   "a pending pull and its recipients",
                                   "make it due now (a held one too)",
                                   "drop it: nothing is stored, no pull is made",
                                   "the pull id that list shows"};
  return control::add_queue_subcommand(app, options, texts);
}

int queue_command(const queue_options& options) {
  const control::queue_printers print{print_list, print_show, print_retry, print_remove};
  return control::run_queue(program, options, socket_of_config, print);
}

}  // namespace im2k::ims
