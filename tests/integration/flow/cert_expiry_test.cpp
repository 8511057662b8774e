// Issue 15 item 7 on real daemons: an own certificate that expires soon is logged and exported
// as im2k_tls_certificate_expiry_seconds; a CRL replaced on disk is read on SIGHUP, and when the
// loaded CRL's nextUpdate passes, so that a newly revoked peer is refused on its next
// connection; a CRL that does not parse keeps the previous one. Testbed nets 190 and 191.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

namespace fs = std::filesystem;

std::string pki_script() {
  return std::string(IM2K_SOURCE_DIR) + "/deploy/pki/pki.sh";
}

void pki(const std::vector<std::string>& arguments) {
  std::vector<std::string> command{pki_script()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  const auto result = run_command(command);
  ASSERT_EQ(result.exit_status, 0) << result.err;
}

// SIGHUP to a testbed service, by the pid its pid file names ("PID START_TIME").
void hangup(const testbed& bed, const std::string& service) {
  std::ifstream in(bed.dir() / "bed" / "run" / (service + ".pid"));
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0) << "no pid file for " << service;
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
}

// Waits (at most 30 s) until `service` has logged `count` events named `name`.
bool wait_for_events(const testbed& bed, const std::string& service, const std::string& name,
                     std::size_t count, const field_match& fields = {}) {
  for (int i = 0; i < 300; ++i) {
    if (count_events(bed.events(service), name, fields) >= count) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The value of the first series of `metric` whose labels contain `label`, from a scrape.
std::optional<double> metric_value(const std::string& scrape, const std::string& metric,
                                   const std::string& label) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(metric + "{", 0) == 0 && line.find(label) != std::string::npos) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return std::nullopt;
}

// The IMS's notify listener credentials, in tls.reloaded and tls.reload_failed events.
const field_match notify{{"credentials", "notify listener"}};

peer_options alpha_peer(const testbed& bed, const fs::path& cert, const fs::path& key) {
  const auto& ims = bed.domain("beta.test").ims;
  const auto& oms = bed.domain("alpha.test").oms;
  return peer_options{ims.host, ims.address, 4650, false, cert, key, oms.address, oms.host};
}

// [C-12]
TEST(CertificateExpiry, OwnCertificateExpiringSoonIsLoggedAndExported) {
  testbed bed({.net = 190});
  const auto& ims = bed.domain("beta.test").ims;
  // A certificate for the same host that expires in 3 days, put in place of the IMS's own.
  pki({"issue", bed.ca_dir().string(), "short-lived", "--dns", ims.host, "--server", "--client",
       "--days", "3"});
  EXPECT_EQ(count_events(bed.events(ims.host), "tls.certificate_expiring"), 0u);
  fs::copy_file(bed.ca_dir() / "short-lived.pem", ims.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(bed.ca_dir() / "short-lived.key", ims.key, fs::copy_options::overwrite_existing);
  hangup(bed, ims.host);

  ASSERT_TRUE(
      wait_for_events(bed, ims.host, "tls.certificate_expiring", 1, {{"certificate", "own"}}));
  // The 10-year CA is not within the 14-day window.
  EXPECT_EQ(
      count_events(bed.events(ims.host), "tls.certificate_expiring", {{"certificate", "anchor"}}),
      0u);
  const auto scrape =
      run_command({"curl", "-sS", "--max-time", "10", "http://" + ims.metrics + "/metrics"});
  ASSERT_EQ(scrape.exit_status, 0) << scrape.err;
  const auto own =
      metric_value(scrape.out, "im2k_tls_certificate_expiry_seconds", "certificate=\"own\"");
  ASSERT_TRUE(own) << scrape.out;
  EXPECT_GT(*own, 2 * 86400);
  EXPECT_LE(*own, 3 * 86400);
  const auto anchor =
      metric_value(scrape.out, "im2k_tls_certificate_expiry_seconds", "certificate=\"anchor\"");
  ASSERT_TRUE(anchor) << scrape.out;
  EXPECT_GT(*anchor, 300 * 86400);
}

// [C-13]
TEST(CertificateExpiry, ReplacedCrlIsReadOnSighupAndWhenNextUpdatePasses) {
  testbed bed({.net = 191});
  const auto& ims = bed.domain("beta.test").ims;
  const auto& oms = bed.domain("alpha.test").oms;
  const auto ca = bed.ca_dir().string();
  const auto [first_cert, first_key] = bed.issue_certificate("peer-one", {oms.host});
  const auto [second_cert, second_key] = bed.issue_certificate("peer-two", {oms.host});
  // issue_certificate published a fresh CRL: load it.
  hangup(bed, ims.host);
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.reloaded", 1, notify));
  {
    peer_session before(bed, alpha_peer(bed, first_cert, first_key));
    EXPECT_TRUE(before.opened()) << before.refusal().message;
  }

  // Revoked and published: the IMS keeps its loaded CRL until SIGHUP.
  pki({"revoke", ca, "peer-one"});
  pki({"crl", ca});
  {
    peer_session not_yet(bed, alpha_peer(bed, first_cert, first_key));
    EXPECT_TRUE(not_yet.opened()) << not_yet.refusal().message;
  }
  hangup(bed, ims.host);
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.reloaded", 2, notify));
  {
    peer_session revoked(bed, alpha_peer(bed, first_cert, first_key));
    EXPECT_FALSE(revoked.opened());
    EXPECT_EQ(revoked.refusal().code, "connection");
  }
  // Logged by the IMS once its side of the handshake ends, maybe after the peer saw the alert.
  EXPECT_TRUE(wait_for_events(bed, ims.host, "tls.failure", 1, {{"reason", "revoked"}}));

  // A CRL that does not parse: the reload fails, the previous CRL stays in force. (The file is
  // put back before the next connection only because the test's own client reads it too.)
  const fs::path saved = bed.dir() / "crl.saved";
  fs::copy_file(bed.crl(), saved);
  std::ofstream(bed.crl()) << "not a CRL\n";
  hangup(bed, ims.host);
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.reload_failed", 1, notify));
  fs::copy_file(saved, bed.crl(), fs::copy_options::overwrite_existing);
  {
    peer_session still_revoked(bed, alpha_peer(bed, first_cert, first_key));
    EXPECT_FALSE(still_revoked.opened());
    peer_session good(bed, alpha_peer(bed, second_cert, second_key));
    EXPECT_TRUE(good.opened()) << good.refusal().message;
  }

  // A CRL whose nextUpdate is 8 s away, loaded by SIGHUP; then a fresh one revoking peer-two is
  // put in place (rename) without a signal. When nextUpdate passes the IMS re-reads the file.
  pki({"crl", ca, "--next-update", "+8s", "--last-update", "-1h"});
  hangup(bed, ims.host);
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.reloaded", 3, notify));
  pki({"revoke", ca, "peer-two"});
  const fs::path fresh = bed.dir() / "crl.fresh";
  pki({"crl", ca, "--out", fresh.string()});
  fs::rename(fresh, bed.crl());
  EXPECT_EQ(count_events(bed.events(ims.host), "tls.crl_next_update_passed"), 0u)
      << "the machine was too slow for the 8 s CRL";
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.crl_next_update_passed", 1));
  ASSERT_TRUE(wait_for_events(bed, ims.host, "tls.reloaded", 4, notify));
  peer_session now_revoked(bed, alpha_peer(bed, second_cert, second_key));
  EXPECT_FALSE(now_revoked.opened());
}

}  // namespace
}  // namespace im2k::test
