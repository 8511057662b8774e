// libFuzzer target for the RFC 5322 header scanner: arbitrary bytes as a pulled message
// through message_scanner (in chunks whose size the first byte picks), and as a header section
// through check_header_section, parse_from_value and authserv_id_of. Beyond "no crash, no
// sanitizer report" it checks that the scanner counts every octet, that a refused message gets
// a reason and that a valid section has a From: address.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ims/headers.hpp"
#include "ims/message_scanner.hpp"

namespace {

using namespace im2k::ims;

void check(bool condition) {
  if (!condition)
    std::abort();
}

void scan(std::string_view message, std::size_t chunk) {
  message_scanner scanner("Received: from test\r\n", "mx.beta.test", "alpha.test");
  std::string out;
  for (std::size_t at = 0; at < message.size(); at += chunk)
    scanner.feed(message.substr(at, chunk), out);
  auto verdict = scanner.finish();
  check(verdict.size == message.size());
  check(verdict.digest.starts_with("sha256:"));
  if (verdict.refusal)
    check(!verdict.reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t chunk = size ? std::max<std::size_t>(1, data[0] % 64) : 1;
  scan(bytes, chunk);
  scan(bytes, 1 << 16);
  auto verdict = check_header_section(bytes, "mx.beta.test");
  if (!verdict.refusal)
    check(verdict.from.has_value() && verdict.kept.size() <= bytes.size());
  (void)parse_from_value(bytes);
  (void)authserv_id_of(bytes);
  return 0;
}
