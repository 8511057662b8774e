// An SPF record parsed in full before evaluation (RFC 7208 sections 4.5, 4.6, 5, 6), so that a
// syntax error anywhere gives "permerror" even in terms that evaluation would not reach.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/spf/macro.hpp"
#include "common/spf/result.hpp"

namespace im2k::spf {

enum class mechanism_kind { all, include, a, mx, ptr, ip4, ip6, exists };

std::string_view to_string(mechanism_kind kind);

struct mechanism {
  result qualifier = result::pass;  // pass '+', fail '-', softfail '~', neutral '?'
  mechanism_kind kind = mechanism_kind::all;
  std::optional<macro_string> domain;  // include, a, mx, ptr, exists; empty = current <domain>
  boost::asio::ip::address network;    // ip4, ip6
  int cidr4 = 32;                      // a, mx, ip4
  int cidr6 = 128;                     // a, mx, ip6
  std::string text;                    // the term as written, for the trace

  // Whether evaluating it queries DNS (counted against the limit of 10, section 4.6.4).
  bool queries_dns() const;
};

struct record {
  std::vector<mechanism> mechanisms;
  std::optional<macro_string> redirect;
  std::optional<macro_string> explanation;  // the exp= modifier's domain-spec
};

struct record_parse {
  std::optional<record> value;
  std::string error;  // the offending term and why, when value is empty
};

// Section 4.5: "v=spf1" (any case) followed by a space or the end of the text.
bool is_spf_record(std::string_view txt);

// Parses a text for which is_spf_record() holds.
record_parse parse_record(std::string_view txt);

}  // namespace im2k::spf
