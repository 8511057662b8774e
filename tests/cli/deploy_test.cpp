// The deployment material of deploy/: the example configurations pass `--check-config` once their
// paths point at files that exist (certificates from deploy/pki/pki.sh, named as the examples
// name them), a broken copy is refused with the file, the key and the expectation, the user
// commands of deploy/README.md work on them, and the systemd units verify and keep their sandbox.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using im2k::test::command_result;
using im2k::test::run_command;

const fs::path source_dir = IM2K_SOURCE_DIR;
const fs::path bin_dir = IM2K_BIN_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string describe(const command_result& r) {
  return "exit " + std::to_string(r.exit_status) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Stands in for an installed host: DIR/etc is /etc/im2k, DIR/var/lib is /var/lib and
// DIR/var/log is /var/log/im2k, with the certificates of the examples issued by pki.sh.
class deploy_example : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const fs::path tls = dir_ / "etc" / "tls";
    fs::create_directories(tls);
    fs::create_directories(dir_ / "var" / "lib");
    fs::create_directories(dir_ / "var" / "log");
    pki({"init", tls.string()});
    pki({"issue", tls.string(), "oms.example.org", "--dns", "oms.example.org"});
    pki({"issue", tls.string(), "mx.example.org", "--dns", "mx.example.org"});
    pki({"crl", tls.string()});
    // The anchors of user certificates (the commented `user_ca_file`): here the same CA.
    fs::copy_file(tls / "ca.pem", tls / "user-ca.pem");
  }

  void pki(std::vector<std::string> args) {
    args.insert(args.begin(), (source_dir / "deploy" / "pki" / "pki.sh").string());
    auto r = run_command(args);
    ASSERT_EQ(r.exit_status, 0) << describe(r);
  }

  const std::string& daemon() const { return GetParam(); }
  fs::path binary() const { return bin_dir / ("im2k-" + daemon()); }
  fs::path example() const { return source_dir / "deploy" / "examples" / (daemon() + ".toml"); }

  // The example with its paths moved into dir_ by sed, plus `extra` sed expressions; written
  // to dir_/etc/NAME and returned.
  fs::path install(const std::string& name, const std::vector<std::string>& extra = {}) {
    const std::string d = dir_.path().string();
    std::vector<std::string> args{"sed",
                                  "-e",
                                  "s|/etc/im2k/|" + d + "/etc/|g",
                                  "-e",
                                  "s|/var/lib/|" + d + "/var/lib/|g",
                                  "-e",
                                  "s|/var/log/im2k/|" + d + "/var/log/|g"};
    for (const auto& e : extra) {
      args.push_back("-e");
      args.push_back(e);
    }
    args.push_back(example().string());
    auto r = run_command(args);
    EXPECT_EQ(r.exit_status, 0) << describe(r);
    const fs::path path = dir_ / "etc" / name;
    write_file(path, r.out);
    return path;
  }

  command_result check(const fs::path& config) {
    return run_command({binary().string(), "--check-config", config.string()});
  }

  im2k::test::temp_dir dir_;
};

// "#key = value" lines are the optional keys the examples show switched off.
const std::string enable_optional_keys = "s/^#\\([a-z_]* = \\)/\\1/";
// And the optional tables ("#[policy]"), so that their keys do not land in the table above.
const std::string enable_optional_tables = "s/^#\\(\\[[a-z_.]*\\]\\)/\\1/";

