#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/config.hpp"
#include "common/config/parse.hpp"

namespace im2k::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

constexpr const char* file = "/etc/im2k/oms.toml";

document parse(std::string_view text) {
  return document::parse(text, file);
}

TEST(ConfigParse, Endpoints) {
  auto v4 = parse_endpoint("127.0.0.1:4650", false);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address().to_string(), "127.0.0.1");
  EXPECT_EQ(v4->port(), 4650);
  auto v6 = parse_endpoint("[::1]:4651", false);
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address().is_v6());
  EXPECT_EQ(v6->port(), 4651);
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0", false));
  EXPECT_TRUE(parse_endpoint("127.0.0.1:0", true));
  for (auto bad : {"127.0.0.1", "localhost:4650", "::1:4650", "[127.0.0.1]:4650", "1.2.3.4:65536",
                   "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4: 1", "[::1]4650", ":4650", ""}) {
    EXPECT_FALSE(parse_endpoint(bad, true)) << bad;
  }
}

TEST(ConfigParse, Durations) {
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("7d"), 7 * 24h);
  EXPECT_EQ(parse_duration("0s"), 0s);
  for (auto bad : {"30", "s", "-5s", "1.5h", "5 m", "5M", "1w", "99999999999999999999s", ""}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(7200s), "2h");
  EXPECT_EQ(format_duration(7 * 24h), "7d");
  EXPECT_EQ(format_duration(0s), "0s");
}

TEST(ConfigParse, Sizes) {
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("10MiB"), 10u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  for (auto bad : {"64KB", "10MB", "1.5MiB", "KiB", "-1", "64 KiB", "99999999999999999999", ""}) {
    EXPECT_FALSE(parse_size(bad)) << bad;
  }
  EXPECT_EQ(format_size(65536), "64KiB");
  EXPECT_EQ(format_size(1000), "1000B");
}

TEST(Config, ReadsEveryKindOfValue) {
  auto doc = parse(R"(
name = "alpha"
debug = true
workers = 4
retention = "7d"
max_message_size = "10MiB"
spool = "spool"
domains = ["alpha.test", "gamma.test"]
crl = "require"

[notify]
listen = "[::1]:4650"

[[peer]]
host = "mx.beta.test"
[[peer]]
host = "mx.gamma.test"
)");
  auto root = doc.root();
  EXPECT_EQ(root.string("name"), "alpha");
  EXPECT_TRUE(root.boolean("debug"));
  EXPECT_EQ(root.integer("workers", 1, 64), 4);
  EXPECT_EQ(root.duration("retention", 1h, 30 * 24h), 7 * 24h);
  EXPECT_EQ(root.size("max_message_size", 1, 1u << 30), 10u << 20);
  EXPECT_EQ(root.path("spool"), std::filesystem::path("/etc/im2k/spool"));
  EXPECT_THAT(root.string_list("domains"), ElementsAre("alpha.test", "gamma.test"));
  enum class crl_mode { require, prefer, off };
  EXPECT_EQ(root.choice<crl_mode>("crl", {{"require", crl_mode::require},
                                          {"prefer", crl_mode::prefer},
                                          {"off", crl_mode::off}}),
            crl_mode::require);
  auto notify = root.subtable("notify");
  EXPECT_TRUE(notify.present());
  EXPECT_EQ(notify.path(), "notify");
  EXPECT_EQ(notify.endpoint("listen").port(), 4650);
  auto peers = root.tables("peer");
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[1].path(), "peer[1]");
  EXPECT_EQ(peers[0].string("host"), "mx.beta.test");
  EXPECT_EQ(peers[1].string("host"), "mx.gamma.test");
  EXPECT_THAT(doc.finish(), ElementsAre());
  EXPECT_NO_THROW(doc.throw_if_errors());
}

TEST(Config, FallbacksApplyToAbsentKeys) {
  auto doc = parse("");
  auto root = doc.root();
  EXPECT_EQ(root.string("name", "x"), "x");
  EXPECT_FALSE(root.boolean("debug", false));
  EXPECT_EQ(root.integer("workers", 1, 64, 2), 2);
  EXPECT_EQ(root.duration("retention", 1h, 30 * 24h, 7 * 24h), 7 * 24h);
  EXPECT_EQ(root.size("max", 0, 1u << 30, 65536), 65536u);
  EXPECT_EQ(root.path("spool", path_check::none, "/var/spool/im2k"), "/var/spool/im2k");
  EXPECT_THAT(root.string_list("domains", std::vector<std::string>{"a"}), ElementsAre("a"));
  EXPECT_EQ(root.one_of("crl", {"require", "off"}, "off"), "off");
  auto notify = root.subtable("notify");
  EXPECT_FALSE(notify.present());
  EXPECT_EQ(notify.endpoint("listen", "127.0.0.1:4650").port(), 4650);
  EXPECT_TRUE(root.tables("peer").empty());
  EXPECT_THAT(doc.finish(), ElementsAre());
}

