// `im2k sent`: the user's own recent messages, newest first ([Q-8]), each with its size and its
// recipients' states; `--limit` reads further pages ([Q-9]). Message ids come from here too, so
// that `im2k status` and `im2k recall` need no id the user wrote down.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "mc/failure.hpp"
#include "mc/mail_commands.hpp"
#include "mc/output.hpp"
#include "mc/run.hpp"
#include "mc/settings.hpp"
#include "mc/user_client.hpp"
#include "proto/messages/sent.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

// 1 000 messages at most, at least one per page while more remain ([Q-9]).
constexpr std::size_t max_limit = 1000;

struct sent_args {
  connection_options connection;
  std::size_t limit = proto::max_sent_messages;
};

nlohmann::json to_document(const std::vector<proto::sent_message>& all, bool more) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : all) {
    nlohmann::json recipients = nlohmann::json::array();
    for (const auto& r : m.recipients) {
      nlohmann::json item = {{"rcpt", r.rcpt.to_string()},
                             {"state", proto::to_string(r.state)},
                             {"at", r.at},
                             {"code", nullptr},
                             {"message", nullptr}};
      if (r.code) {
        item["code"] = proto::to_string(*r.code);
      }
      if (r.message) {
        item["message"] = *r.message;
      }
      recipients.push_back(std::move(item));
    }
    list.push_back({{"msg", m.msg},
                    {"submitted", m.submitted},
                    {"size", m.size},
                    {"rcpt_count", m.rcpt_count},
                    {"recipients", std::move(recipients)}});
  }
  return {{"messages", std::move(list)}, {"more", more}};
}

// One block per message: its id, time and size, then each recipient's state.
void print_human(const std::vector<proto::sent_message>& all, bool more) {
  if (all.empty()) {
    std::cout << "no messages in the spool\n";
    return;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& m = all[i];
    if (i > 0) {
      std::cout << '\n';
    }
    std::cout << m.msg << "  " << format_time(m.submitted) << "  " << m.size << " octets  "
              << m.rcpt_count << (m.rcpt_count == 1 ? " recipient" : " recipients") << '\n';
    std::size_t width = 0;
    for (const auto& r : m.recipients) {
      width = std::max(width, r.rcpt.to_string().size());
    }
    for (const auto& r : m.recipients) {
      const std::string rcpt = r.rcpt.to_string();
      const std::string state(proto::to_string(r.state));
      std::string line = "  " + rcpt + std::string(width - rcpt.size() + 2, ' ') + state +
                         std::string(10 - std::min<std::size_t>(state.size(), 9), ' ') +
                         format_time(r.at);
      if (r.code) {
        line += "  " + std::string(proto::to_string(*r.code));
        if (r.message && !r.message->empty()) {
          line += ": " + printable(*r.message);
        }
      }
      std::cout << line << '\n';
    }
    if (m.rcpt_count > m.recipients.size()) {
      std::cout << "  ... and " << (m.rcpt_count - m.recipients.size()) << " more (im2k status "
                << m.msg << ")\n";
    }
  }
  if (more) {
    std::cout << "\nolder messages follow (--limit)\n";
  }
}

awaitable<int> run_sent(std::shared_ptr<sent_args> a) {
  const bool json = a->connection.json;
  if (a->limit < 1 || a->limit > max_limit) {
    co_return report({code_usage, false, "--limit: from 1 to 1000"}, json);
  }
  auto client = co_await user_client::connect(a->connection, service::submit);
  if (!client) {
    co_return report(client.error(), json);
  }
  std::vector<proto::sent_message> all;
  bool more = true;
  while (more && all.size() < a->limit) {
    proto::sent_request request;
    if (!all.empty()) {
      request.before = all.back().msg;
    }
    nlohmann::json object = proto::to_json(request);
    auto response = co_await (*client)->call(std::move(object));
    if (!response) {
      co_return report(response.error(), json);
    }
    auto parsed = proto::parse_sent_response(*response);
    if (!parsed) {
      co_return report(
          {code_connection, true, "malformed sent response: " + parsed.error().describe()}, json);
    }
    more = parsed->more;
    for (auto& m : parsed->messages) {
      if (all.size() == a->limit) {
        more = true;
        break;
      }
      all.push_back(std::move(m));
    }
  }
  co_await (*client)->close();
  if (json) {
    print_json(to_document(all, more));
  } else {
    print_human(all, more);
  }
  co_return 0;
}

}  // namespace

void add_sent(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<sent_args>();
  auto* cmd = app.add_subcommand(
      "sent", "your recent messages, newest first, with each recipient's state and the message id");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("--limit", a->limit, "how many messages at most (1-1000, default 20)");
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_sent(a); }); });
}

}  // namespace im2k::mc
