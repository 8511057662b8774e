// The operator's queue commands against the real daemons of a testbed (nets 235-239):
// `im2k-oms queue` while the recipient's IMS is down (list, show, retry, then the message
// leaves the queue once the IMS is back; remove withdraws it), and `im2k-ims queue` on a pull
// the IMS cannot make because the sender's OMS is down (list, show, retry, remove).
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proto/syntax.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string im2k_binary = IM2K_BIN_DIR "/im2k";
const std::string oms_binary = IM2K_BIN_DIR "/im2k-oms";
const std::string ims_binary = IM2K_BIN_DIR "/im2k-ims";

// The testbed's control socket: the default, <state_dir>/control.sock.
std::filesystem::path control_socket(const server_info& server) {
  return server.state_dir / "control.sock";
}

// `PROGRAM queue ARGS... --socket SOCKET`
command_result queue(const std::string& program, const server_info& server,
                     std::vector<std::string> args) {
  std::vector<std::string> argv = {program, "queue"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--socket");
  argv.push_back(control_socket(server).string());
  return run_command(std::move(argv), {}, 30s);
}

// The JSON answer of a `queue ... --json` that succeeded; null (with a test failure) otherwise.
json queue_json(const std::string& program, const server_info& server,
                std::vector<std::string> args) {
  args.push_back("--json");
  auto r = queue(program, server, args);
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  if (r.exit_status != 0) {
    return json();
  }
  return json::parse(r.out);
}

// Polls `condition` every 200 ms for at most `bound`.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds bound = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

command_result im2k(const testbed& bed, const std::string& user, const std::string& command,
                    std::vector<std::string> args = {}) {
  std::vector<std::string> argv = {im2k_binary, command, "--config",
                                   bed.user(user).client_config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(std::move(argv), {"HOME=" + bed.dir().string()}, 60s);
}

// Sends a message with the `im2k` client; its id, or "" on failure.
std::string send(const testbed& bed, const std::string& from, const std::string& to,
                 const std::string& subject) {
  const auto body = bed.dir() / ("body-" + subject + ".txt");
  std::ofstream(body) << "Hello from the control test.\n";
  auto r = im2k(bed, from, "send", {"--subject", subject, "--body-file", body.string(), to});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
  if (r.exit_status != 0 || r.out.size() < 27) {
    return {};
  }
  return r.out.substr(0, r.out.size() - 1);
}

std::string status_of(const testbed& bed, const std::string& user, const std::string& msg) {
  auto r = im2k(bed, user, "status", {"--json", msg});
  if (r.exit_status != 0) {
    return "";
  }
  const json document = json::parse(r.out);
  return document.at("recipients").at(0).at("state").get<std::string>();
}

// The entry for `msg` in a `queue list --json` answer of the OMS, or null.
json listed(const json& list, const std::string& msg) {
  for (const auto& m : list.value("messages", json::array())) {
    if (m.value("msg", "") == msg) {
      return m;
    }
  }
  return json();
}

TEST(ControlTestbed, OmsQueueWhileTheImsIsDown) {
  testbed bed({.net = 235});
  const auto& oms = bed.domain("alpha.test").oms;
  bed.stop("mx.beta.test");
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "queued");
  ASSERT_FALSE(msg.empty());

  // The notifier fails to reach mx.beta.test: bob is deferred.
  json entry;
  ASSERT_TRUE(eventually([&] {
    entry = listed(queue_json(oms_binary, oms, {"list"}), msg);
    return entry.is_object() && entry["states"].value("deferred", 0) == 1;
  })) << entry.dump();
  EXPECT_EQ(entry["user"], "alice@alpha.test");
  EXPECT_EQ(entry["from"], "alice@alpha.test");
  EXPECT_GT(entry["size"].get<int>(), 0);
  EXPECT_TRUE(entry["next_attempt"].is_number_integer()) << entry.dump();
  EXPECT_TRUE(entry["last_code"].is_string()) << entry.dump();

  // The same for people: aligned columns with the message on one row.
  auto r = queue(oms_binary, oms, {"list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("MSG"));
  EXPECT_THAT(r.out, HasSubstr(msg + "  alice@alpha.test"));
  EXPECT_THAT(r.out, HasSubstr("deferred 1"));

  const json shown = queue_json(oms_binary, oms, {"show", msg});
  ASSERT_TRUE(shown.is_object());
  const auto& recipients = shown.at("message").at("recipients");
  ASSERT_EQ(recipients.size(), 1u) << shown.dump();
  EXPECT_EQ(recipients[0]["rcpt"], "bob@beta.test");
  EXPECT_EQ(recipients[0]["state"], "deferred");
  EXPECT_GE(recipients[0]["attempts"].get<int>(), 1);
  EXPECT_TRUE(recipients[0]["code"].is_string());
  r = queue(oms_binary, oms, {"show", msg});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("bob@beta.test  deferred"));

  const json retried = queue_json(oms_binary, oms, {"retry", msg});
  EXPECT_EQ(retried.value("ok", false), true) << retried.dump();
  EXPECT_EQ(retried.value("msg", ""), msg);

  // The IMS is back: after a retry the message is pulled and leaves the queue.
  bed.start("mx.beta.test");
  r = queue(oms_binary, oms, {"retry", msg});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_TRUE(eventually([&] {
    const json list = queue_json(oms_binary, oms, {"list"});
    return list.is_object() && listed(list, msg).is_null();
  }));
  EXPECT_EQ(status_of(bed, "alice@alpha.test", msg), "pulled");

  // An unknown message id, also through --config (the default socket path).
  r = run_command(
      {oms_binary, "queue", "show", "zzzzzzzzzzzzzzzzzzzzzzzzzy", "--config", oms.config.string()},
      {}, 30s);
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("im2k-oms: not-found: "));
  r = queue(oms_binary, oms, {"show", "zzzzzzzzzzzzzzzzzzzzzzzzzy", "--json"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_EQ(json::parse(r.out).value("code", ""), "not-found") << r.out;
  r = queue(oms_binary, oms, {"retry", "zzzzzzzzzzzzzzzzzzzzzzzzzy"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("not-found"));
}

TEST(ControlTestbed, OmsQueueRemoveWithdrawsTheMessage) {
  testbed bed({.net = 236});
  const auto& oms = bed.domain("alpha.test").oms;
  bed.stop("mx.beta.test");
  const std::string msg = send(bed, "alice@alpha.test", "bob@beta.test", "removed");
  ASSERT_FALSE(msg.empty());
  ASSERT_TRUE(
      eventually([&] { return listed(queue_json(oms_binary, oms, {"list"}), msg).is_object(); }));

  const json removed = queue_json(oms_binary, oms, {"remove", msg});
  EXPECT_EQ(removed.value("recalled", json()), json::array({"bob@beta.test"})) << removed.dump();
  EXPECT_TRUE(listed(queue_json(oms_binary, oms, {"list"}), msg).is_null());
  // The sender sees a recall, and nothing more can be withdrawn.
  EXPECT_EQ(status_of(bed, "alice@alpha.test", msg), "recalled");
  const json again = queue_json(oms_binary, oms, {"remove", msg});
  EXPECT_EQ(again.value("recalled", json()), json::array());
  // Who did it is logged.
  EXPECT_EQ(count_events(bed.events(oms.host), "queue.removed", {{"msg", msg}}), 2u);
}

TEST(ControlTestbed, ImsQueueOfAPullTheOmsCannotServe) {
  const int net = 237;
  testbed bed({.net = net});
  const auto& ims = bed.domain("beta.test").ims;
  bed.stop("oms.alpha.test");

  // A notification from alpha.test's designated address with its certificate: accepted, but
  // the pull cannot reach oms.alpha.test.
  const std::string source = "127." + std::to_string(net) + ".1.1";
  const auto ca = bed.ca_dir();
  peer_session notify(bed,
                      peer_options{ims.host, ims.address, 4650, false, ca / "oms.alpha.test.pem",
                                   ca / "oms.alpha.test.key", source, "oms.alpha.test"});
  ASSERT_TRUE(notify.opened()) << notify.refusal().code << " " << notify.refusal().message;
  const std::string msg = proto::new_message_id();
  const json request = {{"op", "notify"},
                        {"msg", msg},
                        {"from", "alice@alpha.test"},
                        {"rcpt", {"bob@beta.test"}},
                        {"size", 100},
                        {"digest", "sha256:" + std::string(64, 'a')},
                        {"token", proto::new_token()},
                        {"expires", static_cast<std::int64_t>(std::time(nullptr)) + 3600}};
  const auto accepted = notify.request(request);
  ASSERT_TRUE(accepted.ok) << accepted.code << " " << accepted.message;

  json pull;
  ASSERT_TRUE(eventually([&] {
    for (const auto& p : queue_json(ims_binary, ims, {"list"}).value("pulls", json::array())) {
      if (p.value("msg", "") == msg && p["last_error"].is_string()) {
        pull = p;
        return true;
      }
    }
    return false;
  })) << pull.dump();
  EXPECT_EQ(pull["sender_domain"], "alpha.test");
  EXPECT_EQ(pull["rcpt_domain"], "beta.test");
  EXPECT_EQ(pull["host"], "oms.alpha.test");
  EXPECT_EQ(pull["state"], "pull");
  EXPECT_GE(pull["attempts"].get<int>(), 1);
  const std::string id = pull["id"];

  auto r = queue(ims_binary, ims, {"list"});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("bob@beta.test accepted"));

  const json shown = queue_json(ims_binary, ims, {"show", id});
  ASSERT_TRUE(shown.is_object());
  EXPECT_EQ(shown["pull"]["msg"], msg);
  EXPECT_EQ(shown["pull"]["recipients"][0]["rcpt"], "bob@beta.test");
  EXPECT_EQ(shown["pull"]["recipients"][0]["state"], "accepted");

  EXPECT_EQ(queue_json(ims_binary, ims, {"retry", id}).value("ok", false), true);

  // Removed: dropped as [P-14], nothing stored, gone from the queue.
  EXPECT_EQ(queue_json(ims_binary, ims, {"remove", id}).value("ok", false), true);
  const auto states = query_database(ims.state_dir / "ims.db",
                                     "SELECT state FROM notifications WHERE msg = '" + msg + "'");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0][0], "dropped");
  r = queue(ims_binary, ims, {"show", id});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("im2k-ims: not-found: "));
  r = queue(ims_binary, ims, {"retry", "not-a-number"});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_THAT(r.err, HasSubstr("bad-request"));
  EXPECT_EQ(stored_copies(ims.state_dir).size(), 0u);
}

}  // namespace
}  // namespace im2k::test
