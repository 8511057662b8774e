// User certificates instead of passwords ([U-2], [C-11]) with the real `im2k` binary and the
// real daemons of a testbed: the testbed's CA issues alice's and bob's certificates
// (rfc822Name subjectAltName, clientAuth) with deploy/pki/pki.sh, the test gives the OMS and the
// IMS `user_ca_file` and restarts them; a certificate authenticates the user it names and no
// other, which fails exactly like a wrong password.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string im2k_binary = IM2K_BIN_DIR "/im2k";
const std::string pki_script = IM2K_SOURCE_DIR "/deploy/pki/pki.sh";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

// `pki.sh issue` of a user certificate from the testbed's CA; returns {cert, key}.
std::pair<std::filesystem::path, std::filesystem::path> issue_user_certificate(
    const testbed& bed, const std::string& name, const std::string& address) {
  const std::string ca = bed.ca_dir().string();
  auto r =
      run_command({"bash", pki_script, "issue", ca, name, "--email", address, "--client"}, {}, 60s);
  if (r.exit_status != 0) {
    ADD_FAILURE() << "pki.sh issue " << name << ": " << r.out << r.err;
  }
  return {bed.ca_dir() / (name + ".pem"), bed.ca_dir() / (name + ".key")};
}

// Adds `user_ca_file` to the [tls] section of a daemon's config and restarts the daemon.
void trust_user_certificates(testbed& bed, const std::string& host,
                             const std::filesystem::path& config) {
  std::string text = read_text(config);
  const std::string header = "[tls]\n";
  const auto at = text.find(header);
  ASSERT_NE(at, std::string::npos) << text;
  text.insert(at + header.size(), "user_ca_file = \"" + bed.ca_cert().string() + "\"\n");
  write_text(config, text);
  bed.stop(host);
  bed.start(host);
}

// A client config for `user` that authenticates with a certificate: the testbed's config with
// the password_file line replaced by cert and key.
std::filesystem::path certificate_config(const testbed& bed, const std::string& user,
                                         const std::filesystem::path& cert,
                                         const std::filesystem::path& key) {
  std::string text = read_text(bed.user(user).client_config);
  const auto at = text.find("password_file = ");
  EXPECT_NE(at, std::string::npos) << text;
  if (at != std::string::npos) {
    const auto end = text.find('\n', at);
    text.replace(at, end - at, "cert = \"" + cert.string() + "\"\nkey = \"" + key.string() + "\"");
  }
  const auto file = bed.dir() / (user + ".cert.toml");
  write_text(file, text);
  return file;
}

command_result im2k(const testbed& bed, const std::filesystem::path& config,
                    const std::string& command, std::vector<std::string> args) {
  std::vector<std::string> argv = {im2k_binary, command, "--config", config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(std::move(argv), {"HOME=" + bed.dir().string()}, 60s);
}

TEST(McCertAuth, CertificateAuthenticatesTheUserItNamesOnly) {
  testbed bed({.net = 215});
  const auto [alice_cert, alice_key] =
      issue_user_certificate(bed, "user-alice", "Alice@Alpha.test");
  const auto [bob_cert, bob_key] = issue_user_certificate(bed, "user-bob", "bob@beta.test");
  trust_user_certificates(bed, "oms.alpha.test", bed.domain("alpha.test").oms.config);
  trust_user_certificates(bed, "oms.beta.test", bed.domain("beta.test").oms.config);
  trust_user_certificates(bed, "mx.beta.test", bed.domain("beta.test").ims.config);

  const auto body = bed.dir() / "body.txt";
  write_text(body, "Signed in with a certificate.\n");
  const std::vector<std::string> send_args = {"--subject", "by-certificate", "--body-file",
                                              body.string(), "bob@beta.test"};

  // Alice's certificate names alice (case-insensitively): she may send without a password.
  const auto alice_config = certificate_config(bed, "alice@alpha.test", alice_cert, alice_key);
  EXPECT_EQ(read_text(alice_config).find("password"), std::string::npos);
  auto r = im2k(bed, alice_config, "send", send_args);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.size(), 27u) << r.out;  // the message id and a newline

  // Bob's certificate does not name carol, who exists too: refused as a wrong password is.
  const auto carol_config = bed.user("carol@beta.test").client_config;
  const auto wrong = bed.dir() / "wrong.password";
  write_text(wrong, "not-the-password\n");
  std::vector<std::string> args = {"--password-file", wrong.string()};
  args.insert(args.end(), send_args.begin(), send_args.end());
  r = im2k(bed, carol_config, "send", args);
  ASSERT_NE(r.exit_status, 0);
  const std::string password_refusal = r.err;
  EXPECT_THAT(password_refusal, HasSubstr("im2k: not-authenticated: "));
  args = {"--cert", bob_cert.string(), "--key", bob_key.string()};
  args.insert(args.end(), send_args.begin(), send_args.end());
  r = im2k(bed, carol_config, "send", args);
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-authenticated: "));
  EXPECT_EQ(r.err, password_refusal);
  // ... while bob's certificate authenticates bob at the same OMS.
  const auto bob_config = certificate_config(bed, "bob@beta.test", bob_cert, bob_key);
  r = im2k(bed, bob_config, "send", send_args);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;

  // The IMS: bob lists his mailbox with his certificate; carol cannot with bob's.
  r = im2k(bed, bob_config, "list", {"--json"});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  r = im2k(bed, carol_config, "list",
           {"--cert", bob_cert.string(), "--key", bob_key.string(), "--json"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-authenticated: "));
}

TEST(McCertAuth, WithoutUserAnchorsAPresentedCertificateFailsTheHandshake) {
  testbed bed({.net = 216});
  const auto [cert, key] = issue_user_certificate(bed, "user-alice", "alice@alpha.test");
  const auto config = certificate_config(bed, "alice@alpha.test", cert, key);
  const auto body = bed.dir() / "body.txt";
  write_text(body, "Never sent.\n");
  auto r = im2k(bed, config, "send",
                {"--subject", "refused", "--body-file", body.string(), "bob@beta.test"});
  EXPECT_NE(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("not-authenticated"))) << r.err;
  // The password still works on the same listener.
  r = im2k(bed, bed.user("alice@alpha.test").client_config, "send",
           {"--subject", "by-password", "--body-file", body.string(), "bob@beta.test"});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
}

}  // namespace
}  // namespace im2k::test
