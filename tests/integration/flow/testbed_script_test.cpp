// deploy/testbed/testbed.sh itself (issue 7, item 1): state.json, --oms-append/--ims-append,
// up twice, kill/start, and down leaving no process or listening socket behind.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

const std::string script = std::string(IM2K_SOURCE_DIR) + "/deploy/testbed/testbed.sh";

std::vector<int> pids_of(const nlohmann::json& state) {
  std::vector<int> pids{state.at("dns").at("pid").get<int>()};
  for (const auto& d : state.at("domains")) {
    pids.push_back(d.at("oms").at("pid").get<int>());
    pids.push_back(d.at("ims").at("pid").get<int>());
  }
  return pids;
}

bool alive(int pid) {
  // A zombie (killed, not yet reaped by init) no longer runs.
  const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) {
    return false;
  }
  const auto paren = stat.rfind(") ");
  return paren == std::string::npos || stat.substr(paren + 2, 1) != "Z";
}

std::string listeners_on(int net) {
  const auto out = run_command({"ss", "-Hltnu"}).out;
  std::string mine;
  const std::string prefix = "127." + std::to_string(net) + ".";
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) {
      end = out.size();
    }
    const auto line = out.substr(start, end - start);
    if (line.find(" " + prefix) != std::string::npos) {
      mine += line + "\n";
    }
    start = end + 1;
  }
  return mine;
}

TEST(TestbedScript, UpDescribesEverythingRefusesASecondUpAndDownLeavesNothing) {
  const int net = 210;
  std::vector<int> pids;
  std::filesystem::path dir;
  {
    testbed bed({.net = net,
                 .extra_domains = {"gamma.test"},
                 .oms_append = "[quota]\ndefault = \"1GiB\"\n",
                 .ims_append = "[policy]\nmax_recipients = 50\n"});
    dir = bed.dir() / "bed";
    const auto& state = bed.state();
    EXPECT_EQ(state.at("dns").at("server"), "127.210.0.53:5300");
    ASSERT_EQ(state.at("domains").size(), 3u);
    const auto& gamma = bed.domain("gamma.test");
    EXPECT_EQ(gamma.oms.address, "127.210.3.1");
    EXPECT_EQ(gamma.oms.metrics, "127.210.3.1:9100");
    EXPECT_EQ(gamma.oms.control_socket, gamma.oms.state_dir / "control.sock");
    const auto& beta = bed.domain("beta.test");
    EXPECT_EQ(beta.ims.address, "127.210.2.2");
    EXPECT_EQ(beta.ims.metrics, "127.210.2.2:9100");
    EXPECT_EQ(beta.ims.control_socket, beta.ims.state_dir / "control.sock");
    // The daemons made their control sockets where state.json says.
    EXPECT_EQ(std::filesystem::status(gamma.oms.control_socket).type(),
              std::filesystem::file_type::socket);
    EXPECT_EQ(std::filesystem::status(beta.ims.control_socket).type(),
              std::filesystem::file_type::socket);
    // The appended text ends every config of its kind, verbatim (and the daemons run on it).
    for (const auto& d : {"alpha.test", "beta.test", "gamma.test"}) {
      const auto oms = read_file(bed.domain(d).oms.config);
      const auto ims = read_file(bed.domain(d).ims.config);
      EXPECT_TRUE(oms.ends_with("\n[quota]\ndefault = \"1GiB\"\n")) << oms;
      EXPECT_TRUE(ims.ends_with("\n[policy]\nmax_recipients = 50\n")) << ims;
      EXPECT_EQ(ims.find("[quota]"), std::string::npos);
    }
    EXPECT_TRUE(std::filesystem::exists(bed.crl()));
    EXPECT_TRUE(std::filesystem::exists(bed.domain("alpha.test").oms.cert));
    const auto& bob = bed.user("bob@beta.test");
    EXPECT_EQ(
        std::filesystem::status(bob.password_file).permissions() & std::filesystem::perms::all,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_NE(read_file(bob.client_config).find("address = \"127.210.2.2:4651\""),
              std::string::npos);
    EXPECT_NO_THROW(bed.user("dave@gamma.test"));
    // Every server serves its metrics where state.json says.
    const auto metrics =
        run_command({"curl", "-sS", "--max-time", "10", "http://" + beta.ims.metrics + "/metrics"});
    EXPECT_EQ(metrics.exit_status, 0) << metrics.err;
    EXPECT_NE(metrics.out.find("# TYPE "), std::string::npos) << metrics.out;
    pids = pids_of(state);
    for (int pid : pids) {
      EXPECT_TRUE(alive(pid)) << pid;
    }

    // A second up on the same directory fails and starts nothing.
    const auto again = run_command({script, "up", dir.string(), "--net", std::to_string(net)});
    EXPECT_NE(again.exit_status, 0);
    EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;
    const auto status = run_command({script, "status", dir.string()});
    EXPECT_EQ(status.exit_status, 0) << status.out;

    // kill and start: a new process, recorded in state.json.
    const int old_pid = bed.state()["domains"][1]["ims"]["pid"].get<int>();
    bed.kill("mx.beta.test");
    EXPECT_FALSE(alive(old_pid));
    EXPECT_TRUE(bed.state()["domains"][1]["ims"]["pid"].is_null());
    EXPECT_FALSE(bed.running("mx.beta.test"));
    bed.start("mx.beta.test");
    EXPECT_TRUE(bed.running("mx.beta.test"));
    pids.push_back(bed.state()["domains"][1]["ims"]["pid"].get<int>());
  }
  // The destructor ran `down`.
  for (int pid : pids) {
    EXPECT_FALSE(alive(pid)) << pid;
  }
  EXPECT_EQ(listeners_on(net), "");
}

TEST(TestbedScript, RefusesBadArguments) {
  EXPECT_EQ(run_command({script, "up"}).exit_status, 2);
  EXPECT_EQ(run_command({script, "frobnicate", "/nonexistent"}).exit_status, 1);
  EXPECT_NE(run_command({script, "status", "/nonexistent/testbed"}).exit_status, 0);
  EXPECT_EQ(run_command({script, "--help"}).exit_status, 0);
  temp_dir dir;
  const auto missing = run_command(
      {script, "up", (dir / "bed").string(), "--net", "211", "--oms-append", "/nonexistent.toml"});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("/nonexistent.toml"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace im2k::test
