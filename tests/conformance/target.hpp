// What the suite runs against: the implementation under test (one IMS and one OMS), the CA they
// trust, and the suite's own test domain, whose servers the suite impersonates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/system/result.hpp>

namespace im2k::conform {

struct server_under_test {
  std::string host;                     // mx.beta.test, oms.alpha.test
  std::string address;                  // its listening address
  std::string domain;                   // the domain it serves (beta.test, alpha.test)
  std::string user;                     // a user of that domain (bob@beta.test, alice@alpha.test)
  std::filesystem::path password_file;  // the OMS user's password (submit, status, recall)
  std::uint16_t port = 0;               // notify (IMS) or pull (OMS)
  std::uint16_t submit_port = 0;        // OMS only
};

struct target {
  server_under_test ims;
  server_under_test oms;
  // The CA the implementation trusts, with its key: the suite issues its own certificates.
  std::filesystem::path ca_cert;
  std::filesystem::path ca_key;
  std::filesystem::path ca_dir;  // a deploy/pki/pki.sh CA directory (copied, never changed)
  std::filesystem::path crl;
  // The suite's domain: oms.<it> and mx.<it> resolve to the two addresses below, its MX is
  // mx.<it>, its SPF designates exactly the OMS address.
  std::string suite_domain;
  std::string suite_oms_address;
  std::string suite_mx_address;
  // An address on the same machine that DNS gives to no host (source-address case, [N-3]).
  std::string stray_address;
  // The ports the implementation connects to: its IMS pulls from pull_port, its OMS notifies
  // notify_port.
  std::uint16_t pull_port = 4652;
  std::uint16_t notify_port = 4650;
  // A domain whose SPF look-up cannot be answered (SERVFAIL or timeout); empty: skip.
  std::string temperror_domain;
  // A domain that publishes SPF designating another address (not the suite's).
  std::string foreign_domain;

  // Testbed only: the IMS's pid, so that a new CRL can be published to it (SIGHUP, [C-8]).
  int ims_pid = 0;

  std::string suite_oms_host() const { return "oms." + suite_domain; }
  std::string suite_mx_host() const { return "mx." + suite_domain; }
};

// From DIR/state.json of deploy/testbed/testbed.sh. The suite domain must be one of its
// domains (`up --extra-domain conform.test`); the IMS and OMS under test are those of
// `ims_domain` and `oms_domain`.
boost::system::result<target, std::string> target_from_testbed(const std::filesystem::path& dir,
                                                               const std::string& suite_domain,
                                                               const std::string& ims_domain,
                                                               const std::string& oms_domain);

// From a TOML file (format in tests/conformance/README.md).
boost::system::result<target, std::string> target_from_toml(const std::filesystem::path& file);

}  // namespace im2k::conform
