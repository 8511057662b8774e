// The test-support helpers that other tests rely on to clean up after themselves.
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::test {
namespace {

using namespace std::chrono_literals;

TEST(run_command, captures_output_and_exit_status) {
  const auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(run_command, passes_environment) {
  const auto r =
      run_command({"sh", "-c", "printf %s \"$IM2K_TEST_VALUE\""}, {"IM2K_TEST_VALUE=forty two"});
  EXPECT_EQ(r.out, "forty two");
}

TEST(run_command, kills_a_program_that_outlives_its_timeout) {
  const auto r = run_command({"sleep", "30"}, {}, 100ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_status, -1);
}

TEST(run_command, a_missing_program_cannot_start) {
  EXPECT_THROW(run_command({"/nonexistent/im2k-no-such-program"}), std::runtime_error);
}

TEST(child_process, is_killed_and_reaped_on_destruction) {
  pid_t pid = 0;
  {
    child_process sleeper(process_options{{"sleep", "30"}, {}, {}, {}});
    pid = sleeper.pid();
    EXPECT_TRUE(sleeper.running());
    EXPECT_FALSE(sleeper.wait_for_exit(10ms));
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // reaped: the pid no longer exists for us
  EXPECT_EQ(errno, ESRCH);
}

TEST(child_process, stop_escalates_to_sigkill_and_ends_the_whole_group) {
  temp_dir dir;
  // The shell ignores SIGTERM, so only SIGKILL ends it; its background sleep must go too.
  child_process stubborn(process_options{
      {"sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + (dir / "pid").string() + "; wait"},
      {},
      {},
      {}});
  std::string grandchild;
  for (int i = 0; i < 500 && grandchild.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
    grandchild = read_file(dir / "pid");
  }
  ASSERT_FALSE(grandchild.empty());
  EXPECT_EQ(stubborn.stop(200ms), 128 + SIGKILL);
  EXPECT_FALSE(stubborn.running());
  // The orphaned sleep was killed; init reaps it, so wait (bounded) until it is gone.
  const pid_t sleep_pid = std::stoi(grandchild);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = ::kill(sleep_pid, 0) == -1 && errno == ESRCH;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
}

TEST(temp_dir, is_removed_with_its_contents) {
  std::filesystem::path path;
  {
    temp_dir dir;
    path = dir.path();
    std::ofstream(dir / "file") << "x";
    std::filesystem::create_directory(dir / "sub");
    EXPECT_TRUE(std::filesystem::exists(dir / "file"));
  }
  if (std::getenv("IM2K_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

TEST(free_port, is_a_loopback_port) {
  const auto a = free_port();
  EXPECT_GT(a, 0);
}

}  // namespace
}  // namespace im2k::test
