// im2k-bench: submits messages to a testbed's OMS and measures how fast they are stored at the
// recipient's IMS (tests/bench/README.md). Not a test: it reports figures.
//
//   im2k-bench --testbed DIR --messages N --size BYTES --concurrency C [--json] [--fanout]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "mc/failure.hpp"
#include "tests/bench/add_users.hpp"
#include "tests/bench/fanout.hpp"
#include "tests/bench/latency.hpp"
#include "tests/bench/load_run.hpp"
#include "tests/bench/process_stats.hpp"
#include "tests/bench/report.hpp"
#include "tests/bench/session.hpp"
#include "tests/bench/testbed_state.hpp"

namespace im2k::bench {

namespace {

struct arguments {
  std::string testbed;
  std::size_t messages = 100;
  std::size_t size = 1024;
  std::size_t concurrency = 10;
  bool json = false;
  bool fanout = false;
  int timeout_seconds = 1800;
  int poll_ms = 50;
  std::size_t pollers = 0;  // 0: one per 5 senders, 1 to 4
  std::size_t status_batch = 16;
  std::string ready_file;
  std::string from = "alice@alpha.test";
  std::string to = "bob@beta.test";
  std::size_t fanout_domains = 10;
  std::size_t fanout_users = 100;
  std::size_t user_jobs = 4;
};

struct daemon_ref {
  std::string host;
  std::string role;  // "oms" or "ims"
  int pid = 0;
  std::filesystem::path state_dir;
};

struct daemon_snapshot {
  std::optional<process_sample> process;
  disk_usage disk;
};

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<daemon_snapshot> snapshot(const std::vector<daemon_ref>& daemons) {
  std::vector<daemon_snapshot> out;
  for (const auto& d : daemons) {
    out.push_back({sample_process(d.pid), measure_state_dir(d.state_dir)});
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

int run(const arguments& a) {
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
  options.messages = a.fanout ? 1 : a.messages;
  options.size = a.size;
  options.concurrency = a.fanout ? 1 : a.concurrency;
  options.poll_interval = std::chrono::milliseconds(a.poll_ms);
  options.pollers =
      a.pollers > 0 ? a.pollers : std::clamp<std::size_t>(options.concurrency / 5, 1, 4);
  options.status_batch = a.status_batch;
  options.net = bed->net;

  options.deadline = deadline;

  std::optional<fanout_plan> plan;
  std::optional<add_users_result> added;
  nlohmann::json errors = nlohmann::json::object();
  if (a.fanout) {
    auto p = plan_fanout(*bed, a.fanout_domains, a.fanout_users);
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

  std::vector<daemon_ref> daemons;
  for (const auto& d : bed->domains) {
    daemons.push_back({d.oms.host, "oms", *d.oms.pid, d.oms.state_dir});
    daemons.push_back({d.ims.host, "ims", *d.ims.pid, d.ims.state_dir});
  }
  // The baseline once every connection is open: the handshakes and the scrypt of each auth are
  // not part of the figures.
  std::string load_before;
  std::vector<daemon_snapshot> before;
  std::optional<process_sample> self_before;
  options.on_connected = [&] {
    load_before = loadavg();
    self_before = sample_process(getpid());
    before = snapshot(daemons);
    if (!a.ready_file.empty()) {
      // For a profiler started from a script.
      std::ofstream(a.ready_file) << "ready\n";
    }
  };

  boost::asio::io_context io(1);
  std::optional<mc::outcome<load_result>> outcome;
  std::exception_ptr crashed;
  boost::asio::co_spawn(io, run_load(*endpoint, options),
                        [&](std::exception_ptr e, mc::outcome<load_result> r) {
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
  const auto after = snapshot(daemons);
  const auto self_after = sample_process(getpid());
  const std::string load_after = loadavg();

  nlohmann::json report;
  report["mode"] = a.fanout ? "fanout" : "load";
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
  report["errors"] = errors;
  report["recipients_expected"] = options.messages * options.recipients.size();
  report["recipients_pulled"] = r.recipients_pulled;
  report["recipients_other_final"] = r.recipients_other_final;
  report["other_final_states"] = r.other_final_states;
  report["recipients_unfinished"] = r.recipients_unfinished;
  report["delivered"] = r.recipients_pulled;
  report["timed_out"] = r.timed_out;
  report["status_requests"] = r.status_requests;
  report["submit_seconds"] = r.submit_seconds;
  report["submits_per_second"] = per_second(static_cast<double>(r.submitted), r.submit_seconds);
  report["to_last_pulled_seconds"] = r.to_last_pulled_seconds;
  // Messages whose every recipient was pulled, over first submit .. last `pulled` seen.
  const bool all_pulled = r.recipients_pulled == options.messages * options.recipients.size();
  report["messages_per_second"] =
      all_pulled ? per_second(static_cast<double>(options.messages), r.to_last_pulled_seconds)
                 : 0.0;
  report["submit_latency_ms"] = to_json(summarize(r.submit_ms));
  report["stored_latency_ms"] = to_json(summarize(r.stored_ms));
  const auto stored = summarize(r.stored_ms);
  const auto server_at = summarize(r.server_at_ms);
  report["server_at_latency_ms"] = to_json(server_at);
  // The polled figure lags the OMS's own record by up to 1 s (whole seconds) plus a poll round;
  // far more means the pollers fell behind (raise --pollers or --status-batch).
  report["poll_lag_ms"] = std::round(stored.p50 - server_at.p50);
  report["poll_limited"] = stored.p50 - server_at.p50 > 1000.0 + 4.0 * a.poll_ms;
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
    nlohmann::json item = {{"host", d.host}, {"role", d.role}, {"pid", d.pid}};
    if (before[i].process && after[i].process) {
      item["cpu_seconds"] =
          std::round((after[i].process->cpu_seconds - before[i].process->cpu_seconds) * 100.0) /
          100.0;
      item["peak_rss_kib"] = after[i].process->peak_rss_kib;
      item["rss_kib"] = after[i].process->rss_kib;
    } else {
      item["cpu_seconds"] = nullptr;
      item["peak_rss_kib"] = nullptr;
      item["rss_kib"] = nullptr;
      errors[d.host] = "the process ended during the run";
    }
    item["bytes_before"] = before[i].disk.bytes;
    item["bytes_after"] = after[i].disk.bytes;
    item["body_files_before"] = before[i].disk.body_files;
    item["body_files_after"] = after[i].disk.body_files;
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
  report["daemons"] = std::move(list);
  report["bytes_stored"] = {{"oms", oms_bytes}, {"ims", ims_bytes}};
  if (a.fanout) {
    const std::string sender_domain = a.from.substr(a.from.find('@') + 1);
    std::size_t copies_added = 0;
    for (const auto& [domain, c] : copies.items()) {
      copies_added +=
          static_cast<std::size_t>(std::max<std::int64_t>(c.at("added").get<std::int64_t>(), 0));
    }
    report["fanout"] = {{"recipients", options.recipients.size()},
                        {"domains", plan->domains.size()},
                        {"recipients_per_submit", options.recipients.size()},
                        {"users_added", added->added},
                        {"users_existed", added->existed},
                        {"user_add_seconds", added->seconds},
                        {"time_to_all_pulled_seconds", r.to_last_pulled_seconds},
                        {"notifications", count_notifications(*bed, sender_domain, r.msgs)},
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
  app.add_option("--messages", a.messages, "how many messages")->check(CLI::Range(1, 10000000));
  app.add_option("--size", a.size, "octets per message (headers included)")
      ->check(CLI::Range(1, 10 * 1024 * 1024));
  app.add_option("--concurrency", a.concurrency, "concurrent senders, one connection each")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--json", a.json, "one JSON object instead of text");
  app.add_flag("--fanout", a.fanout,
               "one message to 100 users in each of 10 domains (adds the users first)");
  app.add_option("--timeout", a.timeout_seconds, "seconds the whole run may take")
      ->check(CLI::Range(1, 24 * 3600));
  app.add_option("--poll-ms", a.poll_ms, "status poll interval per poller, milliseconds")
      ->check(CLI::Range(1, 60000));
  app.add_option("--pollers", a.pollers, "status connections (default: senders / 5, 1 to 4)")
      ->check(CLI::Range(0, 64));
  app.add_option("--status-batch", a.status_batch,
                 "status requests per poller and round, oldest messages first")
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
  CLI11_PARSE(app, argc, argv);
  try {
    return im2k::bench::run(a);
  } catch (const std::exception& e) {
    std::cerr << "im2k-bench: internal: " << e.what() << '\n';
    return 1;
  }
}
