#include "tests/bench/report.hpp"

#include <iomanip>
#include <sstream>
#include <string>

namespace im2k::bench {

namespace {

std::string number(const nlohmann::json& v, int decimals = 2) {
  if (v.is_null()) {
    return "-";
  }
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return v.dump();
  }
  if (!v.is_number()) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v.get<double>();
  return s.str();
}

void line(std::ostream& out, const std::string& label, const std::string& value) {
  out << "  " << std::left << std::setw(30) << label << value << '\n';
}

void latency_line(std::ostream& out, const std::string& label, const nlohmann::json& l) {
  std::ostringstream s;
  s << "p50 " << std::setw(9) << number(l.at("p50")) << " p90 " << std::setw(9)
    << number(l.at("p90")) << " p99 " << std::setw(9) << number(l.at("p99")) << " max "
    << std::setw(9) << number(l.at("max")) << " (n=" << l.at("count").dump() << ")";
  line(out, label, s.str());
}

std::string mib(const nlohmann::json& kib) {
  if (kib.is_null()) {
    return "-";
  }
  return number(kib.get<double>() / 1024.0, 1) + " MiB";
}

std::string fsync_text(const nlohmann::json& f) {
  if (f.is_null()) {
    return "- (no im2k_store_fsyncs_total)";
  }
  std::string s;
  for (const char* kind : {"body", "dir", "sqlite"}) {
    if (f.contains(kind)) {
      s += std::string(s.empty() ? "" : " ") + kind + " " + number(f.at(kind), 3);
    }
  }
  return s;
}

void daemons_table(std::ostream& out, const nlohmann::json& r) {
  out << "daemons (per message: cpu, fsyncs, bytes under the state dir)\n";
  out << "  " << std::left << std::setw(18) << "host" << std::right << std::setw(8) << "cpu s"
      << std::setw(10) << "cpu ms/m" << std::setw(10) << "fsync/m" << std::setw(11) << "bytes/m"
      << std::setw(12) << "peak rss" << std::setw(10) << "growth" << std::setw(12) << "rss now"
      << std::setw(13) << "bodies" << '\n';
  for (const auto& d : r.at("daemons")) {
    out << "  " << std::left << std::setw(18) << d.at("host").get<std::string>() << std::right
        << std::setw(8) << number(d.at("cpu_seconds")) << std::setw(10)
        << number(d.at("cpu_ms_per_message"), 3) << std::setw(10)
        << number(d.at("fsyncs_per_message"), 3) << std::setw(11)
        << number(d.at("bytes_per_message"), 0) << std::setw(12) << mib(d.at("peak_rss_kib"))
        << std::setw(10) << mib(d.at("peak_rss_growth_kib")) << std::setw(12)
        << mib(d.at("rss_kib")) << std::setw(13)
        << (number(d.at("body_files_before")) + "->" + number(d.at("body_files_after"))) << '\n';
  }
  bool of_run = true;
  for (const auto& d : r.at("daemons")) {
    of_run = of_run && d.value("peak_rss_of_run", false);
  }
  line(out, "peak rss",
       of_run ? "the run's own (VmHWM reset at its start); growth: over the RSS at the start"
              : "over each process's life (VmHWM could not be reset); growth: over the run");
  for (const char* role : {"oms", "ims"}) {
    const auto& p = r.at("per_message").at(role);
    line(out, std::string("per message, all ") + role + "s",
         "cpu " + number(p.at("cpu_ms"), 3) + " ms, fsyncs " + fsync_text(p.at("fsyncs")) +
             ", stored " + number(p.at("bytes"), 0) + " B (bodies " +
             number(p.at("body_bytes"), 0) + " B)");
  }
}

}  // namespace

