#include "common/tls/expiry.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/crypto/sha256.hpp"

namespace im2k::tls {

namespace {

struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;

std::optional<std::int64_t> to_epoch(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string subject_of(X509* cert) {
  bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0,
                                 XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string fingerprint_of(X509* cert) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &size) != 1 || size != digest.size()) {
    return {};
  }
  crypto::sha256_digest d;
  std::copy(digest.begin(), digest.end(), d.begin());
  return crypto::to_hex(d);
}

// Every certificate of a PEM file (only the first when `first_only`).
void read_file(const std::string& file, const char* role, bool first_only,
               std::vector<certificate_expiry>& out) {
  if (file.empty()) {
    return;
  }
  bio_ptr in(BIO_new_file(file.c_str(), "r"));
  if (!in) {
    return;
  }
  while (X509* cert = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    if (auto not_after = to_epoch(X509_get0_notAfter(cert))) {
      out.push_back({role, subject_of(cert), fingerprint_of(cert), *not_after});
    }
    X509_free(cert);
    if (first_only) {
      break;
    }
  }
}

}  // namespace

std::vector<certificate_expiry> read_expiries(const tls_settings& settings) {
  std::vector<certificate_expiry> out;
  read_file(settings.cert_file, "own", true, out);
  read_file(settings.ca_file, "anchor", false, out);
  read_file(settings.user_ca_file, "user_anchor", false, out);
  return out;
}

std::optional<std::int64_t> earliest_next_update(const std::vector<std::string>& files) {
  std::optional<std::int64_t> earliest;
  for (const auto& file : files) {
    bio_ptr in(BIO_new_file(file.c_str(), "r"));
    if (!in) {
      continue;
    }
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr)) {
      auto next = to_epoch(X509_CRL_get0_nextUpdate(crl));
      X509_CRL_free(crl);
      if (next && (!earliest || *next < *earliest)) {
        earliest = next;
      }
    }
  }
  return earliest;
}

}  // namespace im2k::tls
