// `im2k status MSGID`: every recipient of a message the user sent, with its state, the time of
// the last change, the refusal or failure recorded (code and message) and the next attempt.
// Long recipient lists are read in pages ([Q-3]).
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
#include "proto/messages/status.hpp"
#include "proto/syntax.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

// 1 000 recipients at most ([V-8]), 100 or more per page ([Q-3]); a server that pages on and on
// is broken.
constexpr int max_pages = 20;

struct status_args {
  connection_options connection;
  std::string msg;
};

nlohmann::json to_document(const std::string& msg,
                           const std::vector<proto::recipient_status>& all) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : all) {
    nlohmann::json item = {{"rcpt", r.rcpt.to_string()},
                           {"state", proto::to_string(r.state)},
                           {"at", r.at},
                           {"code", nullptr},
                           {"message", nullptr},
                           {"next_attempt", nullptr}};
    if (r.code) {
      item["code"] = proto::to_string(*r.code);
    }
    if (r.message) {
      item["message"] = *r.message;
    }
    if (r.next_attempt) {
      item["next_attempt"] = *r.next_attempt;
    }
    list.push_back(std::move(item));
  }
  return {{"msg", msg}, {"recipients", std::move(list)}};
}

void print_human(const std::vector<proto::recipient_status>& all) {
  std::size_t rcpt_width = 0;
  for (const auto& r : all) {
    rcpt_width = std::max(rcpt_width, r.rcpt.to_string().size());
  }
  for (const auto& r : all) {
    std::string rcpt = r.rcpt.to_string();
    std::string state(proto::to_string(r.state));
    std::string line = rcpt + std::string(rcpt_width - rcpt.size() + 2, ' ') + state +
                       std::string(10 - std::min<std::size_t>(state.size(), 9), ' ') +
                       format_time(r.at);
    if (r.code) {
      line += "  " + std::string(proto::to_string(*r.code));
      if (r.message && !r.message->empty()) {
        line += ": " + printable(*r.message);
      }
    }
    if (r.next_attempt) {
      line += "  (next attempt " + format_time(*r.next_attempt) + ")";
    }
    std::cout << line << '\n';
  }
}

awaitable<int> run_status(std::shared_ptr<status_args> a) {
  const bool json = a->connection.json;
  if (!proto::is_message_id(a->msg)) {
    co_return report({code_usage, false, "not a message id: " + a->msg}, json);
  }
  auto client = co_await user_client::connect(a->connection, service::submit);
  if (!client) {
    co_return report(client.error(), json);
  }
  std::vector<proto::recipient_status> all;
  for (int page = 0;; ++page) {
    proto::status_request request;
    request.msg = a->msg;
    nlohmann::json object = proto::to_json(request);
    if (!all.empty()) {
      object["after"] = all.back().rcpt.to_string();
    }
    auto response = co_await (*client)->call(std::move(object));
    if (!response) {
      co_return report(response.error(), json);
    }
    auto parsed = proto::parse_status_response(*response);
    if (!parsed) {
      co_return report(
          {code_connection, true, "malformed status response: " + parsed.error().describe()}, json);
    }
    const bool more = response->value("more", false);
    if (more && (parsed->recipients.empty() || page + 1 == max_pages)) {
      co_return report({code_connection, true, "the server pages without end"}, json);
    }
    all.insert(all.end(), parsed->recipients.begin(), parsed->recipients.end());
    if (!more) {
      break;
    }
  }
  co_await (*client)->close();
  if (json) {
    print_json(to_document(a->msg, all));
  } else {
    print_human(all);
  }
  co_return 0;
}

}  // namespace

void add_status(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<status_args>();
  auto* cmd = app.add_subcommand(
      "status",
      "each recipient's state of a message you sent (queued, notified, deferred, "
      "pulled, rejected, recalled, expired)");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("msg", a->msg, "the message id `im2k send` printed")->required();
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_status(a); }); });
}

}  // namespace im2k::mc
