// Why a TLS connection was refused, as a small set of named reasons that logs, metrics and
// tests share, and a process-wide counter per reason.
#pragma once

#include <cstdint>
#include <string_view>

namespace im2k::tls {

enum class failure {
  none,
  expired,
  not_yet_valid,
  revoked,
  unknown_ca,
  name_mismatch,
  no_certificate,
  crl_missing,
  wrong_usage,
  protocol_version,
  alpn,
  handshake,  // anything else: timeout, reset, malformed record, bad signature, ...
};

inline constexpr int failure_count = static_cast<int>(failure::handshake) + 1;

// "expired", "not-yet-valid", "revoked", "unknown-ca", "name-mismatch", "no-certificate",
// "crl-missing", "wrong-usage", "protocol-version", "alpn", "handshake"; "none".
std::string_view to_string(failure f);

// How many failures of this reason the process has reported (for metrics).
std::uint64_t tls_failures(failure f);

// Logs one line and counts the failure. `side` is "server" or "client"; `peer` the remote
// endpoint or host; `detail` OpenSSL's words. failure::none is ignored.
void report_failure(failure f, std::string_view side, std::string_view peer,
                    std::string_view detail);

}  // namespace im2k::tls
