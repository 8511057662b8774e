#include "oms/lifecycle.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace im2k::oms {
namespace {

using s = rcpt_state;
using e = rcpt_event;

TEST(Lifecycle, NotifyOutcomesFromWaitingStates) {
  for (auto from : {s::queued, s::deferred}) {
    EXPECT_EQ(next_state(from, e::notify_accepted), s::notified);
    EXPECT_EQ(next_state(from, e::notify_rejected), s::rejected);
    EXPECT_EQ(next_state(from, e::notify_deferred), s::deferred);
  }
}

TEST(Lifecycle, NotifiedNeverGoesBackToDeferred) {  // [L-4]
  EXPECT_EQ(next_state(s::notified, e::notify_deferred), std::nullopt);
  EXPECT_EQ(next_state(s::notified, e::notify_rejected), std::nullopt);
  EXPECT_EQ(next_state(s::notified, e::notify_accepted), std::nullopt);
}

TEST(Lifecycle, AckFromEveryNonFinalState) {  // [L-2], ack overtaking the notify response
  for (auto from : {s::queued, s::deferred, s::notified}) {
    EXPECT_EQ(next_state(from, e::ack_stored), s::pulled);
    EXPECT_EQ(next_state(from, e::ack_refused), s::rejected);
    EXPECT_EQ(next_state(from, e::expire), s::expired);
  }
}

TEST(Lifecycle, FinalStatesNeverChange) {  // [L-3]
  for (auto from : {s::pulled, s::rejected, s::recalled, s::expired}) {
    EXPECT_TRUE(is_final(from));
    for (auto ev : {e::notify_accepted, e::notify_rejected, e::notify_deferred, e::ack_stored,
                    e::ack_refused, e::recall, e::expire}) {
      EXPECT_EQ(next_state(from, ev, false), std::nullopt);
    }
  }
  for (auto from : {s::queued, s::deferred, s::notified}) {
    EXPECT_FALSE(is_final(from));
  }
}

TEST(Lifecycle, RecallStopsAtAServedPull) {
  EXPECT_EQ(next_state(s::queued, e::recall, true), s::recalled);
  EXPECT_EQ(next_state(s::deferred, e::recall, true), s::recalled);
  EXPECT_EQ(next_state(s::notified, e::recall, false), s::recalled);
  EXPECT_EQ(next_state(s::notified, e::recall, true), std::nullopt);
}

TEST(Lifecycle, PullDecision) {  // [P-8]
  using v = std::vector<rcpt_state>;
  EXPECT_EQ(decide_pull(v{s::pulled, s::notified}, false), pull_decision::serve);
  EXPECT_EQ(decide_pull(v{s::queued}, false), pull_decision::serve);
  EXPECT_EQ(decide_pull(v{s::notified}, true), pull_decision::expired);
  EXPECT_EQ(decide_pull(v{s::recalled, s::expired}, false), pull_decision::recalled);
  EXPECT_EQ(decide_pull(v{s::expired, s::pulled}, false), pull_decision::expired);
  EXPECT_EQ(decide_pull(v{s::pulled, s::rejected}, false), pull_decision::not_found);
}

}  // namespace
}  // namespace im2k::oms
