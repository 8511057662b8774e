// im2k-bench: submits messages to a testbed's OMS and measures how fast they are stored at the
// recipient's IMS (tests/bench/README.md). Not a test: it reports figures.
//
//   im2k-bench --testbed DIR --messages N --size SIZE --concurrency C [--json]
//   im2k-bench --testbed DIR --fanout [N] [--fanout-domains D]   (one message to N recipients)
//   im2k-bench --testbed DIR --rate R --duration SECONDS --size SIZE [--json]   (open loop)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "mc/failure.hpp"
#include "tests/bench/add_users.hpp"
#include "tests/bench/daemon_figures.hpp"
#include "tests/bench/fanout.hpp"
#include "tests/bench/ims_log.hpp"
#include "tests/bench/latency.hpp"
#include "tests/bench/load_run.hpp"
#include "tests/bench/message.hpp"
#include "tests/bench/process_stats.hpp"
#include "tests/bench/report.hpp"
#include "tests/bench/rounding.hpp"
#include "tests/bench/session.hpp"
#include "tests/bench/testbed_state.hpp"

namespace im2k::bench {

namespace {

// After the last `pulled`, the IMSs' last ack.sent lines may still be on their way.
constexpr auto log_settle = std::chrono::seconds(3);

struct arguments {
  std::string testbed;
  std::size_t messages = 100;
  std::string size_text = "1024";
  std::size_t concurrency = 10;
  double rate = 0;
  double duration_seconds = 0;
  bool json = false;
  bool fanout = false;
  std::size_t fanout_recipients = 0;  // 0: --fanout-domains x --fanout-users
  int timeout_seconds = 1800;
  int poll_ms = 100;
  std::size_t pollers = 1;
  std::size_t status_batch = 64;
  std::string ready_file;
  std::string from = "alice@alpha.test";
  std::string to = "bob@beta.test";
  std::size_t fanout_domains = 10;
  std::size_t fanout_users = 100;
  std::size_t user_jobs = 4;
};

struct ims_log_ref {
  std::filesystem::path log;
  std::uint64_t offset = 0;
};

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<daemon_snapshot> snapshot(const std::vector<daemon_ref>& daemons, bool reset_peak) {
  std::vector<daemon_snapshot> out;
  out.reserve(daemons.size());
  for (const auto& d : daemons) {
    out.push_back(snapshot_daemon(d, reset_peak));
  }
  return out;
}

int fail(const mc::failure& f, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"error", {{"code", f.code}, {"message", f.message}}}}.dump()
              << '\n';
  }
  std::cerr << "im2k-bench: " << f.message << '\n';
  return mc::exit_status_of(f);
}

double per_second(double count, double seconds) {
  return seconds > 0 ? count / seconds : 0.0;
}

