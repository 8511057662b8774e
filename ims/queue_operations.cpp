#include "ims/queue_operations.hpp"

#include <charconv>
#include <ctime>
#include <string>
#include <utility>
#include <variant>

#include "common/control/reply.hpp"
#include "common/log/log.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

json pull_json(const queued_pull& p) {
  json recipients = json::array();
  for (const auto& r : p.recipients) {
    recipients.push_back({{"rcpt", r.rcpt},
                          {"state", std::string(to_string(r.state))},
                          {"code", r.code ? json(std::string(proto::to_string(*r.code))) : json()},
                          {"message", r.message.empty() ? json() : json(r.message)}});
  }
  return {{"id", std::to_string(p.id)},
          {"sender_domain", p.job.key.sender_domain},
          {"msg", p.job.key.msg},
          {"rcpt_domain", p.job.key.rcpt_domain},
          {"host", p.job.host},
          {"from", p.job.sender},
          {"size", p.job.size},
          {"expires", p.job.expires},
          {"state", std::string(to_string(p.job.state))},
          {"attempts", p.job.attempts},
          {"next_attempt", p.job.next_attempt},
          {"last_error", p.last_error.empty() ? json() : json(p.last_error)},
          {"recipients", std::move(recipients)}};
}

// The request's pull id, or the error reply to send instead.
std::variant<std::int64_t, json> pull_id(const json& request) {
  auto id = request.find("id");
  std::string text;
  if (id != request.end() && id->is_string()) {
    text = id->get<std::string>();
  } else if (id != request.end() && id->is_number_integer()) {
    text = std::to_string(id->get<std::int64_t>());
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return control::error_reply(proto::errc::bad_request,
                                "the request needs \"id\": a pull id as queue list shows it");
  }
  return value;
}

json not_found(std::int64_t id) {
  return control::error_reply(proto::errc::not_found,
                              "no pending pull with id " + std::to_string(id));
}

json failed(const boost::system::error_code& ec) {
  log::error("control.store_failed").kv("code", ec);
  return control::error_reply(proto::errc::internal, "the store failed: " + ec.message());
}

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace

void add_queue_operations(control::control_server& server, mail_store& store,
                          std::function<void()> wake_puller) {
  server.add("queue.list", [&store](json, control::peer_identity) -> awaitable<json> {
    auto pulls = co_await store.queued_pulls(queue_list_limit);
    if (!pulls) {
      co_return failed(pulls.error());
    }
    json list = json::array();
    for (const auto& p : *pulls) {
      list.push_back(pull_json(p));
    }
    const bool truncated = pulls->size() >= queue_list_limit;
    co_return control::ok_reply({{"pulls", std::move(list)}, {"truncated", truncated}});
  });

  server.add("queue.show", [&store](json request, control::peer_identity) -> awaitable<json> {
    auto id = pull_id(request);
    if (auto* refusal = std::get_if<json>(&id)) {
      co_return std::move(*refusal);
    }
    const std::int64_t pull = std::get<std::int64_t>(id);
    auto found = co_await store.queued_pull_by_id(pull);
    if (!found) {
      co_return failed(found.error());
    }
    if (!*found) {
      co_return not_found(pull);
    }
    co_return control::ok_reply({{"pull", pull_json(**found)}});
  });

  server.add("queue.retry",
             [&store, wake_puller](json request, control::peer_identity who) -> awaitable<json> {
               auto id = pull_id(request);
               if (auto* refusal = std::get_if<json>(&id)) {
                 co_return std::move(*refusal);
               }
               const std::int64_t pull = std::get<std::int64_t>(id);
               const std::int64_t now = now_seconds();
               auto changed = co_await store.pull_now(pull, now);
               if (!changed) {
                 co_return failed(changed.error());
               }
               if (!*changed) {
                 co_return not_found(pull);
               }
               log::info("queue.retry").kv("pull", pull).kv("uid", who.uid).kv("pid", who.pid);
               if (wake_puller) {
                 wake_puller();
               }
               co_return control::ok_reply({{"id", std::to_string(pull)}});
             });

  server.add("queue.remove", [&store](json request, control::peer_identity who) -> awaitable<json> {
    auto id = pull_id(request);
    if (auto* refusal = std::get_if<json>(&id)) {
      co_return std::move(*refusal);
    }
    const std::int64_t pull = std::get<std::int64_t>(id);
    auto found = co_await store.queued_pull_by_id(pull);
    if (!found) {
      co_return failed(found.error());
    }
    if (!*found) {
      co_return not_found(pull);
    }
    const pull_key key = (*found)->job.key;
    const std::string reason = "removed by the operator (uid " + std::to_string(who.uid) + ")";
    if (auto ec = co_await store.drop(key, reason)) {
      co_return failed(ec);
    }
    log::info("queue.removed")
        .kv("pull", pull)
        .kv("sender_domain", key.sender_domain)
        .kv("msg", key.msg)
        .kv("rcpt_domain", key.rcpt_domain)
        .kv("uid", who.uid)
        .kv("pid", who.pid);
    co_return control::ok_reply({{"id", std::to_string(pull)}, {"dropped", true}});
  });
}

}  // namespace im2k::ims
