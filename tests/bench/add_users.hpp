// The fan-out's recipients: `im2k-ims user add` for each address, `jobs` at a time (each spends
// most of its ~0.1 s in scrypt). Runs before the measured part, outside any event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "mc/failure.hpp"

namespace im2k::bench {

struct user_to_add {
  std::string address;
  std::filesystem::path ims_config;
};

struct add_users_result {
  std::size_t added = 0;
  std::size_t existed = 0;  // added by an earlier run on the same testbed
  double seconds = 0;
};

// Every user shares `password_file`. A user who exists already is not a failure; anything
// else is, with the command's output. Each command is killed after `per_command` time.
mc::outcome<add_users_result> add_users(const std::filesystem::path& ims_binary,
                                        const std::vector<user_to_add>& users,
                                        const std::filesystem::path& password_file,
                                        const std::filesystem::path& work_dir, std::size_t jobs,
                                        std::chrono::seconds per_command);

}  // namespace im2k::bench
