#include "common/cli/password_prompt.hpp"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

namespace im2k::cli {
namespace {

void drop_line_end(std::string& text) {
  if (!text.empty() && text.back() == '\r') {
    text.pop_back();
  }
}

// Echo off on a terminal for as long as it lives; restored even when reading fails.
class echo_off {
 public:
  explicit echo_off(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;  // the newline still shows, so the next prompt starts a line
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~echo_off() {
    if (active_) {
      ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;

  bool active() const { return active_; }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> prompt(const char* text) {
  std::cerr << text << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) {
    return std::nullopt;
  }
  drop_line_end(line);
  return line;
}

password_input from_terminal() {
  echo_off quiet(STDIN_FILENO);
  if (!quiet.active()) {
    return {std::nullopt, "cannot turn off echo on the terminal"};
  }
  auto first = prompt("New password: ");
  if (!first) {
    return {std::nullopt, "no password typed"};
  }
  if (first->empty()) {
    return {std::nullopt, "the password is empty"};
  }
  auto second = prompt("Repeat the password: ");
  if (!second) {
    return {std::nullopt, "no password typed"};
  }
  if (*first != *second) {
    return {std::nullopt, "the passwords do not match"};
  }
  return {std::move(*first), {}};
}

}  // namespace

password_input read_new_password(const std::optional<std::filesystem::path>& file) {
  if (!file) {
    if (::isatty(STDIN_FILENO) == 0) {
      return {std::nullopt,
              "no password: give --password-file FILE (- for stdin), or run on a terminal to "
              "be asked"};
    }
    return from_terminal();
  }
  std::string text;
  if (*file == "-") {
    std::getline(std::cin, text);
  } else {
    std::ifstream in(*file);
    if (!in) {
      return {std::nullopt, "cannot read the password file " + file->string()};
    }
    std::getline(in, text);
  }
  drop_line_end(text);
  if (text.empty()) {
    return {std::nullopt, "the password is empty"};
  }
  return {std::move(text), {}};
}

}  // namespace im2k::cli
