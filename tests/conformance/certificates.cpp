#include "tests/conformance/certificates.hpp"

#include <vector>

#include "tests/support/run_command.hpp"

namespace im2k::conform {

namespace fs = std::filesystem;

namespace {

struct issuer {
  const fs::path& script;
  std::string error;

  bool run(std::vector<std::string> args) {
    if (!error.empty())
      return false;
    args.insert(args.begin(), script.string());
    auto r = test::run_command(args, {}, std::chrono::seconds(60));
    if (r.exit_status != 0)
      error = "pki.sh " + args.at(1) + " failed: " + r.err;
    return error.empty();
  }

  cert_pair issue(const fs::path& dir, const std::string& name, const std::string& host,
                  std::vector<std::string> extra) {
    std::vector<std::string> args = {"issue", dir.string(), name, "--dns", host};
    args.insert(args.end(), extra.begin(), extra.end());
    run(args);
    return {(dir / (name + ".pem")).string(), (dir / (name + ".key")).string()};
  }
};

}  // namespace

boost::system::result<certificates, std::string> issue_certificates(const target& t,
                                                                    const fs::path& pki_script,
                                                                    const fs::path& work) {
  std::error_code ec;
  auto ca = work / "ca";
  fs::copy(t.ca_dir, ca, fs::copy_options::recursive, ec);
  if (ec)
    return "cannot copy the CA " + t.ca_dir.string() + ": " + ec.message();
  issuer i{pki_script, {}};
  certificates c;
  auto oms = t.suite_oms_host();
  c.suite_oms = i.issue(ca, "conform-oms", oms, {});
  c.suite_mx = i.issue(ca, "conform-mx", t.suite_mx_host(), {});
  c.expired = i.issue(ca, "conform-expired", oms, {"--not-before", "-2d", "--not-after", "-1d"});
  c.not_yet = i.issue(ca, "conform-not-yet", oms, {"--not-before", "+1d", "--not-after", "+2d"});
  c.server_only = i.issue(ca, "conform-server-only", oms, {"--server"});
  c.wildcard = i.issue(ca, "conform-wildcard", "*." + t.suite_domain, {});
  auto tld = t.suite_domain.substr(t.suite_domain.rfind('.') + 1);
  c.tld_wildcard = i.issue(ca, "conform-tld-wildcard", "*." + tld, {});
  c.revoked = i.issue(ca, "conform-revoked", oms, {});
  i.run({"revoke", ca.string(), "conform-revoked"});
  c.revoked_crl = (work / "revoked-crl.pem").string();
  i.run({"crl", ca.string(), "--out", c.revoked_crl});
  c.self_signed = i.issue(ca, "conform-self-signed", oms, {"--self-signed"});
  auto other = work / "other-ca";
  i.run({"init", other.string()});
  c.unknown_ca = i.issue(other, "conform-unknown", oms, {});
  if (!i.error.empty())
    return i.error;
  return c;
}

}  // namespace im2k::conform
