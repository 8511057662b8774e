// Privilege drop after binding (issue 6, item 8; common/os/privileges): started as root with
// `user = "nobody"`, im2k-oms and im2k-ims bind as root, then run as nobody for good and still
// deliver a message; the start-up errors (a state_dir owned by someone else, an unknown user, a
// daemon that is not root asked to be another user) say what is wrong. Needs root, since only
// root can switch users: every test is skipped otherwise.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct account {
  uid_t uid;
  gid_t gid;
};

account nobody() {
  const passwd* p = ::getpwnam("nobody");
  if (p == nullptr) {
    throw std::runtime_error("no user nobody on this host");
  }
  return {p->pw_uid, p->pw_gid};
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// The config with `user = ...` (and optionally `group`) first, where top-level keys go.
void set_user(const fs::path& config, const std::string& user, const std::string& group = "") {
  std::string head = "user = \"" + user + "\"\n";
  if (!group.empty()) {
    head += "group = \"" + group + "\"\n";
  }
  write_text(config, head + read_file(config));
}

// Lets other users through every directory from the testbed's temporary root down to `dir`
// (mkdtemp makes them 0700): the dropped daemon opens its files by path.
void open_directories(const testbed& bed, const fs::path& dir) {
  for (fs::path p = dir;; p = p.parent_path()) {
    fs::permissions(p, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
    if (p == bed.dir() || p == p.parent_path()) {
      break;
    }
  }
}

void chown_tree(const fs::path& dir, const std::string& owner) {
  const auto r = run_command({"chown", "-R", owner, dir.string()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
}

// The "Uid:" or "Gid:" line of /proc/PID/status (fields tab-separated), without trailing blanks.
std::string status_line(int pid, const std::string& key) {
  std::istringstream lines(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      line.erase(line.find_last_not_of(" \t") + 1);  // "Groups:\t " when there is none
      return line;
    }
  }
  return "";
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds bound = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

class privilege_drop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root: only root can switch users (running as uid " << ::geteuid()
                   << ")";
    }
  }
};

// Restarts the testbed server `host` with `user = "nobody"` on a state_dir that nobody owns and
// returns its pid once it has logged server.ready again (listening comes just before the drop).
int restart_as_nobody(testbed& bed, const server_info& server, int domain_index,
                      const std::string& kind) {
  bed.stop(server.host);
  set_user(server.config, "nobody");
  open_directories(bed, server.state_dir);
  chown_tree(server.state_dir, "nobody:");
  // The IMS reads its key after switching the file ids (as it would on SIGHUP after the drop).
  fs::permissions(server.key, fs::perms::others_read, fs::perm_options::add);
  bed.start(server.host);
  EXPECT_TRUE(eventually([&] {
    return count_events(bed.events(server.host), "server.ready") == 2;
  })) << read_file(server.log);
  return bed.state()["domains"][domain_index][kind]["pid"].get<int>();
}

void expect_runs_as(int pid, const account& who) {
  const std::string uid = std::to_string(who.uid);
  const std::string gid = std::to_string(who.gid);
  EXPECT_EQ(status_line(pid, "Uid"), "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status_line(pid, "Gid"), "Gid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(status_line(pid, "Groups"), "Groups:");
}

void expect_owned_by(const fs::path& dir, const account& who) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, who.uid) << entry.path();
  }
}

