// A scenario's zone data of the RFC 7208 suite, as unbound configuration. Every name of the zone
// data is its own static local-zone with a SOA, under a static root, so that names the data does
// not give are NXDOMAIN and missing types NODATA, as the suite means. TXT carries the TXT
// entries, or the SPF ones where a name has none (as the in-memory zone_resolver does); SPF
// (type 99) records are served as well. A TIMEOUT name is a typetransparent zone forwarded to a
// server that never answers: its records are answered, any other type times out.
//
// What this cannot say as the suite does: a name below a TIMEOUT name that the data does not
// give (unbound forwards it and it times out; the suite means NXDOMAIN). skip_reason() names such
// a question, so that a case that asks it is counted as skipped, not run.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

#include "tests/support/unbound_server.hpp"

namespace im2k::spf::test {

class suite_zone {
 public:
  // Throws std::runtime_error for a record this cannot write (an unknown type, a name over DNS
  // limits): the suite's data is fixed, so that is a defect here, not a case to skip.
  suite_zone(const YAML::Node& zonedata, std::uint16_t black_hole_port);

  const im2k::test::unbound_options& options() const { return options_; }

  // Why a question for `name` (as passed to the resolver) cannot be answered as the suite says,
  // or nothing when it can.
  std::optional<std::string> skip_reason(const std::string& name) const;

 private:
  im2k::test::unbound_options options_;
  std::set<std::string> names_;     // canonical form (dns::make_query_name)
  std::set<std::string> timeouts_;  // likewise
};

}  // namespace im2k::spf::test
