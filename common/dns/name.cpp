#include "common/dns/name.hpp"

#include "proto/syntax.hpp"

namespace im2k::dns {

// The DNS layer accepts exactly the wire rule for names ([V-5]), so that a name the protocol
// refuses is never looked up either.
bool is_valid_host_name(std::string_view name) {
  return proto::is_host_name(name);
}

std::string normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace im2k::dns
