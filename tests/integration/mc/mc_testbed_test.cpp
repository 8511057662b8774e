// The real `im2k` binary against the real daemons of a testbed (deploy/testbed/testbed.sh):
// alice@alpha.test sends to bob@beta.test and reads `status` until `pulled`; the error paths
// (wrong password, unknown message id, another user's message); recall; the mailbox commands
// ([M-*]); and on-read pulls ([N-16]): held until bob lists his mailbox.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string im2k_binary = IM2K_BIN_DIR "/im2k";

// `im2k COMMAND --config <user's client config> ARGS...`
command_result im2k(const testbed& bed, const std::string& user, const std::string& command,
                    std::vector<std::string> args = {}) {
  std::vector<std::string> argv = {im2k_binary, command, "--config",
                                   bed.user(user).client_config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(std::move(argv), {"HOME=" + bed.dir().string()}, 60s);
}

// Sends a composed message; returns its id (empty on failure, with the output in the log).
std::string send(const testbed& bed, const std::string& from, const std::string& to,
                 const std::string& subject) {
  const auto body = bed.dir() / ("body-" + subject + ".txt");
  std::ofstream(body) << "Hello from the im2k client test.\nSecond line.\n";
  auto r = im2k(bed, from, "send", {"--subject", subject, "--body-file", body.string(), to});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  if (r.exit_status != 0 || r.out.size() < 27) {
    return {};
  }
  return r.out.substr(0, r.out.size() - 1);
}

// The state of `rcpt` in `status --json`, polled until it is `want` or a final state (bounded).
std::string wait_for_state(const testbed& bed, const std::string& user, const std::string& msg,
                           const std::string& rcpt, const std::string& want) {
  std::string state;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = im2k(bed, user, "status", {"--json", msg});
    if (r.exit_status == 0) {
      const json document = json::parse(r.out);  // kept alive for the loop
      for (const auto& item : document.at("recipients")) {
        if (item.at("rcpt") == rcpt) {
          state = item.at("state").get<std::string>();
        }
      }
      if (state == want || state == "rejected" || state == "expired" || state == "recalled") {
        return state;
      }
    }
    std::this_thread::sleep_for(200ms);
  }
  return state;
}

TEST(McTestbed, SendThenStatusUntilPulled) {
  testbed bed({.net = 181});
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "until-pulled");
  ASSERT_FALSE(msg.empty());
  EXPECT_EQ(wait_for_state(bed, "alice@alpha.test", msg, "bob@beta.test", "pulled"), "pulled");
  auto r = im2k(bed, "alice@alpha.test", "status", {msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("bob@beta.test  pulled"));
  // Without `address`, the client resolves the server's name through [dns] servers and uses
  // the well-known submit port.
  const auto resolving = bed.dir() / "alice-resolving.toml";
  std::ofstream(resolving) << "user = \"alice@alpha.test\"\n"
                           << "password_file = \""
                           << bed.user("alice@alpha.test").password_file.string() << "\"\n"
                           << "ca_file = \"" << bed.ca_cert().string() << "\"\n"
                           << "[dns]\nservers = [\"" << bed.dns_server() << "\"]\n"
                           << "[submit]\nserver = \"oms.alpha.test\"\n";
  r = run_command({im2k_binary, "status", "--config", resolving.string(), msg},
                  {"HOME=" + bed.dir().string()}, 60s);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("bob@beta.test  pulled"));
  // Stored once, for bob.
  int copies = 0;
  for (const auto& c : stored_copies(bed.domain("beta.test").ims.state_dir)) {
    copies += c.msg == msg && c.user == "bob@beta.test";
  }
  EXPECT_EQ(copies, 1);
}

