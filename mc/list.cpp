// `im2k list`: the messages in the user's mailbox, oldest first: id, state (stored, or held:
// notified but not pulled yet), when it arrived, its size and its sender. Read in pages ([M-2]).
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "mc/failure.hpp"
#include "mc/mail_commands.hpp"
#include "mc/output.hpp"
#include "mc/run.hpp"
#include "mc/settings.hpp"
#include "mc/user_client.hpp"
#include "proto/messages/mailbox.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

// A mailbox bigger than this many pages of 100 is not listed whole by one command.
constexpr int max_pages = 1000;

struct list_args {
  connection_options connection;
};

awaitable<int> run_list(std::shared_ptr<list_args> a) {
  const bool json = a->connection.json;
  auto client = co_await user_client::connect(a->connection, service::mailbox);
  if (!client) {
    co_return report(client.error(), json);
  }
  std::vector<proto::mailbox_entry> all;
  for (int page = 0;; ++page) {
    nlohmann::json object = proto::to_json(proto::list_request{});
    if (!all.empty()) {
      object["after"] = all.back().id;
    }
    auto response = co_await (*client)->call(std::move(object));
    if (!response) {
      co_return report(response.error(), json);
    }
    auto parsed = proto::parse_list_response(*response);
    if (!parsed) {
      co_return report(
          {code_connection, true, "malformed list response: " + parsed.error().describe()}, json);
    }
    const bool more = response->value("more", false);
    if (more && (parsed->messages.empty() || page + 1 == max_pages)) {
      co_return report({code_connection, true, "the server pages without end"}, json);
    }
    all.insert(all.end(), parsed->messages.begin(), parsed->messages.end());
    if (!more) {
      break;
    }
  }
  co_await (*client)->close();
  // Ids are random ([M-5]): the order that means something is arrival.
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& x, const auto& y) { return x.received < y.received; });
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : all) {
      list.push_back({{"id", m.id},
                      {"from", m.from.to_string()},
                      {"size", m.size},
                      {"received", m.received},
                      {"state", proto::to_string(m.state)}});
    }
    print_json({{"messages", std::move(list)}});
    co_return 0;
  }
  for (const auto& m : all) {
    std::string state(proto::to_string(m.state));
    std::string size = std::to_string(m.size);
    std::cout << m.id << "  " << state
              << std::string(8 - std::min<std::size_t>(state.size(), 7), ' ')
              << format_time(m.received) << "  "
              << std::string(10 - std::min<std::size_t>(size.size(), 9), ' ') << size << "  "
              << m.from.to_string() << '\n';
  }
  if (all.empty()) {
    std::cerr << "im2k: the mailbox is empty\n";
  }
  co_return 0;
}

}  // namespace

void add_list(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<list_args>();
  auto* cmd = app.add_subcommand("list", "the messages in your mailbox, oldest first");
  add_connection_options(*cmd, a->connection);
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_list(a); }); });
}

}  // namespace im2k::mc
