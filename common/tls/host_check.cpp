#include "common/tls/host_check.hpp"

#include <openssl/x509v3.h>

namespace im2k::tls {

namespace {

std::string_view without_trailing_dot(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  return host;
}

}  // namespace

bool is_host_name(std::string_view host) {
  host = without_trailing_dot(host);
  if (host.empty() || host.size() > 253) {
    return false;
  }
  // An all-numeric last label is an IPv4 literal (or no real name): SNI and certificate names
  // are DNS names.
  const std::string_view last = host.substr(host.rfind('.') + 1);
  if (last.find_first_not_of("0123456789") == std::string_view::npos) {
    return false;
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      const std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
      }
      label_start = i + 1;
      continue;
    }
    const char c = host[i];
    const bool ldh =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ldh) {
      return false;
    }
  }
  return true;
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
  host = without_trailing_dot(host);
  const int matched = X509_check_host(cert, host.data(), host.size(), host_check_flags(), nullptr);
  return matched == 1 ? failure::none : failure::name_mismatch;
}

failure check_peer_host(const SSL* ssl, std::string_view host) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  failure result = cert == nullptr ? failure::no_certificate : check_host(cert, host);
  if (result != failure::none) {
    std::string names;
    for (const std::string& name : peer_dns_names(ssl)) {
      names += names.empty() ? name : "," + name;
    }
    report_failure(result, "server", host, "claimed host not in certificate names [" + names + "]");
  }
  return result;
}

failure check_peer_host(tls_stream& stream, std::string_view host) {
  return check_peer_host(stream.native_handle(), host);
}

std::vector<std::string> dns_names(X509* cert) {
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
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<std::size_t>(ASN1_STRING_length(dns)));
    }
  }
  GENERAL_NAMES_free(general_names);
  return names;
}

std::vector<std::string> peer_dns_names(const SSL* ssl) {
  return dns_names(SSL_get0_peer_certificate(ssl));
}

}  // namespace im2k::tls
