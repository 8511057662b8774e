// Host names in certificates: only DNS subjectAltNames count (never the subject CN), and a
// wildcard only as the whole left-most label, standing for exactly one label.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/tls/failure.hpp"
#include "common/tls/stream.hpp"

namespace im2k::tls {

// The X509_CHECK_FLAG_* every name check uses, in the handshake (SSL_set1_host) and after it.
unsigned int host_check_flags();

// A host name as im2k accepts one from configuration or from a peer: dot-separated labels of
// letters, digits and hyphens (1 to 63 octets, no hyphen at either end), the last one not all
// digits (no IPv4 literal), at most 253 octets, one trailing dot allowed. This matters: OpenSSL
// reads a reference name with a leading dot
// (".alpha.test") as "any subdomain", and a peer's claim must never widen the match.
bool is_host_name(std::string_view host);

// none if `host` is a host name (see is_host_name) and is among the DNS subjectAltNames of `cert`
// (case-insensitive), else name_mismatch (also for a null certificate).
failure check_host(X509* cert, std::string_view host);

// The same for the peer certificate of an established connection, e.g. a server checking the
// host its client claims in `hello`. A mismatch is reported (logged and counted); no peer
// certificate is no_certificate.
failure check_peer_host(const SSL* ssl, std::string_view host);
failure check_peer_host(tls_stream& stream, std::string_view host);

// The DNS subjectAltNames, as written in the certificate.
std::vector<std::string> dns_names(X509* cert);
std::vector<std::string> peer_dns_names(const SSL* ssl);

}  // namespace im2k::tls
