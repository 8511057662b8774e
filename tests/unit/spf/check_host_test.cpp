// check_host() behaviour the RFC 7208 suite touches lightly: limits at their exact edges, the
// look-up counts, when exp= is fetched, IPv4-mapped addresses, explanation-only macros.
#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "common/spf/check_host.hpp"
#include "tests/unit/spf/run_check.hpp"
#include "tests/unit/spf/zone_resolver.hpp"

namespace im2k::spf::test {
namespace {

using boost::asio::ip::make_address;

evaluation check(zone_resolver& zone, const std::string& ip, const std::string& sender,
                 const std::string& helo = "mail.example.org", const std::string& receiver = "") {
  return run_check(zone, check_input{make_address(ip), sender, helo, receiver});
}

std::string trace_of(const evaluation& e) {
  std::string out;
  for (const std::string& line : e.trace) {
    out += line + "\n";
  }
  return out;
}

std::size_t count_queries(const zone_resolver& zone, const std::string& query) {
  return static_cast<std::size_t>(std::count(zone.queries().begin(), zone.queries().end(), query));
}

// "v=spf1 " followed by `n` terms "a:hN.example.com", then `tail`.
std::string a_terms(int n, const std::string& tail) {
  std::string out = "v=spf1";
  for (int i = 0; i < n; ++i) {
    out += " a:h" + std::to_string(i) + ".example.com";
  }
  return out + " " + tail;
}

TEST(spf_check_host, ten_dns_terms_are_allowed_the_eleventh_is_permerror) {
  zone_resolver zone;
  for (int i = 0; i < 11; ++i) {
    zone.add_a("h" + std::to_string(i) + ".example.com", "192.0.2.99");
  }
  zone.add_txt("at.example.com", a_terms(10, "ip4:192.0.2.1 -all"));
  zone.add_txt("over.example.com", a_terms(11, "ip4:192.0.2.1 -all"));

  const evaluation at = check(zone, "192.0.2.1", "x@at.example.com");
  EXPECT_EQ(at.value, result::pass) << trace_of(at);
  EXPECT_EQ(at.dns_terms, 10);

  const evaluation over = check(zone, "192.0.2.1", "x@over.example.com");
  EXPECT_EQ(over.value, result::permerror) << trace_of(over);
  EXPECT_EQ(over.dns_terms, 11);
  // The eleventh term is refused before it queries anything.
  EXPECT_EQ(count_queries(zone, "A h10.example.com"), 0u);
}

TEST(spf_check_host, terms_in_includes_and_redirects_count_toward_the_same_limit) {
  zone_resolver zone;
  zone.add_txt("outer.example.com", "v=spf1 include:inner.example.com redirect=r.example.com");
  zone.add_txt("inner.example.com", a_terms(7, "-all"));  // 1 + 7 terms, no match
  zone.add_txt("r.example.com", "v=spf1 a:h9.example.com a:h10.example.com -all");  // 9, 10, 11
  for (int i = 0; i < 11; ++i) {
    zone.add_a("h" + std::to_string(i) + ".example.com", "192.0.2.99");
  }
  const evaluation e = check(zone, "192.0.2.1", "x@outer.example.com");
  EXPECT_EQ(e.value, result::permerror) << trace_of(e);
  EXPECT_EQ(e.dns_terms, 11);
}

TEST(spf_check_host, two_void_lookups_are_allowed_the_third_is_permerror) {
  zone_resolver zone;
  zone.add_txt("two.example.com", "v=spf1 a:nx1.example.com mx:nx2.example.com ?all");
  zone.add_txt("three.example.com",
               "v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com ?all");
  zone.add_a("nodata.example.com", "192.0.2.50");  // exists, but has no MX: NODATA is void too
  zone.add_txt("nodata3.example.com",
               "v=spf1 mx:nodata.example.com a:nx1.example.com ptr:nx2.example.com ?all");

  const evaluation two = check(zone, "192.0.2.1", "x@two.example.com");
  EXPECT_EQ(two.value, result::neutral) << trace_of(two);
  EXPECT_EQ(two.void_lookups, 2);

  const evaluation three = check(zone, "192.0.2.1", "x@three.example.com");
  EXPECT_EQ(three.value, result::permerror) << trace_of(three);
  EXPECT_EQ(three.void_lookups, 3);

  // The PTR look-up of 1.2.0.192.in-addr.arpa finds nothing: the third void look-up.
  const evaluation mixed = check(zone, "192.0.2.1", "x@nodata3.example.com");
  EXPECT_EQ(mixed.value, result::permerror) << trace_of(mixed);
}

TEST(spf_check_host, mx_allows_ten_names_and_refuses_eleven) {
  zone_resolver zone;
  zone.add_txt("ten.example.com", "v=spf1 mx -all");
  zone.add_txt("eleven.example.com", "v=spf1 mx -all");
  for (int i = 0; i < 10; ++i) {
    const std::string host = "mx" + std::to_string(i) + ".example.com";
    zone.add_a(host, "192.0.2." + std::to_string(100 + i));
    zone.add_mx("ten.example.com", static_cast<std::uint16_t>(i), host);
    zone.add_mx("eleven.example.com", static_cast<std::uint16_t>(i), host);
  }
  zone.add_mx("eleven.example.com", 10, "mx10.example.com");
  zone.add_a("mx10.example.com", "192.0.2.110");

  const evaluation ten = check(zone, "192.0.2.109", "x@ten.example.com");  // the 10th host
  EXPECT_EQ(ten.value, result::pass) << trace_of(ten);

  const evaluation eleven = check(zone, "192.0.2.100", "x@eleven.example.com");
  EXPECT_EQ(eleven.value, result::permerror) << trace_of(eleven);
}

TEST(spf_check_host, ptr_considers_only_the_first_ten_names) {
  zone_resolver zone;
  zone.add_txt("example.net", "v=spf1 ptr -all");
  zone.add_txt("example.com", "v=spf1 ptr -all");
  const std::string reverse = "5.2.0.192.in-addr.arpa";
  for (int i = 0; i < 9; ++i) {
    zone.add_ptr(reverse, "other" + std::to_string(i) + ".example.org");
  }
  zone.add_ptr(reverse, "host.example.net");  // the 10th name
  zone.add_ptr(reverse, "host.example.com");  // the 11th: ignored
  zone.add_a("host.example.net", "192.0.2.5");
  zone.add_a("host.example.com", "192.0.2.5");

  const evaluation tenth = check(zone, "192.0.2.5", "x@example.net");
  EXPECT_EQ(tenth.value, result::pass) << trace_of(tenth);

  const evaluation eleventh = check(zone, "192.0.2.5", "x@example.com");
  EXPECT_EQ(eleventh.value, result::fail) << trace_of(eleventh);
  EXPECT_EQ(count_queries(zone, "A host.example.com"), 0u);
}

TEST(spf_check_host, ptr_dns_error_is_no_match_not_temperror) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 ptr ?all");
  zone.add_timeout("5.2.0.192.in-addr.arpa");
  const evaluation e = check(zone, "192.0.2.5", "x@example.com");
  EXPECT_EQ(e.value, result::neutral) << trace_of(e);
}

TEST(spf_check_host, temporary_dns_failure_is_temperror) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 a:slow.example.com -all");
  zone.add_timeout("slow.example.com");
  const evaluation e = check(zone, "192.0.2.5", "x@example.com");
  EXPECT_EQ(e.value, result::temperror) << trace_of(e);
}

