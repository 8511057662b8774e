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
  out << "  " << std::left << std::setw(28) << label << value << '\n';
}

void latency_line(std::ostream& out, const std::string& label, const nlohmann::json& l) {
  std::ostringstream s;
  s << "p50 " << std::setw(9) << number(l.at("p50")) << " p90 " << std::setw(9)
    << number(l.at("p90")) << " p99 " << std::setw(9) << number(l.at("p99")) << " max "
    << std::setw(9) << number(l.at("max")) << " (n=" << l.at("count").dump() << ")";
  line(out, label, s.str());
}

std::string kib(const nlohmann::json& v) {
  return number(v.get<double>() / 1024.0, 1) + " MiB";
}

}  // namespace

void print_text(const nlohmann::json& r, std::ostream& out) {
  out << "im2k-bench: " << r.at("mode").get<std::string>() << " run against "
      << r.at("testbed").get<std::string>() << '\n';
  line(out, "from -> to", r.at("from").get<std::string>() + " -> " + r.at("to").get<std::string>());
  line(out, "messages x size",
       number(r.at("messages")) + " x " + number(r.at("message_size")) + " octets, " +
           number(r.at("concurrency")) + " senders, poll every " +
           number(r.at("poll_interval_ms")) + " ms");
  line(out, "submitted / failed",
       number(r.at("submitted")) + " / " + number(r.at("submit_failed")) +
           (r.at("submit_failures").empty() ? "" : "  " + r.at("submit_failures").dump()));
  line(out, "recipients pulled",
       number(r.at("recipients_pulled")) + " of " + number(r.at("recipients_expected")) +
           " (other final " + number(r.at("recipients_other_final")) + ", unfinished " +
           number(r.at("recipients_unfinished")) + ")");
  if (!r.at("errors").empty()) {
    line(out, "errors", r.at("errors").dump());
  }
  line(out, "submit phase",
       number(r.at("submit_seconds"), 3) + " s (" + number(r.at("submits_per_second"), 1) +
           " submits/s)");
  line(out, "first submit .. last pulled", number(r.at("to_last_pulled_seconds"), 3) + " s");
  line(out, "messages per second", number(r.at("messages_per_second"), 1));
  out << "latency (ms)\n";
  latency_line(out, "submit", r.at("submit_latency_ms"));
  latency_line(out, "submit to pulled (polled)", r.at("stored_latency_ms"));
  latency_line(out, "submit to server `at` (1 s)", r.at("server_at_latency_ms"));
  line(out, "status requests", number(r.at("status_requests")));
  if (r.at("poll_limited").get<bool>()) {
    line(out, "warning",
         "the pollers fell behind (polled p50 is " + number(r.at("poll_lag_ms"), 0) +
             " ms after the server's): raise --pollers or --status-batch");
  }
  out << "daemons\n";
  out << "  " << std::left << std::setw(20) << "host" << std::right << std::setw(8) << "pid"
      << std::setw(10) << "cpu s" << std::setw(13) << "peak rss" << std::setw(14) << "state before"
      << std::setw(14) << "state after" << std::setw(13) << "bodies" << '\n';
  for (const auto& d : r.at("daemons")) {
    out << "  " << std::left << std::setw(20) << d.at("host").get<std::string>() << std::right
        << std::setw(8) << number(d.at("pid")) << std::setw(10) << number(d.at("cpu_seconds"))
        << std::setw(13) << kib(d.at("peak_rss_kib")) << std::setw(14)
        << kib(d.at("bytes_before").get<double>() / 1024.0) << std::setw(14)
        << kib(d.at("bytes_after").get<double>() / 1024.0) << std::setw(13)
        << (number(d.at("body_files_before")) + "->" + number(d.at("body_files_after"))) << '\n';
  }
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
    line(out, "time until all pulled", number(f.at("time_to_all_pulled_seconds"), 3) + " s");
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
