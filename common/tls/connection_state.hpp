// What OpenSSL's callbacks learn about one connection, kept in the SSL object's ex_data so
// that the reason for a failed handshake can be named afterwards, on either side.
#pragma once

#include <string>

#include <openssl/ssl.h>

#include "common/tls/failure.hpp"

namespace im2k::tls {

struct connection_state {
  int verify_error = 0;  // the first X509_V_ERR_* of the peer's chain; 0 (X509_V_OK) if none
  int verify_depth = 0;  // where in the chain it happened (0 = the peer's own certificate)
  std::string subject;   // the subject of that certificate, for the log
  failure refused = failure::none;  // set by our own callbacks (ALPN)
};

// The state of `ssl`, created on first use and freed with the SSL object.
connection_state& state_of(SSL* ssl);
// The state if any callback created one, else nullptr.
const connection_state* find_state(const SSL* ssl);

// SSL_CTX_set_verify callback: records the first verification error, changes no decision.
int record_verify_result(int preverify_ok, X509_STORE_CTX* store);

}  // namespace im2k::tls
