// The name of a DNS question in the two spellings the resolver needs. Callers (SPF macros, MX
// targets, configuration) hand the resolver text in the RFC 1035 section 5.1 form: "\DDD" and
// "\X" are escapes, every other octet stands for itself, so a macro may put a space or a quote
// in a label. Answers name owners in the form wire::read_name writes (lower case, "\DDD" for any
// octet outside printable ASCII and for '.' and '\'); c-ares 1.18 reads its own form ("\X" only).
// Both are made here from one decoding, so that a question and its answer always compare equal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace im2k::dns {

struct query_name {
  std::string canonical;  // as wire::read_name writes it: the cache key and the answer's owner
  std::string cares;      // as ares_query reads it
};

// Empty when the text cannot be a question: an empty label (or an empty name), a label over 63
// octets, over 253 octets in all, a NUL octet (c-ares takes a C string), or a dangling or
// out-of-range escape. Such a name names nothing; the resolver answers NXDOMAIN for it without
// sending a query (RFC 7208 sections 4.3 and 4.8 treat it as a name that does not exist).
std::optional<query_name> make_query_name(std::string_view text);

}  // namespace im2k::dns
