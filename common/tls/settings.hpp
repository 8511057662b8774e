// What a TLS endpoint is configured with, and which listener (hence which ALPN) it serves.
#pragma once

#include <chrono>

#include <string>
#include <string_view>
#include <vector>

namespace im2k::tls {

// require: every certificate of the peer's chain below the trust anchor must be covered by a
// current CRL of its issuer (a missing or stale CRL fails the handshake as crl-missing), and
// every file in crl_files must load. off: no revocation check; crl_files are not read.
enum class crl_mode { require, off };

struct tls_settings {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
  std::string ca_file;    // trust anchors; ca_file and ca_dir both empty = the system store
  std::string ca_dir;
  // The user listeners' (submit, mailbox) anchors for client certificates, separate from the
  // peer anchors ([C-11]); empty = none, so a presented user certificate fails as unknown-ca.
  std::string user_ca_file;
  std::vector<std::string> crl_files;  // PEM CRLs
  crl_mode crl = crl_mode::require;
  // tls.expiry_warning: a certificate expiring sooner than this is logged as a warning.
  std::chrono::seconds expiry_warning{14 * 24 * 3600};
};

// The four listeners of ARCHITECTURE.md; a client names the kind of listener it connects to.
// `submission` is the OMS's SMTP submission (RFC 6409 with STARTTLS, RFC 8314 implicit TLS):
// ordinary mail clients, so TLS 1.2 or 1.3 and no ALPN (SPEC [W-3]); a user listener otherwise.
enum class listener_kind { notify, pull, submit, mailbox, submission };

// "im2k-notify/1", "im2k-pull/1", "im2k-submit/1", "im2k-mailbox/1"; "" for submission.
std::string_view alpn_of(listener_kind kind);

// Server-to-server listeners (notify, pull) require a client certificate; the user listeners
// (submit, mailbox, submission) verify one only if it is presented.
bool requires_peer_certificate(listener_kind kind);

// Whether the listener speaks the im2k protocol: TLS 1.3 only and its ALPN required ([T-1],
// [T-5]). False for SMTP submission.
bool is_im2k_listener(listener_kind kind);

std::string_view to_string(listener_kind kind);

}  // namespace im2k::tls
