#include "common/tls/connection_state.hpp"

#include <openssl/x509.h>

namespace im2k::tls {

namespace {

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<connection_state*>(ptr);
}

// Asio keeps its own data in the SSL "app data" slot (index 0); ours is a separate index.
int state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_state);
  return index;
}

std::string subject_of(X509* cert) {
  if (cert == nullptr) {
    return {};
  }
  char buffer[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
  return buffer;
}

}  // namespace

connection_state& state_of(SSL* ssl) {
  auto* state = static_cast<connection_state*>(SSL_get_ex_data(ssl, state_index()));
  if (state == nullptr) {
    state = new connection_state;
    SSL_set_ex_data(ssl, state_index(), state);
  }
  return *state;
}

const connection_state* find_state(const SSL* ssl) {
  return static_cast<const connection_state*>(SSL_get_ex_data(ssl, state_index()));
}

int record_verify_result(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) {
    return 1;
  }
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) {
    return preverify_ok;
  }
  connection_state& state = state_of(ssl);
  if (state.verify_error == X509_V_OK) {
    state.verify_error = X509_STORE_CTX_get_error(store);
    state.verify_depth = X509_STORE_CTX_get_error_depth(store);
    state.subject = subject_of(X509_STORE_CTX_get_current_cert(store));
  }
  return preverify_ok;
}

}  // namespace im2k::tls
