#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace im2k::test {

namespace {

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) {
      replaced = replaced || x.substr(0, x.find('=')) == name;
    }
    if (!replaced) {
      env.push_back(entry);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

child_process::child_process(process_options options) : options_(std::move(options)) {
  if (options_.argv.empty()) {
    throw std::runtime_error("child_process: empty argv");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out =
      options_.stdout_path.empty() ? "/dev/null" : options_.stdout_path.string();
  const std::string err =
      options_.stderr_path.empty() ? "/dev/null" : options_.stderr_path.string();
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The child must not hold the test's sockets (a test closing a listener means it is gone).
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  auto argv_strings = options_.argv;
  auto env_strings = merged_environment(options_.env);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  // Its own process group, so that stop() also ends whatever it started.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int rc = ::posix_spawnp(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("spawn " + options_.argv[0] + ": " + std::strerror(rc));
  }
}

child_process::~child_process() {
  stop();
}

bool child_process::reap(bool block) {
  if (status_ || pid_ < 0) {
    return true;
  }
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = decode_status(status);
    return true;
  }
  if (r < 0) {
    status_ = -1;  // not our child any more; nothing left to reap
    return true;
  }
  return false;
}

bool child_process::running() {
  return !reap(false);
}

std::optional<int> child_process::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) {
    return -1;
  }
  if (!reap(false)) {
    ::kill(-pid_, SIGTERM);
    if (!wait_for_exit(grace)) {
      ::kill(-pid_, SIGKILL);
      reap(true);
    }
  }
  ::kill(-pid_, SIGKILL);  // anything the process started and left behind in its group
  return *status_;
}

std::string child_process::stdout_text() const {
  return read_file(options_.stdout_path);
}
std::string child_process::stderr_text() const {
  return read_file(options_.stderr_path);
}

}  // namespace im2k::test
