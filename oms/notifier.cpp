#include "oms/notifier.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/mx.hpp"
#include "common/log/log.hpp"
#include "common/metrics/registry.hpp"
#include "proto/messages/notify.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {
namespace {

using boost::asio::awaitable;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

void log_outcomes(const notify_job& job, const std::string& peer,
                  const std::vector<notify_outcome>& outcomes) {
  for (const auto& o : outcomes) {
    const char* status = o.event == rcpt_event::notify_accepted   ? "accepted"
                         : o.event == rcpt_event::notify_rejected ? "rejected"
                                                                  : "deferred";
    // "error": no answer came (a failed connection, a broken exchange, our own fault).
    const bool error = o.event == rcpt_event::notify_deferred && o.code == proto::errc::internal;
    metrics::count("im2k_notifications_total", "Notification results, per recipient.",
                   {{"result", error ? "error" : status},
                    {"code", o.code ? std::string(proto::to_string(*o.code)) : "none"}});
    auto e = log::info("notify.result");
    e.kv("msg", job.msg)
        .kv("peer", peer)
        .kv("rcpt", o.rcpt.to_string())
        .kv("rcpt_domain", job.domain)
        .kv("status", status);
    if (o.code) {
      e.kv("code", proto::to_string(*o.code)).kv("message", o.message);
    } else {
      e.kv("code", nullptr);
    }
  }
}

// The outcomes of a whole notification from an error response or a failure.
void fill(std::vector<notify_outcome>& out, const std::vector<proto::address>& rcpt,
          rcpt_event event, proto::errc code, const std::string& message) {
  for (const auto& r : rcpt) {
    out.push_back(notify_outcome{r, event, code, message});
  }
}

}  // namespace

notifier::notifier(boost::asio::any_io_executor executor, const oms_config& config, spool& spool,
                   dns::resolver& resolver, std::shared_ptr<tls::credentials> client_credentials,
                   notifier_limits limits)
    : executor_(executor),
      config_(config),
      spool_(spool),
      resolver_(resolver),
      credentials_(std::move(client_credentials)),
      limits_(limits),
      timer_(executor) {}

void notifier::start() {
  loop_done_ = false;
  boost::asio::co_spawn(executor_, loop(), [this](std::exception_ptr e) {
    loop_done_ = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("notify.loop_failed").kv("error", ex.what());
      }
    }
  });
}

void notifier::wake() {
  woken_ = true;
  timer_.cancel();
}

awaitable<void> notifier::loop() {
  while (!stopping_) {
    woken_ = false;
    const unix_time now = unix_now();
    if (auto expired = co_await spool_.expire(now); expired && *expired > 0) {
      log::info("spool.expired").kv("recipients", *expired);
    }
    auto jobs = co_await spool_.due_jobs(now, limits_.max_jobs_per_round);
    if (!jobs) {
      log::error("spool.read_failed").kv("code", jobs.error());
    } else {
      std::map<std::string, std::vector<notify_job>> by_domain;
      for (auto& job : *jobs) {
        by_domain[job.domain].push_back(std::move(job));
      }
      for (auto& [domain, list] : by_domain) {
        if (busy_.contains(domain) || busy_.size() >= limits_.max_domains) {
          continue;  // a worker's end wakes the loop again
        }
        busy_.insert(domain);
        boost::asio::co_spawn(executor_, deliver(domain, std::move(list)),
                              [this, domain](std::exception_ptr e) {
                                busy_.erase(domain);
                                if (e) {
                                  log::error("notify.worker_failed").kv("rcpt_domain", domain);
                                }
                                wake();
                              });
      }
    }
    co_await close_idle(false);
    if (stopping_ || woken_) {
      continue;
    }
    auto sleep = std::chrono::duration_cast<clock::duration>(limits_.max_sleep);
    if (auto next = co_await spool_.next_wakeup(); next && *next) {
      const auto until = std::chrono::seconds(std::max<unix_time>(**next - unix_now(), 1));
      sleep = std::min<clock::duration>(sleep, until);
    }
    if (woken_ || stopping_) {
      continue;
    }
    timer_.expires_after(sleep);
    co_await timer_.async_wait(use_tuple);
  }
}

