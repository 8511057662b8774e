#include "tests/unit/spf/rfc7208_suite.hpp"

#include <algorithm>

#include "common/spf/domain_name.hpp"

namespace im2k::spf::test {

void PrintTo(const suite_case& c, std::ostream* out) {
  *out << c.scenario << ": " << c.name;
}

std::vector<suite_case> read_rfc7208_suite() {
  std::vector<suite_case> out;
  const std::vector<YAML::Node> documents =
      YAML::LoadAllFromFile(IM2K_SOURCE_DIR "/tests/conformance/spf/rfc7208-tests.yml");
  for (const YAML::Node& document : documents) {
    const std::string scenario = document["description"].as<std::string>();
    for (const auto& test : document["tests"]) {
      suite_case c;
      c.scenario = scenario;
      c.name = test.first.as<std::string>();
      const YAML::Node& body = test.second;
      c.helo = body["helo"].as<std::string>();
      c.host = body["host"].as<std::string>();
      c.mailfrom = body["mailfrom"].as<std::string>();
      if (body["result"].IsSequence()) {
        for (const auto& r : body["result"]) {
          c.results.push_back(r.as<std::string>());
        }
      } else {
        c.results.push_back(body["result"].as<std::string>());
      }
      if (body["explanation"]) {
        c.explanation = body["explanation"].as<std::string>();
      }
      c.zonedata = document["zonedata"];
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string joined(const YAML::Node& node) {
  if (!node.IsSequence()) {
    return node.as<std::string>();
  }
  std::string out;
  for (const auto& part : node) {
    out += part.as<std::string>();
  }
  return out;
}

check_input input_of(const suite_case& c) {
  return check_input{boost::asio::ip::make_address(c.host), c.mailfrom, c.helo, ""};
}

std::string nonconformance(const suite_case& c, const evaluation& got) {
  std::string trace;
  for (const std::string& line : got.trace) {
    trace += "  " + line + "\n";
  }
  const std::string value(to_string(got.value));
  if (std::find(c.results.begin(), c.results.end(), value) == c.results.end()) {
    std::string wanted;
    for (const std::string& r : c.results) {
      wanted += (wanted.empty() ? "" : " or ") + r;
    }
    return "result " + value + ", expected " + wanted + "\ntrace:\n" + trace;
  }
  if (c.explanation) {
    const std::string expected = *c.explanation == "DEFAULT"
                                     ? default_explanation(got.domain, input_of(c).ip)
                                     : *c.explanation;
    // Case-insensitive: the suite writes the IPv6 nibbles of %{ir} in upper case, which RFC
    // 7208 section 7.4 writes in lower case; names are case-insensitive anyway.
    if (!iequals(got.explanation, expected)) {
      return "explanation \"" + got.explanation + "\", expected \"" + expected + "\"\ntrace:\n" +
             trace;
    }
  }
  return "";
}

}  // namespace im2k::spf::test
