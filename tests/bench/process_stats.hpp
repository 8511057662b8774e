// What a daemon costs: CPU seconds and peak RSS from /proc, and the bytes and body files under
// its state directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace im2k::bench {

struct process_sample {
  double cpu_seconds = 0;          // utime + stime of /proc/PID/stat
  std::uint64_t peak_rss_kib = 0;  // VmHWM of /proc/PID/status
  std::uint64_t rss_kib = 0;       // VmRSS
};

// Absent if the process is gone or /proc cannot be read.
std::optional<process_sample> sample_process(int pid);

// Sets the process's VmHWM back to its current RSS (writes 5 to /proc/PID/clear_refs, Linux
// 4.0 on; needs the right to ptrace it), so that a later VmHWM is the peak of the run alone and
// not, say, of the scrypt of a login before it. False if the kernel refused.
bool reset_peak_rss(int pid);

struct disk_usage {
  std::uint64_t bytes = 0;       // every regular file under the state directory
  std::uint64_t body_files = 0;  // files in state_dir/bodies, temporary ones (with a '.') excluded
  std::uint64_t body_bytes = 0;
};

disk_usage measure_state_dir(const std::filesystem::path& state_dir);

}  // namespace im2k::bench
