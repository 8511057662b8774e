#include "ims/policy_settings.hpp"

#include <algorithm>

#include <boost/algorithm/string/predicate.hpp>

namespace im2k::ims {
namespace {

bool names(const std::vector<std::string>& list, std::string_view domain) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& d) { return boost::algorithm::iequals(d, domain); });
}

}  // namespace

std::string_view to_string(pull_mode mode) {
  switch (mode) {
    case pull_mode::eager:
      return "eager";
    case pull_mode::on_read:
      return "on-read";
  }
  return "eager";
}

pull_mode policy_settings::pull_mode_for(std::string_view sender_domain) const {
  // An explicit on-read entry wins over an eager one: holding is the safer of the two.
  if (names(on_read_senders, sender_domain)) {
    return pull_mode::on_read;
  }
  if (names(eager_senders, sender_domain)) {
    return pull_mode::eager;
  }
  return pull;
}

}  // namespace im2k::ims
