#include "common/tls/failure.hpp"

#include <array>
#include <atomic>

#include "common/log/log.hpp"

namespace im2k::tls {

namespace {

std::array<std::atomic<std::uint64_t>, failure_count>& counters() {
  static std::array<std::atomic<std::uint64_t>, failure_count> values{};
  return values;
}

}  // namespace

std::string_view to_string(failure f) {
  switch (f) {
    case failure::none:
      return "none";
    case failure::expired:
      return "expired";
    case failure::not_yet_valid:
      return "not-yet-valid";
    case failure::revoked:
      return "revoked";
    case failure::unknown_ca:
      return "unknown-ca";
    case failure::name_mismatch:
      return "name-mismatch";
    case failure::no_certificate:
      return "no-certificate";
    case failure::crl_missing:
      return "crl-missing";
    case failure::wrong_usage:
      return "wrong-usage";
    case failure::protocol_version:
      return "protocol-version";
    case failure::alpn:
      return "alpn";
    case failure::handshake:
      return "handshake";
  }
  return "handshake";
}

std::uint64_t tls_failures(failure f) {
  return counters()[static_cast<std::size_t>(f)].load(std::memory_order_relaxed);
}

std::string peer_of(tls_stream& stream) {
  boost::system::error_code ec;
  const auto remote = stream.lowest_layer().remote_endpoint(ec);
  return ec ? std::string("unknown")
            : remote.address().to_string() + ":" + std::to_string(remote.port());
}

void report_failure(failure f, const failure_report& report) {
  if (f == failure::none) {
    return;
  }
  counters()[static_cast<std::size_t>(f)].fetch_add(1, std::memory_order_relaxed);
  log::warn("tls.failure")
      .kv("reason", to_string(f))
      .kv("side", report.side)
      .kv("listener", to_string(report.listener))
      .kv("peer", report.peer)
      .kv("host", report.host)
      .kv("detail", report.detail);
}

}  // namespace im2k::tls