TEST_P(deploy_example, passes_check_config_as_shipped) {
  const auto config = install(daemon() + ".toml");
  const std::string text = read_file(config);
  // Every path now points into the test's directory, never at the real host.
  EXPECT_FALSE(contains(text, "/etc/im2k")) << text;
  EXPECT_FALSE(contains(text, "\"/var/")) << text;

  auto r = check(config);
  EXPECT_EQ(r.exit_status, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
}

TEST_P(deploy_example, passes_check_config_with_every_optional_key) {
  const auto config = install(daemon() + ".toml", {enable_optional_keys, enable_optional_tables});
  const std::string text = read_file(config);
  EXPECT_TRUE(contains(text, "\nservers = [")) << text;
  EXPECT_TRUE(contains(text, "\nfile = \"" + dir_.path().string() + "/var/log/")) << text;
  EXPECT_TRUE(contains(text, "\n[metrics]\nlisten = \"127.0.0.1:")) << text;
  EXPECT_TRUE(contains(text, "\n[control]\nsocket = \"")) << text;

  auto r = check(config);
  EXPECT_EQ(r.exit_status, 0) << describe(r);
  EXPECT_EQ(r.err, "");
}

TEST_P(deploy_example, names_only_well_known_ports_and_example_org) {
  const std::string text = read_file(example());
  if (daemon() == "oms") {
    EXPECT_TRUE(contains(text, "\nhost = \"oms.example.org\"")) << text;
    EXPECT_TRUE(contains(text, ":4653\"")) << text;
    EXPECT_TRUE(contains(text, ":4652\"")) << text;
    EXPECT_TRUE(contains(text, "\nport = 4650")) << text;
    EXPECT_TRUE(contains(text, "\nstate_dir = \"/var/lib/im2k-oms\"")) << text;
  } else {
    EXPECT_TRUE(contains(text, "\nhost = \"mx.example.org\"")) << text;
    EXPECT_TRUE(contains(text, ":4650\"")) << text;
    EXPECT_TRUE(contains(text, ":4651\"")) << text;
    EXPECT_TRUE(contains(text, "\nport = 4652")) << text;
    EXPECT_TRUE(contains(text, "\nstate_dir = \"/var/lib/im2k-ims\"")) << text;
  }
  EXPECT_TRUE(contains(text, "\ncrl = \"require\"")) << text;
}

struct broken_case {
  std::string daemon;
  std::string sed;       // turns the valid example into a broken one
  std::string key;       // the error must name this key ...
  std::string expected;  // ... and say what it expected
};

const std::vector<broken_case> broken_cases = {
    {"oms", "s/^retention = /retenton = /", "unknown key \"retenton\"", "did you mean retention"},
    {"oms", "s/^retry_max = \"1h\"/retry_max = \"1 hour\"/", "key \"notify.retry_max\"",
     "expected a duration"},
    {"oms", "s/^crl = \"require\"/crl = \"maybe\"/", "key \"tls.crl\"",
     "expected one of \"require\" or \"off\""},
    {"ims", "s/^connect_timeout = \"10s\"/connect_timeout = 10/", "key \"pull.connect_timeout\"",
     "expected a duration"},
    {"ims", "s/^max_message_size = \"10MiB\"/max_message_size = \"10 megabytes\"/",
     "key \"max_message_size\"", "expected a size"},
    {"ims", "s|mx.example.org.pem|missing.pem|", "key \"tls.cert\"",
     "expected the path of an existing file"},
};

TEST_P(deploy_example, broken_copy_names_file_key_and_expectation) {
  const std::string valid = read_file(install(daemon() + ".toml"));
  int n = 0;
  for (const auto& c : broken_cases) {
    if (c.daemon != daemon()) {
      continue;
    }
    SCOPED_TRACE(c.sed);
    const auto config = install("broken-" + std::to_string(++n) + ".toml", {c.sed});
    // The edit must have changed something, or this case would test the valid file.
    ASSERT_NE(read_file(config), valid);

    auto r = check(config);
    EXPECT_EQ(r.exit_status, 1) << describe(r);
    EXPECT_EQ(r.err.rfind(config.string() + ": ", 0), 0u) << describe(r);
    EXPECT_TRUE(contains(r.err, c.key)) << describe(r);
    EXPECT_TRUE(contains(r.err, c.expected)) << describe(r);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_GE(n, 3);
}

// deploy/README.md: users are added with a password file (or stdin), and listed.
TEST_P(deploy_example, user_add_and_list_work_on_the_example) {
  const auto config = install(daemon() + ".toml");
  const fs::path password = dir_ / "alice.password";
  write_file(password, "correct horse battery staple\n");

  auto add = run_command({binary().string(), "user", "add", "--config", config.string(),
                          "alice@example.org", "--password-file", password.string()});
  ASSERT_EQ(add.exit_status, 0) << describe(add);
  auto list = run_command({binary().string(), "user", "list", "--config", config.string()});
  ASSERT_EQ(list.exit_status, 0) << describe(list);
  EXPECT_EQ(list.out, "alice@example.org\n");
  EXPECT_TRUE(fs::is_directory(dir_ / "var" / "lib" / ("im2k-" + daemon())));

  // Only the configured domain has users here.
  auto foreign = run_command({binary().string(), "user", "add", "--config", config.string(),
                              "mallory@example.net", "--password-file", password.string()});
  EXPECT_NE(foreign.exit_status, 0) << describe(foreign);
}

// The unit of deploy/systemd: it verifies (with the built binary in ExecStart, since
// /usr/local/bin is empty on a test machine) and keeps the sandbox the README promises.
TEST_P(deploy_example, systemd_unit_verifies_and_is_sandboxed) {
  const fs::path unit = source_dir / "deploy" / "systemd" / ("im2k-" + daemon() + ".service");
  const std::string text = read_file(unit);
  const std::string exec =
      "ExecStart=/usr/local/bin/im2k-" + daemon() + " --config /etc/im2k/" + daemon() + ".toml\n";
  ASSERT_TRUE(contains(text, exec)) << text;
  for (const std::string& line : std::vector<std::string>{
           "Type=simple\n",
           "User=im2k\n",
           "ExecReload=/bin/kill -HUP $MAINPID\n",
           "NoNewPrivileges=yes\n",
           "ProtectSystem=strict\n",
           "ProtectHome=yes\n",
           "PrivateTmp=yes\n",
           "PrivateDevices=yes\n",
           "ProtectKernelTunables=yes\n",
           "ProtectKernelModules=yes\n",
           "ProtectControlGroups=yes\n",
           "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
           "LockPersonality=yes\n",
           "MemoryDenyWriteExecute=yes\n",
           "SystemCallFilter=@system-service\n",
           "\nCapabilityBoundingSet=\n",
           "StateDirectory=im2k-" + daemon() + "\n",
           "ReadOnlyPaths=/etc/im2k\n",
           "Restart=on-failure\n",
       }) {
    EXPECT_TRUE(contains(text, line)) << "missing: " << line;
  }
  // No other writable path: ReadWritePaths would punch a hole in ProtectSystem=strict.
  EXPECT_FALSE(contains(text, "\nReadWritePaths=")) << text;

  const auto analyze = run_command({"sh", "-c", "command -v systemd-analyze"});
  if (analyze.exit_status != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed";
  }
  std::string copy = text;
  copy.replace(copy.find(exec), exec.size(),
               "ExecStart=" + binary().string() + " --config /etc/im2k/" + daemon() + ".toml\n");
  const fs::path verify_dir = dir_ / "units";
  fs::create_directories(verify_dir);
  const fs::path unit_copy = verify_dir / unit.filename();
  write_file(unit_copy, copy);
  auto r = run_command({"systemd-analyze", "verify", "--man=no", unit_copy.string()});
  EXPECT_EQ(r.exit_status, 0) << describe(r);
  EXPECT_EQ(r.out + r.err, "") << describe(r);
}

INSTANTIATE_TEST_SUITE_P(daemons, deploy_example, ::testing::Values("oms", "ims"),
                         [](const auto& info) { return info.param; });

}  // namespace
