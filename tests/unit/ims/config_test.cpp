// The im2k-ims configuration schema (briefs/flow-shared.md): values and every error naming the
// file, the key and the expectation.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "ims/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

class config_test : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
      std::ofstream(dir_ / name) << "x";
    }
  }

  std::string valid(const std::string& extra_root = "", const std::string& extra_pull = "") {
    const std::string d = dir_.path().string();
    return "host = \"MX.Beta.Test\"\n"
           "domains = [\"beta.test\", \"Other.Test\"]\n"
           "state_dir = \"" +
           d +
           "/state\"\n"
           "max_message_size = \"10MiB\"\n" +
           extra_root +
           "[notify]\nlisten = \"127.0.2.2:4650\"\n"
           "[mailbox]\nlisten = \"127.0.2.2:4651\"\n"
           "[pull]\nport = 14652\nconnect_timeout = \"5s\"\nretry_initial = \"2s\"\n"
           "retry_max = \"1h\"\n" +
           extra_pull + "[tls]\ncert = \"" + d + "/cert.pem\"\nkey = \"" + d +
           "/key.pem\"\n"
           "ca_file = \"" +
           d + "/ca.pem\"\ncrl_files = [\"" + d +
           "/crl.pem\"]\n"
           "crl = \"require\"\n"
           "[dns]\nservers = [\"127.0.0.1:5300\"]\n"
           "[log]\nlevel = \"debug\"\n";
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

TEST_F(config_test, reads_every_key_of_the_schema) {
  auto outcome = parse_config(valid("bind_address = \"127.0.2.2\"\n"), "ims.toml");
  ASSERT_TRUE(outcome.ok()) << outcome.errors.front();
  const auto& c = outcome.config;
  EXPECT_EQ(c.host, "mx.beta.test");
  EXPECT_EQ(c.domains, (std::vector<std::string>{"beta.test", "other.test"}));
  EXPECT_TRUE(c.serves_domain("other.test"));
  EXPECT_FALSE(c.serves_domain("alpha.test"));
  EXPECT_EQ(c.max_message_size, 10u * 1024 * 1024);
  ASSERT_TRUE(c.bind_address);
  EXPECT_EQ(c.bind_address->to_string(), "127.0.2.2");
  EXPECT_EQ(c.notify_listen.port(), 4650);
  ASSERT_TRUE(c.mailbox_listen);
  EXPECT_EQ(c.mailbox_listen->port(), 4651);
  EXPECT_EQ(c.pull.port, 14652);
  EXPECT_EQ(c.pull.connect_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.pull.retry_initial, std::chrono::seconds(2));
  EXPECT_EQ(c.pull.retry_max, std::chrono::seconds(3600));
  EXPECT_EQ(c.tls.crl, tls::crl_mode::require);
  EXPECT_EQ(c.tls.crl_files.size(), 1u);
  EXPECT_EQ(c.dns_servers, (std::vector<std::string>{"127.0.0.1:5300"}));
  EXPECT_EQ(c.log_level, log::level::debug);
}

TEST_F(config_test, defaults_apply_to_optional_keys) {
  auto outcome = parse_config(valid(), "ims.toml");
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome.config.bind_address);
  EXPECT_FALSE(outcome.config.log_file);
}

TEST_F(config_test, unknown_keys_are_errors) {
  auto outcome = parse_config(valid("retention = \"7d\"\n"), "ims.toml");
  EXPECT_TRUE(has_error(outcome, "ims.toml: unknown key \"retention\"")) << outcome.errors.size();
  auto in_table = parse_config(valid("", "listen = \"127.0.0.1:1\"\n"), "ims.toml");
  EXPECT_TRUE(has_error(in_table, "unknown key \"listen\" in table \"pull\""));
}

TEST_F(config_test, bad_values_name_file_key_and_expectation) {
  auto outcome = parse_config(valid("bind_address = \"mx.beta.test\"\n", "") + "", "ims.toml");
  EXPECT_TRUE(has_error(outcome, "ims.toml: key \"bind_address\": expected an IP address"));

  std::string text = valid();
  text.replace(text.find("retry_initial = \"2s\""), 20, "retry_initial = 30");
  auto duration = parse_config(text, "ims.toml");
  EXPECT_TRUE(has_error(duration, "key \"pull.retry_initial\""));

  std::string order = valid();
  order.replace(order.find("retry_max = \"1h\""), 16, "retry_max = \"1s\"");
  EXPECT_TRUE(has_error(parse_config(order, "ims.toml"), "key \"pull.retry_max\""));
}

TEST_F(config_test, missing_required_keys_are_each_reported) {
  auto outcome = parse_config("host = \"mx.beta.test\"\n", "ims.toml");
  EXPECT_TRUE(has_error(outcome, "key \"domains\""));
  EXPECT_TRUE(has_error(outcome, "key \"state_dir\""));
  EXPECT_TRUE(has_error(outcome, "key \"notify.listen\""));
  EXPECT_TRUE(has_error(outcome, "key \"mailbox.listen\""));
  EXPECT_TRUE(has_error(outcome, "table \"tls\""));
}

TEST_F(config_test, crl_require_needs_crl_files) {
  std::string text = valid();
  const auto at = text.find("crl_files");
  text.erase(at, text.find('\n', at) + 1 - at);
  EXPECT_TRUE(has_error(parse_config(text, "ims.toml"), "key \"tls.crl_files\""));
}

TEST_F(config_test, metrics_listen_is_optional_and_loopback_only) {
  EXPECT_FALSE(parse_config(valid(), "ims.toml").config.metrics_listen);
  auto v6 = parse_config(valid() + "[metrics]\nlisten = \"[::1]:0\"\n", "ims.toml");
  ASSERT_TRUE(v6.ok()) << v6.errors.front();
  ASSERT_TRUE(v6.config.metrics_listen);
  EXPECT_TRUE(v6.config.metrics_listen->address().is_loopback());
  auto wide = parse_config(valid() + "[metrics]\nlisten = \"10.0.0.1:9100\"\n", "ims.toml");
  EXPECT_TRUE(has_error(wide, "ims.toml: key \"metrics.listen\": expected a loopback address"));
}

}  // namespace
}  // namespace im2k::ims
