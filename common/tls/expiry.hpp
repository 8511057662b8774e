// When the certificates a daemon relies on stop being valid: its own certificate, each trust
// anchor it loads, and the nextUpdate of each CRL. Read from the files named in the settings
// (the same files a reload reads), so that a replaced file is seen at the next check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tls/settings.hpp"

namespace im2k::tls {

struct certificate_expiry {
  std::string role;            // "own", "anchor" (ca_file) or "user_anchor" (user_ca_file)
  std::string subject;         // one-line subject, e.g. "CN=im2k test CA"
  std::string fingerprint;     // lower-case hex SHA-256 of the DER certificate
  std::int64_t not_after = 0;  // seconds since the epoch
};

// The own certificate (the leaf, first in cert_file) and every certificate in ca_file and
// user_ca_file. A file that cannot be read contributes nothing (the context build reports it).
std::vector<certificate_expiry> read_expiries(const tls_settings& settings);

// The earliest nextUpdate of the CRLs in `files`; nullopt when none has one.
std::optional<std::int64_t> earliest_next_update(const std::vector<std::string>& files);

}  // namespace im2k::tls
