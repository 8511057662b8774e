#include "tests/bench/fanout.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

namespace im2k::bench {

namespace {

struct counts {
  std::size_t frames = 0;
  std::size_t recipients = 0;
};

// Events named `event` about one of `msgs` in a JSON-lines log, by their `rcpt_domain`.
std::map<std::string, counts> events_by_domain(const std::filesystem::path& log,
                                               const std::string& event,
                                               const std::set<std::string>& msgs) {
  std::map<std::string, counts> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(event) == std::string::npos) {
      continue;  // cheap filter before parsing
    }
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("event", "") != event) {
      continue;
    }
    const std::string msg = j.value("msg", "");
    if (!msgs.contains(msg)) {
      continue;
    }
    auto& c = out[j.value("rcpt_domain", "")];
    ++c.frames;
    if (j.contains("rcpt_count") && j.at("rcpt_count").is_number_unsigned()) {
      c.recipients += j.at("rcpt_count").get<std::size_t>();
    } else if (j.contains("accepted") && j.at("accepted").is_number_unsigned()) {
      c.recipients += j.at("accepted").get<std::size_t>();
    } else if (j.contains("accepted") && j.at("accepted").is_array()) {
      c.recipients += j.at("accepted").size();
    }
  }
  return out;
}

}  // namespace

mc::outcome<fanout_plan> plan_fanout(const testbed_state& bed, std::size_t domains,
                                     std::size_t users_per_domain, std::size_t total) {
  if (total > 0) {
    domains = std::min(domains, total);
  }
  if (bed.domains.size() < domains) {
    return mc::failure{
        mc::code_usage, false,
        "the fan-out needs a testbed of " + std::to_string(domains) + " domains; this one has " +
            std::to_string(bed.domains.size()) +
            ". Bring one up with alpha, beta and 8 more: deploy/testbed/testbed.sh up DIR "
            "--net N --extra-domain gamma.test --extra-domain delta.test ... (see "
            "tests/bench/README.md), or give --fanout-domains " +
            std::to_string(bed.domains.size())};
  }
  const std::size_t count = total > 0 ? total : domains * users_per_domain;
  fanout_plan plan;
  for (std::size_t k = 0; k < domains; ++k) {
    plan.domains.push_back(bed.domains[k].name);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto& d = bed.domains[i % domains];
    std::string number = std::to_string(i / domains);
    number.insert(0, number.size() < 3 ? 3 - number.size() : 0, '0');
    const std::string address = "u" + number + "@" + d.name;
    auto parsed = proto::parse_address(address);
    if (!parsed) {
      return mc::failure{mc::code_usage, false, "not an address: " + address};
    }
    plan.recipients.push_back(*parsed);
    plan.users.push_back(user_to_add{address, d.ims.config});
  }
  return plan;
}

nlohmann::json count_notifications(const testbed_state& bed, const std::string& sender_domain,
                                   const std::vector<std::string>& msgs) {
  const std::set<std::string> wanted(msgs.begin(), msgs.end());
  std::map<std::string, counts> sent;
  for (const auto& d : bed.domains) {
    if (d.name == sender_domain) {
      sent = events_by_domain(d.oms.log, "notify.sent", wanted);
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& d : bed.domains) {
    const auto accepted = events_by_domain(d.ims.log, "notify.accepted", wanted);
    std::size_t accepted_frames = 0;
    std::size_t accepted_recipients = 0;
    for (const auto& [domain, c] : accepted) {
      accepted_frames += c.frames;
      accepted_recipients += c.recipients;
    }
    const auto s = sent.find(d.name);
    if (s == sent.end() && accepted_frames == 0) {
      continue;
    }
    out[d.name] = {{"sent", s == sent.end() ? 0 : s->second.frames},
                   {"sent_recipients", s == sent.end() ? 0 : s->second.recipients},
                   {"accepted_by_ims", accepted_frames},
                   {"accepted_recipients", accepted_recipients}};
  }
  return out;
}

}  // namespace im2k::bench
