// `im2k delete ID`: removes a message from the user's mailbox ([M-4]).
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
#include "proto/syntax.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

struct delete_args {
  connection_options connection;
  std::string id;
};

awaitable<int> run_delete(std::shared_ptr<delete_args> a) {
  const bool json = a->connection.json;
  if (!proto::is_message_id(a->id)) {
    co_return report({code_usage, false, "not a mailbox message id: " + a->id}, json);
  }
  auto client = co_await user_client::connect(a->connection, service::mailbox);
  if (!client) {
    co_return report(client.error(), json);
  }
  proto::delete_request request;
  request.msg = a->id;
  auto response = co_await (*client)->call(proto::to_json(request));
  if (!response) {
    co_return report(response.error(), json);
  }
  co_await (*client)->close();
  if (json) {
    print_json({{"deleted", a->id}});
  } else {
    std::cout << "deleted " << a->id << '\n';
  }
  co_return 0;
}

}  // namespace

void add_delete(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<delete_args>();
  auto* cmd = app.add_subcommand("delete", "remove a message from your mailbox");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("id", a->id, "the message's id as `im2k list` shows it")->required();
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_delete(a); }); });
}

}  // namespace im2k::mc
