#include "ims/lmtp_delivery.hpp"

#include <map>
#include <utility>
#include <vector>

#include "common/log/log.hpp"

namespace im2k::ims {

using boost::asio::awaitable;

proto::errc refusal_for(const lmtp_reply& reply) {
  // The enhanced status code, when Dovecot gives one (RFC 3463): 5.1.1 no such user,
  // 5.2.2 mailbox full, 5.3.4 too big; anything else is the receiving side's policy.
  const std::string& t = reply.text;
  if (t.starts_with("5.1.1")) {
    return proto::errc::unknown_recipient;
  }
  if (t.starts_with("5.2.2")) {
    return proto::errc::quota_exceeded;
  }
  if (t.starts_with("5.3.4") || t.starts_with("5.2.3")) {
    return proto::errc::message_too_large;
  }
  return proto::errc::policy;
}

awaitable<std::optional<handover_failure>> hand_over(boost::asio::any_io_executor executor,
                                                     const lmtp_settings& settings,
                                                     mail_store& records,
                                                     const std::filesystem::path& bodies_dir,
                                                     const pull_job& job) {
  const pull_key& key = job.key;
  auto pending = co_await records.handover_pending(key);
  if (!pending) {
    log::error("store.failed")
        .kv("op", "handover_pending")
        .kv("msg", key.msg)
        .kv("code", pending.error());
    co_return handover_failure{"internal", "cannot read the stored copies"};
  }
  // One transaction per stored file (normally one for the pull).
  std::map<std::string, std::vector<handover_item>> by_body;
  for (auto& item : *pending) {
    by_body[item.body].push_back(std::move(item));
  }
  std::optional<handover_failure> failure;
  for (auto& [body, items] : by_body) {
    std::vector<std::string> rcpts;
    for (const auto& item : items) {
      rcpts.push_back(item.rcpt);
    }
    auto sent = co_await lmtp_send(executor, settings, job.sender, rcpts, bodies_dir / body);
    if (!sent.failure.empty()) {
      log::warn("lmtp.deferred").kv("msg", key.msg).kv("reason", sent.failure);
      failure = handover_failure{"internal", "lmtp: " + sent.failure};
      continue;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = items[i];
      const auto& reply = sent.replies[i];
      if (reply.positive()) {
        // Dovecot has it (and has fsynced it): the IMS's copy goes. A crash before this commit
        // hands it over once more ([I-6]).
        auto removed = co_await records.delete_entry(item.user, item.entry_id);
        if (!removed) {
          log::error("store.failed").kv("msg", key.msg).kv("code", removed.error());
          failure = handover_failure{"internal", "cannot record the delivery"};
          continue;
        }
        log::info("lmtp.delivered")
            .kv("msg", key.msg)
            .kv("rcpt", item.rcpt)
            .kv("id", item.entry_id);
      } else if (reply.permanent()) {
        const auto code = refusal_for(reply);
        const std::string message = "lmtp: " + std::to_string(reply.code) + " " + reply.text;
        if (auto ec = co_await records.refuse_stored(key, item.user, code, message)) {
          log::error("store.failed").kv("msg", key.msg).kv("code", ec);
          failure = handover_failure{"internal", "cannot record the refusal"};
          continue;
        }
        log::info("lmtp.refused")
            .kv("msg", key.msg)
            .kv("rcpt", item.rcpt)
            .kv("code", proto::to_string(code))
            .kv("reply", reply.code);
      } else {
        log::warn("lmtp.deferred")
            .kv("msg", key.msg)
            .kv("rcpt", item.rcpt)
            .kv("reply", reply.code)
            .kv("reason", reply.text);
        failure =
            handover_failure{"internal", "lmtp: " + std::to_string(reply.code) + " " + reply.text};
      }
    }
  }
  co_return failure;
}

}  // namespace im2k::ims
