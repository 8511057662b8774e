// The certificates the suite presents, issued with deploy/pki/pki.sh into a temporary copy of
// the implementation's CA (the CA itself is never changed), plus one from a CA nobody trusts.
#pragma once

#include <filesystem>
#include <string>

#include <boost/system/result.hpp>

#include "tests/conformance/target.hpp"

namespace im2k::conform {

struct cert_pair {
  std::string cert;
  std::string key;
};

struct certificates {
  cert_pair suite_oms;      // oms.<suite>, server and client usage
  cert_pair suite_mx;       // mx.<suite>, server and client usage
  cert_pair expired;        // oms.<suite>, notAfter yesterday ([C-5])
  cert_pair not_yet;        // oms.<suite>, notBefore tomorrow ([C-5])
  cert_pair unknown_ca;     // oms.<suite> from a CA the implementation does not trust ([C-4])
  cert_pair self_signed;    // oms.<suite>, signed by its own key ([C-4])
  cert_pair server_only;    // oms.<suite> without clientAuth ([C-7])
  cert_pair wildcard;       // *.<suite>, which names oms.<suite> ([C-6])
  cert_pair revoked;        // oms.<suite>, listed in revoked_crl ([C-8])
  std::string revoked_crl;  // the CA's CRL plus `revoked`
  cert_pair tld_wildcard;   // *.<suite's last label>, which names nothing ([C-6])
};

// Issues everything under `work` (a fresh directory). Runs openssl through pki.sh: call it
// before the event loop starts.
boost::system::result<certificates, std::string> issue_certificates(
    const target& t, const std::filesystem::path& pki_script, const std::filesystem::path& work);

}  // namespace im2k::conform
