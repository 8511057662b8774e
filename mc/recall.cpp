// `im2k recall MSGID`: withdraws a message from every recipient that has not pulled it yet
// ([Q-5]) and prints the recipients withdrawn, one per line.
#include <iostream>
#include <memory>
#include <string>

#include "mc/failure.hpp"
#include "mc/mail_commands.hpp"
#include "mc/output.hpp"
#include "mc/run.hpp"
#include "mc/settings.hpp"
#include "mc/user_client.hpp"
#include "proto/messages/recall.hpp"
#include "proto/syntax.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

struct recall_args {
  connection_options connection;
  std::string msg;
};

awaitable<int> run_recall(std::shared_ptr<recall_args> a) {
  const bool json = a->connection.json;
  if (!proto::is_message_id(a->msg)) {
    co_return report({code_usage, false, "not a message id: " + a->msg}, json);
  }
  auto client = co_await user_client::connect(a->connection, service::submit);
  if (!client) {
    co_return report(client.error(), json);
  }
  proto::recall_request request;
  request.msg = a->msg;
  auto response = co_await (*client)->call(proto::to_json(request));
  if (!response) {
    co_return report(response.error(), json);
  }
  co_await (*client)->close();
  auto parsed = proto::parse_recall_response(*response);
  if (!parsed) {
    co_return report(
        {code_connection, true, "malformed recall response: " + parsed.error().describe()}, json);
  }
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : parsed->recalled) {
      list.push_back(r.to_string());
    }
    print_json({{"msg", a->msg}, {"recalled", std::move(list)}});
    co_return 0;
  }
  for (const auto& r : parsed->recalled) {
    std::cout << r.to_string() << '\n';
  }
  if (parsed->recalled.empty()) {
    std::cerr << "im2k: no recipient withdrawn: each one has pulled the message or is final "
                 "(see im2k status "
              << a->msg << ")\n";
  }
  co_return 0;
}

}  // namespace

void add_recall(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<recall_args>();
  auto* cmd = app.add_subcommand(
      "recall", "withdraw a message you sent from every recipient that has not pulled it yet");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("msg", a->msg, "the message id `im2k send` printed")->required();
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_recall(a); }); });
}

}  // namespace im2k::mc
