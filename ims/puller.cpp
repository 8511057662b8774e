#include "ims/puller.hpp"

#include <ctime>
#include <functional>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/net/client_connection.hpp"
#include "ims/backoff.hpp"
#include "ims/body_receiver.hpp"
#include "ims/headers.hpp"
#include "proto/messages/ack.hpp"
#include "proto/messages/pull.hpp"
#include "proto/syntax.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frame of attempt(); Asio pairs its
// own operator new and delete there, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

constexpr std::string_view help_pulls = "Pull attempts, by outcome (done, deferred, dropped).";

// Acks are split so that each fits in a frame ([A-2], [R-8]): 100 entries of at most 254 octets
// of address and 200 of message stay well under 64 KiB.
constexpr std::size_t max_ack_entries = 100;
constexpr std::size_t max_ack_message = 200;

// At most max_ack_message octets, never ending inside a UTF-8 sequence.
std::string shorten(const std::string& text) {
  if (text.size() <= max_ack_message) {
    return text;
  }
  std::size_t end = max_ack_message;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;  // text[end] continues a sequence that starts before it
  }
  return text.substr(0, end);
}

// [T-1] makes every connection TLS 1.3; the client connection does not report the version.
constexpr std::string_view tls_version = "TLSv1.3";

bool drops_notification(proto::errc code) {
  return code == proto::errc::recalled || code == proto::errc::expired ||
         code == proto::errc::not_found;
}

}  // namespace

std::shared_ptr<puller> puller::create(boost::asio::any_io_executor executor,
                                       puller_settings settings, dns::resolver& dns,
                                       mail_store& records,
                                       std::shared_ptr<tls::credentials> credentials) {
  return std::make_shared<puller>(std::move(executor), std::move(settings), dns, records,
                                  std::move(credentials));
}

puller::puller(boost::asio::any_io_executor executor, puller_settings settings, dns::resolver& dns,
               mail_store& records, std::shared_ptr<tls::credentials> credentials)
    : executor_(executor),
      settings_(std::move(settings)),
      dns_(dns),
      records_(records),
      credentials_(std::move(credentials)),
      pool_(executor, settings_.pool),
      wake_timer_(executor),
      idle_timer_(executor) {}

void puller::start() {
  boost::asio::co_spawn(
      executor_, [self = shared_from_this()] { return self->schedule(); }, boost::asio::detached);
}

void puller::wake() {
  boost::asio::post(executor_, [self = shared_from_this()] { self->wake_timer_.cancel(); });
}