awaitable<std::variant<std::unique_ptr<net::client_connection>, notifier::connect_failure>>
notifier::connect(const std::string& domain) {
  using outcome = std::variant<std::unique_ptr<net::client_connection>, connect_failure>;
  auto plan = co_await dns::plan_mx(resolver_, domain, limits_.max_mx_hosts);
  switch (plan.outcome) {
    case dns::mx_outcome::hosts:
      break;
    case dns::mx_outcome::temporary:  // [D-3]
      co_return outcome{connect_failure{rcpt_event::notify_deferred, proto::errc::dns_temporary,
                                        "MX look-up failed: " + plan.detail}};
    case dns::mx_outcome::null_mx:
    case dns::mx_outcome::no_mx:
    case dns::mx_outcome::bad_domain:
      co_return outcome{connect_failure{rcpt_event::notify_rejected, proto::errc::domain_not_local,
                                        "no server receives im2k mail for " + domain + " (" +
                                            std::string(dns::to_string(plan.outcome)) + ")"}};
  }
  std::size_t attempts = 0;
  bool any_temporary = false;
  bool all_missing = true;
  std::string last = "no MX host could be reached";
  for (const auto& host : plan.hosts) {
    if (attempts >= limits_.max_connection_attempts) {
      break;
    }
    auto addresses = co_await dns::host_addresses(resolver_, host);  // [D-4]
    if (addresses.does_not_exist()) {
      continue;
    }
    all_missing = false;
    if (!addresses.ok()) {
      any_temporary = true;
      last = host + ": address look-up failed: " + addresses.detail;
      continue;
    }
    net::client_settings settings;
    settings.peer_host = host;
    for (const auto& a : addresses.records) {
      // A bound source address only reaches addresses of its own family.
      if (config_.bind_address && config_.bind_address->is_v4() != a.is_v4()) {
        continue;
      }
      if (attempts < limits_.max_connection_attempts) {
        settings.addresses.push_back(a);
        ++attempts;
      }
    }
    if (settings.addresses.empty()) {
      continue;
    }
    settings.port = config_.notify.port;
    settings.bind_address = config_.bind_address;
    settings.credentials = credentials_;
    settings.connect_timeout = config_.notify.connect_timeout;
    settings.max_message_size = config_.max_message_size;
    settings.hello_host = config_.host;
    auto opened = co_await net::client_connection::open(executor_, std::move(settings));
    if (opened) {
      co_return outcome{std::move(*opened)};
    }
    const auto& failure = opened.error();
    log::warn("notify.connect_failed")
        .kv("rcpt_domain", domain)
        .kv("peer", host)
        .kv("error", failure.describe());
    if (failure.refusal && !failure.temporary()) {  // [L-7]: a permanent hello refusal ends it
      co_return outcome{connect_failure{rcpt_event::notify_rejected, failure.wire_code(),
                                        failure.refusal->message}};
    }
    last = host + ": " + failure.describe();
  }
  if (all_missing) {  // [D-4]: every MX host is unusable
    co_return outcome{connect_failure{rcpt_event::notify_rejected, proto::errc::domain_not_local,
                                      "no MX host of " + domain + " has an address"}};
  }
  co_return outcome{
      connect_failure{rcpt_event::notify_deferred,
                      any_temporary ? proto::errc::dns_temporary : proto::errc::internal, last}};
}

awaitable<bool> notifier::exchange(net::client_connection& c, const std::vector<notify_job>& jobs,
                                   const std::vector<notification>& notes,
                                   std::vector<std::vector<notify_outcome>>& outcomes) {
  const std::string peer = c.server_hello().host;
  bool any_response = false;
  std::size_t next_send = 0;
  std::size_t next_receive = 0;
  auto fail_rest = [&](const std::string& why) {
    for (std::size_t i = next_receive; i < notes.size(); ++i) {
      fill(outcomes[notes[i].job], notes[i].rcpt, rcpt_event::notify_deferred,
           proto::errc::internal, why);
    }
  };
  while (next_receive < notes.size()) {
    while (next_send < notes.size() && next_send - next_receive < limits_.pipeline_window) {
      const auto& note = notes[next_send];
      const auto& job = jobs[note.job];
      proto::notify_request req;
      req.msg = job.msg;
      req.from = job.from;
      req.rcpt = note.rcpt;
      req.size = job.size;
      req.digest = job.digest;
      req.token = job.token;
      req.expires = static_cast<std::uint64_t>(job.expires);
      auto sent = co_await c.send(proto::to_json(req));
      if (!sent) {
        if (!any_response) {
          co_return false;
        }
        fail_rest(sent.error().describe());
        co_return true;
      }
      log::info("notify.sent")
          .kv("msg", job.msg)
          .kv("peer", peer)
          .kv("rcpt_domain", job.domain)
          .kv("rcpt_count", note.rcpt.size());
      ++next_send;
    }
    const auto& note = notes[next_receive];
    auto& out = outcomes[note.job];
    auto response = co_await c.receive();
    if (!response) {
      if (!any_response) {
        co_return false;
      }
      fail_rest(response.error().describe());  // [L-7]: deferred, internal
      co_return true;
    }
    any_response = true;
    if (auto* err = std::get_if<proto::error_response>(&*response)) {
      fill(out, note.rcpt,
           err->temporary ? rcpt_event::notify_deferred : rcpt_event::notify_rejected, err->code,
           err->message);
    } else {
      auto parsed = proto::parse_notify_response(std::get<proto::ok_response>(*response).object);
      if (!parsed || parsed->results.size() != note.rcpt.size()) {
        // a malformed response; the connection cannot be trusted any further.
        fail_rest("malformed notify response");
        co_await c.close();
        co_return true;
      }
      for (std::size_t i = 0; i < note.rcpt.size(); ++i) {
        const auto& r = parsed->results[i];
        notify_outcome o{note.rcpt[i], rcpt_event::notify_accepted, std::nullopt, ""};
        if (r.status != proto::rcpt_status::accepted) {
          o.event = r.status == proto::rcpt_status::rejected ? rcpt_event::notify_rejected
                                                             : rcpt_event::notify_deferred;
          o.code = r.code.value_or(proto::errc::internal);
          o.message = r.message.value_or("");
        }
        out.push_back(std::move(o));
      }
    }
    ++next_receive;
  }
  co_return true;
}

