#include "common/tls/host_check.hpp"

#include <openssl/x509v3.h>

#include "proto/syntax.hpp"

namespace im2k::tls {

bool is_host_name(std::string_view host) {
  return proto::is_host_name(host);
}

unsigned int host_check_flags() {
  // NEVER_CHECK_SUBJECT: no fallback to the CN. NO_PARTIAL_WILDCARDS: "f*.example" is not a
  // wildcard. OpenSSL already lets "*" match one whole label only, and never "*.tld".
  return X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
}

failure check_host(X509* cert, std::string_view host) {
  if (cert == nullptr || !is_host_name(host)) {
    return failure::name_mismatch;
  }
  const int matched = X509_check_host(cert, host.data(), host.size(), host_check_flags(), nullptr);
  return matched == 1 ? failure::none : failure::name_mismatch;
}

failure check_peer_host(tls_stream& stream, listener_kind kind, std::string_view host) {
  const SSL* ssl = stream.native_handle();
  X509* cert = SSL_get0_peer_certificate(ssl);
  const failure result = cert == nullptr ? failure::no_certificate : check_host(cert, host);
  if (result != failure::none) {
    std::string names;
    for (const std::string& name : peer_dns_names(ssl)) {
      names += names.empty() ? name : "," + name;
    }
    const std::string peer = peer_of(stream);
    const std::string detail = "claimed host not in certificate names [" + names + "]";
    report_failure(
        result, {.side = "server", .listener = kind, .peer = peer, .host = host, .detail = detail});
  }
  return result;
}

namespace {

// The subjectAltName entries of `type` (GEN_DNS, GEN_EMAIL: both IA5Strings), as written.
std::vector<std::string> alt_names(X509* cert, int type) {
  std::vector<std::string> names;
  if (cert == nullptr) {
    return names;
  }
  auto* general_names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general_names == nullptr) {
    return names;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(general_names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, i);
    if (name->type == type) {
      const ASN1_IA5STRING* text = type == GEN_DNS ? name->d.dNSName : name->d.rfc822Name;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    }
  }
  GENERAL_NAMES_free(general_names);
  return names;
}

}  // namespace

std::vector<std::string> dns_names(X509* cert) {
  return alt_names(cert, GEN_DNS);
}

std::vector<std::string> email_names(X509* cert) {
  return alt_names(cert, GEN_EMAIL);
}

std::vector<std::string> peer_dns_names(const SSL* ssl) {
  return dns_names(SSL_get0_peer_certificate(ssl));
}

std::vector<std::string> peer_email_names(const SSL* ssl) {
  return email_names(SSL_get0_peer_certificate(ssl));
}

}  // namespace im2k::tls
