// Why a TLS connection was refused, as a small set of named reasons that logs, metrics and
// tests share, and a process-wide counter per reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/tls/settings.hpp"
#include "common/tls/stream.hpp"

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

// One refused connection, as report_failure logs it.
struct failure_report {
  std::string_view side{};  // "server" or "client"
  listener_kind listener = listener_kind::notify;
  std::string_view peer{};  // the remote endpoint, "127.0.0.1:4650"
  std::string_view host{};  // the host the client expects, or the one a client claims; may be empty
  std::string_view detail{};  // OpenSSL's words, or ours
};

// `stream`'s remote endpoint as failure_report::peer wants it ("127.0.0.1:4650"), or "unknown".
std::string peer_of(tls_stream& stream);

// The one place a TLS failure is logged and counted: one structured line, event "tls.failure"
// with reason, side, listener, peer, host and detail (common/log). failure::none is ignored.
void report_failure(failure f, const failure_report& report);

}  // namespace im2k::tls
