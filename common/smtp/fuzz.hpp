// One entry point that sends arbitrary octets through every sans-IO part of common/smtp, for
// libFuzzer (tests/fuzz/smtp_fuzz.cpp) and for a bounded unit-test run over a seed corpus. It
// returns normally unless an invariant breaks, and then calls std::abort():
//   - line_buffer never yields a line over its limit, and its memory stays bounded;
//   - data_reader(dot_stuffer(x)) == x for any x, whatever the chunking;
//   - data_reader never outputs more octets than it consumed;
//   - format(reply) parses back through reply_parser to the same code and line count;
//   - parse_command, sasl decoding and parse_extensions do not crash.
#pragma once

#include <string_view>

namespace im2k::smtp {

void fuzz_one(std::string_view data);

}  // namespace im2k::smtp
