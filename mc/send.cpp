// `im2k send [--file F | --subject S [--body-file F]] RCPT...`: submits a message to the user's
// OMS and prints its message id. A whole message comes from --file or stdin; otherwise one is
// composed from --subject and a body (--body-file or stdin). Line ends become CRLF ([S-6]).
#include <ctime>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mc/failure.hpp"
#include "mc/input.hpp"
#include "mc/mail_commands.hpp"
#include "mc/message.hpp"
#include "mc/output.hpp"
#include "mc/run.hpp"
#include "mc/settings.hpp"
#include "mc/user_client.hpp"
#include "proto/messages/submit.hpp"
#include "proto/syntax.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

constexpr std::size_t max_recipients = 1000;  // [V-8]

struct send_args {
  connection_options connection;
  std::string file;
  std::string subject;
  bool has_subject = false;
  std::string body_file;
  std::vector<std::string> recipients;
};

outcome<std::vector<proto::address>> check_recipients(const std::vector<std::string>& given) {
  if (given.size() > max_recipients) {
    return failure{code_usage, false, "at most 1000 recipients per message"};
  }
  std::vector<proto::address> out;
  std::set<std::string> seen;
  for (const auto& text : given) {
    auto a = proto::parse_address(text);
    if (!a) {
      return failure{"bad-address", false, "not an address: " + text};
    }
    if (seen.insert(proto::to_lower(a->to_string())).second) {
      out.push_back(*a);  // a recipient named twice is sent once ([V-8])
    }
  }
  return out;
}

outcome<std::string> message_text(const send_args& a, const settings& s,
                                  const std::vector<proto::address>& rcpt) {
  const bool compose_it = a.has_subject || !a.body_file.empty();
  if (!compose_it) {
    auto text = read_input(a.file.empty() ? "-" : a.file);
    if (!text) {
      return text.error();
    }
    if (text->empty()) {
      return failure{code_usage, false, "the message is empty"};
    }
    return prepare_message(*text);
  }
  auto body = read_input(a.body_file.empty() ? "-" : a.body_file);
  if (!body) {
    return body.error();
  }
  composition c;
  c.from = s.user.to_string();
  for (const auto& r : rcpt) {
    c.to.push_back(r.to_string());
  }
  c.subject = a.subject;
  c.body = std::move(*body);
  c.date = std::time(nullptr);
  c.message_id = "<" + proto::new_message_id() + "@" + s.user.domain + ">";
  return compose(c);
}

awaitable<int> run_send(std::shared_ptr<send_args> a) {
  const bool json = a->connection.json;
  if (!a->file.empty() && (a->has_subject || !a->body_file.empty())) {
    co_return report(
        {code_usage, false, "--file gives a whole message: no --subject or --body-file"}, json);
  }
  auto s = load_settings(a->connection, service::submit);
  if (!s) {
    co_return report(s.error(), json);
  }
  auto rcpt = check_recipients(a->recipients);
  if (!rcpt) {
    co_return report(rcpt.error(), json);
  }
  auto message = message_text(*a, *s, *rcpt);
  if (!message) {
    co_return report(message.error(), json);
  }
  auto client = co_await user_client::open(*s, service::submit);
  if (!client) {
    co_return report(client.error(), json);
  }
  if (message->size() > (*client)->max_message_size()) {
    co_await (*client)->close();
    co_return report({"message-too-large", false,
                      "the message has " + std::to_string(message->size()) +
                          " octets; the server accepts at most " +
                          std::to_string((*client)->max_message_size())},
                     json);
  }
  proto::submit_request request;
  request.from = s->user;
  request.rcpt = *rcpt;
  request.body_len = message->size();
  auto response = co_await (*client)->call_with_body(proto::to_json(request), *message);
  if (!response) {
    co_return report(response.error(), json);
  }
  auto submitted = proto::parse_submit_response(*response);
  co_await (*client)->close();
  if (!submitted) {
    co_return report({code_connection, true,
                      "malformed submit response (the message may have "
                      "been accepted): " +
                          submitted.error().describe()},
                     json);
  }
  if (json) {
    nlohmann::json to = nlohmann::json::array();
    for (const auto& r : *rcpt) {
      to.push_back(r.to_string());
    }
    print_json({{"msg", submitted->msg},
                {"from", s->user.to_string()},
                {"rcpt", to},
                {"size", message->size()}});
  } else {
    std::cout << submitted->msg << '\n';
  }
  co_return 0;
}

}  // namespace

void add_send(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<send_args>();
  auto* cmd = app.add_subcommand("send", "submit a message to your OMS; prints its message id");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("--file", a->file, "the whole RFC 5322 message ('-' or nothing: stdin)");
  cmd->add_option("--subject", a->subject,
                  "compose a message with this subject (From:, To:, Date:, Message-ID: added)");
  cmd->add_option("--body-file", a->body_file,
                  "the composed message's body ('-' or nothing: stdin)");
  cmd->add_option("recipients", a->recipients, "recipient addresses")->required();
  cmd->footer(exit_status_footer);
  cmd->callback([a, cmd, &exit_status] {
    a->has_subject = cmd->count("--subject") > 0;
    exit_status = run_command([a] { return run_send(a); });
  });
}

}  // namespace im2k::mc
