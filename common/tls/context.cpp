#include "common/tls/context.hpp"

#include <filesystem>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/tls/connection_state.hpp"
#include "common/tls/host_check.hpp"

namespace im2k::tls {

namespace {

// The OpenSSL error queue as text (and emptied, so that it cannot leak into a later call).
std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += text.empty() ? buffer : std::string("; ") + buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

context_result fail(const std::string& what) {
  return {nullptr, what + ": " + openssl_errors()};
}

// TLS 1.2 suites for SMTP submission ([W-3]): ECDHE key exchange and AEAD ciphers only, the
// "intermediate" set that current mail clients support.
constexpr const char* tls12_suites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A protocol list of one name in ALPN wire form: a length octet, then the name.
std::string wire_form(std::string_view name) {
  std::string wire(1, static_cast<char>(name.size()));
  wire.append(name);
  return wire;
}

// Static, because OpenSSL keeps the callback argument for as long as the SSL_CTX lives.
const std::string& alpn_wire(listener_kind kind) {
  static const std::string wire[] = {
      wire_form(alpn_of(listener_kind::notify)),
      wire_form(alpn_of(listener_kind::pull)),
      wire_form(alpn_of(listener_kind::submit)),
      wire_form(alpn_of(listener_kind::mailbox)),
      std::string(),  // submission: no ALPN
  };
  return wire[static_cast<int>(kind)];
}

// Server: accept only our protocol among those the client offers.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                const unsigned char* in, unsigned int in_len, void* arg) {
  const auto& wanted = *static_cast<const std::string*>(arg);
  const std::string_view name = std::string_view(wanted).substr(1);
  unsigned int i = 0;
  while (i < in_len) {
    const unsigned int len = in[i];
    if (len == 0 || len > in_len - i - 1) {
      break;  // malformed list
    }
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == name) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  state_of(ssl).refused = failure::alpn;
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
}

// Server: OpenSSL calls select_alpn only when the client offers ALPN; a TLS 1.3 client that
// offers none is refused here. A client without TLS 1.3 is left to version negotiation, so
// that it fails as protocol-version.
int require_alpn(SSL* ssl, int* alert, void*) {
  const unsigned char* data = nullptr;
  std::size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &data, &len) != 1) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                &len) != 1) {
    state_of(ssl).refused = failure::alpn;
    *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

std::string load_crls(SSL_CTX* ctx, const std::vector<std::string>& files) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const std::string& file : files) {
    BIO* bio = BIO_new_file(file.c_str(), "r");
    if (bio == nullptr) {
      return "cannot read CRL " + file + ": " + openssl_errors();
    }
    int loaded = 0;
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) {
      const int added = X509_STORE_add_crl(store, crl);
      X509_CRL_free(crl);
      if (added != 1) {
        BIO_free(bio);
        return "cannot add CRL " + file + ": " + openssl_errors();
      }
      ++loaded;
    }
    BIO_free(bio);
    ERR_clear_error();  // the end of the file reads as "no start line"
    if (loaded == 0) {
      return "no PEM CRL in " + file;
    }
  }
  return {};
}

// What both sides share: protocol, own certificate, trust anchors, CRLs, name-check flags.
context_result make_common(const tls_settings& settings, side s, listener_kind kind,
                           bool need_certificate) {
  ERR_clear_error();
  auto context = std::make_shared<boost::asio::ssl::context>(
      s == side::server ? boost::asio::ssl::context::tls_server
                        : boost::asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  const int min_version = is_im2k_listener(kind) ? TLS1_3_VERSION : TLS1_2_VERSION;  // [W-3]
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return fail("cannot restrict the context's TLS versions");
  }
  if (!is_im2k_listener(kind)) {
    if (SSL_CTX_set_cipher_list(ctx, tls12_suites) != 1) {
      return fail("cannot set the TLS 1.2 cipher suites");
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // No resumption: every connection proves its certificate afresh, so that a revocation or a
  // reload applies to the next connection.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);

  if (need_certificate && (settings.cert_file.empty() || settings.key_file.empty())) {
    return {nullptr, "a certificate and a key are required"};
  }
  if (!settings.cert_file.empty() || !settings.key_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
      return fail("cannot load certificate " + settings.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("cannot load key " + settings.key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail("key " + settings.key_file + " does not match " + settings.cert_file);
    }
  }

  if (s == side::server && !requires_peer_certificate(kind)) {
    // A user listener trusts only the user anchors ([C-11]); none configured leaves the store
    // empty, so that any presented certificate fails.
    if (!settings.user_ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx, settings.user_ca_file.c_str(), nullptr) != 1) {
      return fail("cannot load user trust anchors " + settings.user_ca_file);
    }
  } else if (settings.ca_file.empty() && settings.ca_dir.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return fail("cannot load the system trust store");
    }
  } else {
    if (!settings.ca_dir.empty() && !std::filesystem::is_directory(settings.ca_dir)) {
      return {nullptr, "CA directory " + settings.ca_dir + " does not exist"};
    }
    const char* file = settings.ca_file.empty() ? nullptr : settings.ca_file.c_str();
    const char* dir = settings.ca_dir.empty() ? nullptr : settings.ca_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
      return fail("cannot load trust anchors " + settings.ca_file + settings.ca_dir);
    }
  }

  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  if (settings.crl == crl_mode::require) {
    if (std::string error = load_crls(ctx, settings.crl_files); !error.empty()) {
      return {nullptr, error};
    }
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  // The peer's certificate must allow the role it plays (extended key usage).
  X509_VERIFY_PARAM_set_purpose(
      param, s == side::server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_hostflags(param, host_check_flags());
  return {context, {}};
}

}  // namespace

context_result make_server_context(const tls_settings& settings, listener_kind kind) {
  context_result result = make_common(settings, side::server, kind, true);
  if (!result) {
    return result;
  }
  SSL_CTX* ctx = result.context->native_handle();
  const int mode = requires_peer_certificate(kind)
                       ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                       : SSL_VERIFY_PEER;
  SSL_CTX_set_verify(ctx, mode, record_verify_result);
  static const unsigned char session_context[] = "im2k";
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  if (is_im2k_listener(kind)) {
    SSL_CTX_set_client_hello_cb(ctx, require_alpn, nullptr);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, const_cast<std::string*>(&alpn_wire(kind)));
  }
  return result;
}

context_result make_client_context(const tls_settings& settings, listener_kind kind) {
  context_result result =
      make_common(settings, side::client, kind, requires_peer_certificate(kind));
  if (!result) {
    return result;
  }
  SSL_CTX* ctx = result.context->native_handle();
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, record_verify_result);
  if (!is_im2k_listener(kind)) {
    return result;  // SMTP: no ALPN
  }
  const std::string& wire = alpn_wire(kind);
  // Unlike most of OpenSSL, 0 means success here.
  if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned int>(wire.size())) != 0) {
    return fail("cannot set ALPN");
  }
  return result;
}

context_result make_context(const tls_settings& settings, side s, listener_kind kind) {
  return s == side::server ? make_server_context(settings, kind)
                           : make_client_context(settings, kind);
}

}  // namespace im2k::tls
