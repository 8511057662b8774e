// libFuzzer target for the SMTP reader/writer of common/smtp: arbitrary octets through the
// command line reader, the command parser, the SASL decoders, the DATA reader and the reply
// parser. The invariants it checks are listed in common/smtp/fuzz.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/smtp/fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  im2k::smtp::fuzz_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