TEST(spf_check_host, ipv4_mapped_address_is_checked_as_ipv4) {
  zone_resolver zone;
  zone.add_txt("v4.example.com", "v=spf1 ip4:192.0.2.0/24 -all");
  zone.add_txt("v6.example.com", "v=spf1 ip6:::ffff:192.0.2.0/120 -all");
  zone.add_txt("a.example.com", "v=spf1 a -all");
  zone.add_a("a.example.com", "192.0.2.7");

  EXPECT_EQ(check(zone, "::ffff:192.0.2.7", "x@v4.example.com").value, result::pass);
  EXPECT_EQ(check(zone, "::ffff:192.0.2.7", "x@v6.example.com").value, result::fail);
  EXPECT_EQ(check(zone, "::ffff:192.0.2.7", "x@a.example.com").value, result::pass);
  EXPECT_EQ(count_queries(zone, "AAAA a.example.com"), 0u);
}

TEST(spf_check_host, empty_sender_checks_postmaster_at_helo) {
  zone_resolver zone;
  zone.add_txt("mail.example.org", "v=spf1 -all exp=why.example.org");
  zone.add_txt("why.example.org", "%{s} via %{h}");
  const evaluation e = check(zone, "192.0.2.5", "", "mail.example.org");
  EXPECT_EQ(e.value, result::fail) << trace_of(e);
  EXPECT_EQ(e.domain, "mail.example.org");
  EXPECT_EQ(e.explanation, "postmaster@mail.example.org via mail.example.org");
}

