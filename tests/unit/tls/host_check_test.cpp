// Host-name rules: DNS subjectAltNames only, wildcard only as a whole left-most label matching
// exactly one label. Certificates are built in memory; only their names matter here.
#include "common/tls/host_check.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "proto/syntax.hpp"

namespace {

using im2k::tls::check_host;
using im2k::tls::dns_names;
using im2k::tls::failure;

struct x509_deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

// A self-signed certificate with subject CN `cn` (if not empty) and subjectAltName `san` in
// openssl's configuration syntax ("DNS:a.test,IP:127.0.0.1"; none if empty).
x509_ptr make_cert(const std::string& cn, const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(cert.get(), name);
  if (!san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    EXPECT_NE(ext, nullptr) << san;
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), key, EVP_sha256());
  EVP_PKEY_free(key);
  return cert;
}

TEST(TlsHostCheck, ExactDnsNameMatches) {
  auto cert = make_cert("", "DNS:mx.alpha.test,DNS:oms.alpha.test");
  EXPECT_EQ(check_host(cert.get(), "mx.alpha.test"), failure::none);
  EXPECT_EQ(check_host(cert.get(), "oms.alpha.test"), failure::none);
  EXPECT_EQ(check_host(cert.get(), "ims.alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "x.mx.alpha.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, CaseInsensitiveAndNoTrailingDot) {
  auto cert = make_cert("", "DNS:MX.Alpha.test");
  EXPECT_EQ(check_host(cert.get(), "mx.alpha.TEST"), failure::none);
  // [V-5] names have no trailing dot; the same name with one is not a host name.
  EXPECT_EQ(check_host(cert.get(), "mx.alpha.test."), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "mx.alpha.test.."), failure::name_mismatch);
}

TEST(TlsHostCheck, CommonNameIsNeverUsed) {
  auto cn_only = make_cert("mx.alpha.test", "");
  EXPECT_EQ(check_host(cn_only.get(), "mx.alpha.test"), failure::name_mismatch);
  auto both = make_cert("mx.alpha.test", "DNS:other.alpha.test");
  EXPECT_EQ(check_host(both.get(), "mx.alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(both.get(), "other.alpha.test"), failure::none);
}

TEST(TlsHostCheck, WildcardMatchesExactlyOneLeftMostLabel) {
  auto cert = make_cert("", "DNS:*.alpha.test");
  EXPECT_EQ(check_host(cert.get(), "mx.alpha.test"), failure::none);
  EXPECT_EQ(check_host(cert.get(), "MX2.Alpha.Test"), failure::none);
  EXPECT_EQ(check_host(cert.get(), "alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "a.mx.alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "mx.beta.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, PartialWildcardsAreNotWildcards) {
  auto cert = make_cert("", "DNS:f*.alpha.test,DNS:*x.beta.test,DNS:a*b.gamma.test");
  EXPECT_EQ(check_host(cert.get(), "foo.alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "mx.beta.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "axb.gamma.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, WildcardOnlyInTheLeftMostLabelAndNotOverATopLevelDomain) {
  auto middle = make_cert("", "DNS:mx.*.test");
  EXPECT_EQ(check_host(middle.get(), "mx.alpha.test"), failure::name_mismatch);
  auto tld = make_cert("", "DNS:*.test");
  EXPECT_EQ(check_host(tld.get(), "alpha.test"), failure::name_mismatch);
  auto bare = make_cert("", "DNS:*");
  EXPECT_EQ(check_host(bare.get(), "localhost"), failure::name_mismatch);
}

TEST(TlsHostCheck, OnlyDnsNamesCount) {
  auto cert = make_cert("", "IP:127.0.0.1,email:postmaster@alpha.test,URI:https://alpha.test/");
  EXPECT_EQ(check_host(cert.get(), "127.0.0.1"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "alpha.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, EmptyOrNulHostAndNoCertificateNeverMatch) {
  auto cert = make_cert("", "DNS:mx.alpha.test");
  EXPECT_EQ(check_host(cert.get(), ""), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "."), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), std::string_view("mx.alpha.test\0.evil", 19)),
            failure::name_mismatch);
  EXPECT_EQ(check_host(nullptr, "mx.alpha.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, LeadingDotOrWildcardInTheClaimedHostNeverWidensTheMatch) {
  // OpenSSL reads ".alpha.test" as "any subdomain of alpha.test"; a peer's claim must not.
  auto cert = make_cert("", "DNS:mx.alpha.test,DNS:*.beta.test");
  EXPECT_EQ(check_host(cert.get(), ".alpha.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "*.beta.test"), failure::name_mismatch);
  EXPECT_EQ(check_host(cert.get(), "mx..alpha.test"), failure::name_mismatch);
}

TEST(TlsHostCheck, HostNameSyntax) {
  using im2k::tls::is_host_name;
  EXPECT_TRUE(is_host_name("mx.alpha.test"));
  EXPECT_TRUE(is_host_name("MX.Alpha.Test"));
  EXPECT_FALSE(is_host_name("mx.alpha.test."));  // [V-5]: no trailing dot
  EXPECT_FALSE(is_host_name("localhost"));       // [V-5]: at least two labels
  EXPECT_TRUE(is_host_name("a-b.x1.test"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("."));
  EXPECT_FALSE(is_host_name(".alpha.test"));
  EXPECT_FALSE(is_host_name("mx..alpha.test"));
  EXPECT_FALSE(is_host_name("*.alpha.test"));
  EXPECT_FALSE(is_host_name("-mx.alpha.test"));
  EXPECT_FALSE(is_host_name("mx-.alpha.test"));
  EXPECT_FALSE(is_host_name("mx alpha.test"));
  EXPECT_FALSE(is_host_name("mx_alpha.test"));
  EXPECT_FALSE(is_host_name("127.0.0.1"));
  EXPECT_FALSE(is_host_name("::1"));
  EXPECT_TRUE(is_host_name("1.2.3.test"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".test"));
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(is_host_name(std::string(254, 'a')));
}

// tls uses the wire rule [V-5] as it is; it relies on [V-5] refusing IPv4 literals, which
// OpenSSL would take for IP addresses and match against IP subjectAltNames.
TEST(TlsHostCheck, HostNameIsTheWireRule) {
  for (const char* ipv4 : {"127.0.0.1", "192.0.2.1", "10.1"}) {
    EXPECT_FALSE(im2k::proto::is_host_name(ipv4)) << ipv4;
    EXPECT_FALSE(im2k::tls::is_host_name(ipv4)) << ipv4;
  }
  const std::vector<std::string> others{"mx.alpha.test",      "1.2.3.test",  "mx.alpha.test.",
                                        "localhost",          "al_pha.test", "-a.test",
                                        std::string(254, 'a')};
  for (const std::string& other : others) {
    EXPECT_EQ(im2k::tls::is_host_name(other), im2k::proto::is_host_name(other)) << other;
  }
}

TEST(TlsHostCheck, DnsNamesListsOnlyDnsEntriesInOrder) {
  auto cert = make_cert("cn.alpha.test", "DNS:b.alpha.test,IP:127.0.0.1,DNS:*.alpha.test");
  EXPECT_EQ(dns_names(cert.get()), (std::vector<std::string>{"b.alpha.test", "*.alpha.test"}));
  auto none = make_cert("cn.alpha.test", "");
  EXPECT_TRUE(dns_names(none.get()).empty());
  EXPECT_TRUE(dns_names(nullptr).empty());
}

}  // namespace
