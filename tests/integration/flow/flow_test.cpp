// Issue 5 acceptance, the delivery cases: real im2k-oms and im2k-ims of several domains, real
// unbound, the testbed CA, loopback only (deploy/testbed/testbed.sh through
// tests/support/testbed.hpp). Each test has a testbed of its own --net.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/flow/flow_helpers.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

// Servers other than these two must never see a message of alpha.test to beta.test.
bool mentions(const std::vector<nlohmann::json>& events, const std::string& msg) {
  for (const auto& e : events) {
    if (e.dump().find(msg) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// [S-9] [S-10] [N-15] [P-4] [P-9] [A-1] [A-4] [A-6] [P-13] [Q-2] [L-1] [L-2]
TEST(FlowDelivery, OneMessageToThreeUsersInTwoDomainsIsStoredOnceNotifiedAndPulledOncePerDomain) {
  testbed bed({.net = 201, .extra_domains = {"gamma.test"}});
  user_session alice(bed, "alice@alpha.test");
  const std::vector<std::string> rcpts{"bob@beta.test", "carol@beta.test", "dave@gamma.test"};
  const auto submitted =
      alice.submit(rcpts, make_message("alice@alpha.test", rcpts, "fan-out", 2000));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  const std::string msg = submitted.object.at("msg").get<std::string>();

  ASSERT_TRUE(wait_for_state(alice, msg, rcpts, "pulled")) << alice.status(msg).object.dump();

  // One body file however many recipients.
  EXPECT_EQ(oms_body_files(bed.domain("alpha.test").oms.state_dir), 1u);
  // Delivered to all three, once each.
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 1);
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "carol@beta.test"), 1);
  EXPECT_EQ(copies_of(bed, "gamma.test", msg, "dave@gamma.test"), 1);

  // Notified once and pulled once per recipient domain (from the daemons' JSON logs). A server
  // may log an event just after the peer has acted on it (the IMS logs ack.sent once the OMS
  // answered, the OMS logs notify.sent once the IMS answered): wait until both are there.
  ASSERT_TRUE(wait_until([&] {
    const auto sent = bed.events("oms.alpha.test");
    return count_events(sent, "notify.sent", {{"msg", msg}}) >= 2 &&
           count_events(bed.events("mx.beta.test"), "ack.sent", {{"msg", msg}}) >= 1 &&
           count_events(bed.events("mx.gamma.test"), "ack.sent", {{"msg", msg}}) >= 1;
  }));
  const auto oms = bed.events("oms.alpha.test");
  for (const std::string domain : {"beta.test", "gamma.test"}) {
    const field_match m{{"msg", msg}, {"rcpt_domain", domain}};
    EXPECT_EQ(count_events(oms, "notify.sent", m), 1u) << domain;
    EXPECT_EQ(count_events(oms, "pull.served", m), 1u) << domain;
    EXPECT_EQ(count_events(oms, "ack.received", m), 1u) << domain;
    const auto ims = bed.events("mx." + domain);
    EXPECT_EQ(count_events(ims, "notify.accepted", {{"msg", msg}}), 1u) << domain;
    EXPECT_EQ(count_events(ims, "store.delivered", {{"msg", msg}}), 1u) << domain;
    EXPECT_EQ(count_events(ims, "ack.sent", {{"msg", msg}}), 1u) << domain;
  }
  EXPECT_EQ(count_events(oms, "submit.accepted", {{"msg", msg}}), 1u);

  // The stored copy carries the IMS's verdict ([P-13]).
  const auto rows = query_database(bed.domain("beta.test").ims.state_dir / "ims.db",
                                   "SELECT body FROM mailbox WHERE msg = '" + msg + "' LIMIT 1");
  ASSERT_EQ(rows.size(), 1u);
  const auto stored =
      read_file(bed.domain("beta.test").ims.state_dir / "bodies" / rows.at(0).at(0));
  EXPECT_NE(stored.find("Authentication-Results: mx.beta.test;"), std::string::npos) << stored;
  EXPECT_NE(stored.find("spf=pass smtp.mailfrom=alice@alpha.test"), std::string::npos) << stored;
  EXPECT_NE(stored.find("Subject: fan-out"), std::string::npos);
}