awaitable<void> notifier::deliver(std::string domain, std::vector<notify_job> jobs) {
  std::vector<std::vector<notify_outcome>> outcomes(jobs.size());
  std::vector<notification> notes;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const auto& rcpt = jobs[j].rcpt;
    for (std::size_t i = 0; i < rcpt.size(); i += limits_.max_rcpt_per_notify) {
      const auto end = std::min(rcpt.size(), i + limits_.max_rcpt_per_notify);
      notes.push_back(notification{j, {rcpt.begin() + i, rcpt.begin() + end}});
    }
  }

  std::unique_ptr<net::client_connection> connection;
  bool reused = false;
  if (auto it = idle_.find(domain); it != idle_.end()) {
    if (it->second.connection->usable() && clock::now() - it->second.since < limits_.idle_keep) {
      connection = std::move(it->second.connection);
      reused = true;
    }
    idle_.erase(it);
  }
  std::string peer;
  for (int round = 0; round < 2; ++round) {
    if (!connection) {
      auto opened = co_await connect(domain);
      if (auto* failure = std::get_if<connect_failure>(&opened)) {
        for (std::size_t j = 0; j < jobs.size(); ++j) {
          outcomes[j].clear();
          fill(outcomes[j], jobs[j].rcpt, failure->event, failure->code, failure->message);
        }
        break;
      }
      connection = std::move(std::get<0>(opened));
      reused = false;
    }
    peer = connection->server_hello().host;
    // [H-9]: never notify a message larger than the IMS announced.
    std::vector<notification> sendable;
    for (const auto& note : notes) {
      if (jobs[note.job].size > connection->server_hello().max_message_size) {
        fill(outcomes[note.job], note.rcpt, rcpt_event::notify_rejected,
             proto::errc::message_too_large, "larger than the receiving server accepts");
      } else {
        sendable.push_back(note);
      }
    }
    if (co_await exchange(*connection, jobs, sendable, outcomes)) {
      break;
    }
    // The connection broke before any answer.
    co_await connection->close();
    connection.reset();
    if (!reused) {
      for (std::size_t j = 0; j < jobs.size(); ++j) {
        outcomes[j].clear();
        fill(outcomes[j], jobs[j].rcpt, rcpt_event::notify_deferred, proto::errc::internal,
             "the connection to " + peer + " failed");
      }
      break;
    }
    // A reused connection may have been closed by the server while idle: retry once on a fresh
    // one. Notifications are safe to repeat ([N-13]).
    for (auto& o : outcomes) {
      o.clear();
    }
  }

  const unix_time now = unix_now();
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    log_outcomes(jobs[j], peer, outcomes[j]);
    if (auto ec = co_await spool_.record_notify(jobs[j].msg, domain, outcomes[j], now)) {
      log::error("spool.write_failed").kv("msg", jobs[j].msg).kv("code", ec);
    }
  }
  if (connection && connection->usable() && !stopping_) {
    idle_[domain] = idle_connection{std::move(connection), clock::now()};
  } else if (connection) {
    co_await connection->close();
  }
}

awaitable<void> notifier::close_idle(bool all) {
  std::vector<std::unique_ptr<net::client_connection>> closing;
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (all || !it->second.connection->usable() ||
        clock::now() - it->second.since >= limits_.idle_keep) {
      closing.push_back(std::move(it->second.connection));
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& c : closing) {
    co_await c->close();
  }
}

awaitable<void> notifier::stop(clock::duration bound) {
  stopping_ = true;
  timer_.cancel();
  const auto deadline = clock::now() + bound;
  boost::asio::steady_timer poll(executor_);
  while ((!busy_.empty() || !loop_done_) && clock::now() < deadline) {
    timer_.cancel();
    poll.expires_after(std::chrono::milliseconds(50));
    co_await poll.async_wait(use_tuple);
  }
  co_await close_idle(true);
}

}  // namespace im2k::oms
