#include "common/spf/record.hpp"

#include <algorithm>

#include "common/spf/domain_name.hpp"
#include "common/spf/network.hpp"

namespace im2k::spf {
namespace {

constexpr std::string_view version_tag = "v=spf1";

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=": the length of the name, or 0
// when the term is not a modifier.
std::size_t modifier_name_length(std::string_view term) {
  if (term.empty() || !is_alpha(term.front())) {
    return 0;
  }
  std::size_t i = 1;
  while (i < term.size() && (is_alpha(term[i]) || is_digit(term[i]) || term[i] == '-' ||
                             term[i] == '_' || term[i] == '.')) {
    ++i;
  }
  return (i < term.size() && term[i] == '=') ? i : 0;
}

// Where a trailing "/" 1*DIGIT starts, or npos.
std::size_t trailing_cidr(std::string_view text) {
  const std::size_t slash = text.rfind('/');
  if (slash == std::string_view::npos || slash + 1 == text.size()) {
    return std::string_view::npos;
  }
  const std::string_view digits = text.substr(slash + 1);
  return std::all_of(digits.begin(), digits.end(), is_digit) ? slash : std::string_view::npos;
}

struct dual_cidr_split {
  std::string_view rest;  // what precedes the dual-cidr-length
  std::optional<std::string_view> cidr4;
  std::optional<std::string_view> cidr6;
};

// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken from the end.
dual_cidr_split split_dual_cidr(std::string_view text) {
  dual_cidr_split out{text, std::nullopt, std::nullopt};
  std::size_t slash = trailing_cidr(out.rest);
  if (slash != std::string_view::npos && slash > 0 && out.rest[slash - 1] == '/') {
    out.cidr6 = out.rest.substr(slash + 1);
    out.rest = out.rest.substr(0, slash - 1);
  }
  slash = trailing_cidr(out.rest);
  if (slash != std::string_view::npos && (slash == 0 || out.rest[slash - 1] != '/')) {
    out.cidr4 = out.rest.substr(slash + 1);
    out.rest = out.rest.substr(0, slash);
  }
  return out;
}

// Returns an error message, or "" when the mechanism was filled in.
std::string parse_domain_spec(std::string_view text, std::optional<macro_string>& out) {
  macro_parse parsed = parse_macro_string(text, macro_use::domain_spec);
  if (!parsed.value) {
    return parsed.error;
  }
  out = std::move(parsed.value);
  return {};
}

std::string parse_dual_cidr(const dual_cidr_split& split, mechanism& m) {
  if (split.cidr4) {
    const auto length = parse_cidr_length(*split.cidr4, 32);
    if (!length) {
      return "invalid IPv4 CIDR length \"/" + std::string(*split.cidr4) + "\"";
    }
    m.cidr4 = *length;
  }
  if (split.cidr6) {
    const auto length = parse_cidr_length(*split.cidr6, 128);
    if (!length) {
      return "invalid IPv6 CIDR length \"//" + std::string(*split.cidr6) + "\"";
    }
    m.cidr6 = *length;
  }
  return {};
}

// a and mx: [ ":" domain-spec ] [ dual-cidr-length ]
std::string parse_a_or_mx(std::string_view rest, mechanism& m) {
  if (rest.empty()) {
    return {};
  }
  const bool has_domain = rest.front() == ':';
  const dual_cidr_split split = split_dual_cidr(has_domain ? rest.substr(1) : rest);
  if (!has_domain && !split.rest.empty()) {
    return "malformed CIDR length";
  }
  if (std::string error = parse_dual_cidr(split, m); !error.empty()) {
    return error;
  }
  return has_domain ? parse_domain_spec(split.rest, m.domain) : std::string();
}

// ip4 and ip6: ":" network [ "/" length ] (one length only: no dual-cidr-length here)
std::string parse_ip(std::string_view rest, mechanism& m) {
  if (rest.empty() || rest.front() != ':') {
    return "an address must follow \":\"";
  }
  const std::string_view arg = rest.substr(1);
  const std::size_t slash = arg.find('/');
  const std::string_view network = arg.substr(0, slash);
  const bool v4 = m.kind == mechanism_kind::ip4;
  if (v4) {
    const auto address = parse_ip4_network(network);
    if (!address) {
      return "invalid IPv4 network \"" + std::string(network) + "\"";
    }
    m.network = *address;
  } else {
    const auto address = parse_ip6_network(network);
    if (!address) {
      return "invalid IPv6 network \"" + std::string(network) + "\"";
    }
    m.network = *address;
  }
  if (slash != std::string_view::npos) {
    const auto length = parse_cidr_length(arg.substr(slash + 1), v4 ? 32 : 128);
    if (!length) {
      return "invalid CIDR length \"" + std::string(arg.substr(slash)) + "\"";
    }
    (v4 ? m.cidr4 : m.cidr6) = *length;
  }
  return {};
}

std::string parse_mechanism(std::string_view term, mechanism& m) {
  m.text = std::string(term);
  switch (term.empty() ? '\0' : term.front()) {
    case '+':
      m.qualifier = result::pass;
      term.remove_prefix(1);
      break;
    case '-':
      m.qualifier = result::fail;
      term.remove_prefix(1);
      break;
    case '~':
      m.qualifier = result::softfail;
      term.remove_prefix(1);
      break;
    case '?':
      m.qualifier = result::neutral;
      term.remove_prefix(1);
      break;
    default:
      break;
  }
  const std::size_t end = term.find_first_of(":/");
  const std::string name = lower(term.substr(0, end));
  const std::string_view rest = end == std::string_view::npos ? "" : term.substr(end);

  if (name == "all") {
    m.kind = mechanism_kind::all;
    return rest.empty() ? std::string() : "\"all\" takes no argument";
  }
  if (name == "include" || name == "exists") {
    m.kind = name == "include" ? mechanism_kind::include : mechanism_kind::exists;
    if (rest.empty() || rest.front() != ':') {
      return "\"" + name + "\" needs \":\" and a domain";
    }
    return parse_domain_spec(rest.substr(1), m.domain);
  }
  if (name == "a" || name == "mx") {
    m.kind = name == "a" ? mechanism_kind::a : mechanism_kind::mx;
    return parse_a_or_mx(rest, m);
  }
  if (name == "ptr") {
    m.kind = mechanism_kind::ptr;
    if (rest.empty()) {
      return {};
    }
    if (rest.front() != ':') {
      return "\"ptr\" takes no CIDR length";
    }
    return parse_domain_spec(rest.substr(1), m.domain);
  }
  if (name == "ip4" || name == "ip6") {
    m.kind = name == "ip4" ? mechanism_kind::ip4 : mechanism_kind::ip6;
    return parse_ip(rest, m);
  }
  return "unknown mechanism";
}

std::string parse_modifier(std::string_view term, std::size_t name_length, record& out) {
  const std::string name = lower(term.substr(0, name_length));
  const std::string_view value = term.substr(name_length + 1);
  if (name == "redirect" || name == "exp") {
    std::optional<macro_string>& slot = name == "redirect" ? out.redirect : out.explanation;
    if (slot) {
      return "\"" + name + "=\" appears more than once";
    }
    return parse_domain_spec(value, slot);
  }
  // Unknown modifiers are ignored (section 6), but their value must still be a macro-string.
  macro_parse parsed = parse_macro_string(value, macro_use::modifier_value);
  return parsed.value ? std::string() : parsed.error;
}

}  // namespace

std::string_view to_string(mechanism_kind kind) {
  switch (kind) {
    case mechanism_kind::all:
      return "all";
    case mechanism_kind::include:
      return "include";
    case mechanism_kind::a:
      return "a";
    case mechanism_kind::mx:
      return "mx";
    case mechanism_kind::ptr:
      return "ptr";
    case mechanism_kind::ip4:
      return "ip4";
    case mechanism_kind::ip6:
      return "ip6";
    case mechanism_kind::exists:
      return "exists";
  }
  return "all";
}

bool mechanism::queries_dns() const {
  return kind == mechanism_kind::include || kind == mechanism_kind::a ||
         kind == mechanism_kind::mx || kind == mechanism_kind::ptr ||
         kind == mechanism_kind::exists;
}

bool is_spf_record(std::string_view txt) {
  return txt.size() >= version_tag.size() &&
         iequals(txt.substr(0, version_tag.size()), version_tag) &&
         (txt.size() == version_tag.size() || txt[version_tag.size()] == ' ');
}

record_parse parse_record(std::string_view txt) {
  if (!is_spf_record(txt)) {
    return {std::nullopt, "not an SPF record"};
  }
  record out;
  std::string_view rest = txt.substr(version_tag.size());
  while (!rest.empty()) {
    // Terms are separated by spaces only (section 4.6.1); any other byte belongs to a term.
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(start);
    const std::size_t end = rest.find(' ');
    const std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);

    std::string error;
    if (const std::size_t name_length = modifier_name_length(term); name_length != 0) {
      error = parse_modifier(term, name_length, out);
    } else {
      mechanism m;
      error = parse_mechanism(term, m);
      if (error.empty()) {
        out.mechanisms.push_back(std::move(m));
      }
    }
    if (!error.empty()) {
      return {std::nullopt, "term \"" + std::string(term) + "\": " + error};
    }
  }
  return {std::move(out), {}};
}

}  // namespace im2k::spf