TEST(Config, EndpointErrorsNameFileKeyExpectationAndValue) {
  auto doc = parse(R"(
[notify]
listen = 4650
pull = "localhost:4652"
test = "127.0.0.1:0"
any = "127.0.0.1:0"
)");
  auto notify = doc.root().subtable("notify");
  notify.endpoint("listen");
  notify.endpoint("pull");
  notify.endpoint("test");
  EXPECT_EQ(notify.endpoint("any", std::nullopt, port_zero::allowed).port(), 0);
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "notify.listen": expected an address "IP:PORT", got integer 4650)",
          R"(/etc/im2k/oms.toml: key "notify.pull": expected an address "IP:PORT", got string "localhost:4652")",
          R"(/etc/im2k/oms.toml: key "notify.test": expected an address "IP:PORT", got string "127.0.0.1:0" (port 0 is not allowed here))"));
}

TEST(Config, ScalarErrors) {
  auto doc = parse(R"(
name = 5
debug = "yes"
workers = 100
ratio = 1.5
when = 1979-05-27
)");
  auto root = doc.root();
  EXPECT_EQ(root.string("name", "fallback"), "fallback");
  EXPECT_FALSE(root.boolean("debug"));
  EXPECT_EQ(root.integer("workers", 1, 64, 4), 4);
  root.integer("ratio", 0, 10);
  root.string("when");
  root.string("missing");
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "name": expected a string, got integer 5)",
          R"(/etc/im2k/oms.toml: key "debug": expected true or false, got string "yes")",
          R"(/etc/im2k/oms.toml: key "workers": expected an integer from 1 to 64, got integer 100)",
          R"(/etc/im2k/oms.toml: key "ratio": expected an integer from 0 to 10, got float 1.5)",
          R"(/etc/im2k/oms.toml: key "when": expected a string, got a date/time)",
          R"(/etc/im2k/oms.toml: key "missing": expected a string, got nothing (the key is required))"));
}

TEST(Config, DurationErrorsRefuseBareNumbers) {
  auto doc = parse(R"(
[retry]
first = 30
max = "1w"
total = "60d"
)");
  auto retry = doc.root().subtable("retry");
  EXPECT_EQ(retry.duration("first", 1s, 1h, 5min), 5min);
  retry.duration("max", 1s, 1h);
  retry.duration("total", 1h, 30 * 24h);
  retry.duration("absent", 1s, 1h);
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "retry.first": expected a duration such as "30s", "5m", "2h" or "7d", got integer 30 (a bare number has no unit))",
          R"(/etc/im2k/oms.toml: key "retry.max": expected a duration such as "30s", "5m", "2h" or "7d", got string "1w")",
          R"(/etc/im2k/oms.toml: key "retry.total": expected a duration from 1h to 30d, got string "60d")",
          R"(/etc/im2k/oms.toml: key "retry.absent": expected a duration such as "30s", "5m", "2h" or "7d", got nothing (the key is required))"));
}

TEST(Config, SizeErrors) {
  auto doc = parse(R"(
a = "10MB"
b = -1
c = "2GiB"
d = 4096
)");
  auto root = doc.root();
  root.size("a", 0, 1u << 30);
  root.size("b", 0, 1u << 30);
  root.size("c", 1024, 1u << 30);
  EXPECT_EQ(root.size("d", 0, 1u << 30), 4096u);
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "a": expected a size such as 65536, "64KiB" or "10MiB", got string "10MB")",
          R"(/etc/im2k/oms.toml: key "b": expected a size such as 65536, "64KiB" or "10MiB", got integer -1)",
          R"(/etc/im2k/oms.toml: key "c": expected a size from 1KiB to 1GiB, got string "2GiB")"));
}

TEST(Config, ListEnumAndTableErrors) {
  auto doc = parse(R"(
domains = ["a.test", 3]
crl = "maybe"
notify = "here"
peer = [1, 2]
)");
  auto root = doc.root();
  root.string_list("domains");
  EXPECT_EQ(root.one_of("crl", {"require", "prefer", "off"}, "require"), "require");
  EXPECT_FALSE(root.subtable("notify").present());
  EXPECT_TRUE(root.tables("peer").empty());
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "domains": expected an array of strings, got an array)",
          R"(/etc/im2k/oms.toml: key "crl": expected one of "require", "prefer" or "off", got string "maybe")",
          R"(/etc/im2k/oms.toml: key "notify": expected a table, got string "here")",
          R"(/etc/im2k/oms.toml: key "peer": expected an array of tables ([[peer]]), got an array)"));
}

