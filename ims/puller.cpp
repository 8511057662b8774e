#include "ims/puller.hpp"

#include <ctime>
#include <functional>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/mx.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "common/net/client_connection.hpp"
#include "common/spf/result.hpp"
#include "ims/backoff.hpp"
#include "ims/designation.hpp"
#include "ims/headers.hpp"
#include "ims/message_scanner.hpp"
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

// Feeds the pulled octets through the scanner into the body file.
struct body_writer {
  message_scanner& scanner;
  store::durable_file& file;
  boost::system::error_code error;
  std::string out;

  awaitable<boost::system::error_code> operator()(std::span<const char> chunk) {
    out.clear();
    scanner.feed(std::string_view(chunk.data(), chunk.size()), out);
    if (!out.empty() && !error) {
      error = file.append(out);
    }
    co_return boost::system::error_code();
  }
};

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
}

awaitable<void> puller::schedule() {
  while (!stopping_) {
    const std::int64_t now = now_seconds();
    auto due = co_await records_.due_pulls(now, settings_.max_concurrent * 4);
    bool all_busy = false;
    if (!due) {
      log::error("store.failed").kv("op", "due_pulls").kv("code", due.error());
    } else {
      for (auto& job : *due) {
        if (in_flight_.size() >= settings_.max_concurrent) {
          all_busy = true;
          break;
        }
        if (in_flight_.contains(job.key)) {
          all_busy = true;  // due, but running: its end wakes us
          continue;
        }
        in_flight_.insert(job.key);
        boost::asio::co_spawn(
            executor_,
            [self = shared_from_this(), job = std::move(job)]() mutable {
              return self->run(std::move(job));
            },
            boost::asio::detached);
      }
    }
    // Sleep until the next due job, a wake-up, or a minute (a bound on any missed wake-up).
    std::chrono::seconds wait = 60s;
    if (!all_busy) {
      auto next = co_await records_.next_due();
      if (next && *next) {
        wait =
            std::clamp<std::chrono::seconds>(std::chrono::seconds(**next - now_seconds()), 1s, 60s);
      }
    }
    if (stopping_) {
      break;
    }
    wake_timer_.expires_after(wait);
    co_await wake_timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
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
  in_flight_.erase(key);
  for (auto [it, end] = waiters_.equal_range(key); it != end; ++it) {
    it->second->cancel();
  }
  if (stopping_ && in_flight_.empty()) {
    idle_timer_.cancel();
  }
  wake_timer_.cancel();
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
  auto job = co_await records_.release(key);
  if (!job) {
    log::error("store.failed").kv("op", "release").kv("code", job.error());
    co_return unavailable;
  }
  if (!*job || (*job)->state != pull_state::pull) {
    co_return attempt_outcome{};  // nothing left to pull: stored, dropped or given up
  }
  if (in_flight_.contains(key)) {  // the scheduler took it while the release was written
    co_await finished(key);
    co_return attempt_outcome{};
  }
  in_flight_.insert(key);
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

  // [P-1]: H's addresses, resolved here, each designated by SPF for S.
  auto addresses = co_await dns::host_addresses(dns_, job.host);
  if (addresses.state == dns::status::temporary) {
    co_await retry(job, "dns-temporary", "addresses of " + job.host);
    co_return;
  }
  if (!addresses.ok()) {
    co_await drop(job, "not-found", job.host + " has no address");
    co_return;
  }
  std::vector<boost::asio::ip::address> designated;
  bool temporary = false;
  std::string spf_word = "none";
  for (const auto& address : addresses.records) {
    auto check = co_await check_sender(dns_, address, job.sender, job.host, settings_.host);
    if (!check.refusal) {
      designated.push_back(address);
      spf_word = "pass";
    } else if (*check.refusal == proto::errc::dns_temporary) {
      temporary = true;
      spf_word = std::string(spf::to_string(check.result));
    } else if (spf_word != "temperror") {
      spf_word = std::string(spf::to_string(check.result));
    }
  }
  if (designated.empty()) {
    if (temporary) {
      co_await retry(job, "dns-temporary", "SPF temperror for " + job.host);
      co_return;
    }
    co_await drop(job, "sender-not-designated",
                  "SPF " + spf_word + " for every address of " + job.host);
    co_return;
  }

  // [P-2], [P-3]: TLS to H's pull listener, its certificate naming H.
  net::client_settings client;
  client.peer_host = job.host;
  client.addresses = designated;
  client.port = settings_.port;
  client.bind_address = settings_.bind_address;
  client.credentials = credentials_;
  client.connect_timeout = settings_.connect_timeout;
  client.max_message_size = settings_.max_message_size;
  client.hello_host = settings_.host;
  auto opened = co_await net::client_connection::open(executor_, client);
  if (!opened) {
    const auto& failure = opened.error();
    // tls::client_handshake already logged the named TLS reason as "tls.failure"; this line
    // ties the failed connection to the message.
    log::warn("pull.connect_failed")
        .kv("peer", job.host)
        .kv("msg", key.msg)
        .kv("detail", failure.describe());
    if (!failure.temporary()) {
      co_await drop(job, std::string(proto::to_string(failure.wire_code())),
                    "hello refused: " + failure.describe());
      co_return;
    }
    co_await retry(job, std::string(proto::to_string(failure.wire_code())), failure.describe());
    co_return;
  }
  auto connection = std::move(*opened);
  const auto remote = connection->remote_endpoint();

  if (job.state == pull_state::pull) {
    proto::pull_request request;
    request.msg = key.msg;
    request.token = job.token;
    request.rcpt_domain = key.rcpt_domain;
    auto response = co_await connection->request(proto::to_json(request));
    if (!response) {
      co_await retry(job, std::string(proto::to_string(response.error().wire_code())),
                     response.error().describe());
      co_return;
    }
    if (auto* refused = std::get_if<proto::error_response>(&*response)) {
      log::info("pull.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", proto::to_string(refused->code))
          .kv("temporary", refused->temporary);
      if (refused->temporary) {
        co_await connection->close();
        co_await retry(job, std::string(proto::to_string(refused->code)), "pull refused");
        co_return;
      }
      co_await connection->close();
      // [P-14] for recalled, expired, not-found; another permanent refusal ends it too ([E-2]).
      co_await drop(
          job, std::string(proto::to_string(refused->code)),
          drops_notification(refused->code) ? "pull answered so" : "pull refused permanently");
      co_return;
    }
    auto ok = proto::parse_pull_response(std::get<proto::ok_response>(*response).object);
    if (!ok || ok->size != job.size || ok->body_len != job.size) {
      // [P-10]: the body is not read; the connection cannot be used any more.
      co_await connection->close();
      if (auto ec = co_await records_.refuse_all(key, proto::errc::digest_mismatch,
                                                 "the pulled size differs from the notified")) {
        log::error("store.failed").kv("msg", key.msg).kv("code", ec);
        co_return;
      }
      log::warn("store.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", "digest-mismatch");
      wake();  // the ack goes on a new connection
      co_return;
    }

    const std::string body_name = proto::new_message_id();
    auto file = store::durable_file::create(settings_.bodies_dir, body_name);
    if (!file) {
      co_await connection->close();
      log::error("store.failed").kv("msg", key.msg).kv("code", file.error());
      co_await retry(job, "internal", "cannot create a body file");
      co_return;
    }
    trace_values trace;
    trace.ims_host = settings_.host;
    trace.sender = job.sender;
    trace.peer_host = job.host;
    trace.address = remote.address();
    trace.tls_version = std::string(tls_version);
    trace.msg = key.msg;
    trace.when = std::time(nullptr);
    message_scanner scanner(trace_fields(trace), settings_.host, key.sender_domain);
    body_writer writer{scanner, *file, {}, {}};
    auto read = co_await connection->read_body(job.size, std::ref(writer));
    if (!read) {
      file->abort();
      co_await retry(job, "internal", read.error().describe());
      co_return;
    }
    if (writer.error) {
      file->abort();
      co_await connection->close();
      log::error("store.failed").kv("msg", key.msg).kv("code", writer.error);
      co_await retry(job, "internal", "cannot write the body");
      co_return;
    }
    const auto verdict = scanner.finish();
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
      file->abort();
      if (auto ec = co_await records_.refuse_all(key, *refusal, reason)) {
        log::error("store.failed").kv("msg", key.msg).kv("code", ec);
        co_return;
      }
      log::warn("store.refused")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("code", proto::to_string(*refusal))
          .kv("reason", reason);
    } else {
      auto delivered = co_await records_.store_body(key, *file, body_name);
      if (!delivered) {
        file->abort();
        log::error("store.failed").kv("msg", key.msg).kv("code", delivered.error());
        co_await connection->close();
        co_await retry(job, "internal", "cannot store the message");
        co_return;
      }
      log::info("store.delivered")
          .kv("msg", key.msg)
          .kv("peer", job.host)
          .kv("address", remote.address().to_string())
          .kv("rcpt_domain", key.rcpt_domain)
          .kv("from", job.sender)
          .kv("spf", spf_word)
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
    job.state = pull_state::ack;
    job.attempts = 0;
  }

  // ack every durable outcome not yet acked, on this connection.
  auto recipients = co_await records_.recipients(key);
  if (!recipients) {
    co_await connection->close();
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
    co_await connection->close();
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
    auto response = co_await connection->request(proto::to_json(ack));
    if (!response) {
      co_await retry(job, std::string(proto::to_string(response.error().wire_code())),
                     response.error().describe());
      co_return;
    }
    if (auto* refused = std::get_if<proto::error_response>(&*response)) {
      co_await connection->close();
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
      co_await connection->close();
      co_return;
    }
    log::info("ack.sent")
        .kv("msg", key.msg)
        .kv("peer", job.host)
        .kv("rcpt_domain", key.rcpt_domain)
        .kv("stored", stored)
        .kv("refused", refused_count);
  }
  co_await connection->close();
}

}  // namespace im2k::ims
