// The IMS's policy with the real daemons on a testbed (IMS config appended with a [policy]
// table): the per-domain rate limit ([N-1] step 11) defers and then lets through, the deny list
// (step 10) rejects for good, and the recipients cap ([N-17]) defers the rest until the OMS
// notifies them again. Each test has a testbed of its own --net (245-249).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/flow/flow_helpers.hpp"
#include "tests/support/testbed.hpp"

namespace im2k::test {
namespace {

using namespace std::chrono_literals;

std::string submit_to(user_session& user, const std::vector<std::string>& rcpts,
                      const std::string& subject) {
  const auto submitted = user.submit(rcpts, make_message("alice@alpha.test", rcpts, subject));
  EXPECT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  return submitted.ok ? submitted.object.at("msg").get<std::string>() : std::string();
}

// [N-1] step 11, [E-2] [E-3] [L-8]
TEST(PolicyFlow, OverTheSenderDomainRateTheNotificationIsDeferredThenPulledAfterTheWindow) {
  testbed bed(
      {.net = 245, .ims_append = "[policy.rate_per_domain]\nrate = 2\nper = \"10s\"\nburst = 2\n"});
  user_session alice(bed, "alice@alpha.test");
  std::vector<std::string> msgs;
  for (int i = 0; i < 3; ++i) {
    msgs.push_back(submit_to(alice, {"bob@beta.test"}, "rate " + std::to_string(i)));
    ASSERT_FALSE(msgs.back().empty());
  }

  // A burst of 2: one of the three (normally the third) is refused with rate-limited, which the
  // OMS records as a temporary refusal.
  std::string limited;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& msg : msgs) {
          const auto r = recipient_of(alice.status(msg), "bob@beta.test");
          if (r.is_object() && r.value("state", "") == "deferred" &&
              r.value("code", "") == "rate-limited") {
            limited = msg;
            return true;
          }
        }
        return false;
      },
      60s))
      << alice.status(msgs.back()).object.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", limited, "bob@beta.test"), 0);

  // One token per 5 s: the retry after the window is accepted and pulled.
  for (const auto& msg : msgs) {
    ASSERT_TRUE(wait_for_state(alice, msg, {"bob@beta.test"}, "pulled", 60s))
        << alice.status(msg).object.dump();
    EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 1);
  }
  EXPECT_GE(count_events(bed.events("mx.beta.test"), "notify.refused",
                         {{"msg", limited}, {"code", "rate-limited"}}),
            1u);
}

// [N-1] step 10, [E-2] [L-10]
TEST(PolicyFlow, ASenderDomainOnTheDenyListIsRejectedWithPolicy) {
  testbed bed({.net = 246, .ims_append = "[policy]\ndeny_domains = [\"alpha.test\"]\n"});
  user_session alice(bed, "alice@alpha.test");
  const auto msg = submit_to(alice, {"bob@beta.test"}, "denied");
  ASSERT_FALSE(msg.empty());

  ASSERT_TRUE(wait_for_state(alice, msg, {"bob@beta.test"}, "rejected", 60s))
      << alice.status(msg).object.dump();
  const auto rejected = recipient_of(alice.status(msg), "bob@beta.test");
  EXPECT_EQ(rejected.value("code", ""), "policy") << rejected.dump();
  EXPECT_TRUE(rejected.at("next_attempt").is_null()) << rejected.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 0);
  EXPECT_EQ(count_events(bed.events("mx.beta.test"), "notify.refused",
                         {{"msg", msg}, {"code", "policy"}}),
            1u);
}

// [N-17] [N-12] [N-15]
TEST(PolicyFlow, RecipientsOverTheCapAreDeferredAndDeliveredOnTheNextNotification) {
  testbed bed({.net = 247, .ims_append = "[policy]\nmax_recipients = 1\n"});
  user_session alice(bed, "alice@alpha.test");
  const std::vector<std::string> rcpts{"bob@beta.test", "carol@beta.test"};
  const auto msg = submit_to(alice, rcpts, "capped");
  ASSERT_FALSE(msg.empty());

  ASSERT_TRUE(wait_for_state(alice, msg, rcpts, "pulled", 60s)) << alice.status(msg).object.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 1);
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "carol@beta.test"), 1);
  // Two notifications were needed: the first accepted one recipient only.
  EXPECT_GE(count_events(bed.events("mx.beta.test"), "notify.accepted", {{"msg", msg}}), 2u);
}

}  // namespace
}  // namespace im2k::test
