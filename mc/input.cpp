#include "mc/input.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace im2k::mc {

outcome<std::string> read_input(const std::string& path) {
  const bool from_stdin = path == "-";
  std::ifstream file;
  if (!from_stdin) {
    file.open(path, std::ios::binary);
    if (!file) {
      return failure{code_io, false, "cannot read " + path + ": " + std::strerror(errno)};
    }
  }
  std::istream& in = from_stdin ? std::cin : file;
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_input_size) {
      return failure{"message-too-large", false,
                     (from_stdin ? std::string("stdin") : path) + " is larger than 256 MiB"};
    }
  }
  if (in.bad()) {
    return failure{code_io, false, "cannot read " + (from_stdin ? std::string("stdin") : path)};
  }
  return text;
}

}  // namespace im2k::mc