void print_text(const nlohmann::json& r, std::ostream& out) {
  out << "im2k-bench: " << r.at("mode").get<std::string>() << " run against "
      << r.at("testbed").get<std::string>() << '\n';
  line(out, "from -> to", r.at("from").get<std::string>() + " -> " + r.at("to").get<std::string>());
  line(out, "messages x size",
       number(r.at("messages")) + " x " + number(r.at("message_size")) + " octets, " +
           number(r.at("concurrency")) + " senders");
  if (r.contains("open_loop")) {
    const auto& o = r.at("open_loop");
    line(out, "open loop: offered",
         number(o.at("rate_offered"), 1) + " msg/s for " + number(o.at("duration_seconds"), 1) +
             " s = " + number(o.at("offered")) + " (" + number(o.at("dispatched")) + " made due)");
    line(out, "open loop: achieved",
         number(o.at("achieved_rate"), 1) + " submits/s, " + number(o.at("stored_rate"), 1) +
             " stored/s; at most " + number(o.at("max_backlog")) + " waited for a sender");
    latency_line(out, "submit start late by (ms)", o.at("start_lag_ms"));
  }
  line(out, "submitted / failed",
       number(r.at("submitted")) + " / " + number(r.at("submit_failed")) +
           (r.at("submit_failures").empty() ? "" : "  " + r.at("submit_failures").dump()));
  line(out, "recipients pulled",
       number(r.at("recipients_pulled")) + " of " + number(r.at("recipients_expected")) +
           " (other final " + number(r.at("recipients_other_final")) + ", unfinished " +
           number(r.at("recipients_unfinished")) + ")");
  line(out, "nothing lost",
       std::string(r.at("nothing_lost").get<bool>() ? "yes" : "NO") + " (lost " +
           number(r.at("lost")) + ", stored twice " + number(r.at("duplicates")) + ")");
  if (!r.at("errors").empty()) {
    line(out, "errors", r.at("errors").dump());
  }
  line(out, "submit phase",
       number(r.at("submit_seconds"), 3) + " s (" + number(r.at("submits_per_second"), 1) +
           " submits/s)");
  line(out, "first submit .. last stored", number(r.at("to_last_stored_seconds"), 3) + " s");
  line(out, "first submit .. last pulled", number(r.at("to_last_pulled_seconds"), 3) + " s (seen)");
  line(out, "messages per second",
       number(r.at("messages_per_second"), 1) + " (" +
           r.at("messages_per_second_basis").get<std::string>() + "; pulled seen " +
           number(r.at("messages_per_second_pulled_seen"), 1) + ")");
  out << "latency (ms)\n";
  latency_line(out, "submit", r.at("submit_latency_ms"));
  latency_line(out, "submit to stored (IMS log)", r.at("stored_latency_ms"));
  latency_line(out, "submit to acked (IMS log)", r.at("acked_latency_ms"));
  latency_line(out, "submit to pulled (polled)", r.at("pulled_seen_latency_ms"));
  latency_line(out, "submit to server `at` (1 s)", r.at("server_at_latency_ms"));
  const auto& log = r.at("ims_log");
  line(out, "IMS log matched",
       number(log.at("stored")) + " stored, " + number(log.at("acked")) + " acked of " +
           number(log.at("expected")));
  line(out, "status requests",
       number(r.at("status_requests")) + " (" + number(r.at("status_requests_per_message")) +
           " per message; polled lag " + number(r.at("poll_lag_ms"), 0) + " ms)");
  if (r.at("poll_limited").get<bool>()) {
    line(out, "warning",
         "the pollers fell behind (polled p50 is " + number(r.at("poll_lag_ms"), 0) +
             " ms after the server's): raise --pollers or --status-batch");
  }
  daemons_table(out, r);
  line(out, "im2k-bench's own cpu", number(r.at("bench_cpu_seconds")) + " s");
  const auto& stored = r.at("bytes_stored");
  line(out, "bytes stored (delta)",
       "oms " + number(stored.at("oms")) + ", ims " + number(stored.at("ims")));
  line(
      out, "load average before / after",
      r.at("loadavg_before").get<std::string>() + " / " + r.at("loadavg_after").get<std::string>());
  if (r.contains("fanout")) {
    const auto& f = r.at("fanout");
    out << "fan-out\n";
    line(out, "recipients / domains",
         number(f.at("recipients")) + " in " + number(f.at("domains")) + " domains");
    line(out, "users added (existed)",
         number(f.at("users_added")) + " (" + number(f.at("users_existed")) + ") in " +
             number(f.at("user_add_seconds"), 1) + " s");
    line(out, "time until all stored", number(f.at("time_to_all_stored_seconds"), 3) + " s");
    line(out, "time until all pulled", number(f.at("time_to_all_pulled_seconds"), 3) + " s (seen)");
    for (const auto& [domain, n] : f.at("notifications").items()) {
      const auto& copies = f.at("ims_copies").contains(domain) ? f.at("ims_copies").at(domain)
                                                               : nlohmann::json::object();
      line(out, "  " + domain,
           "notifications sent " + number(n.at("sent")) + " (" + number(n.at("sent_recipients")) +
               " rcpt), accepted " + number(n.at("accepted_by_ims")) + ", IMS body files +" +
               (copies.empty() ? std::string("?") : number(copies.at("added"))));
    }
  }
}

}  // namespace im2k::bench
