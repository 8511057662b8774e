// libFuzzer target for the DNS wire decoder: arbitrary bytes as a response message through
// parse_answer for each record type the resolver asks, and read_name at every offset.
// Beyond "no crash, no sanitizer report" it checks that a malformed answer says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "common/dns/wire.hpp"

namespace {

namespace wire = im2k::dns::wire;

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> message(data, size);
  for (auto type : {wire::type_a, wire::type_aaaa, wire::type_mx, wire::type_txt, wire::type_ptr,
                    wire::type_cname, wire::type_soa}) {
    auto answer = wire::parse_answer(message, "example.com", type);
    check(answer.well_formed || !answer.error.empty());
    if (answer.well_formed) {
      for (const auto& record : answer.records) {
        if (type == wire::type_a)
          check(record.data.size() == 4);
        if (type == wire::type_aaaa)
          check(record.data.size() == 16);
      }
    }
  }
  // Names start anywhere a pointer could point; a bounded number keeps each run short.
  for (std::size_t start = 0; start < size && start < 64; ++start) {
    std::size_t pos = start;
    std::string name;
    if (wire::read_name(message, pos, name))
      check(pos > start && pos <= size);
  }
  return 0;
}
