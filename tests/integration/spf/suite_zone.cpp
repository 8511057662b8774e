#include "tests/integration/spf/suite_zone.hpp"

#include <cstdio>
#include <map>
#include <stdexcept>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/query_name.hpp"
#include "tests/unit/spf/rfc7208_suite.hpp"

namespace im2k::spf::test {

namespace {

constexpr std::size_t max_string_octets = 255;  // one TXT character-string

std::string canonical(const std::string& name) {
  const auto q = dns::make_query_name(dns::normalize(name));
  if (!q) {
    throw std::runtime_error("zone data name \"" + name + "\" cannot be a DNS name");
  }
  return q->canonical;
}

// Master-file text for unbound: every octet that is not a plain letter, digit, '-', '_' or (in
// names) the label dot is written "\DDD", so that nothing in the data reaches unbound's config
// lexer or its zone parser as syntax. The data's own backslashes are octets too.
std::string escaped(const std::string& text, bool is_name) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       u == '-' || u == '_' || (is_name && u == '.');
    if (plain) {
      out += c;
    } else {
      char code[5];
      std::snprintf(code, sizeof code, "\\%03u", u);
      out += code;
    }
  }
  return out;
}

// Absolute, in the data's own case (the suite varies the case of PTR targets on purpose).
std::string owner(std::string name) {
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name.empty() ? "." : escaped(name, true) + ".";
}

// A TXT/SPF value as character-strings of at most 255 octets each.
std::string character_strings(const YAML::Node& value) {
  std::vector<std::string> parts;
  if (value.IsSequence()) {
    for (const auto& part : value) {
      parts.push_back(part.as<std::string>());
    }
  } else {
    parts.push_back(value.as<std::string>());
  }
  std::string out;
  for (const std::string& part : parts) {
    for (std::size_t at = 0; at == 0 || at < part.size(); at += max_string_octets) {
      out +=
          (out.empty() ? "\"" : " \"") + escaped(part.substr(at, max_string_octets), false) + "\"";
    }
  }
  return out.empty() ? "\"\"" : out;  // "SPF: []": one empty string
}

struct node {
  std::string name;  // as the data writes it
  bool timeout = false;
  bool txt_entry = false;        // a TXT entry, possibly "NONE"
  std::vector<std::string> rrs;  // "TYPE RDATA" except the TXT made from SPF
  std::vector<std::string> spf;  // character-strings of each SPF record
};

}  // namespace

suite_zone::suite_zone(const YAML::Node& zonedata, std::uint16_t black_hole_port) {
  std::map<std::string, node> nodes;  // keyed by the canonical name
  for (const auto& entry : zonedata) {
    const std::string name = entry.first.as<std::string>();
    node& n = nodes[canonical(name)];
    n.name = name;
    for (const YAML::Node& record : entry.second) {
      if (record.IsScalar()) {
        if (record.as<std::string>() != "TIMEOUT") {
          throw std::runtime_error("unknown zone data entry at " + name);
        }
        n.timeout = true;
        continue;
      }
      for (const auto& field : record) {
        const std::string type = field.first.as<std::string>();
        const YAML::Node& value = field.second;
        if (type == "A" || type == "AAAA") {
          n.rrs.push_back(type + " " + value.as<std::string>());
        } else if (type == "MX") {
          n.rrs.push_back("MX " + value[0].as<std::string>() + " " +
                          owner(value[1].as<std::string>()));
        } else if (type == "PTR" || type == "CNAME") {
          n.rrs.push_back(type + " " + owner(value.as<std::string>()));
        } else if (type == "TXT" && value.IsScalar() && value.as<std::string>() == "NONE") {
          n.txt_entry = true;
        } else if (type == "TXT") {
          n.txt_entry = true;
          n.rrs.push_back("TXT " + character_strings(value));
        } else if (type == "SPF") {
          n.spf.push_back(character_strings(value));
        } else {
          throw std::runtime_error("unknown record type " + type + " at " + name);
        }
      }
    }
  }

  options_.refuse_other_names = false;
  options_.local_zones.push_back(". static");
  options_.local_data.push_back(". 300 IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60");
  for (const auto& [key, n] : nodes) {
    names_.insert(key);
    const std::string o = owner(n.name);
    const bool has_cname = !n.rrs.empty() && n.rrs.front().rfind("CNAME ", 0) == 0;
    options_.local_zones.push_back(o + (n.timeout ? " typetransparent" : " static"));
    if (n.timeout) {
      timeouts_.insert(key);
      options_.forward_zones.push_back(im2k::test::forward_zone{o, black_hole_port});
    }
    // A CNAME owner has no other data (RFC 1034 3.6.2), so no SOA there either.
    if (!has_cname) {
      options_.local_data.push_back(o +
                                    " 300 IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 "
                                    "86400 60");
    }
    for (const std::string& rr : n.rrs) {
      options_.local_data.push_back(o + " 300 IN " + rr);
    }
    for (const std::string& strings : n.spf) {
      options_.local_data.push_back(o + " 300 IN SPF " + strings);
      if (!n.txt_entry) {
        options_.local_data.push_back(o + " 300 IN TXT " + strings);
      }
    }
  }
}

std::optional<std::string> suite_zone::skip_reason(const std::string& name) const {
  const auto q = dns::make_query_name(dns::normalize(name));
  if (!q) {
    return std::nullopt;  // never sent; the resolver answers NXDOMAIN as the suite means
  }
  // The closest enclosing zone: the name itself, or the nearest ancestor the data gives.
  std::string at = q->canonical;
  while (names_.count(at) == 0) {
    const auto dot = at.find('.');
    if (dot == std::string::npos) {
      return std::nullopt;  // under the static root only
    }
    at = at.substr(dot + 1);
  }
  if (at != q->canonical && timeouts_.count(at) != 0) {
    return "\"" + name + "\" lies below the TIMEOUT name \"" + at +
           "\", which unbound forwards whole: it would time out where the suite means NXDOMAIN";
  }
  return std::nullopt;
}

}  // namespace im2k::spf::test
