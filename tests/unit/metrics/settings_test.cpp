// The [metrics] table: optional, loopback only, port 0 allowed; errors name file and key.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/config.hpp"
#include "common/metrics/settings.hpp"

namespace im2k::metrics {
namespace {

using ::testing::HasSubstr;

struct read_result {
  std::optional<boost::asio::ip::tcp::endpoint> endpoint;
  std::vector<std::string> errors;
};

read_result read(const std::string& text) {
  auto doc = config::document::parse(text, "test.toml");
  read_result out;
  out.endpoint = read_metrics_section(doc.root().subtable("metrics"), "test.toml", out.errors);
  for (const auto& e : doc.finish()) {
    out.errors.push_back(e);
  }
  return out;
}

TEST(MetricsSettings, AbsentMeansNoEndpoint) {
  auto r = read("");
  EXPECT_FALSE(r.endpoint);
  EXPECT_TRUE(r.errors.empty());
}

TEST(MetricsSettings, LoopbackAddressesAndPortZero) {
  auto v4 = read("[metrics]\nlisten = \"127.0.0.1:9100\"\n");
  ASSERT_TRUE(v4.endpoint);
  EXPECT_EQ(v4.endpoint->port(), 9100);
  EXPECT_TRUE(v4.errors.empty());
  auto other = read("[metrics]\nlisten = \"127.225.1.1:0\"\n");
  ASSERT_TRUE(other.endpoint);
  EXPECT_EQ(other.endpoint->address().to_string(), "127.225.1.1");
  auto v6 = read("[metrics]\nlisten = \"[::1]:9100\"\n");
  ASSERT_TRUE(v6.endpoint);
  EXPECT_TRUE(v6.errors.empty());
}

TEST(MetricsSettings, NonLoopbackIsRefusedNamingFileKeyAndExpectation) {
  auto r = read("[metrics]\nlisten = \"0.0.0.0:9100\"\n");
  EXPECT_FALSE(r.endpoint);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("test.toml"));
  EXPECT_THAT(r.errors[0], HasSubstr("\"metrics.listen\""));
  EXPECT_THAT(r.errors[0], HasSubstr("loopback"));
  EXPECT_THAT(r.errors[0], HasSubstr("0.0.0.0:9100"));
}

TEST(MetricsSettings, MalformedValuesAreOneErrorEach) {
  EXPECT_EQ(read("[metrics]\nlisten = \"localhost:9100\"\n").errors.size(), 1u);
  EXPECT_EQ(read("[metrics]\nlisten = \"127.0.0.1\"\n").errors.size(), 1u);
  EXPECT_EQ(read("[metrics]\nlisten = 9100\n").errors.size(), 1u);
  EXPECT_EQ(read("[metrics]\nlisten = \"\"\n").errors.size(), 1u);
  EXPECT_EQ(read("[metrics]\nlisten = \"10.0.0.1:9100\"\n").errors.size(), 1u);
}

TEST(MetricsSettings, UnknownKeysInTheTableAreReported) {
  auto r = read("[metrics]\nlisten = \"127.0.0.1:9100\"\nlisen = 1\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("lisen"));
}

}  // namespace
}  // namespace im2k::metrics
