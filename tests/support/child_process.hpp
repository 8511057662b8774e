// A process started by a test, always killed and reaped when the object goes away, even when the
// test fails. Its stdout and stderr go to files (or /dev/null), its stdin is /dev/null, and it
// inherits no other descriptor. It runs in its own process group (stop() signals the group), and
// the kernel kills it if the thread that started it dies first (PR_SET_PDEATHSIG): start
// children from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace im2k::test {

struct process_options {
  std::vector<std::string> argv;      // argv[0] is looked up in PATH unless it contains a '/'
  std::vector<std::string> env;       // "NAME=value": added to the test's environment, or replacing
  std::filesystem::path stdout_path;  // empty: /dev/null
  std::filesystem::path stderr_path;  // empty: /dev/null
};

class child_process {
 public:
  explicit child_process(process_options options);  // throws std::runtime_error if spawn fails
  ~child_process();                                 // stop()

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();

  // The exit status if the process ends within `timeout`: its exit code, or 128 + the signal
  // that ended it. std::nullopt if it is still running.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

  // SIGTERM, up to `grace` to exit, then SIGKILL; always reaps. The child runs in its own
  // process group, and the whole group is signalled. Returns the exit status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  bool reap(bool block);

  process_options options_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Reads a whole file ("" if it cannot be read).
std::string read_file(const std::filesystem::path& path);

}  // namespace im2k::test
