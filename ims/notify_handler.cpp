#include "ims/notify_handler.hpp"

#include <algorithm>
#include <utility>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/spf/result.hpp"
#include "ims/designation.hpp"

namespace im2k::ims {

notify_handler::notify_handler(notify_settings settings, dns::resolver& dns, mail_store& records,
                               std::function<void()> accepted)
    : settings_(std::move(settings)),
      policy_(settings_.policy),
      dns_(dns),
      records_(records),
      accepted_(std::move(accepted)) {}

bool notify_handler::serves(const std::string& domain) const {
  return std::find(settings_.domains.begin(), settings_.domains.end(), domain) !=
         settings_.domains.end();
}

boost::asio::awaitable<notify_outcome> notify_handler::handle(const notify_peer& peer,
                                                              const proto::notify_request& request,
                                                              std::int64_t now) {
  const std::string sender = request.from.to_string();
  const std::string& sender_domain = request.from.domain;
  const std::string rcpt_domain = request.rcpt.empty() ? "" : request.rcpt.front().domain;
  auto refuse = [&](proto::errc code, std::string message,
                    std::string_view spf = {}) -> notify_outcome {
    auto event = log::info("notify.refused");
    event.kv("msg", request.msg)
        .kv("peer", peer.host)
        .kv("source", peer.source.to_string())
        .kv("from", sender)
        .kv("rcpt_domain", rcpt_domain)
        .kv("code", proto::to_string(code))
        .kv("reason", message);
    if (!spf.empty()) {
      event.kv("spf", spf);
    }
    return proto::make_error_response(request.id, code, std::move(message));
  };

  // Step 4 (field syntax) was the codec's; the one-domain rule of step 5 too ([N-8]).
  if (request.rcpt.size() > max_notify_recipients) {
    co_return refuse(proto::errc::bad_request, "more than 100 recipients");
  }
  const bool one_domain = std::all_of(request.rcpt.begin(), request.rcpt.end(),
                                      [&](auto& r) { return r.domain == rcpt_domain; });
  if (!one_domain) {
    co_return refuse(proto::errc::bad_request, "the recipients are not in one domain");
  }
  // Step 6.
  if (static_cast<std::int64_t>(request.expires) <= now) {
    co_return refuse(proto::errc::expired, "expires is not in the future");
  }
  // Step 7.
  if (request.size > settings_.max_message_size) {
    co_return refuse(proto::errc::message_too_large,
                     "size over " + std::to_string(settings_.max_message_size));
  }
  // Step 8, before SPF so that a flood costs no DNS work.
  if (auto refusal = policy_.check_source(peer.source, notify_policy::clock::now())) {
    co_return refuse(refusal->code, std::move(refusal->reason));
  }
  // Step 9.
  const auto spf = co_await check_sender(dns_, peer.source, sender, peer.host, settings_.host);
  const std::string spf_word(spf::to_string(spf.result));
  metrics::count("im2k_spf_results_total", "SPF results of notifications.", {{"result", spf_word}});
  if (spf.refusal) {
    co_return refuse(
        *spf.refusal,
        "SPF " + spf_word + " for " + peer.source.to_string() + " and " + sender_domain, spf_word);
  }
  // Step 10.
  if (auto refusal = policy_.check_parties(sender_domain, peer.host)) {
    co_return refuse(refusal->code, std::move(refusal->reason), spf_word);
  }
  // Step 11, after SPF so that a forger cannot spend S's budget ([X-1]).
  if (auto refusal = policy_.check_sender_rate(sender_domain, notify_policy::clock::now())) {
    co_return refuse(refusal->code, std::move(refusal->reason), spf_word);
  }

  // Step 12, per recipient; a recorded result is answered again ([N-12]).
  proto::notify_response response;
  response.re = request.id;
  std::vector<recipient_result> fresh;
  std::size_t evaluated = 0;  // afresh, for the recipients cap ([N-17])
  for (const auto& rcpt : request.rcpt) {
    const std::string address = rcpt.to_string();
    proto::notify_result result;
    result.rcpt = rcpt;
    auto recorded = co_await records_.find_result(sender_domain, request.msg, address);
    if (!recorded) {
      co_return refuse(proto::errc::internal, "the store could not be read");
    }
    if (*recorded) {
      if ((*recorded)->state == rcpt_state::rejected) {
        result.status = proto::rcpt_status::rejected;
        result.code = (*recorded)->code.value_or(proto::errc::policy);
        result.message = (*recorded)->message;
      }
      response.results.push_back(std::move(result));
      continue;
    }
    if (evaluated == policy_.max_recipients()) {
      // Not recorded ([N-12]): the OMS notifies it again later and it is evaluated then.
      result.status = proto::rcpt_status::deferred;
      result.code = proto::errc::rate_limited;
      result.message =
          "over the limit of " + std::to_string(evaluated) + " recipients per notification";
      response.results.push_back(std::move(result));
      continue;
    }
    ++evaluated;
    recipient_result record{address, rcpt_state::accepted, std::nullopt, {}};
    if (!serves(rcpt.domain)) {
      record = {address, rcpt_state::rejected, proto::errc::domain_not_local,
                "no mailboxes for this domain here"};
    } else {
      auto exists = co_await records_.user_exists(address);
      if (!exists) {
        co_return refuse(proto::errc::internal, "the store could not be read");
      }
      if (!*exists) {
        record = {address, rcpt_state::rejected, proto::errc::unknown_recipient, "no such user"};
      }
    }
    if (record.state == rcpt_state::rejected) {
      result.status = proto::rcpt_status::rejected;
      result.code = record.code;
      result.message = record.message;
    }
    fresh.push_back(std::move(record));
    response.results.push_back(std::move(result));
  }

  const bool any_accepted = std::any_of(
      fresh.begin(), fresh.end(), [](const auto& r) { return r.state == rcpt_state::accepted; });
  if (!fresh.empty()) {
    notification values;
    values.sender_domain = sender_domain;
    values.msg = request.msg;
    values.rcpt_domain = rcpt_domain;
    values.host = peer.host;
    values.source = unmap(peer.source).to_string();
    values.sender = sender;
    values.size = request.size;
    values.digest = request.digest;
    values.token = request.token;
    values.expires =
        std::min<std::int64_t>(static_cast<std::int64_t>(request.expires), now + max_hold_seconds);
    values.received = now;
    values.hold = settings_.hold && settings_.hold(sender_domain);
    if (auto ec = co_await records_.record_notification(values, fresh)) {
      log::error("store.failed").kv("msg", request.msg).kv("code", ec);
      co_return refuse(proto::errc::internal, "the notification could not be recorded");
    }
  }
  std::size_t accepted = 0;
  nlohmann::ordered_json refused = nlohmann::ordered_json::array();
  for (const auto& r : response.results) {
    if (r.status == proto::rcpt_status::accepted) {
      ++accepted;
    } else {
      refused.push_back({{"rcpt", r.rcpt.to_string()},
                         {"code", proto::to_string(r.code.value_or(proto::errc::internal))}});
    }
  }
  log::info("notify.accepted")
      .kv("msg", request.msg)
      .kv("peer", peer.host)
      .kv("source", peer.source.to_string())
      .kv("from", sender)
      .kv("rcpt_domain", rcpt_domain)
      .kv("spf", spf_word)
      .kv("accepted", accepted)
      .kv_json("refused", std::move(refused));
  if (any_accepted && accepted_) {
    accepted_();
  }
  co_return response;
}

}  // namespace im2k::ims
