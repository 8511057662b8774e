// libFuzzer target for the SPF record and macro parser: arbitrary text through is_spf_record,
// parse_record and parse_macro_string in each use, and every macro that parses through expand.
// Beyond "no crash, no sanitizer report" it checks that a parse gives a value or an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "common/spf/macro.hpp"
#include "common/spf/record.hpp"

namespace {

using namespace im2k::spf;

void check(bool condition) {
  if (!condition)
    std::abort();
}

const macro_values& sample_values() {
  static const macro_values values = [] {
    macro_values v;
    v.sender = "strong-bad@email.example.com";
    v.local_part = "strong-bad";
    v.sender_domain = "email.example.com";
    v.domain = "email.example.com";
    v.ip = boost::asio::ip::make_address("2001:db8::cb01");
    v.helo = "mx.example.org";
    v.timestamp = 1700000000;
    return v;
  }();
  return values;
}

void expand_all(const record& parsed) {
  for (const auto& term : parsed.mechanisms) {
    (void)term.queries_dns();
    (void)to_string(term.kind);
    if (term.domain)
      (void)expand(*term.domain, sample_values());
  }
  if (parsed.redirect)
    (void)expand(*parsed.redirect, sample_values());
  if (parsed.explanation)
    (void)expand(*parsed.explanation, sample_values());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (is_spf_record(text)) {
    auto parsed = parse_record(text);
    check(parsed.value.has_value() != !parsed.error.empty());
    if (parsed.value)
      expand_all(*parsed.value);
  }
  for (auto use : {macro_use::domain_spec, macro_use::explanation, macro_use::modifier_value}) {
    auto macro = parse_macro_string(text, use);
    check(macro.value.has_value() != !macro.error.empty());
    if (macro.value)
      (void)expand(*macro.value, sample_values());
  }
  (void)url_escape(text);
  return 0;
}