TEST(McTestbed, ErrorPaths) {
  testbed bed({.net = 182});
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "error-paths");
  ASSERT_FALSE(msg.empty());

  // Wrong password.
  const auto wrong = bed.dir() / "wrong.password";
  std::ofstream(wrong) << "not-the-password\n";
  auto r = im2k(bed, "alice@alpha.test", "status", {"--password-file", wrong.string(), msg});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-authenticated: "));

  // Unknown message id.
  r = im2k(bed, "alice@alpha.test", "status", {"zzzzzzzzzzzzzzzzzzzzzzzzzy"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-found: "));
  r = im2k(bed, "alice@alpha.test", "recall", {"zzzzzzzzzzzzzzzzzzzzzzzzzy"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-found: "));

  // Another user's message: eve, a second user of alpha.test's OMS, cannot see alice's.
  const auto& oms = bed.domain("alpha.test").oms;
  const auto eve_password = bed.dir() / "eve.password";
  std::ofstream(eve_password) << "eve-password-123\n";
  auto added =
      run_command({IM2K_BIN_DIR "/im2k-oms", "user", "add", "--config", oms.config.string(),
                   "eve@alpha.test", "--password-file", eve_password.string()},
                  {}, 60s);
  ASSERT_EQ(added.exit_status, 0) << added.out << added.err;
  const std::vector<std::string> as_eve = {"--user", "eve@alpha.test", "--password-file",
                                           eve_password.string()};
  for (const std::string command : {"status", "recall"}) {
    auto args = as_eve;
    args.push_back(msg);
    r = im2k(bed, "alice@alpha.test", command, args);
    EXPECT_EQ(r.exit_status, 1) << command;
    EXPECT_THAT(r.err, HasSubstr("im2k: not-found: ")) << command;
  }
  // Alice may not send as someone else: the From: she does not own is refused ([S-7]).
  const auto forged = bed.dir() / "forged.eml";
  std::ofstream(forged) << "From: eve@alpha.test\nSubject: forged\n\nhi\n";
  r = im2k(bed, "alice@alpha.test", "send", {"--file", forged.string(), "bob@beta.test"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: sender-not-owned: "));
}

TEST(McTestbed, RecallBeforePull) {
  testbed bed({.net = 183});
  bed.stop("mx.beta.test");
  const auto body = bed.dir() / "body-recall.txt";
  std::ofstream(body) << "Withdrawn before anyone pulled it.\n";
  auto r = im2k(
      bed, "alice@alpha.test", "send",
      {"--subject", "recall-me", "--body-file", body.string(), "bob@beta.test", "carol@beta.test"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  ASSERT_GE(r.out.size(), 27u) << r.out;
  const std::string msg = r.out.substr(0, r.out.size() - 1);
  r = im2k(bed, "alice@alpha.test", "recall", {msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "bob@beta.test\ncarol@beta.test\n");
  // A second recall withdraws nothing more.
  r = im2k(bed, "alice@alpha.test", "recall", {"--json", msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["recalled"], json::array());

  // The IMS comes back. A later message to bob is pulled; by then the OMS has had every chance
  // to notify the recalled one, and nothing of it is stored.
  bed.start("mx.beta.test");
  const std::string later = send(bed, "alice@alpha.test", "bob@beta.test", "after-recall");
  ASSERT_FALSE(later.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", later, "bob@beta.test", "pulled"), "pulled");
  for (const auto* user : {"bob@beta.test", "carol@beta.test"}) {
    r = im2k(bed, user, "list", {"--json"});
    ASSERT_EQ(r.exit_status, 0) << r.err;
    const json listed = json::parse(r.out);
    const std::size_t expected = std::string(user) == "bob@beta.test" ? 1 : 0;
    EXPECT_EQ(listed.at("messages").size(), expected) << user << ": " << r.out;
  }
  const auto copies = stored_copies(bed.domain("beta.test").ims.state_dir);
  EXPECT_EQ(copies.size(), 1u);
  for (const auto& copy : copies) {
    EXPECT_NE(copy.msg, msg) << "the recalled message was stored for " << copy.user;
  }
  r = im2k(bed, "alice@alpha.test", "status", {"--json", msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const json status = json::parse(r.out);
  ASSERT_EQ(status["recipients"].size(), 2u);
  for (const auto& item : status["recipients"]) {
    EXPECT_EQ(item["state"], "recalled") << item.dump();
  }
}

TEST(McTestbed, MailboxListFetchDelete) {
  testbed bed({.net = 184});
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "mailbox");
  ASSERT_FALSE(msg.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", msg, "bob@beta.test", "pulled"), "pulled");

  auto r = im2k(bed, "bob@beta.test", "list", {"--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const auto messages = json::parse(r.out).at("messages");
  ASSERT_EQ(messages.size(), 1u) << r.out;
  EXPECT_EQ(messages[0]["from"], "alice@alpha.test");
  const std::string id = messages[0]["id"];

  // Carol, in the same mailbox server, sees none of it ([M-1]).
  r = im2k(bed, "carol@beta.test", "fetch", {id});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-found: "));

  r = im2k(bed, "bob@beta.test", "fetch", {id});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Subject: mailbox\r\n"));
  EXPECT_THAT(r.out, HasSubstr("Hello from the im2k client test.\r\nSecond line.\r\n"));

  r = im2k(bed, "bob@beta.test", "delete", {id});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = im2k(bed, "bob@beta.test", "delete", {id});  // a second delete finds nothing
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-found: "));
  r = im2k(bed, "bob@beta.test", "fetch", {id});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-found: "));
  r = im2k(bed, "bob@beta.test", "list", {"--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["messages"], json::array());
}

// Sends `text` as the whole message (CRLF lines, so that it is submitted octet for octet).
std::string send_text(const testbed& bed, const std::string& from, const std::string& to,
                      const std::string& name, const std::string& text) {
  const auto file = bed.dir() / (name + ".eml");
  std::ofstream(file, std::ios::binary) << text;
  auto r = im2k(bed, from, "send", {"--file", file.string(), to});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  if (r.exit_status != 0 || r.out.size() < 27) {
    return {};
  }
  return r.out.substr(0, r.out.size() - 1);
}

// The entries of `user`'s mailbox (`list --json`); empty when the command fails.
json list_of(const testbed& bed, const std::string& user) {
  auto r = im2k(bed, user, "list", {"--json"});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  if (r.exit_status != 0) {
    return json::array();
  }
  return json::parse(r.out).at("messages");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(McTestbed, MailboxRefusalsAndFetchToFile) {
  testbed bed({.net = 241});
  const std::string text =
      "From: alice@alpha.test\r\nTo: carol@beta.test\r\nSubject: to-file\r\n\r\n"
      "First line.\r\nSecond line, the last.\r\n";
  const std::string msg = send_text(bed, "alice@alpha.test", "carol@beta.test", "to-file", text);
  ASSERT_FALSE(msg.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", msg, "carol@beta.test", "pulled"), "pulled");

  // A wrong password is refused ([U-3]).
  const auto wrong = bed.dir() / "wrong.password";
  std::ofstream(wrong) << "not-the-password\n";
  auto r = im2k(bed, "carol@beta.test", "list", {"--password-file", wrong.string()});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("im2k: not-authenticated: "));

  const auto carols = list_of(bed, "carol@beta.test");
  ASSERT_EQ(carols.size(), 1u);
  EXPECT_EQ(carols[0]["state"], "stored");
  const std::string id = carols[0]["id"];

  // Unknown ids, and carol's id asked for by bob, answer not-found alike ([M-1]).
  for (const std::string command : {"fetch", "delete"}) {
    r = im2k(bed, "carol@beta.test", command, {"zzzzzzzzzzzzzzzzzzzzzzzzzy"});
    EXPECT_EQ(r.exit_status, 1) << command;
    EXPECT_THAT(r.err, HasSubstr("im2k: not-found: ")) << command;
    r = im2k(bed, "bob@beta.test", command, {id});
    EXPECT_EQ(r.exit_status, 1) << command;
    EXPECT_THAT(r.err, HasSubstr("im2k: not-found: ")) << command;
  }

  // The file holds the IMS's two fields ([P-13]) and then the sent octets exactly.
  const auto out = bed.dir() / "fetched.eml";
  r = im2k(bed, "carol@beta.test", "fetch", {id, "--output", out.string()});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const std::string fetched = read_file(out);
  EXPECT_THAT(fetched, ::testing::StartsWith("Authentication-Results: mx.beta.test;\r\n"));
  EXPECT_THAT(fetched, HasSubstr("\r\nReceived: from oms.alpha.test "));
  ASSERT_GT(fetched.size(), text.size());
  EXPECT_EQ(fetched.substr(fetched.size() - text.size()), text);
  EXPECT_EQ(fetched.size(), carols[0]["size"].get<std::size_t>());
  // Bob's wrong guesses changed nothing of carol's.
  EXPECT_EQ(list_of(bed, "carol@beta.test").size(), 1u);
}

TEST(McTestbed, OnReadPullsWhenTheMailboxIsListed) {
  testbed bed({.net = 240, .ims_append = "[policy]\npull = \"on-read\"\n"});
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "on-read");
  ASSERT_FALSE(msg.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", msg, "bob@beta.test", "notified"), "notified");
  // Accepted and held: no pull until bob reads ([N-16]).
  const auto db = bed.domain("beta.test").ims.state_dir / "ims.db";
  const auto pulls = query_database(db, "SELECT state FROM pulls WHERE msg = '" + msg + "'");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0][0], "held");
  EXPECT_TRUE(stored_copies(bed.domain("beta.test").ims.state_dir).empty());

  auto entries = list_of(bed, "bob@beta.test");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["state"], "held");
  EXPECT_EQ(entries[0]["from"], "alice@alpha.test");
  const std::string id = entries[0]["id"];

  // The list released the pull: stored soon, under the id it was listed with ([M-5]).
  std::string state;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (state != "stored" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    entries = list_of(bed, "bob@beta.test");
    state = entries.size() == 1 ? entries[0]["state"].get<std::string>() : "";
  }
  ASSERT_EQ(state, "stored");
  EXPECT_EQ(entries[0]["id"], id);
  EXPECT_EQ(wait_for_state(bed, "alice@alpha.test", msg, "bob@beta.test", "pulled"), "pulled");

  // A fetch right after the list that shows a message held gets the message ([M-3]): it
  // pulls now, or waits for the pull the list started.
  const std::string second = send(bed, "alice@alpha.test", "bob@beta.test", "fetch-held");
  ASSERT_FALSE(second.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", second, "bob@beta.test", "notified"),
            "notified");
  std::string held_id;
  for (const auto& e : list_of(bed, "bob@beta.test")) {
    if (e["id"] != id) {
      held_id = e["id"];
    }
  }
  ASSERT_FALSE(held_id.empty());
  auto r = im2k(bed, "bob@beta.test", "fetch", {held_id});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Subject: fetch-held\r\n"));
  EXPECT_EQ(wait_for_state(bed, "alice@alpha.test", second, "bob@beta.test", "pulled"), "pulled");
}

// `im2k sent` ([Q-8] ... ): alice's messages newest first with each recipient's state,
// paged by --limit; another user sees none of them, and gets not-found for their ids ([Q-1]).
TEST(McTestbed, SentListsOnlyTheUsersMessagesNewestFirst) {
  testbed bed({.net = 251});
  const std::string first = send(bed, "alice@alpha.test", "bob@beta.test", "sent-first");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(wait_for_state(bed, "alice@alpha.test", first, "bob@beta.test", "pulled"), "pulled");
  // `submitted` has one-second resolution and ties go by msg ([Q-8]): let the clock tick so
  // that the second message is the newer one (at most a second).
  const std::time_t first_done = std::time(nullptr);
  while (std::time(nullptr) <= first_done) {
    std::this_thread::sleep_for(50ms);
  }
  const std::string second = send(bed, "alice@alpha.test", "bob@beta.test", "sent-second");
  ASSERT_FALSE(second.empty());

  auto r = im2k(bed, "alice@alpha.test", "sent", {"--json"});
  ASSERT_EQ(r.exit_status, 0) << r.out << r.err;
  const json document = json::parse(r.out);
  ASSERT_EQ(document.at("messages").size(), 2u) << r.out;
  EXPECT_EQ(document.at("more"), false);
  const json& newest = document.at("messages")[0];
  const json& oldest = document.at("messages")[1];
  EXPECT_EQ(newest.at("msg"), second);
  EXPECT_EQ(oldest.at("msg"), first);
  EXPECT_GE(newest.at("submitted").get<std::uint64_t>(),
            oldest.at("submitted").get<std::uint64_t>());
  EXPECT_GT(oldest.at("size").get<std::uint64_t>(), 0u);
  EXPECT_EQ(oldest.at("rcpt_count"), 1);
  ASSERT_EQ(oldest.at("recipients").size(), 1u);
  EXPECT_EQ(oldest.at("recipients")[0].at("rcpt"), "bob@beta.test");
  EXPECT_EQ(oldest.at("recipients")[0].at("state"), "pulled");
  EXPECT_GT(oldest.at("recipients")[0].at("at").get<std::uint64_t>(), 0u);

  // Human output: one block per message, newest first, each recipient's state under its id.
  r = im2k(bed, "alice@alpha.test", "sent");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith(second + "  "));
  const auto at_first = r.out.find("\n" + first + "  ");
  ASSERT_NE(at_first, std::string::npos) << r.out;
  EXPECT_THAT(r.out.substr(at_first), HasSubstr("\n  bob@beta.test  pulled"));
  EXPECT_THAT(r.out, HasSubstr(" octets  1 recipient\n"));

  // --limit 1: the newest only, and more follow.
  r = im2k(bed, "alice@alpha.test", "sent", {"--json", "--limit", "1"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const json limited = json::parse(r.out);
  ASSERT_EQ(limited.at("messages").size(), 1u);
  EXPECT_EQ(limited.at("messages")[0].at("msg"), second);
  EXPECT_EQ(limited.at("more"), true);

  // eve, another user of the same OMS: none of alice's messages, and not-found for their ids.
  const auto eve_password = bed.dir() / "eve.password";
  std::ofstream(eve_password) << "eve-password-456\n";
  auto added = run_command({IM2K_BIN_DIR "/im2k-oms", "user", "add", "--config",
                            bed.domain("alpha.test").oms.config.string(), "eve@alpha.test",
                            "--password-file", eve_password.string()},
                           {}, 60s);
  ASSERT_EQ(added.exit_status, 0) << added.out << added.err;
  const std::vector<std::string> as_eve = {"--user", "eve@alpha.test", "--password-file",
                                           eve_password.string()};
  auto args = as_eve;
  args.push_back("--json");
  r = im2k(bed, "alice@alpha.test", "sent", args);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const json eves = json::parse(r.out);
  EXPECT_EQ(eves.at("messages"), json::array());
  for (const std::string command : {"status", "recall"}) {
    args = as_eve;
    args.push_back(first);
    r = im2k(bed, "alice@alpha.test", command, args);
    EXPECT_EQ(r.exit_status, 1) << command;
    EXPECT_THAT(r.err, HasSubstr("im2k: not-found: ")) << command;
  }
  EXPECT_EQ(wait_for_state(bed, "alice@alpha.test", first, "bob@beta.test", "pulled"), "pulled");
}

// [S-8]: alice with a small quota sends until the OMS refuses with quota-exceeded; the client
// exits 1 printing the code, nothing was stored for the refused message, and `sent` shows the
// spooled messages within the quota.
TEST(McTestbed, QuotaExceededRefusesTheSubmission) {
  testbed bed({.net = 250});
  const auto& alice = bed.user("alice@alpha.test");
  constexpr std::uint64_t quota = 3000;
  auto set = run_command(
      {IM2K_BIN_DIR "/im2k-oms", "user", "passwd", "--config",
       bed.domain("alpha.test").oms.config.string(), "alice@alpha.test", "--password-file",
       alice.password_file.string(), "--quota", std::to_string(quota)},
      {}, 60s);
  ASSERT_EQ(set.exit_status, 0) << set.out << set.err;

  const auto body = bed.dir() / "quota-body.txt";
  std::ofstream(body) << std::string(900, 'q') << "\n";
  int accepted = 0;
  command_result refused;
  for (int i = 0; i < 10; ++i) {
    auto r = im2k(
        bed, "alice@alpha.test", "send",
        {"--subject", "quota-" + std::to_string(i), "--body-file", body.string(), "bob@beta.test"});
    if (r.exit_status != 0) {
      refused = r;
      break;
    }
    ++accepted;
  }
  EXPECT_GE(accepted, 1);
  EXPECT_LE(accepted, 3);  // each message is over 900 octets
  EXPECT_EQ(refused.exit_status, 1) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("im2k: quota-exceeded: "));

  auto r = im2k(bed, "alice@alpha.test", "sent", {"--json"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  const json document = json::parse(r.out);
  ASSERT_EQ(document.at("messages").size(), static_cast<std::size_t>(accepted));
  std::uint64_t spooled = 0;
  for (const auto& m : document.at("messages")) {
    spooled += m.at("size").get<std::uint64_t>();
  }
  EXPECT_LE(spooled, quota);
  EXPECT_GT(spooled + 900, quota);  // the refused one would have gone over

  // bob has no quota of his own and the testbed sets no default: unlimited.
  const std::string msg = send(bed, "bob@beta.test", "alice@alpha.test", "no-quota");
  EXPECT_FALSE(msg.empty());
}

}  // namespace
}  // namespace im2k::test
