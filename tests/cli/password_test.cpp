// The password input of `user add|passwd` on both daemons (common/cli/password_prompt): from
// --password-file (a file, or - for stdin), or asked on a terminal; with neither a file nor a
// terminal the command fails, saying how to give one, and changes nothing. The OMS's --quota
// and its `user list` column ([S-8]).
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using im2k::test::command_result;
using im2k::test::run_command;

const fs::path bin_dir = IM2K_BIN_DIR;

std::string describe(const command_result& r) {
  return "exit " + std::to_string(r.exit_status) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A configuration of each daemon for domain alpha.test; the user commands read only its
// domains and state_dir, but the whole file must be valid.
class user_password : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
      write_file(dir_ / name, "x");
    }
    const std::string d = dir_.path().string();
    const std::string tls = "[tls]\ncert = \"" + d + "/cert.pem\"\nkey = \"" + d +
                            "/key.pem\"\nca_file = \"" + d + "/ca.pem\"\ncrl_files = [\"" + d +
                            "/crl.pem\"]\ncrl = \"require\"\n";
    std::string text = "domains = [\"alpha.test\"]\nstate_dir = \"" + d + "/state\"\n";
    if (daemon() == "oms") {
      text = "host = \"oms.alpha.test\"\n" + text +
             "[submit]\nlisten = \"127.0.0.1:0\"\n[pull]\nlisten = \"127.0.0.1:0\"\n" + tls;
    } else {
      text = "host = \"mx.alpha.test\"\n" + text +
             "[notify]\nlisten = \"127.0.0.1:0\"\n[mailbox]\nlisten = \"127.0.0.1:0\"\n" + tls;
    }
    config_ = dir_ / "daemon.toml";
    write_file(config_, text);
  }

  const std::string& daemon() const { return GetParam(); }
  std::string binary() const { return (bin_dir / ("im2k-" + daemon())).string(); }

  command_result user(std::vector<std::string> args) {
    args.insert(args.begin(), {binary(), "user"});
    args.insert(args.begin() + 3, {"--config", config_.string()});
    return run_command(args);
  }

  std::string list() {
    auto r = user({"list"});
    EXPECT_EQ(r.exit_status, 0) << describe(r);
    return r.out;
  }

  im2k::test::temp_dir dir_;
  fs::path config_;
};

TEST_P(user_password, without_file_or_terminal_fails_and_adds_nobody) {
  // run_command's stdin is /dev/null: not a terminal.
  auto add = user({"add", "alice@alpha.test"});
  EXPECT_EQ(add.exit_status, 1) << describe(add);
  EXPECT_TRUE(contains(add.err, "im2k-" + daemon() + ": no password: give --password-file"))
      << describe(add);
  EXPECT_FALSE(contains(list(), "alice@alpha.test"));

  const fs::path password = dir_ / "pw";
  write_file(password, "first\n");
  ASSERT_EQ(user({"add", "alice@alpha.test", "--password-file", password.string()}).exit_status, 0);
  auto passwd = user({"passwd", "alice@alpha.test"});
  EXPECT_EQ(passwd.exit_status, 1) << describe(passwd);
  EXPECT_TRUE(contains(passwd.err, "no password")) << describe(passwd);
}

TEST_P(user_password, from_a_file_or_stdin) {
  const fs::path password = dir_ / "pw";
  write_file(password, "correct horse\r\n");
  auto add = user({"add", "alice@alpha.test", "--password-file", password.string()});
  ASSERT_EQ(add.exit_status, 0) << describe(add);
  EXPECT_EQ(list(), "alice@alpha.test\n");

  // "-": the first line of stdin.
  auto piped = run_command({"bash", "-c",
                            "printf 'from stdin\\n' | \"$0\" user passwd --config \"$1\" "
                            "alice@alpha.test --password-file -",
                            binary(), config_.string()});
  EXPECT_EQ(piped.exit_status, 0) << describe(piped);

  const fs::path empty = dir_ / "empty";
  write_file(empty, "\n");
  auto refused = user({"add", "bob@alpha.test", "--password-file", empty.string()});
  EXPECT_EQ(refused.exit_status, 1) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "the password is empty")) << describe(refused);
  auto missing = user({"add", "bob@alpha.test", "--password-file", (dir_ / "nope").string()});
  EXPECT_EQ(missing.exit_status, 1) << describe(missing);
  EXPECT_TRUE(contains(missing.err, "cannot read the password file")) << describe(missing);
  EXPECT_EQ(list(), "alice@alpha.test\n");
}

INSTANTIATE_TEST_SUITE_P(daemons, user_password, ::testing::Values("oms", "ims"));

// [S-8]: the OMS's per-user quota, set with add or passwd, shown by list.
TEST(oms_user_quota, set_changed_and_listed) {
  im2k::test::temp_dir dir;
  for (const char* name : {"cert.pem", "key.pem", "ca.pem", "crl.pem"}) {
    write_file(dir / name, "x");
  }
  const std::string d = dir.path().string();
  const fs::path config = dir / "oms.toml";
  write_file(config, "host = \"oms.alpha.test\"\ndomains = [\"alpha.test\"]\nstate_dir = \"" + d +
                         "/state\"\n[submit]\nlisten = \"127.0.0.1:0\"\n[pull]\nlisten = "
                         "\"127.0.0.1:0\"\n[quota]\ndefault = \"1GiB\"\n[tls]\ncert = \"" +
                         d + "/cert.pem\"\nkey = \"" + d + "/key.pem\"\nca_file = \"" + d +
                         "/ca.pem\"\ncrl_files = [\"" + d + "/crl.pem\"]\ncrl = \"require\"\n");
  const fs::path password = dir / "pw";
  write_file(password, "pw\n");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {(bin_dir / "im2k-oms").string(), "user"});
    args.insert(args.begin() + 3, {"--config", config.string()});
    return run_command(args);
  };
  const std::string pw = password.string();
  ASSERT_EQ(run({"add", "alice@alpha.test", "--password-file", pw, "--quota", "64KiB"}).exit_status,
            0);
  ASSERT_EQ(run({"add", "bob@alpha.test", "--password-file", pw}).exit_status, 0);
  ASSERT_EQ(run({"add", "carol@alpha.test", "--password-file", pw, "--quota", "none"}).exit_status,
            0);
  EXPECT_EQ(run({"list"}).out,
            "alice@alpha.test  quota 64KiB\nbob@alpha.test\ncarol@alpha.test  quota none\n");

  ASSERT_EQ(
      run({"passwd", "alice@alpha.test", "--password-file", pw, "--quota", "default"}).exit_status,
      0);
  ASSERT_EQ(run({"passwd", "bob@alpha.test", "--password-file", pw, "--quota", "1000"}).exit_status,
            0);
  EXPECT_EQ(run({"list"}).out,
            "alice@alpha.test\nbob@alpha.test  quota 1000B\ncarol@alpha.test"
            "  quota none\n");

  auto bad = run({"add", "dave@alpha.test", "--password-file", pw, "--quota", "lots"});
  EXPECT_EQ(bad.exit_status, 1) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "--quota")) << describe(bad);
}

}  // namespace
