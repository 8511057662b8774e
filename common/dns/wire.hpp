// A bounds-checked reader of DNS response messages (RFC 1035 section 4), for the parts the
// resolver needs and c-ares 1.18 does not give: the TTLs of every record type, the end of a
// CNAME chain, and the SOA of a negative answer (RFC 2308). Every read is checked against the
// message size; a message that would need a read outside it is reported as malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace im2k::dns::wire {

inline constexpr std::uint16_t type_a = 1;
inline constexpr std::uint16_t type_cname = 5;
inline constexpr std::uint16_t type_soa = 6;
inline constexpr std::uint16_t type_ptr = 12;
inline constexpr std::uint16_t type_mx = 15;
inline constexpr std::uint16_t type_txt = 16;
inline constexpr std::uint16_t type_aaaa = 28;

inline constexpr int rcode_noerror = 0;
inline constexpr int rcode_servfail = 2;
inline constexpr int rcode_nxdomain = 3;
inline constexpr int rcode_refused = 5;

struct record {
  std::uint32_t ttl = 0;
  std::uint16_t preference = 0;  // MX only
  // A/AAAA: the 4 or 16 address octets. MX/PTR: the target name, lower case, without the
  // trailing dot ("" is the root). TXT: the record's character-strings joined with nothing.
  std::string data;
};

struct answer {
  bool well_formed = false;
  std::string error;  // why the message is malformed, when it is
  int rcode = 0;
  // The records of the asked type owned by the asked name, or by the end of its CNAME chain.
  std::vector<record> records;
  // The smallest TTL of those records and of the CNAMEs followed to reach them.
  std::uint32_t ttl = 0;
  // The end of the CNAME chain in the answer: the asked name when there is no CNAME.
  std::string canonical_name;
  // The smallest TTL of the CNAMEs followed (UINT32_MAX if none).
  std::uint32_t cname_ttl = 0xffffffffu;
  // RFC 2308 section 5: min(SOA TTL, SOA MINIMUM) of the SOA in the authority section.
  std::optional<std::uint32_t> negative_ttl;
};

// `qname` is the asked name as the resolver sent it: lower case, without the trailing dot.
// Names in the message are compared case-insensitively. Only class IN records count.
answer parse_answer(std::span<const std::uint8_t> message, std::string_view qname,
                    std::uint16_t qtype);

// Appends one octet of a label in read_name's text form: letters lower-cased, "\DDD" for any
// octet outside printable ASCII and for '.' and '\'.
void append_label_octet(std::string& out, std::uint8_t octet);

// Reads the (possibly compressed) name at `pos`, advancing `pos` past its in-place part.
// Returns false if the name is malformed or leaves the message. The text form is lower case,
// without the trailing dot; octets other than printable ASCII, '.' and '\' appear as "\DDD".
bool read_name(std::span<const std::uint8_t> message, std::size_t& pos, std::string& name);

}  // namespace im2k::dns::wire
