#include "common/tls/failure.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>
#include <nlohmann/json.hpp>

#include "common/log/log.hpp"
#include "common/tls/classify.hpp"
#include "common/tls/settings.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using im2k::tls::failure;

TEST(TlsFailure, NamesAreTheDocumentedOnes) {
  using im2k::tls::to_string;
  EXPECT_EQ(to_string(failure::expired), "expired");
  EXPECT_EQ(to_string(failure::not_yet_valid), "not-yet-valid");
  EXPECT_EQ(to_string(failure::revoked), "revoked");
  EXPECT_EQ(to_string(failure::unknown_ca), "unknown-ca");
  EXPECT_EQ(to_string(failure::name_mismatch), "name-mismatch");
  EXPECT_EQ(to_string(failure::no_certificate), "no-certificate");
  EXPECT_EQ(to_string(failure::crl_missing), "crl-missing");
  EXPECT_EQ(to_string(failure::wrong_usage), "wrong-usage");
  EXPECT_EQ(to_string(failure::protocol_version), "protocol-version");
  EXPECT_EQ(to_string(failure::alpn), "alpn");
  EXPECT_EQ(to_string(failure::handshake), "handshake");
}

TEST(TlsFailure, VerifyErrorsMapToReasons) {
  using im2k::tls::from_verify_error;
  EXPECT_EQ(from_verify_error(X509_V_OK), failure::none);
  EXPECT_EQ(from_verify_error(X509_V_ERR_CERT_HAS_EXPIRED), failure::expired);
  EXPECT_EQ(from_verify_error(X509_V_ERR_CERT_NOT_YET_VALID), failure::not_yet_valid);
  EXPECT_EQ(from_verify_error(X509_V_ERR_CERT_REVOKED), failure::revoked);
  EXPECT_EQ(from_verify_error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY), failure::unknown_ca);
  EXPECT_EQ(from_verify_error(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT), failure::unknown_ca);
  EXPECT_EQ(from_verify_error(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN), failure::unknown_ca);
  EXPECT_EQ(from_verify_error(X509_V_ERR_UNABLE_TO_GET_CRL), failure::crl_missing);
  EXPECT_EQ(from_verify_error(X509_V_ERR_CRL_HAS_EXPIRED), failure::crl_missing);
  EXPECT_EQ(from_verify_error(X509_V_ERR_INVALID_PURPOSE), failure::wrong_usage);
  EXPECT_EQ(from_verify_error(X509_V_ERR_HOSTNAME_MISMATCH), failure::name_mismatch);
  EXPECT_EQ(from_verify_error(X509_V_ERR_CERT_SIGNATURE_FAILURE), failure::handshake);
}

TEST(TlsFailure, NoErrorIsNoFailure) {
  EXPECT_EQ(im2k::tls::classify(boost::system::error_code{}, static_cast<const SSL*>(nullptr)),
            failure::none);
}

TEST(TlsFailure, ReportCountsPerReason) {
  const auto revoked_before = im2k::tls::tls_failures(failure::revoked);
  const auto alpn_before = im2k::tls::tls_failures(failure::alpn);
  const im2k::tls::failure_report report{.side = "server", .peer = "127.0.0.1:1"};
  im2k::tls::report_failure(failure::revoked, report);
  im2k::tls::report_failure(failure::revoked, report);
  im2k::tls::report_failure(failure::none, report);
  EXPECT_EQ(im2k::tls::tls_failures(failure::revoked), revoked_before + 2);
  EXPECT_EQ(im2k::tls::tls_failures(failure::alpn), alpn_before);
}

TEST(TlsFailure, ReportWritesOneStructuredLine) {
  const im2k::test::temp_dir dir;
  const auto path = dir / "log.jsonl";
  im2k::log::log_to_file(path);
  im2k::tls::report_failure(failure::unknown_ca,
                            {.side = "client",
                             .listener = im2k::tls::listener_kind::pull,
                             .peer = "127.0.0.1:4652",
                             .host = "oms.alpha.test",
                             .detail = "unable to get local issuer certificate\n\"x\""});
  im2k::tls::report_failure(failure::none, {.side = "client", .peer = "127.0.0.1:4652"});
  im2k::log::log_to_stderr();

  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 1u);
  const auto event = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(event["event"], "tls.failure");
  EXPECT_EQ(event["level"], "warn");
  EXPECT_EQ(event["reason"], "unknown-ca");
  EXPECT_EQ(event["side"], "client");
  EXPECT_EQ(event["listener"], "pull");
  EXPECT_EQ(event["peer"], "127.0.0.1:4652");
  EXPECT_EQ(event["host"], "oms.alpha.test");
  EXPECT_EQ(event["detail"], "unable to get local issuer certificate\n\"x\"");
}

TEST(TlsSettings, AlpnPerListener) {
  using im2k::tls::listener_kind;
  EXPECT_EQ(im2k::tls::alpn_of(listener_kind::notify), "im2k-notify/1");
  EXPECT_EQ(im2k::tls::alpn_of(listener_kind::pull), "im2k-pull/1");
  EXPECT_EQ(im2k::tls::alpn_of(listener_kind::submit), "im2k-submit/1");
  EXPECT_EQ(im2k::tls::alpn_of(listener_kind::mailbox), "im2k-mailbox/1");
  EXPECT_TRUE(im2k::tls::requires_peer_certificate(listener_kind::notify));
  EXPECT_TRUE(im2k::tls::requires_peer_certificate(listener_kind::pull));
  EXPECT_FALSE(im2k::tls::requires_peer_certificate(listener_kind::submit));
  EXPECT_FALSE(im2k::tls::requires_peer_certificate(listener_kind::mailbox));
}

}  // namespace
