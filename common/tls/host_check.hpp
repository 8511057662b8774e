// Host names in certificates: only DNS subjectAltNames count (never the subject CN), and a
// wildcard only as the whole left-most label, standing for exactly one label.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/tls/failure.hpp"
#include "common/tls/settings.hpp"
#include "common/tls/stream.hpp"

namespace im2k::tls {

// The X509_CHECK_FLAG_* every name check uses, in the handshake (SSL_set1_host) and after it.
unsigned int host_check_flags();

// A host name as the TLS layer accepts one (SNI, certificate name checks): exactly the wire rule
// proto::is_host_name ([V-5]). That rule is what tls relies on: no leading dot or wildcard
// (OpenSSL reads ".alpha.test" as "any subdomain"; a peer's claim must never widen the match)
// and no all-digit last label (OpenSSL 3's SSL_set1_host takes "127.0.0.1" for an IP address and
// would match IP subjectAltNames).
bool is_host_name(std::string_view host);

// none if `host` is a host name (see is_host_name) and is among the DNS subjectAltNames of `cert`
// (case-insensitive), else name_mismatch (also for a null certificate).
failure check_host(X509* cert, std::string_view host);

// The same for the peer certificate of an established connection on a `kind` listener, e.g. a
// server checking the host its client claims in `hello`. A mismatch is reported
// (report_failure: logged and counted); no peer certificate is no_certificate.
failure check_peer_host(tls_stream& stream, listener_kind kind, std::string_view host);

// The DNS subjectAltNames, as written in the certificate.
std::vector<std::string> dns_names(X509* cert);
std::vector<std::string> peer_dns_names(const SSL* ssl);

// The rfc822Name (email) subjectAltNames, as written: what names a user ([C-11]). The peer
// certificate of an established connection has been verified by the handshake.
std::vector<std::string> email_names(X509* cert);
std::vector<std::string> peer_email_names(const SSL* ssl);

}  // namespace im2k::tls
