#include "tests/support/run_command.hpp"

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::test {

command_result run_command(std::vector<std::string> argv, std::vector<std::string> env,
                           std::chrono::milliseconds timeout) {
  temp_dir dir;
  child_process child(
      process_options{std::move(argv), std::move(env), dir / "stdout", dir / "stderr"});
  command_result result;
  if (const auto status = child.wait_for_exit(timeout)) {
    result.exit_status = *status;
  } else {
    result.timed_out = true;
    child.stop(std::chrono::seconds(1));
  }
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  return result;
}

}  // namespace im2k::test
