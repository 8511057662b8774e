// A fresh directory for one test, removed with everything in it at the end of the test unless
// the environment variable IM2K_KEEP_TEST_DIRS is set (then its path is printed to stderr).
#pragma once

#include <filesystem>

namespace im2k::test {

class temp_dir {
 public:
  temp_dir();  // under $TMPDIR, or /tmp; throws std::runtime_error on failure
  ~temp_dir();

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace im2k::test
