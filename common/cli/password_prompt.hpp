// A new password for the `user add|passwd` commands of both daemons. Passwords never come from
// the command line (they would show in `ps` and in shell history): from a file (its first line;
// "-" for stdin), or typed twice at the terminal with echo off.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace im2k::cli {

struct password_input {
  std::optional<std::string> password;  // set on success
  std::string error;                    // on failure: one line for the user, no program name
};

// With `file`: its first line without the line end ("-": the first line of stdin). Without:
// when stdin is a terminal, prompts on stderr twice with echo off and requires both to match;
// when it is not, fails (a script must say where the password is). An empty password fails.
password_input read_new_password(const std::optional<std::filesystem::path>& file);

}  // namespace im2k::cli
