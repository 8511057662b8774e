// The RFC 7208 test suite (tests/conformance/spf/rfc7208-tests.yml, from openspf.org, LICENSE
// beside it) as data: its cases, each with its scenario's zone data, and the rule by which a
// result conforms. The in-memory run (tests/unit/spf) and the run over unbound
// (tests/integration/spf) both read it here.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/spf/check_host.hpp"

namespace im2k::spf::test {

inline constexpr std::size_t rfc7208_case_count = 203;

struct suite_case {
  std::string scenario;  // the scenario's description
  std::string name;      // the test's key
  std::string helo;
  std::string host;
  std::string mailfrom;
  std::vector<std::string> results;  // any of these passes
  std::optional<std::string> explanation;
  YAML::Node zonedata;
};

// gtest prints the parameter with this; the default would dump the YAML node's bytes.
void PrintTo(const suite_case& c, std::ostream* out);

// Throws (YAML::Exception) when the file cannot be read.
std::vector<suite_case> read_rfc7208_suite();

// A TXT or SPF value: one string, or a list of character-strings joined with nothing.
std::string joined(const YAML::Node& node);

// check_input for the case (the suite names no receiving host).
check_input input_of(const suite_case& c);

// "" when `got` conforms: its result is one the case allows and, if the case names an
// explanation, it is that one. Otherwise what differs, with the trace.
std::string nonconformance(const suite_case& c, const evaluation& got);

}  // namespace im2k::spf::test
