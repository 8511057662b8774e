#include "mc/output.hpp"

#include <ctime>
#include <iostream>

namespace im2k::mc {

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

std::string format_time(std::uint64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    return std::to_string(unix_seconds);
  }
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return n == 0 ? std::to_string(unix_seconds) : std::string(text, n);
}

void print_json(const nlohmann::json& document) {
  // Invalid UTF-8 from a server is replaced rather than thrown on.
  std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

int report(const failure& f, bool json) {
  // A configuration failure lists every mistake, one per line.
  std::string_view rest = f.message;
  do {
    const auto end = rest.find('\n');
    std::cerr << "im2k: " << f.code << ": " << printable(rest.substr(0, end)) << '\n';
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  } while (!rest.empty());
  if (json) {
    print_json({{"error",
                 {{"code", f.code},
                  {"temporary", f.temporary},
                  {"message", f.message},
                  {"from_server", f.from_server}}}});
  }
  std::cout.flush();
  return exit_status_of(f);
}

}  // namespace im2k::mc
