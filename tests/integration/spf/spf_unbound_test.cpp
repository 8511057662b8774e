// SPF over real DNS: unbound serves test zones on loopback, cares_resolver queries it, and the
// im2k binary is run as an operator would run it.
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "common/dns/cares_resolver.hpp"
#include "common/spf/check_host.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/udp_black_hole.hpp"
#include "tests/support/unbound_server.hpp"

namespace im2k::spf {
namespace {

using boost::asio::ip::make_address;

const char* const soa = "spf.test. 300 IN SOA ns.spf.test. h.spf.test. 1 3600 600 86400 60";

test::unbound_options zones(std::uint16_t black_hole_port) {
  test::unbound_options o;
  o.local_zones = {"spf.test. static"};
  o.local_data = {
      soa,
      // pass: the a mechanism names the sending host
      "alpha.spf.test. 300 IN TXT \"v=spf1 a:mx.alpha.spf.test -all\"",
      "mx.alpha.spf.test. 300 IN A 192.0.2.10",
      // fail, with an explanation from exp=
      "beta.spf.test. 300 IN TXT \"v=spf1 -all exp=why.beta.spf.test\"",
      "why.beta.spf.test. 300 IN TXT \"%{i} is not a server of %{d}\"",
      // include and redirect of alpha
      "gamma.spf.test. 300 IN TXT \"v=spf1 include:alpha.spf.test -all\"",
      "delta.spf.test. 300 IN TXT \"v=spf1 redirect=alpha.spf.test\"",
      // a record split in two character-strings, cut inside a term (RFC 7208 section 3.3)
      "zeta.spf.test. 300 IN TXT \"v=spf1 ip4:192.0.\" \"2.20 -all\"",
      // an a mechanism whose name is served by a server that never answers
      "epsilon.spf.test. 300 IN TXT \"v=spf1 a:host.slow.test -all\"",
  };
  o.forward_zones = {test::forward_zone{"slow.test.", black_hole_port}};
  return o;
}

class spf_unbound : public testing::Test {
 protected:
  spf_unbound() : dns_(dir_.path(), zones(black_hole_.port())) {}

  evaluation check(const std::string& ip, const std::string& sender,
                   const std::string& helo = "mx.alpha.spf.test") {
    boost::asio::io_context io;
    // Short tries so that the timeout case ends quickly; every wait stays bounded.
    dns::cares_resolver resolver(
        io.get_executor(),
        dns::resolver_options{
            .servers = {dns_.server()}, .timeout = std::chrono::milliseconds(500), .tries = 1});
    return test::run_awaitable(
        io, check_host(resolver, check_input{make_address(ip), sender, helo, "mx.receiver.test"}));
  }

  static std::string trace_of(const evaluation& e) {
    std::string out;
    for (const std::string& line : e.trace) {
      out += line + "\n";
    }
    return out;
  }

