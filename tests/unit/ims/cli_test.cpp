// The im2k-ims command line: --check-config, the user commands, and a start that logs
// server.ready and drains on SIGTERM with exit status 0.
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::ims {
namespace {

using test::run_command;

const std::string binary = IM2K_BIN_DIR "/im2k-ims";

class cli_test : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.run("issue " + pki_.ca_dir() + " mx --dns mx.beta.test");
    pki_.run("crl " + pki_.ca_dir());
    const auto tls = pki_.settings("mx");
    std::ofstream(config_) << "host = \"mx.beta.test\"\n"
                              "domains = [\"beta.test\"]\n"
                              "state_dir = \"state\"\n"
                              "[notify]\nlisten = \"127.0.0.1:0\"\n"
                              "[mailbox]\nlisten = \"127.0.0.1:0\"\n"
                              "[tls]\ncert = \""
                           << tls.cert_file << "\"\nkey = \"" << tls.key_file << "\"\nca_file = \""
                           << tls.ca_file << "\"\ncrl_files = [\"" << tls.crl_files.at(0) << "\"]\n"
                           << "[dns]\nservers = [\"127.0.0.1:9\"]\n";
    std::ofstream(password_) << "secret\n";
  }

  test::command_result user(std::vector<std::string> words) {
    std::vector<std::string> argv{binary, "user"};
    argv.insert(argv.end(), words.begin(), words.end());
    return run_command(argv);
  }

  tls::testing::test_pki pki_;
  test::temp_dir dir_;
  std::string config_ = (dir_ / "ims.toml").string();
  std::string password_ = (dir_ / "password").string();
};

TEST_F(cli_test, check_config_accepts_a_valid_file) {
  auto r = run_command({binary, "--check-config", config_});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(cli_test, check_config_prints_every_error_one_per_line) {
  std::ofstream(dir_ / "bad.toml") << "host = \"x\"\nbogus = 1\n";
  auto r = run_command({binary, "--check-config", (dir_ / "bad.toml").string()});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("bad.toml: unknown key \"bogus\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("key \"state_dir\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("key \"host\": expected a host name"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(cli_test, user_commands_add_list_passwd_remove) {
  EXPECT_EQ(
      user({"add", "--config", config_, "Bob@Beta.test", "--password-file", password_}).exit_status,
      0);
  EXPECT_EQ(
      user({"add", "--config", config_, "bob@beta.test", "--password-file", password_}).exit_status,
      1);  // exists
  EXPECT_EQ(user({"add", "--config", config_, "eve@gamma.test", "--password-file", password_})
                .exit_status,
            1);  // not a domain served here
  EXPECT_EQ(user({"add", "--config", config_, "not-an-address", "--password-file", password_})
                .exit_status,
            1);
  auto list = user({"list", "--config", config_});
  EXPECT_EQ(list.exit_status, 0);
  EXPECT_EQ(list.out, "bob@beta.test\n");
  EXPECT_EQ(user({"passwd", "--config", config_, "bob@beta.test", "--password-file", password_})
                .exit_status,
            0);
  EXPECT_EQ(user({"remove", "--config", config_, "bob@beta.test"}).exit_status, 0);
  EXPECT_EQ(user({"remove", "--config", config_, "bob@beta.test"}).exit_status, 1);
  EXPECT_EQ(user({"list", "--config", config_}).out, "");
}

TEST_F(cli_test, an_empty_password_is_refused) {
  std::ofstream(password_, std::ios::trunc) << "\n";
  EXPECT_EQ(
      user({"add", "--config", config_, "bob@beta.test", "--password-file", password_}).exit_status,
      1);
}

TEST_F(cli_test, runs_logs_server_ready_and_drains_on_sigterm) {
  test::child_process daemon({{binary, "--config", config_}, {}, dir_ / "out", dir_ / "err"});
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {  // bounded: 20 s
    ready = daemon.stderr_text().find("\"event\":\"server.ready\"") != std::string::npos;
    if (!ready) {
      ASSERT_TRUE(daemon.running()) << daemon.stderr_text();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_TRUE(ready) << daemon.stderr_text();
  EXPECT_EQ(daemon.stop(std::chrono::seconds(15)), 0);
  EXPECT_TRUE(daemon.stdout_text().empty());  // nothing but logs, and those go to stderr
  EXPECT_NE(daemon.stderr_text().find("\"event\":\"server.stopped\""), std::string::npos);
}

}  // namespace
}  // namespace im2k::ims
