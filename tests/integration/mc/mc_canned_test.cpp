// The real `im2k` binary against canned_server: every mail command, its human and --json
// output, the server's refusals and their exit statuses, and what the client puts on the wire
// (hello client, auth, [S-6] line ends, paging with `after`, [Q-3] and [M-2]).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/mc/canned_server.hpp"
#include "tests/integration/tls/test_pki.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::mc::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string im2k_binary = IM2K_BIN_DIR "/im2k";

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

class McCanned : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new tls::testing::test_pki;
    const std::string ca = pki_->ca_dir();
    pki_->run("issue " + ca + " oms --dns " + std::string(submit_host) + " --server");
    pki_->run("issue " + ca + " mx --dns " + std::string(mailbox_host) + " --server");
    pki_->run("issue " + ca + " alice --dns alice.alpha.test --client");
    pki_->run("crl " + ca);
  }

  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    // The user listeners trust the test CA for user certificates too ([C-11]: user_ca_file).
    tls::tls_settings submit_tls = pki_->settings("oms");
    submit_tls.user_ca_file = submit_tls.ca_file;
    tls::tls_settings mailbox_tls = pki_->settings("mx");
    mailbox_tls.user_ca_file = mailbox_tls.ca_file;
    server_ = std::make_unique<canned_server>(submit_tls, mailbox_tls);
    write_file(dir_ / "alice.password", "alice-secret\n");
    write_file(dir_ / "carol.password", "carol-secret\r\n");
    write_file(dir_ / "wrong.password", "guess\n");
    write_config("alice.password");
  }

  void write_config(const std::string& password_file, const std::string& extra = "") {
    std::ostringstream c;
    c << "user = \"alice@alpha.test\"\n"
      << "password_file = \"" << password_file << "\"\n"  // relative to the file's directory
      << "ca_file = \"" << pki_->path("ca.pem") << "\"\n"
      << "crl_files = [\"" << pki_->path("crl.pem") << "\"]\n"
      << extra << "[submit]\nserver = \"" << submit_host
      << "\"\naddress = \"127.0.0.1:" << server_->submit_port() << "\"\n"
      << "[mailbox]\nserver = \"" << mailbox_host
      << "\"\naddress = \"127.0.0.1:" << server_->mailbox_port() << "\"\n";
    write_file(config_path(), c.str());
  }

  std::string config_path() const { return (dir_ / "config.toml").string(); }

  // im2k with --config and `args`, HOME pointing at the empty test directory.
  test::command_result im2k(std::vector<std::string> args) {
    std::vector<std::string> argv = {im2k_binary};
    argv.push_back(args.front());
    argv.push_back("--config");
    argv.push_back(config_path());
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return run_raw(std::move(argv));
  }

  test::command_result run_raw(std::vector<std::string> argv) {
    return test::run_command(std::move(argv), {"HOME=" + dir_.path().string(), "XDG_CONFIG_HOME="},
                             std::chrono::seconds(60));
  }

  static tls::testing::test_pki* pki_;
  test::temp_dir dir_;
  std::unique_ptr<canned_server> server_;
};

tls::testing::test_pki* McCanned::pki_ = nullptr;

TEST_F(McCanned, SendFromFileConvertsLineEndsAndPrintsTheId) {
  write_file(dir_ / "message.txt",
             "From: Alice <alice@alpha.test>\nTo: bob@beta.test\nSubject: hi\n\nline one\nline "
             "two\r\nline three");
  auto r = im2k({"send", "--file", (dir_ / "message.txt").string(), "bob@beta.test",
                 "carol@beta.test", "BOB@beta.test"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, std::string(new_msg) + "\n");
  auto sent = server_->submissions();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].request["from"], "alice@alpha.test");
  // A recipient named twice (case-insensitively) is sent once ([V-8]).
  EXPECT_EQ(sent[0].request["rcpt"], json({"bob@beta.test", "carol@beta.test"}));
  EXPECT_EQ(sent[0].body,
            "From: Alice <alice@alpha.test>\r\nTo: bob@beta.test\r\nSubject: hi\r\n\r\nline "
            "one\r\nline two\r\nline three");
  EXPECT_EQ(sent[0].request["body_len"], sent[0].body.size());
  // hello said who we are, then auth, then submit ([U-1]).
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["op"], "auth");
  EXPECT_EQ(requests[0]["user"], "alice@alpha.test");
  EXPECT_EQ(requests[1]["op"], "submit");
  for (const auto& client : server_->hello_clients()) {
    EXPECT_THAT(client, StartsWith("im2k/"));
  }
}

