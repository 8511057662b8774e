#include "oms/config.hpp"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace im2k::oms {
namespace {

class OmsConfig : public ::testing::Test {
 protected:
  OmsConfig() {
    for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
      std::ofstream(dir_ / name) << "x";
    }
  }

  config_outcome parse(const std::string& text) {
    const auto file = dir_ / "oms.toml";
    std::ofstream(file) << text;
    return load_config(file);
  }

  static std::string valid() {
    return R"(host = "oms.alpha.test"
domains = ["alpha.test"]
state_dir = "state"
max_message_size = "10MiB"
retention = "7d"
grace = "1d"
bind_address = "127.0.1.1"
[submit]
listen = "127.0.1.1:4653"
[pull]
listen = "127.0.1.1:0"
[notify]
port = 14650
retry_initial = "1m"
retry_max = "1h"
connect_timeout = "10s"
[tls]
cert = "cert.pem"
key = "key.pem"
ca_file = "ca.pem"
crl_files = ["crl.pem"]
crl = "require"
[dns]
servers = ["127.0.0.1:5300"]
[log]
level = "debug"
)";
  }

  test::temp_dir dir_;
};

TEST_F(OmsConfig, ReadsTheWholeSchema) {
  auto out = parse(valid());
  ASSERT_TRUE(out.ok()) << out.errors.front();
  const auto& c = out.config;
  EXPECT_EQ(c.host, "oms.alpha.test");
  EXPECT_EQ(c.domains, std::vector<std::string>{"alpha.test"});
  EXPECT_EQ(c.state_dir, (dir_ / "state").lexically_normal());
  EXPECT_EQ(c.max_message_size, 10u * 1024 * 1024);
  EXPECT_EQ(c.retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.grace, std::chrono::hours(24));
  ASSERT_TRUE(c.bind_address.has_value());
  EXPECT_EQ(c.bind_address->to_string(), "127.0.1.1");
  EXPECT_EQ(c.submit_listen.port(), 4653);
  EXPECT_EQ(c.pull_listen.port(), 0);
  EXPECT_EQ(c.notify.port, 14650);
  EXPECT_EQ(c.notify.retry_initial, std::chrono::seconds(60));
  EXPECT_EQ(c.tls.crl, tls::crl_mode::require);
  EXPECT_EQ(c.tls.crl_files.size(), 1u);
  EXPECT_EQ(c.dns_servers, std::vector<std::string>{"127.0.0.1:5300"});
  EXPECT_EQ(c.log_level, log::level::debug);
  EXPECT_TRUE(c.serves_domain("alpha.test"));
  EXPECT_FALSE(c.serves_domain("beta.test"));
}

TEST_F(OmsConfig, UnknownKeyIsAnError) {
  auto out = parse(valid() + "[notify2]\nport = 1\n");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.errors.front().find("notify2"), std::string::npos) << out.errors.front();
}

TEST_F(OmsConfig, EveryErrorNamesFileKeyAndExpectation) {
  std::string text = valid();
  text.replace(text.find("\"7d\""), 4, "\"7 days\"");
  text.replace(text.find("\"oms.alpha.test\""), 16, "\"not a host\"");
  text.replace(text.find("\"127.0.1.1\"\n"), 11, "\"nowhere\"");
  auto out = parse(text);
  ASSERT_EQ(out.errors.size(), 3u);
  for (const auto& e : out.errors) {
    EXPECT_NE(e.find("oms.toml"), std::string::npos) << e;
    EXPECT_NE(e.find("expected"), std::string::npos) << e;
  }
  const std::string all = out.errors[0] + out.errors[1] + out.errors[2];
  EXPECT_NE(all.find("\"retention\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"host\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"bind_address\""), std::string::npos) << all;
}

TEST_F(OmsConfig, MissingRequiredKeysAndFiles) {
  auto out = parse(
      "host = \"oms.alpha.test\"\n[tls]\ncert = \"missing.pem\"\nkey = \"key.pem\"\n"
      "crl = \"off\"\n");
  ASSERT_FALSE(out.ok());
  const auto has = [&](std::string_view what) {
    for (const auto& e : out.errors) {
      if (e.find(what) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("\"domains\""));
  EXPECT_TRUE(has("\"state_dir\""));
  EXPECT_TRUE(has("\"submit.listen\""));
  EXPECT_TRUE(has("\"pull.listen\""));
  EXPECT_TRUE(has("\"tls.cert\""));
}

TEST_F(OmsConfig, RequireModeNeedsACrl) {
  std::string text = valid();
  text.replace(text.find("crl_files = [\"crl.pem\"]\n"), 24, "");
  auto out = parse(text);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_NE(out.errors[0].find("tls.crl_files"), std::string::npos) << out.errors[0];
}

TEST_F(OmsConfig, AbsentCaFileMeansTheSystemStore) {
  std::string text = valid();
  text.replace(text.find("ca_file = \"ca.pem\"\n"), 19, "");
  auto out = parse(text);
  ASSERT_TRUE(out.ok()) << out.errors.front();
  EXPECT_TRUE(out.config.tls.ca_file.empty());
}

TEST_F(OmsConfig, MissingCaFileIsAnError) {
  std::string text = valid();
  text.replace(text.find("\"ca.pem\""), 8, "\"nowhere.pem\"");
  auto out = parse(text);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_NE(out.errors[0].find("\"tls.ca_file\""), std::string::npos) << out.errors[0];
}

TEST_F(OmsConfig, SyntaxErrorIsReportedOnce) {
  auto out = parse("host = \n");
  ASSERT_EQ(out.errors.size(), 1u) << out.errors.back();
}

TEST_F(OmsConfig, MetricsListenIsOptionalAndLoopbackOnly) {
  auto absent = parse(valid());
  ASSERT_TRUE(absent.ok()) << absent.errors.front();
  EXPECT_FALSE(absent.config.metrics_listen);
  auto loopback = parse(valid() + "[metrics]\nlisten = \"127.0.1.1:9100\"\n");
  ASSERT_TRUE(loopback.ok()) << loopback.errors.front();
  ASSERT_TRUE(loopback.config.metrics_listen);
  EXPECT_EQ(loopback.config.metrics_listen->port(), 9100);
  auto wide = parse(valid() + "[metrics]\nlisten = \"0.0.0.0:9100\"\n");
  ASSERT_EQ(wide.errors.size(), 1u);
  EXPECT_NE(wide.errors[0].find("oms.toml: key \"metrics.listen\": expected a loopback address"),
            std::string::npos)
      << wide.errors[0];
}

}  // namespace
}  // namespace im2k::oms