TEST(spf_check_host, explanation_only_macros_and_receiver) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 -all exp=why.example.com");
  zone.add_txt("why.example.com", "%{c} refused by %{r} at %{t}; see %{D}");
  const evaluation e =
      check(zone, "2001:db8::cb01", "x@example.com", "h.example.com", "mx.receiver.example");
  EXPECT_EQ(e.value, result::fail) << trace_of(e);
  const std::string prefix = "2001:db8::cb01 refused by mx.receiver.example at ";
  ASSERT_EQ(e.explanation.substr(0, prefix.size()), prefix);
  const std::string rest = e.explanation.substr(prefix.size());
  const std::size_t end = rest.find(';');
  ASSERT_NE(end, std::string::npos);
  EXPECT_GT(std::stoll(rest.substr(0, end)), 1600000000);  // a plausible Unix time
  EXPECT_EQ(rest.substr(end), "; see example.com");

  // Without a receiver host, %{r} is "unknown".
  const evaluation unknown = check(zone, "192.0.2.1", "x@example.com");
  EXPECT_NE(unknown.explanation.find("refused by unknown at"), std::string::npos);
}

TEST(spf_check_host, exp_is_fetched_once_and_only_for_the_final_fail) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 include:inner.example.com -all exp=outer-why.example.com");
  zone.add_txt("inner.example.com", "v=spf1 -all exp=inner-why.example.com");
  zone.add_txt("outer-why.example.com", "Not from %{d}.");
  zone.add_txt("inner-why.example.com", "never used");
  const evaluation e = check(zone, "192.0.2.1", "x@example.com");
  EXPECT_EQ(e.value, result::fail) << trace_of(e);
  EXPECT_EQ(e.explanation, "Not from example.com.");
  EXPECT_EQ(count_queries(zone, "TXT inner-why.example.com"), 0u);
  EXPECT_EQ(count_queries(zone, "TXT outer-why.example.com"), 1u);
  EXPECT_EQ(e.dns_terms, 1);  // exp= is not a DNS-querying term

  // Not fail: exp= is never looked up.
  zone_resolver soft;
  soft.add_txt("example.com", "v=spf1 ~all exp=why.example.com");
  const evaluation s = check(soft, "192.0.2.1", "x@example.com");
  EXPECT_EQ(s.value, result::softfail);
  EXPECT_TRUE(s.explanation.empty());
  EXPECT_EQ(count_queries(soft, "TXT why.example.com"), 0u);
}

TEST(spf_check_host, fail_without_exp_gets_the_default_explanation) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 -all");
  const evaluation e = check(zone, "192.0.2.1", "x@example.com");
  EXPECT_EQ(e.value, result::fail);
  EXPECT_EQ(e.explanation, default_explanation("example.com", make_address("192.0.2.1")));
  EXPECT_EQ(e.explanation, "example.com does not designate 192.0.2.1 as a permitted sender");
}