TEST_F(McCanned, SendFromStdinAddsTheMissingEmptyLine) {
  write_file(dir_ / "headers.txt", "From: alice@alpha.test\nSubject: only headers\n");
  auto r = run_raw({"/bin/sh", "-c",
                    "exec '" + im2k_binary + "' send --config '" + config_path() +
                        "' bob@beta.test < '" + (dir_ / "headers.txt").string() + "'"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto sent = server_->submissions();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body, "From: alice@alpha.test\r\nSubject: only headers\r\n\r\n");
}

TEST_F(McCanned, SendComposesTheHeaderFields) {
  write_file(dir_ / "body.txt", "Hello Bob,\nsee you.\n");
  auto r = im2k({"send", "--subject", "Grüße aus Alpha", "--body-file",
                 (dir_ / "body.txt").string(), "--json", "bob@beta.test", "carol@beta.test"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["msg"], new_msg);
  EXPECT_EQ(out["rcpt"], json({"bob@beta.test", "carol@beta.test"}));
  auto sent = server_->submissions();
  ASSERT_EQ(sent.size(), 1u);
  const std::string& m = sent[0].body;
  EXPECT_EQ(out["size"], m.size());
  EXPECT_THAT(m, StartsWith("From: alice@alpha.test\r\nTo: bob@beta.test, carol@beta.test\r\n"));
  EXPECT_THAT(m, HasSubstr("\r\nDate: "));
  EXPECT_THAT(m, HasSubstr(" +0000\r\n"));
  EXPECT_THAT(m, HasSubstr("\r\nMessage-ID: <"));
  EXPECT_THAT(m, HasSubstr("@alpha.test>\r\n"));
  EXPECT_THAT(m, HasSubstr("\r\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgQWxwaGE=?=\r\n"));
  EXPECT_THAT(m, HasSubstr("\r\n\r\nHello Bob,\r\nsee you.\r\n"));
  EXPECT_EQ(m.find("\n\n"), std::string::npos);
}

TEST_F(McCanned, SendRefusesBadInputBeforeConnecting) {
  auto r = im2k({"send", "--subject", "x", "--body-file", "/dev/null", "bob@[192.0.2.1]"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: bad-address: not an address: bob@[192.0.2.1]"));
  r = im2k({"send", "--subject", "line\nbreak", "--body-file", "/dev/null", "bob@beta.test"});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("control characters"));
  r = im2k({"send", "--file", "/dev/null", "--subject", "x", "bob@beta.test"});
  EXPECT_EQ(r.exit_status, 2);
  r = im2k({"send"});  // no recipients
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_TRUE(server_->submissions().empty());
}

TEST_F(McCanned, AClientCertificateReplacesThePassword) {
  auto r = im2k(
      {"status", "--cert", pki_->path("alice.pem"), "--key", pki_->path("alice.key"), sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto requests = server_->requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0]["op"], "auth");
  EXPECT_FALSE(requests[0].contains("password"));
  // Half a certificate is a settings error.
  r = im2k({"status", "--cert", pki_->path("alice.pem"), sent_msg});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr("needs both cert and key"));
}

TEST_F(McCanned, ThereIsNoPasswordFlag) {
  auto r = im2k({"status", "--password", "alice-secret", sent_msg});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(McCanned, StatusReadsEveryPage) {
  auto r = im2k({"status", sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), sent_recipients);
  EXPECT_THAT(lines[0], StartsWith("bob@beta.test "));
  EXPECT_THAT(lines[0], HasSubstr("pulled"));
  EXPECT_THAT(lines[1], HasSubstr("deferred"));
  EXPECT_THAT(lines[1], HasSubstr("internal: connect: refused?[2J"));  // no raw escape
  EXPECT_THAT(lines[1], HasSubstr("(next attempt 2026-"));
  EXPECT_THAT(lines[2], HasSubstr("rejected"));
  EXPECT_THAT(lines[2], HasSubstr("unknown-recipient: no such user"));
  EXPECT_THAT(lines[149], StartsWith(sent_recipient(149) + " "));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  // The second page asked for the recipients after the last of the first ([Q-3]).
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[1].contains("after"));
  EXPECT_EQ(requests[2]["after"], sent_recipient(99));
}

TEST_F(McCanned, StatusJson) {
  auto r = im2k({"status", "--json", sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["msg"], sent_msg);
  ASSERT_EQ(out["recipients"].size(), sent_recipients);
  const auto& deferred = out["recipients"][1];
  EXPECT_EQ(deferred["rcpt"], sent_recipient(1));
  EXPECT_EQ(deferred["state"], "deferred");
  EXPECT_EQ(deferred["code"], "internal");
  EXPECT_EQ(deferred["message"], "connect: refused\x1b[2J");  // JSON escapes it
  EXPECT_EQ(deferred["next_attempt"], 1790000600);
  EXPECT_EQ(deferred["at"], 1790000001);
  EXPECT_TRUE(out["recipients"][0]["next_attempt"].is_null());
  EXPECT_TRUE(out["recipients"][0]["code"].is_null());
}

TEST_F(McCanned, StatusOfAnUnknownMessageIsNotFound) {
  auto r = im2k({"status", unknown_msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
  EXPECT_EQ(r.out, "");
  r = im2k({"status", "--json", unknown_msg});
  EXPECT_EQ(r.exit_status, 1);
  auto out = json::parse(r.out);
  EXPECT_EQ(out["error"]["code"], "not-found");
  EXPECT_EQ(out["error"]["temporary"], false);
  EXPECT_EQ(out["error"]["message"], "no such message");
}

TEST_F(McCanned, AnotherUsersMessageIsNotFound) {
  auto r = im2k({"status", "--user", "carol@alpha.test", "--password-file",
                 (dir_ / "carol.password").string(), sent_msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
  r = im2k({"fetch", "--user", "carol@alpha.test", "--password-file",
            (dir_ / "carol.password").string(), mailbox_ids[0]});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
}

TEST_F(McCanned, ATemporaryRefusalExits75) {
  auto r = im2k({"status", busy_msg});
  EXPECT_EQ(r.exit_status, 75);
  EXPECT_EQ(r.err, "im2k: rate-limited: slow down\n");
}

TEST_F(McCanned, WrongPasswordIsNotAuthenticated) {
  write_config("wrong.password");
  auto r = im2k({"status", sent_msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-authenticated: authentication failed\n");
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u);  // nothing after the refused auth
  EXPECT_EQ(requests[0]["op"], "auth");
}

TEST_F(McCanned, RecallPrintsTheWithdrawnRecipients) {
  auto r = im2k({"recall", sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, sent_recipient(3) + "\n" + sent_recipient(4) + "\n");
  r = im2k({"recall", "--json", sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["recalled"], json({sent_recipient(3), sent_recipient(4)}));
  r = im2k({"recall", unknown_msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
}

TEST_F(McCanned, ListReadsEveryPageOldestFirst) {
  auto r = im2k({"list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], StartsWith(mailbox_ids[1] + "  held"));
  EXPECT_THAT(lines[1], StartsWith(mailbox_ids[2] + "  stored"));
  EXPECT_THAT(lines[2], StartsWith(mailbox_ids[0] + "  stored"));
  EXPECT_THAT(lines[0], HasSubstr("dave@gamma.test"));
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 3u);  // auth, two pages
  EXPECT_EQ(requests[2]["after"], mailbox_ids[1]);

  r = im2k({"list", "--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto out = json::parse(r.out);
  ASSERT_EQ(out["messages"].size(), 3u);
  EXPECT_EQ(out["messages"][0]["id"], mailbox_ids[1]);
  EXPECT_EQ(out["messages"][0]["state"], "held");
  EXPECT_EQ(out["messages"][0]["size"], mailbox_body(1).size());
  EXPECT_EQ(out["messages"][0]["received"], 1790000100);
}

TEST_F(McCanned, FetchStreamsToStdoutOrAFile) {
  auto r = im2k({"fetch", mailbox_ids[2]});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(r.out == mailbox_body(2)) << "stdout differs from the message";

  const auto file = dir_ / "saved.eml";
  r = im2k({"fetch", mailbox_ids[0], "--output", file.string(), "--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(test::read_file(file) == mailbox_body(0)) << "the file differs from the message";
  EXPECT_EQ(json::parse(r.out)["size"], mailbox_body(0).size());
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);

  const auto missing = dir_ / "missing.eml";
  r = im2k({"fetch", unknown_msg, "--output", missing.string()});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
  EXPECT_FALSE(std::filesystem::exists(missing));
  // Nothing half-written is left beside it either.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().string().find(".im2k-"), std::string::npos) << entry.path();
  }
}

TEST_F(McCanned, FetchJsonNeedsAnOutputFile) {
  auto r = im2k({"fetch", "--json", mailbox_ids[0]});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.out, "");
}

TEST_F(McCanned, DeleteRemovesOnce) {
  auto r = im2k({"delete", mailbox_ids[1]});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "deleted " + mailbox_ids[1] + "\n");
  EXPECT_EQ(server_->deleted(), std::set<std::string>{mailbox_ids[1]});
  r = im2k({"delete", mailbox_ids[1]});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "im2k: not-found: no such message\n");
  r = im2k({"list", "--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["messages"].size(), 2u);
}

TEST_F(McCanned, SettingsErrorsNameFileAndKey) {
  write_file(config_path(), "user = 42\npasword_file = \"x\"\n[submit]\nserver = \"oms\"\n");
  auto r = im2k({"status", sent_msg});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_THAT(r.err, HasSubstr(config_path() + ": key \"user\": expected"));
  EXPECT_THAT(r.err, HasSubstr("unknown key \"pasword_file\""));
  EXPECT_THAT(r.err, HasSubstr("server: expected a host name"));
  EXPECT_THAT(r.err, HasSubstr("no credentials"));
  for (const auto& line : lines_of(r.err)) {
    EXPECT_THAT(line, StartsWith("im2k: config: "));
  }
  const std::string missing = (dir_ / "missing.toml").string();
  r = run_raw({im2k_binary, "status", "--config", missing, sent_msg});
  EXPECT_EQ(r.exit_status, 2);
  EXPECT_EQ(r.err, "im2k: config: " + missing + ": no such settings file\n");
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(McCanned, FlagsOverrideTheFile) {
  // --server is the name the certificate must carry: the submit certificate does not name it.
  auto r = im2k({"status", "--server", "mx.alpha.test", sent_msg});
  EXPECT_EQ(r.exit_status, 75);
  EXPECT_THAT(r.err, HasSubstr("im2k: connection: cannot reach mx.alpha.test"));
  EXPECT_THAT(r.err, HasSubstr("handshake"));
  // --address replaces the file's address: nothing listens on the mailbox port for submit.
  r = im2k(
      {"status", "--address", "127.0.0.1:" + std::to_string(server_->mailbox_port()), sent_msg});
  EXPECT_EQ(r.exit_status, 75);
  // --user and --password-file replace the file's.
  r = im2k({"status", "--user", "carol@alpha.test", "--password-file",
            (dir_ / "carol.password").string(), sent_msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("not-found"));
}

// A listening socket that never accepts: the kernel completes TCP connections, nobody speaks TLS.
class silent_listener {
 public:
  silent_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length) != 0) {
      throw std::runtime_error("silent_listener: cannot listen");
    }
    port_ = ntohs(a.sin_port);
  }
  ~silent_listener() { ::close(fd_); }
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(McCanned, ASilentServerIsATemporaryFailureAfterTheDeadline) {
  silent_listener silent;
  auto r = im2k({"status", "--timeout", "1", "--address",
                 "127.0.0.1:" + std::to_string(silent.port()), sent_msg});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 75);
  EXPECT_THAT(r.err, HasSubstr("im2k: connection: cannot reach oms.alpha.test"));
  EXPECT_THAT(r.err, HasSubstr("handshake"));
}

TEST_F(McCanned, TheDefaultSettingsFileIsUsed) {
  std::filesystem::create_directories(dir_ / ".config/im2k");
  std::filesystem::copy_file(config_path(), dir_ / ".config/im2k/config.toml");
  std::filesystem::copy_file(dir_ / "alice.password", dir_ / ".config/im2k/alice.password");
  auto r = run_raw({im2k_binary, "status", sent_msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), sent_recipients);
}

// `im2k sent` ([Q-8] ... ): one page by default, further pages with `before`.
TEST_F(McCanned, SentShowsTheNewestPageAndSaysMoreFollow) {
  auto r = im2k({"sent"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith(sent_id(sent_count - 1) + "  2026-"));
  EXPECT_THAT(r.out, HasSubstr("  1024 octets  1 recipient\n  bob@beta.test  pulled    2026-"));
  EXPECT_EQ(r.out.find(sent_id(4)), std::string::npos);  // on the second page
  EXPECT_THAT(r.out, ::testing::EndsWith("\nolder messages follow (--limit)\n"));
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);  // auth, one sent
  EXPECT_EQ(requests[1], (json{{"op", "sent"}, {"id", requests[1]["id"]}}));
}

TEST_F(McCanned, SentReadsFurtherPagesBeforeTheLastOne) {
  auto r = im2k({"sent", "--json", "--limit", "1000"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto out = json::parse(r.out);
  ASSERT_EQ(out["messages"].size(), sent_count);
  EXPECT_EQ(out["more"], false);
  for (std::size_t i = 0; i < sent_count; ++i) {
    EXPECT_EQ(out["messages"][i]["msg"], sent_id(sent_count - 1 - i));
  }
  const auto& oldest = out["messages"][sent_count - 1];
  EXPECT_EQ(oldest["rcpt_count"], sent_recipients);
  ASSERT_EQ(oldest["recipients"].size(), 100u);
  EXPECT_EQ(oldest["recipients"][1]["state"], "deferred");
  EXPECT_EQ(oldest["recipients"][1]["code"], "internal");
  EXPECT_EQ(oldest["recipients"][1]["message"], "connect: refused\x1b[2J");
  EXPECT_TRUE(oldest["recipients"][0]["code"].is_null());
  EXPECT_EQ(oldest["submitted"], 1790000000);
  EXPECT_EQ(oldest["size"], 1000);
  // The second page starts before the last message of the first ([Q-9]).
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[1].contains("before"));
  EXPECT_EQ(requests[2]["before"], sent_id(5));

  r = im2k({"sent", "--limit", "1000"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n" + sent_id(0) + "  2026-"));
  EXPECT_THAT(r.out, HasSubstr("  ... and 50 more (im2k status " + sent_id(0) + ")\n"));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);  // server text made printable
  EXPECT_EQ(r.out.find("older messages follow"), std::string::npos);
}

TEST_F(McCanned, SentOfAUserWithoutMessages) {
  write_config("carol.password", "");
  auto r = im2k({"sent", "--user", "carol@alpha.test"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "no messages in the spool\n");
  r = im2k({"sent", "--user", "carol@alpha.test", "--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), (json{{"messages", json::array()}, {"more", false}}));
  r = im2k({"sent", "--limit", "0"});
  EXPECT_EQ(r.exit_status, 2);  // usage
}

}  // namespace
}  // namespace im2k::mc::testing
