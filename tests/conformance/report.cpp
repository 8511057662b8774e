#include "tests/conformance/report.hpp"

#include <fstream>
#include <regex>
#include <sstream>

namespace im2k::conform {

std::string format_line(const test_case& c, const outcome& o) {
  std::ostringstream line;
  line << (o.result == verdict::pass   ? "PASS"
           : o.result == verdict::fail ? "FAIL"
                                       : "SKIP")
       << "  " << c.name << "  [";
  for (std::size_t i = 0; i < c.ids.size(); ++i)
    line << (i ? ", " : "") << c.ids[i];
  line << "]  " << o.reason;
  return line.str();
}

std::vector<std::string> spec_ids(const std::filesystem::path& spec) {
  std::ifstream in(spec);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  std::vector<std::string> ids;
  std::set<std::string> seen;
  static const std::regex definition(R"(\*\*\[([A-Z]-[0-9]+)\]\*\*)");
  // The security table defines [X-1] ... [X-20] in its first column rather than in bold.
  static const std::regex table_row(R"(\n\| \[(X-[0-9]+)\] \|)");
  for (const auto* re : {&definition, &table_row}) {
    for (std::sregex_iterator it(all.begin(), all.end(), *re), end; it != end; ++it) {
      if (seen.insert((*it)[1]).second)
        ids.push_back((*it)[1]);
    }
  }
  return ids;
}

bool write_summary(std::ostream& out, const std::vector<test_case>& cases,
                   const std::vector<outcome>& outcomes, const std::vector<std::string>& all_ids) {
  int passed = 0, failed = 0, skipped = 0;
  std::set<std::string> covered;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    auto r = outcomes[i].result;
    passed += r == verdict::pass;
    failed += r == verdict::fail;
    skipped += r == verdict::skip;
    // A skipped case covers nothing.
    if (r != verdict::skip)
      covered.insert(cases[i].ids.begin(), cases[i].ids.end());
  }
  out << passed << " passed, " << failed << " failed";
  if (skipped)
    out << ", " << skipped << " skipped";
  out << "\n";
  std::vector<std::string> uncovered;
  for (const auto& id : all_ids)
    if (!covered.count(id))
      uncovered.push_back(id);
  out << "uncovered requirement IDs (" << uncovered.size() << " of " << all_ids.size() << "):";
  for (const auto& id : uncovered)
    out << " " << id;
  out << "\n";
  return failed == 0;
}

}  // namespace im2k::conform
