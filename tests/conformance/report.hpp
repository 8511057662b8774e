// Cases, their outcomes and the report: one line per case, the closing count line, and the
// SPEC requirement IDs no case cites.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace im2k::conform {

enum class verdict { pass, fail, skip };

struct outcome {
  verdict result = verdict::fail;
  std::string reason;
};

inline outcome pass(std::string reason) {
  return {verdict::pass, std::move(reason)};
}
inline outcome fail(std::string reason) {
  return {verdict::fail, std::move(reason)};
}
inline outcome skip(std::string reason) {
  return {verdict::skip, std::move(reason)};
}

struct suite_context;

struct test_case {
  std::string name;
  std::vector<std::string> ids;  // "N-12", "F-2"
  std::function<boost::asio::awaitable<outcome>(suite_context&)> run;
};

// "PASS  name  [N-12, N-13]  reason"
std::string format_line(const test_case& c, const outcome& o);

// Every `**[X-n]**` definition of SPEC.md, in order of appearance.
std::vector<std::string> spec_ids(const std::filesystem::path& spec);

// The closing lines: "N passed, N failed, N skipped" then the uncovered IDs. Returns whether
// nothing failed.
bool write_summary(std::ostream& out, const std::vector<test_case>& cases,
                   const std::vector<outcome>& outcomes, const std::vector<std::string>& all_ids);

}  // namespace im2k::conform
