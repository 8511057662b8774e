#include "oms/queue_operations.hpp"

#include <string>
#include <utility>
#include <variant>

#include "common/control/reply.hpp"
#include "common/log/log.hpp"
#include "proto/syntax.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

json optional_time(const std::optional<unix_time>& t) {
  return t ? json(*t) : json(nullptr);
}

json message_json(const queued_message& m) {
  json states = json::object();
  for (const auto& [state, count] : m.states) {
    states[std::string(proto::to_string(state))] = count;
  }
  return {{"msg", m.msg},
          {"user", m.owner},
          {"from", m.from},
          {"submitted", m.submitted},
          {"expires", m.expires},
          {"size", m.size},
          {"states", std::move(states)},
          {"next_attempt", optional_time(m.next_attempt)},
          {"last_code", m.last_code ? json(std::string(proto::to_string(*m.last_code))) : json()}};
}

json recipient_json(const recipient_record& r) {
  return {{"rcpt", r.rcpt.to_string()},
          {"state", std::string(proto::to_string(r.state))},
          {"at", r.at},
          {"code", r.code ? json(std::string(proto::to_string(*r.code))) : json()},
          {"message", r.message ? json(*r.message) : json()},
          {"next_attempt", optional_time(r.next_attempt)},
          {"attempts", r.attempts}};
}

// The request's message id, or the error reply to send instead.
std::variant<std::string, json> message_id(const json& request) {
  auto id = request.find("id");
  if (id == request.end() || !id->is_string()) {
    return control::error_reply(proto::errc::bad_request, "the request needs \"id\": a message id");
  }
  std::string text = id->get<std::string>();
  if (!proto::is_message_id(text)) {
    return control::error_reply(proto::errc::bad_request, "not a message id: " + text);
  }
  return text;
}

json not_found(const std::string& msg) {
  return control::error_reply(proto::errc::not_found, "no such message in the spool: " + msg);
}

json failed(const boost::system::error_code& ec) {
  log::error("control.spool_failed").kv("code", ec);
  return control::error_reply(proto::errc::internal, "the spool failed: " + ec.message());
}

}  // namespace

void add_queue_operations(control::control_server& server, spool& spool,
                          std::function<void()> wake_notifier) {
  server.add("queue.list", [&spool](json, control::peer_identity) -> awaitable<json> {
    auto messages = co_await spool.queued(queue_list_limit);
    if (!messages) {
      co_return failed(messages.error());
    }
    json list = json::array();
    for (const auto& m : *messages) {
      list.push_back(message_json(m));
    }
    const bool truncated = messages->size() >= queue_list_limit;
    co_return control::ok_reply({{"messages", std::move(list)}, {"truncated", truncated}});
  });

  server.add("queue.show", [&spool](json request, control::peer_identity) -> awaitable<json> {
    auto id = message_id(request);
    if (auto* refusal = std::get_if<json>(&id)) {
      co_return std::move(*refusal);
    }
    const std::string msg = std::get<std::string>(id);
    auto detail = co_await spool.queued_detail(msg);
    if (!detail) {
      co_return failed(detail.error());
    }
    if (!*detail) {
      co_return not_found(msg);
    }
    json message = message_json((*detail)->message);
    json recipients = json::array();
    for (const auto& r : (*detail)->recipients) {
      recipients.push_back(recipient_json(r));
    }
    message["recipients"] = std::move(recipients);
    co_return control::ok_reply({{"message", std::move(message)}});
  });

  server.add("queue.retry",
             [&spool, wake_notifier](json request, control::peer_identity who) -> awaitable<json> {
               auto id = message_id(request);
               if (auto* refusal = std::get_if<json>(&id)) {
                 co_return std::move(*refusal);
               }
               const std::string msg = std::get<std::string>(id);
               const unix_time now = unix_now();
               auto count = co_await spool.retry_now(msg, now);
               if (!count) {
                 co_return failed(count.error());
               }
               if (!*count) {
                 co_return not_found(msg);
               }
               log::info("queue.retry")
                   .kv("msg", msg)
                   .kv("recipients", **count)
                   .kv("uid", who.uid)
                   .kv("pid", who.pid);
               if (**count > 0 && wake_notifier) {
                 wake_notifier();
               }
               co_return control::ok_reply({{"msg", msg}, {"retried", **count}});
             });

  server.add("queue.remove", [&spool](json request, control::peer_identity who) -> awaitable<json> {
    auto id = message_id(request);
    if (auto* refusal = std::get_if<json>(&id)) {
      co_return std::move(*refusal);
    }
    const std::string msg = std::get<std::string>(id);
    const unix_time now = unix_now();
    auto withdrawn = co_await spool.withdraw(msg, now);
    if (!withdrawn) {
      co_return failed(withdrawn.error());
    }
    if (!*withdrawn) {
      co_return not_found(msg);
    }
    json recalled = json::array();
    for (const auto& a : **withdrawn) {
      recalled.push_back(a.to_string());
    }
    // Who withdrew it: the operator's uid and pid, from the kernel (SO_PEERCRED).
    log::info("queue.removed")
        .kv("msg", msg)
        .kv_json("recalled", recalled)
        .kv("uid", who.uid)
        .kv("pid", who.pid);
    co_return control::ok_reply({{"msg", msg}, {"recalled", std::move(recalled)}});
  });
}

}  // namespace im2k::oms