TEST(spf_check_host, invalid_domains_give_none_without_dns) {
  zone_resolver zone;
  EXPECT_EQ(check(zone, "192.0.2.1", "x@[192.0.2.1]").value, result::none);
  EXPECT_EQ(check(zone, "192.0.2.1", "x@localhost").value, result::none);
  EXPECT_EQ(check(zone, "192.0.2.1", "x@a..example.com").value, result::none);
  EXPECT_EQ(check(zone, "192.0.2.1", "x@" + std::string(64, 'a') + ".example.com").value,
            result::none);
  EXPECT_EQ(check(zone, "192.0.2.1", "", "[192.0.2.1]").value, result::none);
  EXPECT_TRUE(zone.queries().empty());
  // A name that does not exist also gives none.
  EXPECT_EQ(check(zone, "192.0.2.1", "x@nowhere.example.com").value, result::none);
}

TEST(spf_check_host, long_expanded_names_are_truncated_on_the_left) {
  zone_resolver zone;
  // %{l} is a 199-octet local part of 4 labels.
  std::string local;
  for (int i = 0; i < 4; ++i) {
    local += (i ? "." : "") + std::string(49, static_cast<char>('a' + i));
  }
  zone.add_txt("example.com", "v=spf1 exists:%{l}.%{l}.x.example.com -all");
  // 199 + 1 + 199 + 14 = 413 octets; dropping whole labels on the left until at most 253
  // remain removes the first copy of %{l}.
  const std::string expected = local + ".x.example.com";
  zone.add_a(expected, "127.0.0.2");
  const evaluation e = check(zone, "192.0.2.1", local + "@example.com");
  EXPECT_EQ(e.value, result::pass) << trace_of(e);
}

TEST(spf_check_host, past_the_time_limit_no_query_is_sent_and_the_result_is_temperror) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  check_input input{make_address("192.0.2.1"), "x@example.com", "h.example.com", ""};
  input.time_limit = std::chrono::milliseconds(0);
  const evaluation e = run_check(zone, input);
  EXPECT_EQ(e.value, result::temperror) << trace_of(e);
  EXPECT_TRUE(zone.queries().empty());
}

TEST(spf_check_host, validated_names_for_p_are_looked_up_once) {
  zone_resolver zone;
  zone.add_txt("example.com",
               "v=spf1 exists:%{p}.one.example.com exists:%{p}.two.example.com -all");
  zone.add_ptr("1.2.0.192.in-addr.arpa", "mail.example.com");
  zone.add_a("mail.example.com", "192.0.2.1");
  zone.add_a("mail.example.com.two.example.com", "127.0.0.2");
  const evaluation e = check(zone, "192.0.2.1", "x@example.com");
  EXPECT_EQ(e.value, result::pass) << trace_of(e);
  EXPECT_EQ(count_queries(zone, "PTR 1.2.0.192.in-addr.arpa"), 1u);
  EXPECT_EQ(count_queries(zone, "A mail.example.com"), 1u);
}

TEST(spf_check_host, trace_reports_terms_and_counts) {
  zone_resolver zone;
  zone.add_txt("example.com", "v=spf1 a:nx.example.com ip4:192.0.2.0/24 -all");
  const evaluation e = check(zone, "192.0.2.1", "x@example.com");
  EXPECT_EQ(e.value, result::pass);
  EXPECT_EQ(e.dns_terms, 1);
  EXPECT_EQ(e.void_lookups, 1);
  const std::string trace = trace_of(e);
  EXPECT_NE(trace.find("example.com: \"v=spf1 a:nx.example.com ip4:192.0.2.0/24 -all\""),
            std::string::npos)
      << trace;
  EXPECT_NE(trace.find("ip4:192.0.2.0/24 matched -> pass"), std::string::npos) << trace;
  EXPECT_NE(trace.find("1 of 10 DNS-querying terms, 1 of 2 void look-ups"), std::string::npos)
      << trace;
}

}  // namespace
}  // namespace im2k::spf::test