  test::temp_dir dir_;
  test::udp_black_hole black_hole_;
  test::unbound_server dns_;
};

TEST_F(spf_unbound, pass_for_the_designated_address) {
  const evaluation e = check("192.0.2.10", "alice@alpha.spf.test");
  EXPECT_EQ(e.value, result::pass) << trace_of(e);
  EXPECT_EQ(e.dns_terms, 1);
}

TEST_F(spf_unbound, fail_with_the_exp_explanation) {
  const evaluation e = check("192.0.2.99", "bob@beta.spf.test");
  EXPECT_EQ(e.value, result::fail) << trace_of(e);
  EXPECT_EQ(e.explanation, "192.0.2.99 is not a server of beta.spf.test");
}

TEST_F(spf_unbound, include_passes_only_for_the_included_servers) {
  EXPECT_EQ(check("192.0.2.10", "c@gamma.spf.test").value, result::pass);
  const evaluation other = check("192.0.2.11", "c@gamma.spf.test");
  EXPECT_EQ(other.value, result::fail) << trace_of(other);
  EXPECT_EQ(other.dns_terms, 2);
}

TEST_F(spf_unbound, redirect_uses_the_target_record) {
  EXPECT_EQ(check("192.0.2.10", "d@delta.spf.test").value, result::pass);
  const evaluation other = check("192.0.2.11", "d@delta.spf.test");
  EXPECT_EQ(other.value, result::fail) << trace_of(other);
  // alpha has no exp=, so the explanation is the default one.
  EXPECT_EQ(other.explanation, default_explanation("delta.spf.test", make_address("192.0.2.11")));
}

TEST_F(spf_unbound, multi_string_txt_record_is_joined_without_spaces) {
  const evaluation e = check("192.0.2.20", "z@zeta.spf.test");
  EXPECT_EQ(e.value, result::pass) << trace_of(e);
  EXPECT_EQ(check("192.0.2.21", "z@zeta.spf.test").value, result::fail);
}

TEST_F(spf_unbound, dns_timeout_is_temperror) {
  const evaluation e = check("192.0.2.10", "e@epsilon.spf.test");
  EXPECT_EQ(e.value, result::temperror) << trace_of(e);
}

TEST_F(spf_unbound, no_record_is_none) {
  EXPECT_EQ(check("192.0.2.10", "n@nothing.spf.test").value, result::none);
}

// The operator's command, run as a process.
class im2k_dns_spf : public spf_unbound {
 protected:
  test::command_result run(std::vector<std::string> args) {
    std::vector<std::string> argv = {IM2K_BIN_DIR "/im2k", "dns", "spf"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(argv, {}, std::chrono::seconds(30));
  }

  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
};

TEST_F(im2k_dns_spf, prints_pass_first_and_exits_0) {
  const auto r = run({"--server", dns_.server(), "--ip", "192.0.2.10", "--sender",
                      "alice@alpha.spf.test", "--helo", "mx.alpha.spf.test"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(first_line(r.out), "pass") << r.out;
  EXPECT_NE(r.out.find("a:mx.alpha.spf.test matched -> pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 10 DNS-querying terms"), std::string::npos) << r.out;
}

TEST_F(im2k_dns_spf, prints_fail_and_the_explanation_and_exits_0) {
  const auto r = run({"--server", dns_.server(), "--ip", "192.0.2.99", "--sender",
                      "bob@beta.spf.test", "--helo", "mx.beta.spf.test"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(first_line(r.out), "fail") << r.out;
  EXPECT_NE(r.out.find("explanation: 192.0.2.99 is not a server of beta.spf.test"),
            std::string::npos)
      << r.out;
}

TEST_F(im2k_dns_spf, empty_sender_checks_the_helo_name) {
  const auto r = run({"--server", dns_.server(), "--ip", "192.0.2.10", "--sender", "", "--helo",
                      "alpha.spf.test"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(first_line(r.out), "pass") << r.out;
  EXPECT_NE(r.out.find("postmaster@alpha.spf.test"), std::string::npos) << r.out;
}

TEST_F(im2k_dns_spf, none_for_a_domain_without_a_record) {
  const auto r = run({"--server", dns_.server(), "--ip", "192.0.2.10", "--sender",
                      "n@nothing.spf.test", "--helo", "mx.alpha.spf.test"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(first_line(r.out), "none") << r.out;
}

TEST_F(im2k_dns_spf, usage_errors_exit_2) {
  const auto bad_ip = run({"--server", dns_.server(), "--ip", "192.0.2.300", "--sender",
                           "a@alpha.spf.test", "--helo", "mx.alpha.spf.test"});
  EXPECT_EQ(bad_ip.exit_status, 2) << bad_ip.out;
  EXPECT_NE(bad_ip.err.find("--ip"), std::string::npos) << bad_ip.err;

  const auto no_helo = run({"--server", dns_.server(), "--ip", "192.0.2.10"});
  EXPECT_EQ(no_helo.exit_status, 2) << no_helo.out;

  const auto no_ip = run({"--server", dns_.server(), "--helo", "mx.alpha.spf.test"});
  EXPECT_EQ(no_ip.exit_status, 2) << no_ip.out;

  const auto bad_server =
      run({"--server", "not-a-server", "--ip", "192.0.2.10", "--helo", "mx.alpha.spf.test"});
  EXPECT_EQ(bad_server.exit_status, 2) << bad_server.out;
}

}  // namespace
}  // namespace im2k::spf
