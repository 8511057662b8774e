// deploy/pki/pki.sh: the paths it prints, the certificates it makes, and its refusals.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/tls/host_check.hpp"
#include "tests/integration/tls/test_pki.hpp"

namespace im2k::tls::testing {
namespace {

struct x509_deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};

std::unique_ptr<X509, x509_deleter> load_cert(const std::string& file) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) {
    return nullptr;
  }
  std::unique_ptr<X509, x509_deleter> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

TEST(TlsPkiScript, InitIsIdempotentAndPrintsItsPaths) {
  test_pki pki;
  const std::string again = pki.run("init " + pki.ca_dir());
  EXPECT_NE(again.find(pki.path("ca.pem") + "\n"), std::string::npos) << again;
  EXPECT_NE(again.find(pki.path("index.txt") + "\n"), std::string::npos) << again;
  EXPECT_TRUE(load_cert(pki.path("ca.pem")));
}

TEST(TlsPkiScript, IssueWritesKeyAndCertificateWithNamesAndUsage) {
  test_pki pki;
  const std::string out =
      pki.run("issue " + pki.ca_dir() + " mx --dns mx.alpha.test,*.alpha.test --client");
  EXPECT_EQ(out, pki.path("mx.key") + "\n" + pki.path("mx.pem") + "\n");
  auto cert = load_cert(pki.path("mx.pem"));
  ASSERT_TRUE(cert);
  EXPECT_EQ(dns_names(cert.get()), (std::vector<std::string>{"mx.alpha.test", "*.alpha.test"}));
  const uint32_t eku = X509_get_extended_key_usage(cert.get());
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  EXPECT_FALSE(eku & XKU_SSL_SERVER);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
}

TEST(TlsPkiScript, IssueWithEmailWritesAUserCertificate) {
  test_pki pki;
  pki.run("issue " + pki.ca_dir() + " alice --email alice@alpha.test,Alice@beta.test --client");
  auto cert = load_cert(pki.path("alice.pem"));
  ASSERT_TRUE(cert);
  EXPECT_EQ(email_names(cert.get()),
            (std::vector<std::string>{"alice@alpha.test", "Alice@beta.test"}));
  EXPECT_TRUE(dns_names(cert.get()).empty());
  const uint32_t eku = X509_get_extended_key_usage(cert.get());
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  EXPECT_FALSE(eku & XKU_SSL_SERVER);
}

TEST(TlsPkiScript, CrlPrintsItsPathAndListsRevokedCertificates) {
  test_pki pki;
  pki.run("issue " + pki.ca_dir() + " gone --dns gone.alpha.test");
  pki.run("revoke " + pki.ca_dir() + " gone");
  // Revoking twice is not an error.
  pki.run("revoke " + pki.ca_dir() + " gone");
  EXPECT_EQ(pki.run("crl " + pki.ca_dir()), pki.path("crl.pem") + "\n");
  FILE* f = std::fopen(pki.path("crl.pem").c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509_CRL* crl = PEM_read_X509_CRL(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
  EXPECT_GT(X509_cmp_current_time(X509_CRL_get0_nextUpdate(crl)), 0);
  X509_CRL_free(crl);
}

TEST(TlsPkiScript, MisuseFailsWithAMessage) {
  test_pki pki;
  const std::string ca = pki.ca_dir();
  const std::vector<std::string> misuses = {
      "",
      "bogus",
      "issue " + ca + " x",
      "issue " + ca + " x --dns 'a b'",
      "issue " + ca + " x --email 'not an address' --client",
      "issue " + ca + " x --dns a.test --days 1 --not-after +1d",
      "issue " + ca + " ../x --dns a",
      "issue " + ca + " x --dns a.test --not-before yesterday",
      "crl " + ca + " --hours x"};
  for (const std::string& args : misuses) {
    const auto result = pki.try_run(args);
    EXPECT_EQ(result.status, 2) << args << ": " << result.output;
    EXPECT_NE(result.output.find("pki.sh: "), std::string::npos) << args;
  }
  pki.run("issue " + ca + " twice --dns twice.test");
  const auto again = pki.try_run("issue " + ca + " twice --dns twice.test");
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("already issued"), std::string::npos) << again.output;
  EXPECT_EQ(pki.try_run("revoke " + ca + " nobody").status, 1);
  EXPECT_EQ(pki.try_run("crl " + pki.ca_dir("not-a-ca")).status, 1);
}

}  // namespace
}  // namespace im2k::tls::testing
