#include "tests/bench/load_run.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proto/messages/status.hpp"
#include "proto/messages/submit.hpp"
#include "tests/bench/message.hpp"

namespace im2k::bench {

namespace {

using boost::asio::awaitable;
using steady = std::chrono::steady_clock;
using connection_ptr = std::unique_ptr<net::client_connection>;

constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Status requests in flight on one poller connection ([R-3] lets a server stop reading at 32).
constexpr std::size_t status_window = 16;
// 1 000 recipients at 100 a page ([Q-3]); more pages means a broken server.
constexpr int max_status_pages = 20;
// A sender whose connection breaks reopens it at most this many times.
constexpr int max_reopens = 3;
// A message found unfinished is asked about again after twice the previous wait, at most this.
constexpr std::chrono::milliseconds max_poll_backoff{1000};

double unix_now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_between(steady::time_point from, steady::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A message to submit, and the moment its latencies count from.
struct job {
  std::size_t serial = 0;
  steady::time_point base;
  double base_unix_ms = 0;
};

struct pending {
  std::string msg;
  steady::time_point base;
  double base_unix_ms = 0;
  steady::time_point not_before;  // the next status request about it
  std::chrono::milliseconds backoff{0};
  std::set<std::string> final_seen;  // recipients already counted
};

struct run_state {
  run_state(const user_endpoint& e, const load_options& o) : endpoint(e), options(o) {}

  const user_endpoint& endpoint;
  const load_options& options;
  std::size_t next_message = 0;  // closed loop
  std::size_t senders_running = 0;
  std::vector<std::deque<pending>> outstanding;  // one queue per poller
  std::size_t next_poller = 0;
  // Open loop: due messages waiting for a sender, and the senders waiting for one.
  std::deque<job> backlog;
  std::deque<boost::asio::steady_timer*> idle;
  bool dispatching = false;
  steady::time_point start{};  // open loop: message i is due at start + i / rate
  double start_unix_ms = 0;
  std::optional<steady::time_point> first_base;
  steady::time_point last_answer{};
  steady::time_point last_pulled{};
  load_result result;

  bool past_deadline() const { return steady::now() >= options.deadline; }
  bool open_loop() const { return options.rate > 0; }
};

boost::asio::ip::address source_address(int net, int block, std::size_t index) {
  const auto x = static_cast<unsigned>(index % 254 + 1);
  return boost::asio::ip::make_address_v4("127." + std::to_string(net) + "." +
                                          std::to_string(block) + "." + std::to_string(x));
}

void count_failure(run_state& st, const mc::failure& f) {
  ++st.result.submit_failed;
  ++st.result.submit_failures[f.code];
  st.result.failure_examples.emplace(f.code, f.message);
}

net::body_source stream_source(const std::shared_ptr<message_stream>& stream) {
  return [stream](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    co_return stream->read(buffer);
  };
}

// One submission on `c`: the response's object, or why it failed.
awaitable<mc::outcome<nlohmann::json>> submit_one(net::client_connection& c, nlohmann::json request,
                                                  std::shared_ptr<message_stream> body) {
  const std::uint64_t length = body->size();
  net::body_source source = stream_source(body);
  auto sent = co_await c.send_with_body(std::move(request), length, std::move(source));
  if (!sent) {
    co_return failure_of(sent.error());
  }
  auto response = co_await c.receive();
  co_return ok_object(response);
}

// Wakes one sender waiting for a job (open loop).
void wake_one(run_state& st) {
  if (!st.idle.empty()) {
    st.idle.front()->cancel();
    st.idle.pop_front();
  }
}

// The next message for a sender: at once in the closed loop; in the open loop the oldest due
// one, waiting (on `wake`) until one is due. Empty when there is none left.
awaitable<std::optional<job>> next_job(run_state& st, boost::asio::steady_timer& wake) {
  if (!st.open_loop()) {
    if (st.next_message >= st.options.messages || st.past_deadline()) {
      co_return std::nullopt;
    }
    co_return job{st.next_message++, steady::now(), unix_now_ms()};
  }
  for (;;) {
    if (!st.backlog.empty()) {
      job j = st.backlog.front();
      st.backlog.pop_front();
      co_return j;
    }
    if (!st.dispatching || st.past_deadline()) {
      co_return std::nullopt;
    }
    st.idle.push_back(&wake);
    wake.expires_at(steady::time_point::max());
    co_await wake.async_wait(use_tuple);  // cancelled by the dispatcher
  }
}

// Open loop: makes message i due at start + i / rate, by the clock.
awaitable<void> dispatcher(run_state& st) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const double interval_ms = 1000.0 / st.options.rate;
  for (std::size_t i = 0; i < st.options.messages && !st.past_deadline(); ++i) {
    const double offset_ms = interval_ms * static_cast<double>(i);
    const auto due = st.start + std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double, std::milli>(offset_ms));
    if (due > steady::now()) {
      timer.expires_at(std::min(due, st.options.deadline));
      co_await timer.async_wait(use_tuple);
      if (st.past_deadline()) {
        break;
      }
    }
    st.backlog.push_back(job{i, due, st.start_unix_ms + offset_ms});
    ++st.result.dispatched;
    st.result.max_backlog = std::max(st.result.max_backlog, st.backlog.size());
    wake_one(st);
  }
  st.dispatching = false;
  while (!st.idle.empty()) {
    wake_one(st);
  }
}

awaitable<void> sender(run_state& st, connection_ptr c, std::size_t index) {
  const auto& o = st.options;
  boost::asio::steady_timer wake(co_await boost::asio::this_coro::executor);
  int reopens = 0;
  for (;;) {
    auto next = co_await next_job(st, wake);
    if (!next) {
      break;
    }
    const job j = *next;
    const std::string from = st.endpoint.settings.user.to_string();
    auto body = std::make_shared<message_stream>(from, o.to_field, o.size, j.serial);
    st.result.message_size = body->size();
    proto::submit_request request;
    request.from = st.endpoint.settings.user;
    request.rcpt = o.recipients;
    request.body_len = body->size();
    nlohmann::json object = proto::to_json(request);

    const auto start = steady::now();
    if (!st.first_base) {
      st.first_base = j.base;
      st.result.first_base_unix_ms = j.base_unix_ms;
    }
    if (st.open_loop()) {
      st.result.start_lag_ms.push_back(ms_between(j.base, start));
    }
    auto answer = co_await submit_one(*c, std::move(object), std::move(body));
    const auto end = steady::now();
    if (!answer) {
      count_failure(st, answer.error());
      if (!c->usable()) {
        if (++reopens > max_reopens) {
          co_return;
        }
        const auto source = source_address(o.net, 200, index);
        auto reopened = co_await open_session(st.endpoint, source);
        if (!reopened) {
          count_failure(st, reopened.error());
          co_return;
        }
        c = std::move(*reopened);
      }
      continue;
    }
    auto parsed = proto::parse_submit_response(*answer);
    if (!parsed) {
      count_failure(st, mc::failure{mc::code_connection, true,
                                    "malformed submit response: " + parsed.error().describe()});
      continue;
    }
    ++st.result.submitted;
    st.result.sent.push_back(sent_message{parsed->msg, j.base_unix_ms});
    st.result.submit_ms.push_back(ms_between(start, end));
    st.last_answer = std::max(st.last_answer, end);
    auto& queue = st.outstanding[st.next_poller++ % st.outstanding.size()];
    queue.push_back(
        pending{parsed->msg, j.base, j.base_unix_ms, end + o.poll_interval, o.poll_interval, {}});
  }
  co_await c->close();
}

// Every recipient of `p` from the first page `object` and, when the server pages ([Q-3]), the
// pages after it, read at once on `c`.
awaitable<mc::outcome<std::vector<proto::recipient_status>>> all_recipients(
    run_state& st, net::client_connection& c, const pending& p, nlohmann::json object) {
  std::vector<proto::recipient_status> all;
  for (int page = 0;; ++page) {
    auto parsed = proto::parse_status_response(object);
    if (!parsed) {
      co_return mc::failure{mc::code_connection, true,
                            "malformed status response: " + parsed.error().describe()};
    }
    all.insert(all.end(), parsed->recipients.begin(), parsed->recipients.end());
    if (!parsed->more) {
      co_return all;
    }
    if (parsed->recipients.empty() || page + 1 == max_status_pages) {
      co_return mc::failure{mc::code_connection, true, "the server pages status without end"};
    }
    proto::status_request request;
    request.msg = p.msg;
    request.after = all.back().rcpt;
    nlohmann::json next = proto::to_json(request);
    ++st.result.status_requests;
    auto response = co_await c.request(std::move(next));
    auto ok = ok_object(response);
    if (!ok) {
      co_return ok.error();
    }
    object = std::move(*ok);
  }
}

// Records the recipients of `p` that became final; true once all of them are.
bool record(run_state& st, pending& p, const std::vector<proto::recipient_status>& all,
            steady::time_point seen) {
  for (const auto& r : all) {
    const std::string rcpt = r.rcpt.to_string();
    if (r.state == proto::rcpt_state::queued || r.state == proto::rcpt_state::notified ||
        r.state == proto::rcpt_state::deferred || p.final_seen.contains(rcpt)) {
      continue;
    }
    p.final_seen.insert(rcpt);
    if (r.state == proto::rcpt_state::pulled) {
      ++st.result.recipients_pulled;
      st.result.pulled_seen_ms.push_back(ms_between(p.base, seen));
      st.result.server_at_ms.push_back(static_cast<double>(r.at) * 1000.0 - p.base_unix_ms);
      st.last_pulled = std::max(st.last_pulled, seen);
    } else {
      ++st.result.recipients_other_final;
      ++st.result.other_final_states[std::string(proto::to_string(r.state))];
    }
  }
  return p.final_seen.size() >= st.options.recipients.size();
}

// One round over a batch: status for each message, pipelined `window` at a time. A message with
// several recipients may need more pages ([Q-3]), asked for only when nothing else is in flight,
// so the window is 1 then. Returns the messages still unfinished, or the connection's failure.
awaitable<mc::outcome<std::deque<pending>>> poll_batch(run_state& st, net::client_connection& c,
                                                       std::deque<pending> batch) {
  const std::size_t window = st.options.recipients.size() == 1 ? status_window : 1;
  std::deque<pending> unfinished;
  while (!batch.empty()) {
    const std::size_t n = std::min(window, batch.size());
    for (std::size_t i = 0; i < n; ++i) {
      proto::status_request request;
      request.msg = batch[i].msg;
      nlohmann::json object = proto::to_json(request);
      ++st.result.status_requests;
      auto sent = co_await c.send(std::move(object));
      if (!sent) {
        co_return failure_of(sent.error());
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto response = co_await c.receive();
      const auto seen = steady::now();
      auto ok = ok_object(response);
      if (!ok) {
        co_return ok.error();
      }
      auto all = co_await all_recipients(st, c, batch[i], std::move(*ok));
      if (!all) {
        co_return all.error();
      }
      if (!record(st, batch[i], *all, seen)) {
        unfinished.push_back(std::move(batch[i]));
      }
    }
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
  }
  co_return unfinished;
}

// Sparse polling, only to learn when the run is over (the IMS logs time the messages): each
// round asks about the oldest messages that are due for a look, as many as the previous round
// found final plus one (twice as many when all were), so at a steady flow about one request
// per message, and one a round while nothing moves. A message found unfinished goes to the back
// and waits twice as long as before (at most max_poll_backoff).
awaitable<void> poller(run_state& st, connection_ptr c, std::size_t index) {
  auto& queue = st.outstanding[index];
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::size_t probe = 1;
  while ((st.senders_running > 0 || !queue.empty()) && !st.past_deadline()) {
    const auto round_start = steady::now();
    std::deque<pending> batch;
    while (!queue.empty() && batch.size() < probe && queue.front().not_before <= round_start) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    if (!batch.empty()) {
      const std::size_t asked = batch.size();
      auto left = co_await poll_batch(st, *c, std::move(batch));
      if (!left) {
        // Without status the run cannot finish: say why, and stop this poller.
        st.result.failure_examples.emplace("status-" + left.error().code, left.error().message);
        co_return;
      }
      const std::size_t finals = asked - left->size();
      probe = finals == asked ? asked * 2 : finals + 1;
      probe = std::clamp<std::size_t>(probe, 1, st.options.status_batch);
      const auto now = steady::now();
      for (auto& p : *left) {
        p.backoff = std::min(p.backoff * 2, max_poll_backoff);
        p.not_before = now + p.backoff;
        queue.push_back(std::move(p));
      }
    }
    timer.expires_at(std::min(round_start + st.options.poll_interval, st.options.deadline));
    co_await timer.async_wait(use_tuple);
  }
  co_await c->close();
}

}  // namespace

awaitable<mc::outcome<load_result>> run_load(const user_endpoint& sender_endpoint,
                                             load_options options) {
  auto executor = co_await boost::asio::this_coro::executor;
  run_state st{sender_endpoint, options};
  st.outstanding.resize(std::max<std::size_t>(options.pollers, 1));

  // Every connection first, so that handshakes are not measured and a refused auth stops the run
  // before it starts.
  std::vector<connection_ptr> senders;
  for (std::size_t i = 0; i < options.concurrency; ++i) {
    const auto source = source_address(options.net, 200, i);
    auto c = co_await open_session(sender_endpoint, source);
    if (!c) {
      co_return c.error();
    }
    senders.push_back(std::move(*c));
  }
  std::vector<connection_ptr> pollers;
  for (std::size_t i = 0; i < st.outstanding.size(); ++i) {
    const auto source = source_address(options.net, 201, i);
    auto c = co_await open_session(sender_endpoint, source);
    if (!c) {
      co_return c.error();
    }
    pollers.push_back(std::move(*c));
  }

  if (options.on_connected) {
    options.on_connected();
  }
  st.start = steady::now();
  st.start_unix_ms = unix_now_ms();
  boost::asio::steady_timer all_done(executor, steady::time_point::max());
  std::size_t running = senders.size() + pollers.size();
  std::exception_ptr first_error;
  auto finished = [&](const std::exception_ptr& e) {
    if (e && !first_error) {
      first_error = e;
    }
    if (--running == 0) {
      all_done.cancel();
    }
  };
  if (st.open_loop()) {
    st.dispatching = true;
    ++running;
    boost::asio::co_spawn(executor, dispatcher(st), finished);
  }
  st.senders_running = senders.size();
  for (std::size_t i = 0; i < senders.size(); ++i) {
    boost::asio::co_spawn(executor, sender(st, std::move(senders[i]), i),
                          [&st, finished](const std::exception_ptr& e) mutable {
                            --st.senders_running;
                            finished(e);
                          });
  }
  for (std::size_t i = 0; i < pollers.size(); ++i) {
    boost::asio::co_spawn(executor, poller(st, std::move(pollers[i]), i), finished);
  }
  while (running > 0) {
    co_await all_done.async_wait(use_tuple);
  }
  if (first_error) {
    std::rethrow_exception(first_error);
  }

  load_result r = std::move(st.result);
  r.recipients_unfinished =
      r.submitted * options.recipients.size() - r.recipients_pulled - r.recipients_other_final;
  r.timed_out = st.past_deadline() && r.recipients_unfinished + r.submit_failed > 0;
  if (st.first_base) {
    r.submit_seconds = std::chrono::duration<double>(st.last_answer - *st.first_base).count();
    if (r.recipients_pulled > 0) {
      r.to_last_pulled_seconds =
          std::chrono::duration<double>(st.last_pulled - *st.first_base).count();
    }
  }
  co_return r;
}

}  // namespace im2k::bench