awaitable<void> puller::stop(std::chrono::steady_clock::duration bound) {
  stopping_ = true;
  wake_timer_.cancel();
  if (!in_flight_.empty()) {
    idle_timer_.expires_after(bound);
    co_await idle_timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  if (!in_flight_.empty()) {
    log::warn("pull.drain_timeout").kv("in_flight", in_flight_.size());
  }
  co_await pool_.close_all(std::chrono::seconds(1));
}

awaitable<void> puller::schedule() {
  while (!stopping_) {
    const std::int64_t now = now_seconds();
    const std::size_t room =
        settings_.max_concurrent - std::min(in_flight_.size(), settings_.max_concurrent);
    if (room > 0) {
      auto due = co_await records_.take_due_pulls(now, room);
      if (!due) {
        log::error("store.failed").kv("op", "take_due_pulls").kv("code", due.error());
      } else {
        for (auto& job : *due) {
          in_flight_.insert(job.key);
          boost::asio::co_spawn(
              executor_,
              [self = shared_from_this(), job = std::move(job)]() mutable {
                return self->run(std::move(job));
              },
              boost::asio::detached);
        }
      }
    }
    co_await pool_.close_idle();
    // Sleep until the next due job, a wake-up (a new acceptance, the end of a run), or a minute
    // (a bound on any missed wake-up).
    std::chrono::seconds wait = 60s;
    if (in_flight_.size() < settings_.max_concurrent) {
      auto next = co_await records_.next_due();
      if (next && *next) {
        wait =
            std::clamp<std::chrono::seconds>(std::chrono::seconds(**next - now_seconds()), 0s, 60s);
      }
    }
    if (stopping_) {
      break;
    }
    if (wait == 0s) {
      continue;  // due already: the store had more than `room`, or it came due meanwhile
    }
    wake_timer_.expires_after(wait);
    co_await wake_timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

void puller::done(const pull_key& key) {
  records_.settle(key);
  in_flight_.erase(key);
  for (auto [it, end] = waiters_.equal_range(key); it != end; ++it) {
    it->second->cancel();
  }
  if (stopping_ && in_flight_.empty()) {
    idle_timer_.cancel();
  }
  wake_timer_.cancel();
}

awaitable<attempt_outcome> puller::run(pull_job job) {
  const pull_key key = job.key;
  outcomes_.erase(key);
  try {
    co_await attempt(std::move(job));
  } catch (const std::exception& e) {
    // A bug: keep the daemon alive, leave the job resumable.
    log::error("pull.failed").kv("msg", key.msg).kv("reason", e.what());
  }
  attempt_outcome outcome;
  if (auto it = outcomes_.find(key); it != outcomes_.end()) {
    outcome = it->second;
    outcomes_.erase(it);
  }
  done(key);
  co_return outcome;
}

awaitable<void> puller::finished(const pull_key& key) {
  // A pull is bounded by its own deadlines; this bound only keeps a waiter from hanging on.
  boost::asio::steady_timer timer(executor_);
  timer.expires_after(std::chrono::minutes(3));
  const auto waiting = waiters_.emplace(key, &timer);
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  waiters_.erase(waiting);
}

awaitable<attempt_outcome> puller::pull_now(pull_key key) {
  const attempt_outcome unavailable{proto::errc::internal, true};
  if (in_flight_.contains(key)) {
    co_await finished(key);
    co_return attempt_outcome{};
  }
  if (stopping_) {
    co_return unavailable;
  }
  if (!records_.take(key)) {  // taken, so in flight: cannot be, but wait rather than run twice
    co_await finished(key);
    co_return attempt_outcome{};
  }
  in_flight_.insert(key);
  auto job = co_await records_.release(key);
  if (!job) {
    log::error("store.failed").kv("op", "release").kv("code", job.error());
    done(key);
    co_return unavailable;
  }
  if (!*job || (*job)->state != pull_state::pull) {
    done(key);
    co_return attempt_outcome{};  // nothing left to pull: stored, dropped or given up
  }
  co_return co_await run(std::move(**job));
}

awaitable<void> puller::retry(const pull_job& job, std::string code, std::string why) {
  outcomes_[job.key] = {proto::errc_from_string(code).value_or(proto::errc::internal), true};
  const auto delay =
      retry_delay(job.attempts + 1, settings_.retry_initial, settings_.retry_max, random_jitter());
  const std::int64_t next = now_seconds() + delay.count();
  log::info(job.state == pull_state::pull ? "pull.deferred" : "ack.deferred")
      .kv("msg", job.key.msg)
      .kv("peer", job.host)
      .kv("rcpt_domain", job.key.rcpt_domain)
      .kv("code", code)
      .kv("reason", why)
      .kv("attempts", job.attempts + 1)
      .kv("next_attempt", next);
  if (job.state == pull_state::pull) {
    metrics::count("im2k_pulls_total", help_pulls, {{"result", "deferred"}, {"code", code}});
  }
  if (auto ec = co_await records_.retry_later(job.key, next, code + ": " + why)) {
    log::error("store.failed").kv("msg", job.key.msg).kv("code", ec);
  }
}

awaitable<void> puller::drop(const pull_job& job, std::string code, std::string why) {
  outcomes_[job.key] = {proto::errc_from_string(code).value_or(proto::errc::not_found), false};
  log::info("pull.dropped")
      .kv("msg", job.key.msg)
      .kv("peer", job.host)
      .kv("rcpt_domain", job.key.rcpt_domain)
      .kv("code", code)
      .kv("reason", why);
  metrics::count("im2k_pulls_total", help_pulls, {{"result", "dropped"}, {"code", code}});
  if (auto ec = co_await records_.drop(job.key, code + ": " + why)) {
    log::error("store.failed").kv("msg", job.key.msg).kv("code", ec);
  }
}

awaitable<puller::pool_type::opened> puller::open(std::string host,
                                                  std::vector<boost::asio::ip::address> addresses) {
  // [P-2], [P-3]: TLS to H's pull listener, its certificate naming H.
  net::client_settings client;
  client.peer_host = std::move(host);
  client.addresses = std::move(addresses);
  client.port = settings_.port;
  client.bind_address = settings_.bind_address;
  client.credentials = credentials_;
  client.connect_timeout = settings_.connect_timeout;
  client.max_message_size = settings_.max_message_size;
  client.hello_host = settings_.host;
  auto opened = co_await net::client_connection::open(executor_, std::move(client));
  if (!opened) {
    co_return pool_type::opened{opened.error()};
  }
  co_return pool_type::opened{std::move(*opened)};
}

awaitable<puller::pool_type::outcome> puller::connection(const pull_job& job,
                                                         const designated_source& source) {
  std::pair<std::string, std::string> peer{job.key.sender_domain, job.host};
  pool_type::connector connect = [this, host = job.host, addresses = source.addresses] {
    return open(host, addresses);
  };
  // Per message on a kept connection: its address is designated for this sender ([R-10]).
  pool_type::acceptable accept = [&source](const net::client_connection& c) {
    return source.contains(c.remote_endpoint().address());
  };
  auto got = co_await pool_.get(std::move(peer), std::move(connect), std::move(accept));
  if (auto* failure = std::get_if<net::client_failure>(&got)) {
    // tls::client_handshake already logged the named TLS reason as "tls.failure"; this line
    // ties the failed connection to the message.
    log::warn("pull.connect_failed")
        .kv("peer", job.host)
        .kv("msg", job.key.msg)
        .kv("detail", failure->describe());
  }
  co_return got;
}

awaitable<net::client_result<proto::response>> puller::exchange(const pull_job& job,
                                                                const designated_source& source,
                                                                nlohmann::json request) {
  for (int round = 0;; ++round) {
    auto got = co_await connection(job, source);
    if (auto* failure = std::get_if<net::client_failure>(&got)) {
      co_return *failure;
    }
    auto p = std::get<0>(std::move(got));
    nlohmann::json copy = request;
    auto response = co_await p->call(std::move(copy));
    // A kept connection may have been closed by the server meanwhile: once more on a fresh one.
    if (response || round == 1) {
      co_return response;
    }
  }
}

awaitable<void> puller::attempt(pull_job job) {
  const pull_key& key = job.key;
  const std::int64_t now = now_seconds();
  if (job.expires <= now) {
    if (job.state == pull_state::pull || job.state == pull_state::held) {
      co_await drop(job, "expired", "expires has passed");
    } else if (auto ec = co_await records_.give_up(key, "expires passed before the ack")) {
      log::error("store.failed").kv("msg", key.msg).kv("code", ec);
    }
    co_return;
  }
  // [P-1], for every run: a designation may have changed since the notification.
  const auto source = co_await designate_source(dns_, job, settings_.host);
  if (source.failure) {
    const auto& f = *source.failure;
    if (f.temporary) {
      co_await retry(job, f.code, f.reason);
    } else {
      co_await drop(job, f.code, f.reason);
    }
    co_return;
  }
  if (job.state == pull_state::pull) {
    if (!co_await pull(job, source)) {
      co_return;
    }
    job.state = pull_state::ack;
    job.attempts = 0;
  }
  co_await ack(job, source);
}

awaitable<bool> puller::pull(pull_job& job, const designated_source& source) {
  const pull_key& key = job.key;
  proto::pull_request request;
  request.msg = key.msg;
  request.token = job.token;
  request.rcpt_domain = key.rcpt_domain;
  for (int round = 0;; ++round) {
    auto got = co_await connection(job, source);
    if (auto* failure = std::get_if<net::client_failure>(&got)) {
      const std::string code(proto::to_string(failure->wire_code()));
      if (!failure->temporary()) {
        co_await drop(job, code, "hello refused: " + failure->describe());
      } else {
        co_await retry(job, code, failure->describe());
      }
      co_return false;
    }
    auto p = std::get<0>(std::move(got));
    const auto remote = p->connection().remote_endpoint();
    trace_values trace;
    trace.ims_host = settings_.host;
    trace.sender = job.sender;
    trace.peer_host = job.host;
    trace.address = remote.address();
    trace.tls_version = std::string(tls_version);
    trace.msg = key.msg;
    trace.when = std::time(nullptr);
    body_receiver receiver(trace, settings_.host, key.sender_domain);
    bool size_differs = false;
    boost::system::error_code open_error;
    std::optional<proto::pull_response> ok;
    net::pipeline::body_reader reader =
        [&](const proto::response& response,
            std::uint64_t body_len) -> std::optional<net::body_sink> {
      const auto* answer = std::get_if<proto::ok_response>(&response);
      if (answer) {
        if (auto parsed = proto::parse_pull_response(answer->object)) {
          ok = std::move(*parsed);
        }
      }
      if (!ok || ok->size != job.size || ok->body_len != job.size || body_len != job.size) {
        size_differs = true;  // [P-10]: the body is not read; the connection is closed
        return std::nullopt;
      }
      if (auto ec = receiver.open(settings_.bodies_dir)) {
        open_error = ec;
        return std::nullopt;
      }
      return receiver.sink();
    };
    auto response = co_await p->call(proto::to_json(request), std::move(reader));
    if (size_differs) {
      if (auto ec = co_await records_.refuse_all(key, proto::errc::digest_mismatch,
                                                 "the pulled size differs from the notified")) {
        log::error("store.failed").kv("msg", key.msg).kv("code", ec);
        co_return false;
      }
      log::warn("store.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", "digest-mismatch");
      co_return true;  // the refusal is acked
    }
    if (open_error) {
      log::error("store.failed").kv("msg", key.msg).kv("code", open_error);
      co_await retry(job, "internal", "cannot create a body file");
      co_return false;
    }
    if (!response) {
      receiver.abort();
      if (round == 0) {
        continue;  // a kept connection may have been closed meanwhile ([T-12])
      }
      co_await retry(job, std::string(proto::to_string(response.error().wire_code())),
                     response.error().describe());
      co_return false;
    }
    if (auto* refused = std::get_if<proto::error_response>(&*response)) {
      log::info("pull.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", proto::to_string(refused->code))
          .kv("temporary", refused->temporary);
      const std::string code(proto::to_string(refused->code));
      if (refused->temporary) {
        co_await retry(job, code, "pull refused");
      } else {
        // [P-14] for recalled, expired, not-found; another permanent refusal ends it too ([E-2]).
        co_await drop(
            job, code,
            drops_notification(refused->code) ? "pull answered so" : "pull refused permanently");
      }
      co_return false;
    }
    if (receiver.error()) {
      receiver.abort();
      log::error("store.failed").kv("msg", key.msg).kv("code", receiver.error());
      co_await retry(job, "internal", "cannot write the body");
      co_return false;
    }
    const auto verdict = receiver.finish();
    std::optional<proto::errc> refusal;
    std::string reason;
    if (verdict.digest != job.digest || ok->digest != job.digest) {
      refusal = proto::errc::digest_mismatch;
      reason = "the pulled body does not match the notified digest";
    } else if (verdict.refusal) {
      refusal = verdict.refusal;
      reason = verdict.reason;
    }
    if (refusal) {
      receiver.abort();
      if (auto ec = co_await records_.refuse_all(key, *refusal, reason)) {
        log::error("store.failed").kv("msg", key.msg).kv("code", ec);
        co_return false;
      }
      log::warn("store.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", proto::to_string(*refusal))
          .kv("reason", reason);
    } else {
      auto delivered = co_await records_.store_body(key, receiver.file(), receiver.name());
      if (!delivered) {
        receiver.abort();
        log::error("store.failed").kv("msg", key.msg).kv("code", delivered.error());
        co_await retry(job, "internal", "cannot store the message");
        co_return false;
      }
      log::info("store.delivered")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("address", remote.address().to_string())
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("from", job.sender)
          .kv("spf", source.spf)
          .kv("tls", tls_version)
          .kv("size", verdict.size)
          .kv("stored", delivered->stored)
          .kv("refused", delivered->refused);
    }
    log::info("pull.done")
        .kv("msg", key.msg)
        .kv("peer", job.host)
        .kv("rcpt_domain", key.rcpt_domain);
    metrics::count("im2k_pulls_total", help_pulls, {{"result", "done"}, {"code", "none"}});
    co_return true;
  }
}

awaitable<void> puller::ack(const pull_job& job, const designated_source& source) {
  const pull_key& key = job.key;
  // ack every durable outcome not yet acked.
  auto recipients = co_await records_.recipients(key);
  if (!recipients) {
    log::error("store.failed").kv("msg", key.msg).kv("code", recipients.error());
    co_return;
  }
  std::vector<recipient_result> outcomes;
  for (auto& r : *recipients) {
    if (r.state == rcpt_state::stored || r.state == rcpt_state::refused) {
      outcomes.push_back(std::move(r));
    }
  }
  if (outcomes.empty()) {
    if (auto ec = co_await records_.mark_acked(key, {})) {
      log::error("store.failed").kv("msg", key.msg).kv("code", ec);
    }
    co_return;
  }
  for (std::size_t first = 0; first < outcomes.size(); first += max_ack_entries) {
    const std::size_t last = std::min(outcomes.size(), first + max_ack_entries);
    proto::ack_request ack;
    ack.msg = key.msg;
    ack.rcpt_domain = key.rcpt_domain;
    std::vector<std::string> listed;
    for (std::size_t i = first; i < last; ++i) {
      auto address = proto::parse_address(outcomes[i].rcpt);
      if (!address) {
        continue;  // cannot happen: the codec parsed it at notify time
      }
      listed.push_back(outcomes[i].rcpt);
      if (outcomes[i].state == rcpt_state::stored) {
        ack.stored.push_back(*address);
      } else {
        ack.refused.push_back({*address, outcomes[i].code.value_or(proto::errc::policy),
                               shorten(outcomes[i].message)});
      }
    }
    const std::size_t stored = ack.stored.size();
    const std::size_t refused_count = ack.refused.size();
    auto response = co_await exchange(job, source, proto::to_json(ack));
    if (!response) {
      co_await retry(job, std::string(proto::to_string(response.error().wire_code())),
                     response.error().describe());
      co_return;
    }
    if (auto* refused = std::get_if<proto::error_response>(&*response)) {
      if (refused->temporary) {
        co_await retry(job, std::string(proto::to_string(refused->code)), "ack refused");
        co_return;
      }
      log::warn("ack.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("code", proto::to_string(refused->code));
      if (auto ec = co_await records_.give_up(key, "ack refused permanently")) {
        log::error("store.failed").kv("msg", key.msg).kv("code", ec);
      }
      co_return;
    }
    if (auto ec = co_await records_.mark_acked(key, listed)) {
      log::error("store.failed").kv("msg", key.msg).kv("code", ec);
      co_return;
    }
    log::info("ack.sent")
        .kv("msg", key.msg)
        .kv("peer", job.host)
        .kv("rcpt_domain", key.rcpt_domain)
        .kv("stored", stored)
        .kv("refused", refused_count);
  }
}

}  // namespace im2k::ims
