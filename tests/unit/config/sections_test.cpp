#include "common/config/sections.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace im2k::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ConfigSections : public ::testing::Test {
 protected:
  ConfigSections() {
    for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
      std::ofstream(dir_ / name) << "x";
    }
  }

  document parse(std::string_view text) { return document::parse(text, file_); }

  test::temp_dir dir_;
  std::string file_ = (dir_ / "d.toml").string();
  std::vector<std::string> errors_;
};

TEST_F(ConfigSections, TlsWithoutCaFileUsesTheSystemStore) {
  auto doc = parse("[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\ncrl_files = [\"crl.pem\"]\n");
  auto s = read_tls_section(doc.root().subtable("tls"), file_, errors_);
  EXPECT_THAT(doc.finish(), IsEmpty());
  EXPECT_THAT(errors_, IsEmpty());
  EXPECT_TRUE(s.ca_file.empty());
  EXPECT_EQ(s.cert_file, (dir_ / "cert.pem").string());
  EXPECT_THAT(s.crl_files, ElementsAre((dir_ / "crl.pem").string()));
  EXPECT_EQ(s.crl, tls::crl_mode::require);
}

TEST_F(ConfigSections, TlsCaFileMustExistWhenGiven) {
  auto doc = parse(
      "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nca_file = \"nowhere.pem\"\ncrl = \"off\"\n");
  read_tls_section(doc.root().subtable("tls"), file_, errors_);
  const auto& errors = doc.finish();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("key \"tls.ca_file\": expected the path of an existing file"),
            std::string::npos)
      << errors[0];
}

TEST_F(ConfigSections, TlsUserCaFileIsOptionalAndMustExist) {
  auto doc = parse("[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\ncrl = \"off\"\n");
  EXPECT_TRUE(read_tls_section(doc.root().subtable("tls"), file_, errors_).user_ca_file.empty());
  EXPECT_THAT(doc.finish(), IsEmpty());

  auto given = parse(
      "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nuser_ca_file = \"ca.pem\"\ncrl = \"off\"\n");
  auto s = read_tls_section(given.root().subtable("tls"), file_, errors_);
  EXPECT_THAT(given.finish(), IsEmpty());
  EXPECT_EQ(s.user_ca_file, (dir_ / "ca.pem").string());

  auto missing = parse(
      "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nuser_ca_file = \"no.pem\"\ncrl = \"off\"\n");
  read_tls_section(missing.root().subtable("tls"), file_, errors_);
  const auto& errors = missing.finish();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(
      errors[0].find(file_ + ": key \"tls.user_ca_file\": expected the path of an existing file"),
      std::string::npos)
      << errors[0];
}

TEST_F(ConfigSections, TlsRequireNeedsACrl) {
  auto doc = parse("[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\ncrl_files = [\"gone.pem\"]\n");
  read_tls_section(doc.root().subtable("tls"), file_, errors_);
  EXPECT_THAT(errors_,
              ElementsAre(file_ + ": key \"tls.crl_files\": expected paths of existing files, "
                                  "got \"gone.pem\""));
  errors_.clear();
  auto none = parse("[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n");
  read_tls_section(none.root().subtable("tls"), file_, errors_);
  EXPECT_THAT(
      errors_,
      ElementsAre(file_ + ": key \"tls.crl_files\": expected at least one CRL file when crl = "
                          "\"require\", got none"));
}

TEST_F(ConfigSections, DnsAndLogDefaults) {
  auto doc = parse("");
  EXPECT_THAT(read_dns_section(doc.root().subtable("dns")), IsEmpty());
  auto logging = read_log_section(doc.root().subtable("log"));
  EXPECT_EQ(logging.level, log::level::info);
  EXPECT_FALSE(logging.file.has_value());
  EXPECT_THAT(doc.finish(), IsEmpty());
}

TEST_F(ConfigSections, DnsAndLogValues) {
  auto doc =
      parse("[dns]\nservers = [\"127.0.0.1:5300\"]\n[log]\nlevel = \"warn\"\nfile = \"d.log\"\n");
  EXPECT_THAT(read_dns_section(doc.root().subtable("dns")), ElementsAre("127.0.0.1:5300"));
  auto logging = read_log_section(doc.root().subtable("log"));
  EXPECT_EQ(logging.level, log::level::warn);
  ASSERT_TRUE(logging.file.has_value());
  EXPECT_EQ(*logging.file, dir_ / "d.log");
  EXPECT_THAT(doc.finish(), IsEmpty());
}

TEST_F(ConfigSections, HostAndDomainsAreLowerCasedAndChecked) {
  auto doc = parse("host = \"MX.Beta.Test\"\ndomains = [\"Beta.Test\"]\n");
  EXPECT_EQ(read_host(doc.root(), "mx.example.org", file_, errors_), "mx.beta.test");
  EXPECT_THAT(read_domains(doc.root(), file_, errors_), ElementsAre("beta.test"));
  EXPECT_THAT(errors_, IsEmpty());

  auto bad = parse("host = \"not a host\"\ndomains = []\n");
  read_host(bad.root(), "mx.example.org", file_, errors_);
  EXPECT_THAT(read_domains(bad.root(), file_, errors_), IsEmpty());
  EXPECT_THAT(
      errors_,
      ElementsAre(file_ + ": key \"host\": expected a host name such as \"mx.example.org\", "
                          "got \"not a host\"",
                  file_ + ": key \"domains\": expected at least one domain, got an "
                          "empty list"));
}

TEST_F(ConfigSections, BindAddressIsOptionalAndChecked) {
  auto absent = parse("");
  EXPECT_FALSE(read_bind_address(absent.root(), "127.0.1.1", file_, errors_).has_value());
  auto good = parse("bind_address = \"127.0.1.1\"\n");
  auto address = read_bind_address(good.root(), "127.0.1.1", file_, errors_);
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->to_string(), "127.0.1.1");
  EXPECT_THAT(errors_, IsEmpty());

  auto bad = parse("bind_address = \"nowhere\"\n");
  EXPECT_FALSE(read_bind_address(bad.root(), "127.0.1.1", file_, errors_).has_value());
  EXPECT_THAT(errors_, ElementsAre(file_ + ": key \"bind_address\": expected an IP address such as "
                                           "\"127.0.1.1\", got \"nowhere\""));
}

}  // namespace
}  // namespace im2k::config
