#include "common/tls/classify.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/ssl/error.hpp>

#include "common/tls/connection_state.hpp"

namespace im2k::tls {

namespace {

// Reasons carried by OpenSSL errors (ERR_GET_REASON) rather than by certificate verification.
failure from_ssl_reason(int reason) {
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return failure::protocol_version;
    case SSL_R_NO_APPLICATION_PROTOCOL:
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
      return failure::alpn;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return failure::no_certificate;
    // Alerts by which the peer told us what it found wrong with our certificate.
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return failure::expired;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return failure::revoked;
    default:
      return failure::handshake;
  }
}

}  // namespace

failure from_verify_error(int x509_error) {
  switch (x509_error) {
    case X509_V_OK:
      return failure::none;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return failure::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return failure::not_yet_valid;
    case X509_V_ERR_CERT_REVOKED:
      return failure::revoked;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return failure::unknown_ca;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      return failure::crl_missing;
    case X509_V_ERR_INVALID_PURPOSE:
      return failure::wrong_usage;
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return failure::name_mismatch;
    default:
      return failure::handshake;
  }
}

failure classify(const boost::system::error_code& ec, const SSL* ssl) {
  if (!ec) {
    return failure::none;
  }
  if (ssl != nullptr) {
    if (const connection_state* state = find_state(ssl)) {
      if (state->refused != failure::none) {
        return state->refused;
      }
      if (state->verify_error != X509_V_OK) {
        return from_verify_error(state->verify_error);
      }
    }
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    return from_ssl_reason(ERR_GET_REASON(static_cast<unsigned long>(ec.value())));
  }
  return failure::handshake;
}

failure classify(const boost::system::error_code& ec, tls_stream& stream) {
  return classify(ec, stream.native_handle());
}

std::string describe(const boost::system::error_code& ec, const SSL* ssl) {
  std::string text = ec.message();
  if (ssl != nullptr) {
    if (const connection_state* state = find_state(ssl); state && state->verify_error != 0) {
      text = X509_verify_cert_error_string(state->verify_error);
      text += " at depth " + std::to_string(state->verify_depth) + " (" + state->subject + ")";
    }
  }
  return text;
}

}  // namespace im2k::tls
