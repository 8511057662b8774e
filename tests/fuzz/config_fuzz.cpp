// libFuzzer target for the TOML config loaders of both daemons: arbitrary text through
// oms::parse_config and ims::parse_config. Errors are values; the one exception a loader may
// throw at start-up is config::config_error, any other escapes and is reported as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/config/config.hpp"
#include "ims/config.hpp"
#include "oms/config.hpp"

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto oms = im2k::oms::parse_config(text, "fuzz-oms.toml");
    for (const auto& error : oms.errors)
      check(!error.empty());
  } catch (const im2k::config::config_error&) {
  }
  try {
    auto ims = im2k::ims::parse_config(text, "fuzz-ims.toml");
    for (const auto& error : ims.errors)
      check(!error.empty());
  } catch (const im2k::config::config_error&) {
  }
  return 0;
}
