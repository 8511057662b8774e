// im2k-conform: black-box conformance tests of a running im2k implementation over the wire.
//
//   im2k-conform --testbed DIR          against deploy/testbed/testbed.sh's servers
//   im2k-conform --config FILE          against any implementation (README.md)
//
// One line per case, then "N passed, N failed[, N skipped]" and the SPEC requirement IDs no
// case covers. Exit status: 0 if nothing failed, 1 if a case failed, 2 if the suite could not
// start.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "common/log/log.hpp"
#include "tests/conformance/certificates.hpp"
#include "tests/conformance/fake_ims.hpp"
#include "tests/conformance/fake_oms.hpp"
#include "tests/conformance/report.hpp"
#include "tests/conformance/suite.hpp"
#include "tests/conformance/target.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace im2k::conform;

struct options {
  std::string testbed;
  std::string config;
  std::string suite_domain = "conform.test";
  std::string ims_domain = "beta.test";
  std::string oms_domain = "alpha.test";
  std::string temperror_domain;
  std::string role = "all";
  std::string only;
  std::string log_file;
  std::string spec = IM2K_SOURCE_DIR "/proto/SPEC.md";
  std::string pki = IM2K_SOURCE_DIR "/deploy/pki/pki.sh";
  std::string testbed_script = IM2K_SOURCE_DIR "/deploy/testbed/testbed.sh";
};

// The testbed's own servers of the suite domain make way for the suite's fakes, and come back
// afterwards (best effort: the suite's verdicts do not depend on it).
class testbed_takeover {
 public:
  testbed_takeover(const options& o, const target& t) : o_(o) {
    services_ = {t.suite_oms_host(), t.suite_mx_host()};
    for (const auto& s : services_) {
      auto r = im2k::test::run_command({o_.testbed_script, "stop", o_.testbed, s}, {},
                                       std::chrono::seconds(60));
      if (r.exit_status != 0)
        throw std::runtime_error("testbed.sh stop " + s + " failed: " + r.err);
    }
  }
  ~testbed_takeover() {
    for (const auto& s : services_)
      im2k::test::run_command({o_.testbed_script, "start", o_.testbed, s}, {},
                              std::chrono::seconds(60));
  }

 private:
  const options& o_;
  std::vector<std::string> services_;
};

asio::awaitable<void> run_cases(suite_context& context, const std::vector<test_case>& cases,
                                std::vector<outcome>& outcomes, fake_oms& oms, fake_ims& ims) {
  for (const auto& c : cases) {
    outcome o;
    try {
      o = co_await c.run(context);
    } catch (const std::exception& e) {
      o = fail(std::string("the case threw: ") + e.what());
    }
    outcomes.push_back(o);
    std::cout << format_line(c, o) << std::endl;
  }
  context.user.reset();
  co_await oms.stop();
  co_await ims.stop();
}

int run(const options& o) {
  auto loaded = o.testbed.empty()
                    ? target_from_toml(o.config)
                    : target_from_testbed(o.testbed, o.suite_domain, o.ims_domain, o.oms_domain);
  if (!loaded) {
    std::cerr << "im2k-conform: " << loaded.error() << "\n";
    return 2;
  }
  target t = *loaded;
  if (!o.temperror_domain.empty())
    t.temperror_domain = o.temperror_domain;

  std::vector<test_case> cases;
  if (o.role == "all" || o.role == "ims")
    for (auto& c : ims_cases())
      cases.push_back(std::move(c));
  if (o.role == "all" || o.role == "oms")
    for (auto& c : oms_cases())
      cases.push_back(std::move(c));
  if (o.role == "all" || o.role == "oms")
    for (auto& c : submit_cases())
      cases.push_back(std::move(c));
  if (!o.only.empty())
    std::erase_if(cases,
                  [&](const test_case& c) { return c.name.find(o.only) == std::string::npos; });

  im2k::test::temp_dir work;
  auto certs = issue_certificates(t, o.pki, work.path());
  if (!certs) {
    std::cerr << "im2k-conform: " << certs.error() << "\n";
    return 2;
  }
  std::optional<testbed_takeover> takeover;
  if (!o.testbed.empty())
    takeover.emplace(o, t);

  // Testbed only: the testbed CA's CRL is replaced by one that also lists the suite's revoked
  // certificate (everything else unchanged), and the IMS reloads it (SIGHUP, tls credentials).
  bool revocation_published = false;
  if (takeover && t.ims_pid > 0) {
    std::error_code ec;
    auto staged = t.crl;
    staged += ".conform";
    fs::copy_file(certs->revoked_crl, staged, fs::copy_options::overwrite_existing, ec);
    if (!ec)
      fs::rename(staged, t.crl, ec);
    revocation_published = !ec && ::kill(t.ims_pid, SIGHUP) == 0;
  }

  asio::io_context io(1);
  fake_oms oms(io.get_executor(), t, certs->suite_oms.cert, certs->suite_oms.key);
  fake_ims ims(io.get_executor(), t, certs->suite_mx.cert, certs->suite_mx.key);
  if (auto ec = oms.open()) {
    std::cerr << "im2k-conform: cannot listen on " << t.suite_oms_address << ":" << t.pull_port
              << ": " << ec.message() << "\n";
    return 2;
  }
  if (auto ec = ims.open()) {
    std::cerr << "im2k-conform: cannot listen on " << t.suite_mx_address << ":" << t.notify_port
              << ": " << ec.message() << "\n";
    return 2;
  }
  suite_context context{io.get_executor(), t, *certs, oms, ims, {}, {}, {}, revocation_published};
  std::vector<outcome> outcomes;
  asio::co_spawn(io, run_cases(context, cases, outcomes, oms, ims), [](std::exception_ptr e) {
    if (e)
      std::rethrow_exception(e);
  });
  io.run();
  bool ok = write_summary(std::cout, cases, outcomes, spec_ids(o.spec));
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"im2k-conform: protocol conformance suite (proto/SPEC.md)"};
  auto* testbed = app.add_option("--testbed", o.testbed, "run against deploy/testbed DIR");
  auto* config = app.add_option("--config", o.config, "TOML description of the target");
  testbed->excludes(config);
  app.add_option("--suite-domain", o.suite_domain, "the testbed domain the suite impersonates");
  app.add_option("--ims-domain", o.ims_domain, "testbed domain whose IMS is tested");
  app.add_option("--oms-domain", o.oms_domain, "testbed domain whose OMS is tested");
  app.add_option("--temperror-domain", o.temperror_domain,
                 "a domain whose SPF look-up fails temporarily");
  app.add_option("--role", o.role, "ims, oms or all")->check(CLI::IsMember({"ims", "oms", "all"}));
  app.add_option("--only", o.only, "run only cases whose name contains this");
  app.add_option("--log", o.log_file,
                 "write the suite's own server logs here (default: errors only, to stderr)");
  app.add_option("--spec", o.spec, "proto/SPEC.md");
  app.add_option("--pki", o.pki, "deploy/pki/pki.sh");
  app.add_option("--testbed-script", o.testbed_script, "deploy/testbed/testbed.sh");
  CLI11_PARSE(app, argc, argv);
  if (o.testbed.empty() && o.config.empty()) {
    std::cerr << "im2k-conform: give --testbed DIR or --config FILE\n";
    return 2;
  }
  // The fake servers log through common/log; their lines are not the report.
  if (o.log_file.empty()) {
    im2k::log::set_min_level(im2k::log::level::error);
  } else {
    im2k::log::log_to_file(o.log_file);
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "im2k-conform: " << e.what() << "\n";
    return 2;
  }
}
