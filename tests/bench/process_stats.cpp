#include "tests/bench/process_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace im2k::bench {

namespace {

std::optional<std::uint64_t> status_field_kib(const std::string& text, const std::string& name) {
  const auto at = text.find(name + ":");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream in(text.substr(at + name.size() + 1));
  std::uint64_t value = 0;
  if (!(in >> value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<process_sample> sample_process(int pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream stat_file(proc + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) {
    return std::nullopt;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  // After the name: state is field 3, utime field 14, stime field 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stoull(field);
    } else if (i == 15) {
      stime = std::stoull(field);
    }
  }
  std::ifstream status_file(proc + "/status");
  std::stringstream status;
  status << status_file.rdbuf();
  process_sample s;
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  s.peak_rss_kib = status_field_kib(status.str(), "VmHWM").value_or(0);
  s.rss_kib = status_field_kib(status.str(), "VmRSS").value_or(0);
  return s;
}

bool reset_peak_rss(int pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5\n";
  out.flush();
  return static_cast<bool>(out);
}

disk_usage measure_state_dir(const std::filesystem::path& state_dir) {
  disk_usage u;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(state_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code size_error;
    if (!it->is_regular_file(size_error)) {
      continue;
    }
    const auto size = it->file_size(size_error);
    if (size_error) {
      continue;  // removed meanwhile
    }
    u.bytes += size;
    const auto name = it->path().filename().string();
    if (it->path().parent_path().filename() == "bodies" && name.find('.') == std::string::npos) {
      ++u.body_files;
      u.body_bytes += size;
    }
  }
  return u;
}

}  // namespace im2k::bench
