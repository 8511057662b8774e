// Exports the per-reason TLS failure counters of common/tls/failure as
// im2k_tls_failures_total{reason="..."} in the global registry.
#pragma once

namespace im2k::metrics {

// Idempotent; the series stay registered for the life of the process.
void expose_tls_failures();

}  // namespace im2k::metrics
