#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
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
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  const std::string out =
      options_.stdout_path.empty() ? "/dev/null" : options_.stdout_path.string();
  const std::string err =
      options_.stderr_path.empty() ? "/dev/null" : options_.stderr_path.string();
  auto argv_strings = options_.argv;
  auto env_strings = merged_environment(options_.env);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  const pid_t parent = ::getpid();
  int report[2];  // the child writes errno here if it cannot exec; closed on a successful exec
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw std::runtime_error("child_process: pipe failed");
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(report[0]);
    ::close(report[1]);
    throw std::runtime_error("child_process: fork failed");
  }
  if (pid_ == 0) {
    // Its own process group, so that stop() also ends whatever it starts; and killed if the
    // test process dies first (a crash, or ctest's timeout), so nothing outlives the test.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int error = 0;
    if (::getppid() != parent) {
      ::_exit(127);
    }
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 ||
        ::dup2(err_fd, 2) < 0) {
      error = errno;
    } else {
      // The child must not hold the test's sockets (a test closing a listener means it is gone).
      if (::close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 4096; ++fd) {
          ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
      }
      ::execvpe(argv[0], argv.data(), envp.data());
      error = errno;
    }
    (void)!::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(report[1]);
  int error = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof error)) {
    reap(true);
    pid_ = -1;
    throw std::runtime_error("spawn " + options_.argv[0] + ": " + std::strerror(error));
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
