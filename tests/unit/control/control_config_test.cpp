// The [control] socket key of both daemons: default <state_dir>/control.sock, a relative path
// taken from the configuration file's directory, and no other key in the table.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "ims/config.hpp"
#include "oms/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k {
namespace {

class ControlConfig : public ::testing::Test {
 protected:
  ControlConfig() {
    for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
      std::ofstream(dir_ / name) << "x";
    }
  }

  // Both daemons' files share these tables; each adds its listeners.
  static std::string common() {
    return "state_dir = \"state\"\n"
           "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nca_file = \"ca.pem\"\n"
           "crl_files = [\"crl.pem\"]\ncrl = \"require\"\n";
  }

  oms::config_outcome oms_config(const std::string& extra = "") {
    const auto file = dir_ / "oms.toml";
    std::ofstream(file) << "host = \"oms.alpha.test\"\ndomains = [\"alpha.test\"]\n"
                        << common()
                        << "[submit]\nlisten = \"127.0.1.1:0\"\n[pull]\nlisten = \"127.0.1.1:0\"\n"
                        << extra;
    return oms::load_config(file);
  }

  ims::config_outcome ims_config(const std::string& extra = "") {
    const auto file = dir_ / "ims.toml";
    std::ofstream(file)
        << "host = \"mx.beta.test\"\ndomains = [\"beta.test\"]\n"
        << common() << "[notify]\nlisten = \"127.0.2.2:0\"\n[mailbox]\nlisten = \"127.0.2.2:0\"\n"
        << extra;
    return ims::load_config(file);
  }

  test::temp_dir dir_;
};

std::string errors_of(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e + "\n";
  }
  return out;
}

TEST_F(ControlConfig, DefaultIsInTheStateDirectory) {
  auto oms = oms_config();
  ASSERT_TRUE(oms.ok()) << errors_of(oms.errors);
  EXPECT_EQ(oms.config.control_socket, oms.config.state_dir / "control.sock");
  EXPECT_EQ(oms.config.control_socket, dir_ / "state" / "control.sock");
  auto ims = ims_config();
  ASSERT_TRUE(ims.ok()) << errors_of(ims.errors);
  EXPECT_EQ(ims.config.control_socket, dir_ / "state" / "control.sock");
}

TEST_F(ControlConfig, ExplicitPathRelativeToTheFile) {
  auto oms = oms_config("[control]\nsocket = \"run/oms.sock\"\n");
  ASSERT_TRUE(oms.ok()) << errors_of(oms.errors);
  EXPECT_EQ(oms.config.control_socket, dir_ / "run" / "oms.sock");
  auto ims = ims_config("[control]\nsocket = \"/run/im2k/ims.sock\"\n");
  ASSERT_TRUE(ims.ok()) << errors_of(ims.errors);
  EXPECT_EQ(ims.config.control_socket, "/run/im2k/ims.sock");
}

TEST_F(ControlConfig, UnknownKeyAndWrongTypeAreErrors) {
  auto oms = oms_config("[control]\nsockt = \"x.sock\"\n");
  EXPECT_FALSE(oms.ok());
  EXPECT_NE(errors_of(oms.errors).find("sockt"), std::string::npos) << errors_of(oms.errors);
  auto ims = ims_config("[control]\nsocket = 5\n");
  EXPECT_FALSE(ims.ok());
  EXPECT_NE(errors_of(ims.errors).find("control.socket"), std::string::npos)
      << errors_of(ims.errors);
}

}  // namespace
}  // namespace im2k