TEST(Config, RequiredKeyOfAnAbsentTableUsesTheFullName) {
  auto doc = parse("");
  doc.root().subtable("notify").endpoint("listen");
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: key "notify.listen": expected an address "IP:PORT", got nothing (the key is required))"));
}

TEST(Config, UnknownKeysAreErrorsWithSuggestions) {
  auto doc = parse(R"(
[notfy]
listen = "127.0.0.1:4650"

[pull]
lisen = "127.0.0.1:4652"
zzz = 1

[[peer]]
host = "a"
prot = 1
)");
  auto root = doc.root();
  root.subtable("notify").endpoint("listen", "127.0.0.1:4650");
  root.subtable("pull").endpoint("listen", "127.0.0.1:4652");
  for (auto peer : root.tables("peer")) {
    peer.string("host");
    peer.integer("port", 1, 65535, 4650);
  }
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          R"(/etc/im2k/oms.toml: unknown key "notfy" in table ""; did you mean notify?)",
          R"(/etc/im2k/oms.toml: unknown key "lisen" in table "pull"; did you mean listen?)",
          R"(/etc/im2k/oms.toml: unknown key "zzz" in table "pull")",
          R"(/etc/im2k/oms.toml: unknown key "prot" in table "peer[0]"; did you mean port?)"));
  EXPECT_EQ(doc.finish().size(), 4u);  // reported once
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  auto doc = parse("name = \"alpha\"\n\n[notify]\nlisten = = 4\n");
  doc.root().string("name");  // silent: the syntax error says it all
  auto& errors = doc.finish();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("/etc/im2k/oms.toml:4:10: ")) << errors[0];
  EXPECT_GT(errors[0].size(), std::string("/etc/im2k/oms.toml:4:10: ").size());
}

TEST(Config, ThrowIfErrorsCarriesThemAll) {
  auto doc = parse("a = 1\nb = 2\n");
  doc.root().string("a");
  try {
    doc.throw_if_errors();
    FAIL() << "expected config_error";
  } catch (const config_error& e) {
    EXPECT_THAT(e.errors(),
                ElementsAre(R"(/etc/im2k/oms.toml: key "a": expected a string, got integer 1)",
                            R"(/etc/im2k/oms.toml: unknown key "b" in table "")"));
    EXPECT_EQ(std::string(e.what()),
              R"(/etc/im2k/oms.toml: key "a": expected a string, got integer 1 (and 1 more))");
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "im2k-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsAFileAndResolvesPathsAgainstItsDirectory) {
  std::filesystem::create_directory(dir_ / "spool");
  auto path = write("oms.toml", "spool = \"spool\"\ncert = \"oms.toml\"\n");
  auto doc = document::load(path);
  auto root = doc.root();
  EXPECT_EQ(root.path("spool", path_check::writable_directory), dir_ / "spool");
  EXPECT_EQ(root.path("cert", path_check::file), dir_ / "oms.toml");
  EXPECT_THAT(doc.finish(), ElementsAre());
}

TEST_F(ConfigFileTest, PathChecks) {
  auto path = write("oms.toml",
                    "a = \"missing\"\nb = \"oms.toml\"\nc = \"" + dir_.string() + "\"\nd = \"\"\n");
  auto doc = document::load(path);
  auto root = doc.root();
  root.path("a", path_check::exists);
  root.path("b", path_check::directory);
  root.path("c", path_check::file);
  root.path("d");
  root.path("e", path_check::directory, "nothing-here");
  EXPECT_EQ(root.path("optional", path_check::file, std::filesystem::path()), "");
  std::string f = path.string();
  std::string d = dir_.string();
  EXPECT_THAT(
      doc.finish(),
      ElementsAre(
          f + R"(: key "a": expected the path of an existing file or directory, got string "missing" ()" +
              d + "/missing: No such file or directory)",
          f + R"(: key "b": expected the path of an existing directory, got string "oms.toml" ()" +
              d + "/oms.toml: not a directory)",
          f + R"(: key "c": expected the path of an existing file, got string ")" + d + R"(" ()" +
              d + ": not a regular file)",
          f + R"(: key "d": expected a path, got string "")",
          f + R"(: key "e": expected the path of an existing directory, got the default "nothing-here" ()" +
              d + "/nothing-here: No such file or directory)"));
}

TEST_F(ConfigFileTest, MissingFileIsOneError) {
  auto doc = document::load(dir_ / "absent.toml");
  doc.root().string("name");
  EXPECT_THAT(doc.finish(), ElementsAre((dir_ / "absent.toml").string() +
                                        ": cannot read: No such file or directory"));
}

}  // namespace
}  // namespace im2k::config
