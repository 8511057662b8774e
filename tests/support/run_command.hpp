// Runs a program to completion (bounded), capturing what it prints.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace im2k::test {

struct command_result {
  int exit_status = -1;  // exit code, or 128 + signal; -1 if it timed out and was killed
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Throws std::runtime_error only if the program cannot be started.
command_result run_command(std::vector<std::string> argv, std::vector<std::string> env = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace im2k::test
