// The [policy] table of the im2k-ims configuration (briefs/s2/contracts.md): values, defaults,
// the pull mode per sender domain, and errors naming the file, the key and the expectation.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "ims/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using namespace std::chrono_literals;

class policy_config_test : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"cert.pem", "key.pem", "crl.pem"}) {
      std::ofstream(dir_ / name) << "x";
    }
  }

  // A valid configuration followed by `policy` (TOML text starting with a table header).
  config_outcome parse(const std::string& policy) {
    const std::string d = dir_.path().string();
    const std::string text =
        "host = \"mx.beta.test\"\n"
        "domains = [\"beta.test\"]\n"
        "state_dir = \"" +
        d +
        "\"\n"
        "[notify]\nlisten = \"127.0.2.2:4650\"\n"
        "[mailbox]\nlisten = \"127.0.2.2:4651\"\n"
        "[tls]\ncert = \"" +
        d + "/cert.pem\"\nkey = \"" + d + "/key.pem\"\ncrl_files = [\"" + d + "/crl.pem\"]\n" +
        policy;
    return parse_config(text, "ims.toml");
  }

  test::temp_dir dir_;
};

bool has_error(const config_outcome& outcome, const std::string& part) {
  for (const auto& e : outcome.errors) {
    if (e.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_F(policy_config_test, absent_table_means_no_limits_and_eager_pulls) {
  auto outcome = parse("");
  ASSERT_TRUE(outcome.ok()) << outcome.errors.front();
  const auto& p = outcome.config.policy;
  EXPECT_TRUE(p.allow_domains.empty());
  EXPECT_TRUE(p.deny_hosts.empty());
  EXPECT_FALSE(p.per_address);
  EXPECT_FALSE(p.per_domain);
  EXPECT_EQ(p.max_recipients, 100u);
  EXPECT_EQ(p.pull, pull_mode::eager);
}

TEST_F(policy_config_test, reads_every_key) {
  auto outcome = parse(
      "[policy]\n"
      "allow_domains = [\"Alpha.Test\"]\ndeny_domains = [\"bad.test\"]\n"
      "allow_hosts = [\"oms.alpha.test\"]\ndeny_hosts = [\"OMS.bad.test\"]\n"
      "max_recipients = 7\npull = \"on-read\"\n"
      "eager_senders = [\"alpha.test\"]\non_read_senders = [\"unknown.test\"]\n"
      "[policy.rate_per_address]\nrate = 100\nper = \"1m\"\nburst = 200\n"
      "[policy.rate_per_domain]\nrate = 2\nper = \"10s\"\n");
  ASSERT_TRUE(outcome.ok()) << outcome.errors.front();
  const auto& p = outcome.config.policy;
  EXPECT_EQ(p.allow_domains, (std::vector<std::string>{"alpha.test"}));
  EXPECT_EQ(p.deny_domains, (std::vector<std::string>{"bad.test"}));
  EXPECT_EQ(p.allow_hosts, (std::vector<std::string>{"oms.alpha.test"}));
  EXPECT_EQ(p.deny_hosts, (std::vector<std::string>{"oms.bad.test"}));
  EXPECT_EQ(p.max_recipients, 7u);
  EXPECT_EQ(p.pull, pull_mode::on_read);
  EXPECT_EQ(p.eager_senders, (std::vector<std::string>{"alpha.test"}));
  EXPECT_EQ(p.on_read_senders, (std::vector<std::string>{"unknown.test"}));
  ASSERT_TRUE(p.per_address);
  EXPECT_EQ(p.per_address->rate, 100u);
  EXPECT_EQ(p.per_address->per, 60s);
  EXPECT_EQ(p.per_address->burst, 200u);
  ASSERT_TRUE(p.per_domain);
  EXPECT_EQ(p.per_domain->rate, 2u);
  EXPECT_EQ(p.per_domain->per, 10s);
  EXPECT_EQ(p.per_domain->burst, 2u);  // burst defaults to rate
}

TEST_F(policy_config_test, bad_values_name_file_key_and_expectation) {
  auto outcome = parse(
      "[policy]\nmax_recipients = 101\npull = \"lazy\"\ndeny_domains = [\"not a domain\"]\n"
      "[policy.rate_per_domain]\nrate = 0\nper = 10\n");
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"policy.max_recipients\": expected"));
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"policy.pull\": expected"));
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"policy.deny_domains\": expected domain"));
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"policy.rate_per_domain.rate\": expected"));
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"policy.rate_per_domain.per\": expected"));
}

TEST_F(policy_config_test, rate_table_needs_a_rate) {
  auto outcome = parse("[policy.rate_per_address]\nper = \"1m\"\n");
  EXPECT_TRUE(has_error(outcome, "key \"policy.rate_per_address.rate\""));
}

TEST_F(policy_config_test, unknown_policy_keys_are_errors) {
  auto outcome = parse("[policy]\nallow_domain = [\"alpha.test\"]\n");
  EXPECT_TRUE(has_error(outcome, "unknown key \"allow_domain\" in table \"policy\""));
}

TEST(pull_mode_for, sender_lists_override_the_default_ignoring_case) {
  policy_settings p;
  p.pull = pull_mode::eager;
  p.on_read_senders = {"unknown.test"};
  p.eager_senders = {"alpha.test"};
  EXPECT_EQ(p.pull_mode_for("Unknown.TEST"), pull_mode::on_read);
  EXPECT_EQ(p.pull_mode_for("other.test"), pull_mode::eager);
  p.pull = pull_mode::on_read;
  EXPECT_EQ(p.pull_mode_for("ALPHA.test"), pull_mode::eager);
  EXPECT_EQ(p.pull_mode_for("other.test"), pull_mode::on_read);
}

TEST(pull_mode_names, match_the_configuration_spelling) {
  EXPECT_EQ(to_string(pull_mode::eager), "eager");
  EXPECT_EQ(to_string(pull_mode::on_read), "on-read");
}

}  // namespace
}  // namespace im2k::ims
