#include "common/spf/check_host.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "common/spf/deadline_resolver.hpp"
#include "common/spf/domain_name.hpp"
#include "common/spf/macro.hpp"
#include "common/spf/network.hpp"
#include "common/spf/record.hpp"
#include "common/spf/trace_text.hpp"

namespace im2k::spf {
namespace {

using boost::asio::awaitable;
using boost::asio::ip::address;

address normalised(const address& ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

// The exp= of the record whose mechanism gave "fail", looked up only once the final result is
// known (section 6.2), so that an include's explanation is never fetched for nothing.
struct pending_explanation {
  macro_string spec;
  std::string domain;
};

struct outcome {
  result value = result::neutral;
  std::optional<pending_explanation> explanation;
};

// What evaluating one mechanism gave: a match, no match, or a result that ends the check.
struct term_outcome {
  bool matched = false;
  std::optional<result> stop;
};

class evaluator {
 public:
  // Every query goes through a deadline_resolver: section 4.6.4 asks for a bound on the whole
  // evaluation, and with the term and name limits this bounds the work of one check.
  evaluator(dns::resolver& dns, check_input input)
      : dns_(dns, std::chrono::steady_clock::now() + input.time_limit), input_(std::move(input)) {}

  awaitable<evaluation> run() {
    input_.ip = normalised(input_.ip);
    values_.ip = input_.ip;
    values_.helo = input_.helo;
    values_.receiver = input_.receiver_host.empty() ? "unknown" : input_.receiver_host;
    values_.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // Section 4.3: no sender means postmaster@<helo>; no local part means "postmaster".
    std::string domain = input_.helo;
    std::string local = "postmaster";
    if (!input_.sender.empty()) {
      const std::size_t at = input_.sender.rfind('@');
      if (at == std::string::npos) {
        domain = input_.sender;
      } else {
        domain = input_.sender.substr(at + 1);
        if (at > 0) {
          local = input_.sender.substr(0, at);
        }
      }
    }
    domain = std::string(without_trailing_dot(domain));
    values_.local_part = local;
    values_.sender_domain = domain;
    values_.sender = local + "@" + domain;
    out_.domain = domain;

    note(0, "check_host ip=" + input_.ip.to_string() + " sender=" + values_.sender +
                " helo=" + input_.helo);
    outcome final_outcome;
    if (!is_valid_check_domain(domain)) {
      note(0, "\"" + domain + "\" is not a valid multi-label domain name -> none");
      final_outcome.value = result::none;
    } else {
      final_outcome = co_await check_domain(domain, 0);
    }
    if (dns_.exceeded() && final_outcome.value != result::temperror) {
      note(0, "time limit of " + std::to_string(input_.time_limit.count()) +
                  " ms exceeded -> temperror");
      final_outcome = outcome{result::temperror, std::nullopt};
    }
    out_.value = final_outcome.value;
    if (out_.value == result::fail) {
      out_.explanation = co_await explain(final_outcome.explanation);
    }
    note(0, "result " + std::string(to_string(out_.value)) + ": " + std::to_string(out_.dns_terms) +
                " of " + std::to_string(max_dns_terms) + " DNS-querying terms, " +
                std::to_string(out_.void_lookups) + " of " + std::to_string(max_void_lookups) +
                " void look-ups");
    co_return std::move(out_);
  }

 private:
  void note(int depth, std::string_view line) {
    out_.trace.push_back(std::string(static_cast<std::size_t>(depth) * 2, ' ') + printable(line));
  }

  // Counts a DNS-querying term; false once the limit of 10 is passed.
  bool count_term(int depth) {
    if (++out_.dns_terms > max_dns_terms) {
      note(depth,
           "more than " + std::to_string(max_dns_terms) + " DNS-querying terms -> permerror");
      return false;
    }
    return true;
  }

  // Counts a look-up that found nothing; a stop once the limit of 2 is passed.
  std::optional<result> count_void(int depth) {
    if (++out_.void_lookups > max_void_lookups) {
      note(depth, "more than " + std::to_string(max_void_lookups) + " void look-ups -> permerror");
      return result::permerror;
    }
    return std::nullopt;
  }

  awaitable<dns::lookup<address>> addresses(std::string name) {
    dns::lookup<address> out;
    if (input_.ip.is_v4()) {
      auto found = co_await dns_.a(std::move(name));
      out.state = found.state;
      out.detail = std::move(found.detail);
      out.records.assign(found.records.begin(), found.records.end());
    } else {
      auto found = co_await dns_.aaaa(std::move(name));
      out.state = found.state;
      out.detail = std::move(found.detail);
      out.records.assign(found.records.begin(), found.records.end());
    }
    co_return out;
  }

  const char* address_type() const { return input_.ip.is_v4() ? "A" : "AAAA"; }

  bool contains_ip(const std::vector<address>& records, int prefix) const {
    return std::any_of(records.begin(), records.end(),
                       [&](const address& record) { return in_network_of(record, prefix); });
  }

  bool in_network_of(const address& network, int prefix) const {
    return in_network(input_.ip, network, prefix);
  }

  // Section 5.5: the PTR names of the address (at most 10) that resolve back to it; only
  // names that `keep` accepts are validated.
  template <class Keep>
  awaitable<std::vector<std::string>> validated_names(const dns::lookup<std::string>& ptr,
                                                      Keep keep) {
    std::vector<std::string> out;
    const std::size_t count = std::min(ptr.records.size(), max_ptr_names);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string name(without_trailing_dot(ptr.records[i]));
      if (!keep(name) || !is_queryable_name(name)) {
        continue;
      }
      // A DNS error while validating skips the name (section 5.5).
      const auto found = co_await addresses(name);
      if (found.ok() &&
          std::find(found.records.begin(), found.records.end(), input_.ip) != found.records.end()) {
        out.push_back(name);
      }
    }
    co_return out;
  }

  // %{p} (section 7.3): a validated name, preferring <domain> itself, then a subdomain of it.
  // The validated names are looked up once per check, whatever the number of %{p}.
  awaitable<std::string> validated_name_for(const std::string& domain) {
    if (!all_validated_) {
      const auto ptr = co_await dns_.ptr(dns::reverse_name(input_.ip));
      all_validated_.emplace();
      if (ptr.ok()) {
        *all_validated_ = co_await validated_names(ptr, [](const std::string&) { return true; });
      }
    }
    std::string best = "unknown";
    int best_rank = 0;
    for (const std::string& name : *all_validated_) {
      const int rank = iequals(name, domain) ? 3 : is_same_or_subdomain(name, domain) ? 2 : 1;
      if (rank > best_rank) {
        best = name;
        best_rank = rank;
      }
    }
    co_return best;
  }

  awaitable<macro_values> values_for(const macro_string& spec, const std::string& domain) {
    macro_values values = values_;
    values.domain = domain;
    if (spec.uses('p')) {
      values.validated_name = co_await validated_name_for(domain);
    }
    co_return values;
  }

  // The <target-name> of a term: its domain-spec expanded (section 4.8), or <domain>.
  awaitable<std::string> target_of(const std::optional<macro_string>& spec,
                                   const std::string& domain) {
    if (!spec) {
      co_return domain;
    }
    const macro_values values = co_await values_for(*spec, domain);
    co_return truncate_left(std::string(without_trailing_dot(expand(*spec, values))));
  }

  awaitable<outcome> check_domain(std::string domain, int depth) {
    const auto txt = co_await dns_.txt(domain);
    if (txt.state == dns::status::temporary) {
      note(depth, domain + ": TXT look-up failed: " + describe(txt) + " -> temperror");
      co_return outcome{result::temperror, std::nullopt};
    }
    std::vector<std::string> records;
    for (const std::string& text : txt.records) {
      if (is_spf_record(text)) {
        records.push_back(text);
      }
    }
    if (records.empty()) {
      note(depth, domain + ": no SPF record (TXT " + describe(txt) + ") -> none");
      co_return outcome{result::none, std::nullopt};
    }
    if (records.size() > 1) {
      note(depth, domain + ": " + std::to_string(records.size()) + " SPF records -> permerror");
      co_return outcome{result::permerror, std::nullopt};
    }
    note(depth, domain + ": \"" + records.front() + "\"");
    const record_parse parsed = parse_record(records.front());
    if (!parsed.value) {
      note(depth, domain + ": syntax error in " + parsed.error + " -> permerror");
      co_return outcome{result::permerror, std::nullopt};
    }
    const record& rec = *parsed.value;

    for (const mechanism& m : rec.mechanisms) {
      const term_outcome term = co_await evaluate(m, domain, depth);
      if (term.stop) {
        co_return outcome{*term.stop, std::nullopt};
      }
      if (term.matched) {
        note(depth, m.text + " matched -> " + std::string(to_string(m.qualifier)));
        outcome out{m.qualifier, std::nullopt};
        if (m.qualifier == result::fail && rec.explanation) {
          out.explanation = pending_explanation{*rec.explanation, domain};
        }
        co_return out;
      }
    }

    if (!rec.redirect) {
      note(depth, "no mechanism matched -> neutral");
      co_return outcome{result::neutral, std::nullopt};
    }
    // Section 6.1: the redirect target's result, and its exp=, replace this record's.
    if (!count_term(depth)) {
      co_return outcome{result::permerror, std::nullopt};
    }
    const std::string target = co_await target_of(rec.redirect, domain);
    note(depth, "no mechanism matched; redirect=" + target + " [DNS term " +
                    std::to_string(out_.dns_terms) + "]");
    if (!is_queryable_name(target)) {
      note(depth, "redirect target is not a valid domain name -> permerror");
      co_return outcome{result::permerror, std::nullopt};
    }
    outcome inner = co_await check_domain(target, depth + 1);
    if (inner.value == result::none) {
      note(depth, "redirect target has no SPF record -> permerror");
      inner.value = result::permerror;
    }
    co_return inner;
  }

  awaitable<term_outcome> evaluate(const mechanism& m, const std::string& domain, int depth) {
    switch (m.kind) {
      case mechanism_kind::all:
        co_return term_outcome{true, std::nullopt};
      case mechanism_kind::ip4:
      case mechanism_kind::ip6: {
        const bool matched =
            in_network_of(m.network, m.kind == mechanism_kind::ip4 ? m.cidr4 : m.cidr6);
        if (!matched) {
          note(depth, m.text + ": no match");
        }
        co_return term_outcome{matched, std::nullopt};
      }
      case mechanism_kind::include:
        co_return co_await evaluate_include(m, domain, depth);
      case mechanism_kind::a:
      case mechanism_kind::mx:
      case mechanism_kind::ptr:
      case mechanism_kind::exists:
        break;
    }
    if (!count_term(depth)) {
      co_return term_outcome{false, result::permerror};
    }
    const std::string target = co_await target_of(m.domain, domain);
    const std::string head = m.text + " [DNS term " + std::to_string(out_.dns_terms) + "]: ";
    if (!is_queryable_name(target)) {
      // Sections 4.3 and 4.8 leave this open; like a name that does not exist, it matches
      // nothing (the suite accepts this or permerror).
      note(depth, head + "\"" + target + "\" is not a valid domain name, no match");
      co_return term_outcome{false, std::nullopt};
    }
    switch (m.kind) {
      case mechanism_kind::a:
        co_return co_await evaluate_a(m, target, head, depth);
      case mechanism_kind::mx:
        co_return co_await evaluate_mx(m, target, head, depth);
      case mechanism_kind::ptr:
        co_return co_await evaluate_ptr(target, head, depth);
      default:
        co_return co_await evaluate_exists(target, head, depth);
    }
  }

  awaitable<term_outcome> evaluate_include(const mechanism& m, const std::string& domain,
                                           int depth) {
    if (!count_term(depth)) {
      co_return term_outcome{false, result::permerror};
    }
    const std::string target = co_await target_of(m.domain, domain);
    note(depth, m.text + " [DNS term " + std::to_string(out_.dns_terms) + "] -> " + target);
    if (!is_queryable_name(target)) {
      note(depth, "include target is not a valid domain name -> permerror");
      co_return term_outcome{false, result::permerror};
    }
    const outcome inner = co_await check_domain(target, depth + 1);
    // Section 5.2: only pass matches; none and permerror are errors of the including record.
    switch (inner.value) {
      case result::pass:
        co_return term_outcome{true, std::nullopt};
      case result::fail:
      case result::softfail:
      case result::neutral:
        note(depth,
             m.text + ": included result " + std::string(to_string(inner.value)) + ", no match");
        co_return term_outcome{false, std::nullopt};
      case result::temperror:
        note(depth, m.text + ": included result temperror -> temperror");
        co_return term_outcome{false, result::temperror};
      case result::none:
      case result::permerror:
        note(depth,
             m.text + ": included result " + std::string(to_string(inner.value)) + " -> permerror");
        co_return term_outcome{false, result::permerror};
    }
    co_return term_outcome{false, result::permerror};
  }

  // A look-up that failed or found nothing: temperror, a void count, or no match.
  term_outcome not_found(dns::status state, const std::string& head, int depth) {
    if (state == dns::status::temporary) {
      note(depth, head + " -> temperror");
      return term_outcome{false, result::temperror};
    }
    note(depth, head + ", no match [void look-up " + std::to_string(out_.void_lookups + 1) + "]");
    return term_outcome{false, count_void(depth)};
  }

  awaitable<term_outcome> evaluate_a(const mechanism& m, const std::string& target,
                                     const std::string& head, int depth) {
    const auto found = co_await addresses(target);
    const std::string what =
        head + address_type() + " " + target + ": " + describe_addresses(found);
    if (!found.ok()) {
      co_return not_found(found.state, what, depth);
    }
    const bool matched = contains_ip(found.records, input_.ip.is_v4() ? m.cidr4 : m.cidr6);
    note(depth, what + (matched ? "" : ", no match"));
    co_return term_outcome{matched, std::nullopt};
  }

  awaitable<term_outcome> evaluate_mx(const mechanism& m, const std::string& target,
                                      const std::string& head, int depth) {
    const auto found = co_await dns_.mx(target);
    const std::string what = head + "MX " + target + ": " + describe(found);
    if (!found.ok()) {
      co_return not_found(found.state, what, depth);
    }
    if (found.records.size() > max_mx_names) {
      note(depth, what + ": more than " + std::to_string(max_mx_names) + " MX names -> permerror");
      co_return term_outcome{false, result::permerror};
    }
    note(depth, what);
    for (const dns::mx_record& mx : found.records) {
      if (mx.host.empty() || !is_queryable_name(mx.host)) {
        continue;  // null MX (RFC 7505), or a name no query can carry
      }
      const auto hosts = co_await addresses(mx.host);
      const std::string line =
          "  " + std::string(address_type()) + " " + mx.host + ": " + describe_addresses(hosts);
      if (hosts.state == dns::status::temporary) {
        note(depth, line + " -> temperror");
        co_return term_outcome{false, result::temperror};
      }
      note(depth, line);
      if (contains_ip(hosts.records, input_.ip.is_v4() ? m.cidr4 : m.cidr6)) {
        co_return term_outcome{true, std::nullopt};
      }
    }
    note(depth, m.text + ": no match");
    co_return term_outcome{false, std::nullopt};
  }

  awaitable<term_outcome> evaluate_ptr(const std::string& target, const std::string& head,
                                       int depth) {
    const auto ptr = co_await dns_.ptr(dns::reverse_name(input_.ip));
    const std::string what = head + "PTR " + dns::reverse_name(input_.ip) + ": " + describe(ptr);
    if (ptr.state == dns::status::temporary) {
      // Section 5.5: a DNS error on the PTR look-up makes the mechanism not match.
      note(depth, what + ", no match");
      co_return term_outcome{false, std::nullopt};
    }
    if (!ptr.ok()) {
      co_return not_found(ptr.state, what, depth);
    }
    const auto names = co_await validated_names(
        ptr, [&target](const std::string& name) { return is_same_or_subdomain(name, target); });
    if (names.empty()) {
      note(depth, what + ", no validated name in " + target + ", no match");
      co_return term_outcome{false, std::nullopt};
    }
    note(depth, what + ", validated " + names.front());
    co_return term_outcome{true, std::nullopt};
  }

  awaitable<term_outcome> evaluate_exists(const std::string& target, const std::string& head,
                                          int depth) {
    // Section 5.7: always an A look-up, whatever the connection's address family.
    const auto found = co_await dns_.a(target);
    const std::string what = head + "A " + target + ": " + describe(found);
    if (!found.ok()) {
      co_return not_found(found.state, what, depth);
    }
    note(depth, what);
    co_return term_outcome{true, std::nullopt};
  }

  // Section 6.2: any problem means the default explanation; none of it counts toward limits.
  awaitable<std::string> explain(const std::optional<pending_explanation>& pending) {
    const std::string fallback = default_explanation(out_.domain, input_.ip);
    if (!pending) {
      co_return fallback;
    }
    const std::string name = co_await target_of(pending->spec, pending->domain);
    if (!is_queryable_name(name)) {
      note(0, "exp=" + name + ": not a valid domain name, default explanation");
      co_return fallback;
    }
    const auto txt = co_await dns_.txt(name);
    if (!txt.ok() || txt.records.size() != 1) {
      note(0, "exp=" + name + ": TXT " + describe(txt) + ", default explanation");
      co_return fallback;
    }
    const macro_parse parsed = parse_macro_string(txt.records.front(), macro_use::explanation);
    if (!parsed.value) {
      note(0, "exp=" + name + ": " + parsed.error + ", default explanation");
      co_return fallback;
    }
    const macro_values values = co_await values_for(*parsed.value, pending->domain);
    note(0, "exp=" + name + ": explanation from DNS");
    co_return printable(expand(*parsed.value, values));
  }

  deadline_resolver dns_;
  check_input input_;
  std::optional<std::vector<std::string>> all_validated_;  // for %{p}
  macro_values values_;
  evaluation out_;
};

}  // namespace

awaitable<evaluation> check_host(dns::resolver& resolver, check_input input) {
  evaluator e(resolver, std::move(input));
  co_return co_await e.run();
}

std::string default_explanation(std::string_view domain, const address& ip) {
  return printable(std::string(domain) + " does not designate " + normalised(ip).to_string() +
                   " as a permitted sender");
}

}  // namespace im2k::spf
