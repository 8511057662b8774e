// Turns a failed handshake (or the first failed read after it) into a named reason.
#pragma once

#include <string>

#include <openssl/ssl.h>
#include <boost/system/error_code.hpp>

#include "common/tls/failure.hpp"
#include "common/tls/stream.hpp"

namespace im2k::tls {

// X509_V_ERR_* -> reason (X509_V_OK -> none; unlisted errors -> handshake).
failure from_verify_error(int x509_error);

// The reason for `ec` on the connection `ssl`: what our own callbacks recorded first (ALPN,
// the peer's certificate), then the OpenSSL error in `ec` (TLS 1.2 hello, missing client
// certificate, an alert from the peer naming our certificate's fault). No error -> none.
failure classify(const boost::system::error_code& ec, const SSL* ssl);
failure classify(const boost::system::error_code& ec, tls_stream& stream);

// OpenSSL's words for the same, for the log line.
std::string describe(const boost::system::error_code& ec, const SSL* ssl);

}  // namespace im2k::tls
