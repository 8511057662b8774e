#include "tests/bench/add_users.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace im2k::bench {

namespace {

using steady = std::chrono::steady_clock;

struct running_command {
  std::size_t user = 0;
  std::filesystem::path output;
  steady::time_point started;
};

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `argv` with stdout and stderr to `output`; the pid, or -1 with errno's text in `error`.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output,
            std::string& error) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = std::strerror(rc);
    return -1;
  }
  return pid;
}

}  // namespace

mc::outcome<add_users_result> add_users(const std::filesystem::path& ims_binary,
                                        const std::vector<user_to_add>& users,
                                        const std::filesystem::path& password_file,
                                        const std::filesystem::path& work_dir, std::size_t jobs,
                                        std::chrono::seconds per_command) {
  add_users_result result;
  const auto start = steady::now();
  std::map<pid_t, running_command> running;
  std::size_t next = 0;
  std::optional<mc::failure> failed;
  while ((next < users.size() && !failed) || !running.empty()) {
    while (next < users.size() && running.size() < jobs && !failed) {
      const auto& u = users[next];
      const auto output = work_dir / ("user-add-" + std::to_string(next) + ".out");
      std::string error;
      const pid_t pid =
          spawn({ims_binary.string(), "user", "add", "--config", u.ims_config.string(), u.address,
                 "--password-file", password_file.string()},
                output, error);
      if (pid < 0) {
        failed =
            mc::failure{mc::code_io, false, "cannot run " + ims_binary.string() + ": " + error};
        break;
      }
      running.emplace(pid, running_command{next, output, steady::now()});
      ++next;
    }
    if (running.empty()) {
      break;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      // None ended yet: kill any that ran too long, then look again shortly.
      for (const auto& [p, r] : running) {
        if (steady::now() - r.started > per_command) {
          kill(p, SIGKILL);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      failed = mc::failure{mc::code_io, false, std::string("waitpid: ") + std::strerror(errno)};
      break;
    }
    auto it = running.find(pid);
    if (it == running.end()) {
      continue;
    }
    const auto done = it->second;
    running.erase(it);
    const std::string output = read_all(done.output);
    std::filesystem::remove(done.output);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      ++result.added;
    } else if (output.find("exists already") != std::string::npos) {
      ++result.existed;
    } else if (!failed) {
      failed = mc::failure{mc::code_io, false,
                           "im2k-ims user add " + users[done.user].address + " failed: " + output};
    }
  }
  if (failed) {
    return *failed;
  }
  result.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return result;
}

}  // namespace im2k::bench
