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
#include "proto/messages/response.hpp"

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
      pool_(executor, limits.pool),
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
    const std::size_t room = limits_.max_jobs - std::min(in_flight_, limits_.max_jobs);
    if (room > 0) {
      auto jobs = co_await spool_.take_due_jobs(now, room);
      if (!jobs) {
        log::error("spool.read_failed").kv("code", jobs.error());
      } else {
        for (auto& job : *jobs) {
          ++in_flight_;
          const std::string msg = job.msg;
          boost::asio::co_spawn(executor_, notify(std::move(job)),
                                [this, msg](std::exception_ptr e) {
                                  if (in_flight_-- == limits_.max_jobs) {
                                    wake();  // room again
                                  }
                                  if (e) {
                                    log::error("notify.worker_failed").kv("msg", msg);
                                  }
                                });
        }
      }
    }
    co_await pool_.close_idle();
    if (stopping_ || woken_) {
      continue;
    }
    auto sleep = std::chrono::duration_cast<clock::duration>(limits_.max_sleep);
    if (auto next = co_await spool_.next_wakeup(); next && *next && in_flight_ < limits_.max_jobs) {
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

awaitable<std::optional<std::string>> notifier::send(net::pipeline& p, const notify_job& job,
                                                     std::size_t& first,
                                                     std::vector<notify_outcome>& outcomes) {
  while (first < job.rcpt.size()) {
    const std::size_t end = std::min(job.rcpt.size(), first + limits_.max_rcpt_per_notify);
    proto::notify_request req;
    req.msg = job.msg;
    req.from = job.from;
    req.rcpt.assign(job.rcpt.begin() + static_cast<std::ptrdiff_t>(first),
                    job.rcpt.begin() + static_cast<std::ptrdiff_t>(end));
    req.size = job.size;
    req.digest = job.digest;
    req.token = job.token;
    req.expires = static_cast<std::uint64_t>(job.expires);
    nlohmann::json request = proto::to_json(req);
    log::info("notify.sent")
        .kv("msg", job.msg)
        .kv("peer", p.connection().peer_host())
        .kv("rcpt_domain", job.domain)
        .kv("rcpt_count", req.rcpt.size());
    auto response = co_await p.call(std::move(request));
    if (!response) {
      co_return response.error().describe();
    }
    if (auto* err = std::get_if<proto::error_response>(&*response)) {
      fill(outcomes, req.rcpt,
           err->temporary ? rcpt_event::notify_deferred : rcpt_event::notify_rejected, err->code,
           err->message);
    } else {
      auto parsed = proto::parse_notify_response(std::get<proto::ok_response>(*response).object);
      if (!parsed || parsed->results.size() != req.rcpt.size()) {
        // a malformed response; the connection cannot be trusted any further.
        co_await p.close(std::chrono::seconds(0));
        fill(outcomes, {req.rcpt.begin(), req.rcpt.end()}, rcpt_event::notify_deferred,
             proto::errc::internal, "malformed notify response");
      } else {
        for (std::size_t i = 0; i < req.rcpt.size(); ++i) {
          const auto& r = parsed->results[i];
          notify_outcome o{req.rcpt[i], rcpt_event::notify_accepted, std::nullopt, ""};
          if (r.status != proto::rcpt_status::accepted) {
            o.event = r.status == proto::rcpt_status::rejected ? rcpt_event::notify_rejected
                                                               : rcpt_event::notify_deferred;
            o.code = r.code.value_or(proto::errc::internal);
            o.message = r.message.value_or("");
          }
          outcomes.push_back(std::move(o));
        }
      }
    }
    first = end;
  }
  co_return std::nullopt;
}

awaitable<void> notifier::notify(notify_job job) {
  std::vector<notify_outcome> outcomes;
  std::size_t next = 0;  // the first recipient without an outcome
  std::string peer;
  auto rest = [&](rcpt_event event, proto::errc code, const std::string& message) {
    fill(outcomes, {job.rcpt.begin() + static_cast<std::ptrdiff_t>(next), job.rcpt.end()}, event,
         code, message);
    next = job.rcpt.size();
  };
  // A second round only when the connection failed before answering: a kept connection may have
  // been closed by the server meanwhile ([T-12]); notifications are safe to repeat ([N-13]).
  for (int round = 0; round < 2 && next < job.rcpt.size(); ++round) {
    const std::string domain = job.domain;
    net::peer_pool<std::string, connect_failure>::connector connect = [this, domain] {
      return connect_to_domain(executor_, config_, resolver_, credentials_, limits_.mx, domain);
    };
    auto got = co_await pool_.get(domain, std::move(connect));
    if (auto* failure = std::get_if<connect_failure>(&got)) {
      rest(failure->event, failure->code, failure->message);
      break;
    }
    auto p = std::get<0>(std::move(got));
    peer = p->connection().peer_host();
    // Per message on a kept connection: its host is still one of the domain's MX hosts.
    auto member = co_await dns::is_mx_host(resolver_, domain, peer);
    if (member.result == dns::mx_membership::temporary) {
      rest(rcpt_event::notify_deferred, proto::errc::dns_temporary,
           "MX look-up failed: " + member.detail);
      break;
    }
    if (member.result == dns::mx_membership::not_member) {
      co_await p->close(std::chrono::seconds(0));  // the next round connects by the new MX set
      continue;
    }
    // [H-9]: never notify a message larger than the IMS announced.
    if (job.size > p->connection().server_hello().max_message_size) {
      rest(rcpt_event::notify_rejected, proto::errc::message_too_large,
           "larger than the receiving server accepts");
      break;
    }
    auto failed = co_await send(*p, job, next, outcomes);
    if (failed && round == 1) {
      rest(rcpt_event::notify_deferred, proto::errc::internal, *failed);  // [L-7]
    }
  }
  if (next < job.rcpt.size()) {
    rest(rcpt_event::notify_deferred, proto::errc::internal, "no connection to " + job.domain);
  }
  log_outcomes(job, peer, outcomes);
  if (auto ec = co_await spool_.record_notify(job.msg, job.domain, outcomes, unix_now())) {
    log::error("spool.write_failed").kv("msg", job.msg).kv("code", ec);
  }
}

awaitable<void> notifier::stop(clock::duration bound) {
  stopping_ = true;
  timer_.cancel();
  const auto deadline = clock::now() + bound;
  boost::asio::steady_timer poll(executor_);
  while ((in_flight_ > 0 || !loop_done_) && clock::now() < deadline) {
    timer_.cancel();
    poll.expires_after(std::chrono::milliseconds(50));
    co_await poll.async_wait(use_tuple);
  }
  co_await pool_.close_all(std::chrono::seconds(1));
}

}  // namespace im2k::oms
