// Runs every test of the RFC 7208 test suite (tests/conformance/spf/rfc7208-tests.yml, from
// openspf.org) through check_host() over an in-memory zone built from the scenario's zonedata.
// Each scenario is its own instantiation, so ctest names a test "<scenario>/...<test>".
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/spf/check_host.hpp"
#include "tests/unit/spf/rfc7208_suite.hpp"
#include "tests/unit/spf/run_check.hpp"
#include "tests/unit/spf/zone_resolver.hpp"

namespace im2k::spf::test {
namespace {

// Loaded once; a load failure leaves it empty, which the count test reports.
const std::vector<suite_case>& suite() {
  static const std::vector<suite_case> cases = [] {
    try {
      return read_rfc7208_suite();
    } catch (const std::exception& e) {
      std::cerr << "cannot load the RFC 7208 suite: " << e.what() << "\n";
      return std::vector<suite_case>{};
    }
  }();
  return cases;
}

std::vector<suite_case> scenario(const std::string& description) {
  std::vector<suite_case> out;
  for (const suite_case& c : suite()) {
    if (c.scenario == description) {
      out.push_back(c);
    }
  }
  return out;
}

void fill_zone(zone_resolver& zone, const YAML::Node& zonedata) {
  for (const auto& entry : zonedata) {
    const std::string name = entry.first.as<std::string>();
    for (const YAML::Node& record : entry.second) {
      if (record.IsScalar()) {
        ASSERT_EQ(record.as<std::string>(), "TIMEOUT") << name;
        zone.add_timeout(name);
        continue;
      }
      for (const auto& field : record) {
        const std::string type = field.first.as<std::string>();
        const YAML::Node& value = field.second;
        if (type == "A") {
          zone.add_a(name, value.as<std::string>());
        } else if (type == "AAAA") {
          zone.add_aaaa(name, value.as<std::string>());
        } else if (type == "MX") {
          zone.add_mx(name, value[0].as<std::uint16_t>(), value[1].as<std::string>());
        } else if (type == "PTR") {
          zone.add_ptr(name, value.as<std::string>());
        } else if (type == "CNAME") {
          zone.add_cname(name, value.as<std::string>());
        } else if (type == "TXT" && value.IsScalar() && value.as<std::string>() == "NONE") {
          zone.add_no_txt(name);
        } else if (type == "TXT") {
          zone.add_txt(name, joined(value));
        } else if (type == "SPF") {
          zone.add_spf(name, joined(value));
        } else {
          FAIL() << "unknown record type " << type << " at " << name;
        }
      }
    }
  }
}

std::string test_name(const testing::TestParamInfo<suite_case>& info) {
  std::string out = info.param.name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) {
      c = '_';
    }
  }
  return out;
}

class rfc7208 : public testing::TestWithParam<suite_case> {};

TEST_P(rfc7208, conforms) {
  const suite_case& c = GetParam();
  zone_resolver zone;
  ASSERT_NO_FATAL_FAILURE(fill_zone(zone, c.zonedata));
  const evaluation got = run_check(zone, input_of(c));
  EXPECT_EQ(nonconformance(c, got), "");
}

INSTANTIATE_TEST_SUITE_P(Initial_processing, rfc7208,
                         testing::ValuesIn(scenario("Initial processing")), test_name);
INSTANTIATE_TEST_SUITE_P(Record_lookup, rfc7208, testing::ValuesIn(scenario("Record lookup")),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Selecting_records, rfc7208,
                         testing::ValuesIn(scenario("Selecting records")), test_name);
INSTANTIATE_TEST_SUITE_P(Record_evaluation, rfc7208,
                         testing::ValuesIn(scenario("Record evaluation")), test_name);
INSTANTIATE_TEST_SUITE_P(ALL_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("ALL mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(PTR_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("PTR mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(A_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("A mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(Include_mechanism_semantics_and_syntax, rfc7208,
                         testing::ValuesIn(scenario("Include mechanism semantics and syntax")),
                         test_name);
INSTANTIATE_TEST_SUITE_P(MX_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("MX mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(EXISTS_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("EXISTS mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(IP4_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("IP4 mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(IP6_mechanism_syntax, rfc7208,
                         testing::ValuesIn(scenario("IP6 mechanism syntax")), test_name);
INSTANTIATE_TEST_SUITE_P(Semantics_of_exp_and_other_modifiers, rfc7208,
                         testing::ValuesIn(scenario("Semantics of exp and other modifiers")),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Macro_expansion_rules, rfc7208,
                         testing::ValuesIn(scenario("Macro expansion rules")), test_name);
INSTANTIATE_TEST_SUITE_P(Processing_limits, rfc7208,
                         testing::ValuesIn(scenario("Processing limits")), test_name);
INSTANTIATE_TEST_SUITE_P(Test_cases_from_implementation_bugs, rfc7208,
                         testing::ValuesIn(scenario("Test cases from implementation bugs")),
                         test_name);

// The suite has 203 tests; every one must be loaded and belong to an instantiation above.
TEST(rfc7208_suite, loads_all_203_tests) {
  EXPECT_EQ(suite().size(), rfc7208_case_count);
  const std::vector<std::string> instantiated = {
      "Initial processing",
      "Record lookup",
      "Selecting records",
      "Record evaluation",
      "ALL mechanism syntax",
      "PTR mechanism syntax",
      "A mechanism syntax",
      "Include mechanism semantics and syntax",
      "MX mechanism syntax",
      "EXISTS mechanism syntax",
      "IP4 mechanism syntax",
      "IP6 mechanism syntax",
      "Semantics of exp and other modifiers",
      "Macro expansion rules",
      "Processing limits",
      "Test cases from implementation bugs",
  };
  std::size_t covered = 0;
  for (const std::string& description : instantiated) {
    covered += scenario(description).size();
  }
  EXPECT_EQ(covered, suite().size());
}

}  // namespace
}  // namespace im2k::spf::test
