// Macro strings (RFC 7208 section 7): parsing with full syntax checks, and expansion.
// Expansion is pure; the one letter that needs DNS, %{p}, is looked up by the evaluator
// beforehand and passed in macro_values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace im2k::spf {

// Where a macro string appears decides what it may contain.
enum class macro_use {
  domain_spec,     // mechanism and redirect/exp targets: letters s l o d i p v h, ends in a
                   // macro or "." toplabel ["."] (section 7.1 domain-end)
  explanation,     // the TXT record an exp= names: also c r t, and spaces
  modifier_value,  // an unknown modifier's value: any macro letter of the ABNF
};

struct macro_item {
  std::string literal;     // text (with %% %_ %- already decoded); used when letter == 0
  char letter = 0;         // lower-case macro letter of a %{...} expansion
  bool escape = false;     // upper-case letter: URL-escape the expanded value
  std::size_t keep = 0;    // number of right-hand parts to keep; 0 keeps them all
  bool reverse = false;    // the "r" transformer
  std::string delimiters;  // characters to split on; empty means "."
};

struct macro_string {
  std::string text;  // as written in the record
  std::vector<macro_item> items;

  bool uses(char letter) const;
};

struct macro_parse {
  std::optional<macro_string> value;
  std::string error;  // why it is not a valid macro string, when value is empty
};

macro_parse parse_macro_string(std::string_view text, macro_use use);

// The values macro letters expand to (section 7.3).
struct macro_values {
  std::string sender;           // s: <sender>, "postmaster@<domain>" when it had no local part
  std::string local_part;       // l
  std::string sender_domain;    // o
  std::string domain;           // d: the current <domain>
  boost::asio::ip::address ip;  // i, c, v
  std::string validated_name = "unknown";  // p
  std::string helo;                        // h
  std::string receiver = "unknown";        // r
  std::int64_t timestamp = 0;              // t
};

std::string expand(const macro_string& macro, const macro_values& values);

// Section 7.3: "1.2.3.4", or 32 dot-separated lower-case nibbles for IPv6.
std::string dot_format(const boost::asio::ip::address& ip);

// Section 7.3: every octet outside ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX.
std::string url_escape(std::string_view text);

}  // namespace im2k::spf