TEST_F(privilege_drop, BothDaemonsRunAsNobodyAfterBindingAndStillDeliver) {
  const auto who = nobody();
  testbed bed({.net = 213});
  const auto oms = bed.domain("alpha.test").oms;
  const auto ims = bed.domain("beta.test").ims;
  const int oms_pid = restart_as_nobody(bed, oms, 0, "oms");
  const int ims_pid = restart_as_nobody(bed, ims, 1, "ims");
  for (const auto& server : {oms, ims}) {
    EXPECT_EQ(
        count_events(bed.events(server.host), "server.privileges_dropped", {{"user", "nobody"}}),
        1u)
        << server.host;
  }
  expect_runs_as(oms_pid, who);
  expect_runs_as(ims_pid, who);

  // alice submits (the OMS stores the body as nobody), the IMS pulls and stores it for bob
  // (as nobody too), and bob reads it over the mailbox listener.
  user_session alice(bed, "alice@alpha.test");
  const auto submitted =
      alice.submit({"bob@beta.test"}, make_message("alice@alpha.test", {"bob@beta.test"}, "drop"));
  ASSERT_TRUE(submitted.ok) << submitted.code << " " << submitted.message;
  const std::string msg = submitted.object.value("msg", "");
  EXPECT_TRUE(eventually([&] {
    const auto states = user_session::states(alice.status(msg));
    return states.size() == 1 && states[0].second == "pulled";
  })) << read_file(oms.log)
      << read_file(ims.log);
  EXPECT_EQ(stored_copies(ims.state_dir).size(), 1u);
  expect_owned_by(oms.state_dir, who);
  expect_owned_by(ims.state_dir, who);
  const auto list = run_command({std::string(IM2K_BIN_DIR) + "/im2k", "list", "--config",
                                 bed.user("bob@beta.test").client_config.string()});
  EXPECT_EQ(list.exit_status, 0) << list.err;
  EXPECT_NE(list.out.find("alice@alpha.test"), std::string::npos) << list.out;
}

TEST_F(privilege_drop, StartUpErrorsSayWhatIsWrong) {
  testbed bed({.net = 214});
  const auto oms = bed.domain("alpha.test").oms;
  const auto ims = bed.domain("alpha.test").ims;
  bed.stop(oms.host);
  bed.stop(ims.host);
  const std::string original = read_file(oms.config);
  const std::string oms_bin = std::string(IM2K_BIN_DIR) + "/im2k-oms";
  const std::string ims_bin = std::string(IM2K_BIN_DIR) + "/im2k-ims";

  // The state_dir still belongs to root.
  set_user(oms.config, "nobody");
  auto r = run_command({oms_bin, "--config", oms.config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("state_dir " + oms.state_dir.string() +
                       " is owned by uid 0, not by user \"nobody\""),
            std::string::npos)
      << r.err;

  write_text(oms.config, original);
  set_user(oms.config, "im2k-no-such-user");
  r = run_command({oms_bin, "--config", oms.config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("user \"im2k-no-such-user\" (config key \"user\") does not exist"),
            std::string::npos)
      << r.err;

  write_text(oms.config, original);
  set_user(oms.config, "nobody", "im2k-no-such-group");
  r = run_command({oms_bin, "--config", oms.config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("group \"im2k-no-such-group\" (config key \"group\") does not exist"),
            std::string::npos)
      << r.err;

  // Not root, and the config names another user: the IMS, run as nobody, logging to stderr.
  const fs::path config = bed.dir() / "ims-as-nobody.toml";
  std::string text = read_file(ims.config);
  text = text.substr(0, text.find("\n[log]")) + "\n";
  write_text(config, "user = \"root\"\n" + text);
  fs::permissions(bed.dir(), fs::perms::others_exec, fs::perm_options::add);
  fs::permissions(config, fs::perms::others_read, fs::perm_options::add);
  const auto who = nobody();
  r = run_command({"setpriv", "--reuid=" + std::to_string(who.uid),
                   "--regid=" + std::to_string(who.gid), "--clear-groups", ims_bin, "--config",
                   config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("the config says user = \"root\", but the daemon runs as uid " +
                       std::to_string(who.uid) + " and only root can switch users"),
            std::string::npos)
      << r.err;

  // Not root, the right user but another group.
  write_text(config, "user = \"nobody\"\ngroup = \"root\"\n" + text);
  r = run_command({"setpriv", "--reuid=" + std::to_string(who.uid),
                   "--regid=" + std::to_string(who.gid), "--clear-groups", ims_bin, "--config",
                   config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("the config says group = \"root\", but the daemon runs as gid " +
                       std::to_string(who.gid) + " and only root can switch groups"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace im2k::test
