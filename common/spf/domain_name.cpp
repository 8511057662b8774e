#include "common/spf/domain_name.hpp"

#include <algorithm>
#include <cstddef>

namespace im2k::spf {
namespace {

constexpr std::size_t max_name = 253;
constexpr std::size_t max_label = 63;

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return name;
}

bool is_valid_check_domain(std::string_view name) {
  name = without_trailing_dot(name);
  if (name.empty() || name.size() > max_name) {
    return false;
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > max_label) {
      return false;
    }
    const bool ok = std::all_of(label.begin(), label.end(),
                                [](char c) { return is_ascii_alnum(c) || c == '-' || c == '_'; });
    if (!ok) {
      return false;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      const bool numeric =
          std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
      return labels >= 2 && !numeric;
    }
    start = dot + 1;
  }
}

bool is_queryable_name(std::string_view name) {
  if (name.empty() || name.size() > max_name) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? name.size() : dot;
    if (end == start || end - start > max_label) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::string truncate_left(std::string name) {
  while (name.size() > max_name) {
    const std::size_t dot = name.find('.');
    if (dot == std::string::npos) {
      break;  // one overlong label: left for is_queryable_name to refuse
    }
    name.erase(0, dot + 1);
  }
  return name;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool is_same_or_subdomain(std::string_view name, std::string_view parent) {
  name = without_trailing_dot(name);
  parent = without_trailing_dot(parent);
  if (parent.empty() || name.size() < parent.size()) {
    return false;
  }
  if (!iequals(name.substr(name.size() - parent.size()), parent)) {
    return false;
  }
  return name.size() == parent.size() || name[name.size() - parent.size() - 1] == '.';
}

}  // namespace im2k::spf