// [L-2] [L-6] [L-8] [N-15] [D-4]
TEST(FlowDelivery, RecipientWhoseImsIsDownIsDeferredThenDeliveredWhenItComesBack) {
  testbed bed({.net = 202});
  bed.stop("mx.beta.test");
  user_session alice(bed, "alice@alpha.test");
  const auto submitted = alice.submit(
      {"bob@beta.test"}, make_message("alice@alpha.test", {"bob@beta.test"}, "while down"));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  const std::string msg = submitted.object.at("msg").get<std::string>();

  ASSERT_TRUE(wait_for_state(alice, msg, {"bob@beta.test"}, "deferred"))
      << alice.status(msg).object.dump();
  const auto deferred = recipient_of(alice.status(msg), "bob@beta.test");
  EXPECT_TRUE(deferred.contains("code")) << deferred.dump();
  EXPECT_TRUE(deferred.at("next_attempt").is_number()) << deferred.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 0);

  bed.start("mx.beta.test");
  ASSERT_TRUE(wait_for_state(alice, msg, {"bob@beta.test"}, "pulled"))
      << alice.status(msg).object.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 1);
  const auto done = recipient_of(alice.status(msg), "bob@beta.test");
  EXPECT_TRUE(done.at("next_attempt").is_null()) << done.dump();
}

// [N-1] step 12, [N-6] [L-2] [L-10]
TEST(FlowDelivery, UnknownRecipientIsRejectedWithTheImsCodeAndNothingIsSentBecauseOfIt) {
  testbed bed({.net = 203});
  user_session alice(bed, "alice@alpha.test");
  const auto submitted = alice.submit(
      {"nobody@beta.test"}, make_message("alice@alpha.test", {"nobody@beta.test"}, "unknown"));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  const std::string msg = submitted.object.at("msg").get<std::string>();

  ASSERT_TRUE(wait_for_state(alice, msg, {"nobody@beta.test"}, "rejected"))
      << alice.status(msg).object.dump();
  const auto rejected = recipient_of(alice.status(msg), "nobody@beta.test");
  EXPECT_EQ(rejected.value("code", ""), "unknown-recipient") << rejected.dump();
  EXPECT_TRUE(rejected.at("next_attempt").is_null()) << rejected.dump();

  // A message that is delivered afterwards shows that the servers went on working; by the time
  // it is pulled, anything the rejection would have caused has had its chance (retries are 1-2 s
  // in the testbed, so also wait past them).
  const auto later = alice.submit(
      {"bob@beta.test"}, make_message("alice@alpha.test", {"bob@beta.test"}, "afterwards"));
  ASSERT_TRUE(later.ok) << later.code;
  const std::string later_msg = later.object.at("msg").get<std::string>();
  ASSERT_TRUE(wait_for_state(alice, later_msg, {"bob@beta.test"}, "pulled"));
  std::this_thread::sleep_for(std::chrono::seconds(3));

  const auto oms = bed.events("oms.alpha.test");
  EXPECT_EQ(count_events(oms, "notify.sent", {{"msg", msg}}), 1u);
  EXPECT_EQ(count_events(oms, "pull.served", {{"msg", msg}}), 0u);
  EXPECT_EQ(count_events(oms, "submit.accepted"), 2u);  // the two of this test, nothing else
  const auto ims = bed.events("mx.beta.test");
  EXPECT_EQ(count_events(ims, "notify.accepted", {{"msg", msg}}), 1u);
  EXPECT_EQ(count_events(ims, "pull.done", {{"msg", msg}}), 0u);
  EXPECT_EQ(count_events(ims, "ack.sent", {{"msg", msg}}), 0u);
  EXPECT_EQ(count_events(ims, "store.delivered", {{"msg", msg}}), 0u);
  // No other server ever heard of it: no bounce, no notification to alpha.test's IMS.
  EXPECT_FALSE(mentions(bed.events("mx.alpha.test"), msg));
  EXPECT_FALSE(mentions(bed.events("oms.beta.test"), msg));
  EXPECT_EQ(count_events(bed.events("oms.beta.test"), "submit.accepted"), 0u);
  EXPECT_EQ(count_events(bed.events("mx.alpha.test"), "notify.accepted"), 0u);
  EXPECT_TRUE(stored_copies(bed.domain("alpha.test").ims.state_dir).empty());
}

}  // namespace
}  // namespace im2k::test
