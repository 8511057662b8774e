#include "mc/leading_options.hpp"

#include <cstddef>
#include <string_view>

namespace im2k::mc {

namespace {

// Whether some subcommand (at any depth) has option `name` taking a value, so that the word
// after it is that value and not the subcommand.
bool takes_value(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands({})) {
    for (const CLI::Option* opt : sub->get_options({})) {
      if (opt->check_name(name) && opt->get_items_expected_min() > 0) {
        return true;
      }
    }
    if (takes_value(*sub, name)) {
      return true;
    }
  }
  return false;
}

const CLI::App* subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) {
      return sub;
    }
  }
  return nullptr;
}

bool is_own(std::string_view word) {
  return word == "--help" || word == "-h" || word == "--version";
}

}  // namespace

std::vector<std::string> move_leading_options(const CLI::App& app, std::vector<std::string> args) {
  std::size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-' && args[i] != "--") {
    if (is_own(args[i])) {
      return args;
    }
    const bool inline_value = args[i].find('=') != std::string::npos;
    i += (!inline_value && takes_value(app, args[i])) ? 2 : 1;
  }
  if (i == 0 || i >= args.size()) {
    return args;  // nothing leads, or no subcommand follows: CLI11 reports it
  }
  // The subcommand's words: im2k's subcommand, then its own subcommands ("dns mx").
  std::size_t end = i;
  const CLI::App* current = &app;
  while (end < args.size()) {
    const CLI::App* sub = subcommand(*current, args[end]);
    if (sub == nullptr) {
      break;
    }
    current = sub;
    ++end;
  }
  if (end == i) {
    return args;
  }
  std::vector<std::string> out(args.begin() + static_cast<std::ptrdiff_t>(i),
                               args.begin() + static_cast<std::ptrdiff_t>(end));
  out.insert(out.end(), args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(end), args.end());
  return out;
}

}  // namespace im2k::mc