// The IMS logs' events about the sent messages. Until every (message, domain) has its ack.sent,
// or log_settle has passed, the logs are read again: the last acks are logged as the OMS
// answers them, which may be just after the bench saw `pulled`.
ims_events read_ims_logs(const std::vector<ims_log_ref>& logs, const load_result& r,
                         std::size_t domains, bool wait) {
  std::set<std::string> msgs;
  for (const auto& m : r.sent) {
    msgs.insert(m.msg);
  }
  const auto until = std::chrono::steady_clock::now() + log_settle;
  for (;;) {
    ims_events events;
    for (const auto& l : logs) {
      read_ims_log(l.log, l.offset, msgs, events);
    }
    std::size_t acked = 0;
    for (const auto& [msg, by_domain] : events.acked) {
      acked += by_domain.size();
    }
    if (!wait || acked >= msgs.size() * domains || std::chrono::steady_clock::now() >= until) {
      return events;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int run(const arguments& a) {
  const auto size = parse_message_size(a.size_text);
  if (!size) {
    return fail({mc::code_usage, false,
                 "--size: want octets (1024) or a size with a binary unit (100KiB, 50MiB), "
                 "1 octet to 4GiB, not '" +
                     a.size_text + "'"},
                a.json);
  }
  const bool open_loop = a.rate > 0;
  if (open_loop && a.duration_seconds <= 0) {
    return fail({mc::code_usage, false, "--rate needs --duration SECONDS"}, a.json);
  }
  if (!open_loop && a.duration_seconds > 0) {
    return fail({mc::code_usage, false, "--duration goes with --rate"}, a.json);
  }
  auto bed = load_testbed(a.testbed);
  if (!bed) {
    return fail(bed.error(), a.json);
  }
  const auto* sender = bed->find_user(a.from);
  if (!sender) {
    return fail({mc::code_usage, false, a.from + " is not a user of the testbed"}, a.json);
  }
  auto endpoint = load_endpoint(sender->client_config.string());
  if (!endpoint) {
    return fail(endpoint.error(), a.json);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.timeout_seconds);

  load_options options;
  options.messages = a.fanout ? 1
                     : open_loop
                         ? static_cast<std::size_t>(std::llround(a.rate * a.duration_seconds))
                         : a.messages;
  if (options.messages == 0) {
    return fail({mc::code_usage, false, "--rate x --duration is less than one message"}, a.json);
  }
  options.size = *size;
  options.concurrency = a.fanout ? 1 : a.concurrency;
  options.rate = open_loop ? a.rate : 0;
  options.poll_interval = std::chrono::milliseconds(a.poll_ms);
  options.pollers = std::max<std::size_t>(a.pollers, 1);
  options.status_batch = a.status_batch;
  options.net = bed->net;
  options.deadline = deadline;

  std::optional<fanout_plan> plan;
  std::optional<add_users_result> added;
  nlohmann::json errors = nlohmann::json::object();
  if (a.fanout) {
    auto p = plan_fanout(*bed, a.fanout_domains, a.fanout_users, a.fanout_recipients);
    if (!p) {
      return fail(p.error(), a.json);
    }
    plan = std::move(*p);
    const auto work = bed->dir / "bench";
    std::filesystem::create_directories(work);
    const auto password = work / "fanout.password";
    {
      std::ofstream out(password, std::ios::trunc);
      out << "im2k-bench-fanout-user\n";
    }
    std::filesystem::permissions(
        password, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto r = add_users(bed->bin_dir / "im2k-ims", plan->users, password, work, a.user_jobs,
                       std::chrono::seconds(60));
    if (!r) {
      return fail(r.error(), a.json);
    }
    added = *r;
    options.recipients = plan->recipients;
    options.to_field = "undisclosed-recipients:;";
  } else {
    auto to = proto::parse_address(a.to);
    if (!to) {
      return fail({mc::code_usage, false, "not an address: " + a.to}, a.json);
    }
    options.recipients = {*to};
    options.to_field = a.to;
  }
  std::set<std::string> rcpt_domains;
  for (const auto& r : options.recipients) {
    const std::string text = r.to_string();
    rcpt_domains.insert(text.substr(text.rfind('@') + 1));
  }

  std::vector<daemon_ref> daemons;
  std::vector<ims_log_ref> ims_logs;
  for (const auto& d : bed->domains) {
    daemons.push_back({d.oms.host, "oms", *d.oms.pid, d.oms.state_dir, d.oms.metrics});
    daemons.push_back({d.ims.host, "ims", *d.ims.pid, d.ims.state_dir, d.ims.metrics});
    ims_logs.push_back({d.ims.log, 0});
  }
  // The baseline once every connection is open: the handshakes and the scrypt of each auth are
  // not part of the figures.
  std::string load_before;
  std::vector<daemon_snapshot> before;
  std::optional<process_sample> self_before;
  options.on_connected = [&] {
    load_before = loadavg();
    self_before = sample_process(getpid());
    before = snapshot(daemons, true);
    for (auto& l : ims_logs) {
      l.offset = log_offset(l.log);
    }
    if (!a.ready_file.empty()) {
      // For a profiler started from a script.
      std::ofstream(a.ready_file) << "ready\n";
    }
  };

  boost::asio::io_context io(1);
  std::optional<mc::outcome<load_result>> outcome;
  std::exception_ptr crashed;
  boost::asio::co_spawn(io, run_load(*endpoint, options),
                        [&](const std::exception_ptr& e, mc::outcome<load_result> r) {
                          crashed = e;
                          outcome.emplace(std::move(r));
                        });
  // run_load stops at the deadline; the margin is for connections that close slowly.
  io.run_until(deadline + std::chrono::seconds(150));
  if (crashed) {
    std::rethrow_exception(crashed);
  }
  if (!outcome) {
    return fail({mc::code_connection, true, "the run did not end by its deadline (--timeout)"},
                a.json);
  }
  if (!*outcome) {
    return fail(outcome->error(), a.json);
  }
  const load_result& r = **outcome;
  if (before.size() != daemons.size()) {
    throw std::logic_error("run_load ended without calling on_connected");
  }
  const ims_events events =
      read_ims_logs(ims_logs, r, rcpt_domains.size(), r.recipients_unfinished == 0);
  const auto after = snapshot(daemons, false);
  const auto self_after = sample_process(getpid());
  const std::string load_after = loadavg();
  const log_latencies logged = match_sent(events, r.sent, rcpt_domains);

  nlohmann::json report;
  report["mode"] = a.fanout ? "fanout" : open_loop ? "open-loop" : "load";
  report["testbed"] = bed->dir.string();
  report["from"] = a.from;
  report["to"] = a.fanout ? std::to_string(options.recipients.size()) + " recipients" : a.to;
  report["messages"] = options.messages;
  report["message_size"] = r.message_size;
  report["concurrency"] = options.concurrency;
  report["pollers"] = options.pollers;
  report["poll_interval_ms"] = a.poll_ms;
  report["status_batch"] = options.status_batch;
  report["submitted"] = r.submitted;
  report["submit_failed"] = r.submit_failed;
  report["submit_failures"] = r.submit_failures;
  for (const auto& [code, message] : r.failure_examples) {
    errors[code] = message;
  }
  const std::size_t expected = options.messages * options.recipients.size();
  report["recipients_expected"] = expected;
  report["recipients_pulled"] = r.recipients_pulled;
  report["recipients_other_final"] = r.recipients_other_final;
  report["other_final_states"] = r.other_final_states;
  report["recipients_unfinished"] = r.recipients_unfinished;
  report["delivered"] = r.recipients_pulled;
  report["timed_out"] = r.timed_out;
  report["status_requests"] = r.status_requests;
  report["status_requests_per_message"] =
      r.submitted > 0
          ? rounded(static_cast<double>(r.status_requests) / static_cast<double>(r.submitted), 2)
          : 0.0;
  report["submit_seconds"] = r.submit_seconds;
  report["submits_per_second"] =
      rounded(per_second(static_cast<double>(r.submitted), r.submit_seconds), 2);

  // End to end: first submit (or the open loop's start) to the last store in an IMS log, as
  // Postfix's figure ends at the last file in the Maildir; the polled figure is a fallback.
  const bool all_pulled = r.recipients_pulled == expected;
  const bool all_logged = logged.stored_ms.size() == logged.expected && logged.expected > 0;
  const double to_last_stored =
      all_logged ? (logged.last_stored_unix_ms - r.first_base_unix_ms) / 1000.0 : 0.0;
  const double to_last_acked = logged.acked_ms.size() == logged.expected && logged.expected > 0
                                   ? (logged.last_acked_unix_ms - r.first_base_unix_ms) / 1000.0
                                   : 0.0;
  report["to_last_stored_seconds"] = rounded(to_last_stored, 3);
  report["to_last_acked_seconds"] = rounded(to_last_acked, 3);
  report["to_last_pulled_seconds"] = r.to_last_pulled_seconds;
  const double messages = static_cast<double>(options.messages);
  report["messages_per_second_pulled_seen"] =
      all_pulled ? rounded(per_second(messages, r.to_last_pulled_seconds), 2) : 0.0;
  if (all_pulled && all_logged) {
    report["messages_per_second"] = rounded(per_second(messages, to_last_stored), 2);
    report["messages_per_second_basis"] = "ims_log";
  } else {
    report["messages_per_second"] = report["messages_per_second_pulled_seen"];
    report["messages_per_second_basis"] = "status_poll";
  }

  report["submit_latency_ms"] = to_json(summarize(r.submit_ms));
  report["stored_latency_ms"] = to_json(summarize(logged.stored_ms));
  report["acked_latency_ms"] = to_json(summarize(logged.acked_ms));
  const auto pulled_seen = summarize(r.pulled_seen_ms);
  const auto server_at = summarize(r.server_at_ms);
  const auto acked = summarize(logged.acked_ms);
  report["pulled_seen_latency_ms"] = to_json(pulled_seen);
  report["server_at_latency_ms"] = to_json(server_at);
  // How late the polled figure is: against the IMS's ack.sent (the moment the OMS recorded
  // `pulled`), or the OMS's whole-second `at` without a log.
  const double reference = acked.count > 0 ? acked.p50 : server_at.p50;
  report["poll_lag_ms"] = std::round(pulled_seen.p50 - reference);
  report["poll_limited"] =
      acked.count == 0 && pulled_seen.p50 - server_at.p50 > 1000.0 + 4.0 * a.poll_ms;
  report["ims_log"] = {{"expected", logged.expected},
                       {"stored", logged.stored_ms.size()},
                       {"acked", logged.acked_ms.size()},
                       {"duplicate_stores", events.duplicate_stores}};
  // Accepted with `ok` but never final: lost, unless the run was cut short by --timeout.
  report["lost"] = r.recipients_unfinished;
  report["duplicates"] = events.duplicate_stores;
  report["nothing_lost"] = r.recipients_unfinished == 0 && r.submit_failed == 0 &&
                           r.submitted == options.messages && events.duplicate_stores == 0;
  if (open_loop) {
    const double achieved_span = r.submit_seconds;
    report["open_loop"] = {
        {"rate_offered", a.rate},
        {"duration_seconds", a.duration_seconds},
        {"offered", options.messages},
        {"dispatched", r.dispatched},
        {"submitted", r.submitted},
        {"achieved_rate", rounded(per_second(static_cast<double>(r.submitted), achieved_span), 2)},
        {"stored_rate",
         rounded(per_second(static_cast<double>(logged.stored_ms.size()), to_last_stored), 2)},
        {"start_lag_ms", to_json(summarize(r.start_lag_ms))},
        {"max_backlog", r.max_backlog}};
  }
  report["bench_cpu_seconds"] =
      self_before && self_after ? self_after->cpu_seconds - self_before->cpu_seconds : 0.0;
  report["loadavg_before"] = load_before;
  report["loadavg_after"] = load_after;

  nlohmann::json list = nlohmann::json::array();
  std::int64_t oms_bytes = 0;
  std::int64_t ims_bytes = 0;
  nlohmann::json copies = nlohmann::json::object();
  for (std::size_t i = 0; i < daemons.size(); ++i) {
    const auto& d = daemons[i];
    auto item = daemon_figures(d, before[i], after[i], r.submitted);
    if (item.at("cpu_seconds").is_null()) {
      errors[d.host] = "the process ended during the run";
    }
    const auto delta = static_cast<std::int64_t>(after[i].disk.bytes) -
                       static_cast<std::int64_t>(before[i].disk.bytes);
    (d.role == "oms" ? oms_bytes : ims_bytes) += delta;
    if (d.role == "ims") {
      const std::string domain = d.host.substr(d.host.find('.') + 1);
      copies[domain] = {{"before", before[i].disk.body_files},
                        {"after", after[i].disk.body_files},
                        {"added", static_cast<std::int64_t>(after[i].disk.body_files) -
                                      static_cast<std::int64_t>(before[i].disk.body_files)}};
    }
    list.push_back(std::move(item));
  }
  report["errors"] = errors;
  report["per_message"] = per_message_by_role(list, r.submitted);
  report["daemons"] = std::move(list);
  report["bytes_stored"] = {{"oms", oms_bytes}, {"ims", ims_bytes}};
  if (a.fanout) {
    const std::string sender_domain = a.from.substr(a.from.find('@') + 1);
    std::size_t copies_added = 0;
    for (const auto& [domain, c] : copies.items()) {
      copies_added +=
          static_cast<std::size_t>(std::max<std::int64_t>(c.at("added").get<std::int64_t>(), 0));
    }
    std::vector<std::string> msgs;
    for (const auto& m : r.sent) {
      msgs.push_back(m.msg);
    }
    report["fanout"] = {{"recipients", options.recipients.size()},
                        {"domains", plan->domains.size()},
                        {"recipients_per_submit", options.recipients.size()},
                        {"users_added", added->added},
                        {"users_existed", added->existed},
                        {"user_add_seconds", added->seconds},
                        {"time_to_all_pulled_seconds", r.to_last_pulled_seconds},
                        {"time_to_all_stored_seconds", rounded(to_last_stored, 3)},
                        {"notifications", count_notifications(*bed, sender_domain, msgs)},
                        {"ims_copies", copies},
                        {"ims_copies_added", copies_added}};
  }

  if (a.json) {
    std::cout << report.dump() << '\n';
  } else {
    print_text(report, std::cout);
  }
  return all_pulled && r.submit_failed == 0 ? 0 : 1;
}

}  // namespace

}  // namespace im2k::bench

int main(int argc, char** argv) {
  im2k::bench::arguments a;
  CLI::App app{"im2k-bench: throughput and latency of im2k against a testbed"};
  app.add_option("--testbed", a.testbed, "the testbed directory (holding state.json)")->required();
  auto* messages = app.add_option("--messages", a.messages, "how many messages (closed loop)")
                       ->check(CLI::Range(1, 10000000));
  app.add_option("--size", a.size_text,
                 "octets per message, headers included: 1024, 100KiB, 50MiB (default 1024)");
  app.add_option("--concurrency", a.concurrency, "concurrent senders, one connection each")
      ->check(CLI::Range(1, 1000));
  auto* rate =
      app.add_option("--rate", a.rate, "open loop: offer this many messages a second, by the clock")
          ->check(CLI::Range(0.001, 100000.0));
  app.add_option("--duration", a.duration_seconds, "open loop: for this many seconds")
      ->check(CLI::Range(0.001, 86400.0));
  app.add_flag("--json", a.json, "one JSON object instead of text");
  auto* fanout = app.add_option("--fanout", a.fanout_recipients,
                                "one message to N recipients (1 to 1000; without N: 100 users in "
                                "each of --fanout-domains), the users added first")
                     ->expected(0, 1)
                     ->check(CLI::Range(1, 1000));
  rate->excludes(messages)->excludes(fanout);
  app.add_option("--timeout", a.timeout_seconds, "seconds the whole run may take")
      ->check(CLI::Range(1, 24 * 3600));
  app.add_option("--poll-ms", a.poll_ms, "status poll round, milliseconds")
      ->check(CLI::Range(1, 60000));
  app.add_option("--pollers", a.pollers, "status connections (default 1; 0 means 1)")
      ->check(CLI::Range(0, 64));
  app.add_option("--status-batch", a.status_batch,
                 "at most this many status requests per poller and round")
      ->check(CLI::Range(1, 1000));
  app.add_option("--ready-file", a.ready_file,
                 "create this file once every connection is open (to start a profiler)");
  app.add_option("--from", a.from, "the sending user (a testbed user)");
  app.add_option("--to", a.to, "the recipient");
  app.add_option("--fanout-domains", a.fanout_domains, "domains of the fan-out")
      ->check(CLI::Range(1, 250));
  app.add_option("--fanout-users", a.fanout_users, "users per domain in the fan-out")
      ->check(CLI::Range(1, 100));
  app.add_option("--user-jobs", a.user_jobs, "parallel `im2k-ims user add` commands")
      ->check(CLI::Range(1, 64));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is 0; every other parse error is a usage error (2), as the README says.
    return app.exit(e) == 0 ? 0 : 2;
  }
  a.fanout = fanout->count() > 0;
  try {
    return im2k::bench::run(a);
  } catch (const std::exception& e) {
    std::cerr << "im2k-bench: internal: " << e.what() << '\n';
    return 1;
  }
}
