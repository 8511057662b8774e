#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/store/due_queue.hpp"

namespace im2k::store {
namespace {

using keys = std::vector<std::string>;

TEST(DueQueue, TakesWhatIsDueOldestFirstWithinTheLimit) {
  due_queue<std::string> q;
  q.schedule("c", 30);
  q.schedule("a", 10);
  q.schedule("b", 20);
  q.schedule("later", 100);
  EXPECT_EQ(q.next(), 10);
  EXPECT_EQ(q.peek_due(25, 10), (keys{"a", "b"}));
  EXPECT_EQ(q.size(), 4u);  // peeking takes nothing
  EXPECT_EQ(q.take_due(50, 2), (keys{"a", "b"}));
  EXPECT_EQ(q.take_due(50, 10), (keys{"c"}));
  EXPECT_TRUE(q.take_due(99, 10).empty());
  EXPECT_EQ(q.next(), 100);
  EXPECT_EQ(q.size(), 1u);
}

TEST(DueQueue, ScheduleReplacesAndScheduleEarlierOnlyAdvances) {
  due_queue<std::string> q;
  q.schedule("a", 10);
  q.schedule("a", 40);  // replaces
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.due_at("a"), 40);
  q.schedule_earlier("a", 60);
  EXPECT_EQ(q.due_at("a"), 40);
  q.schedule_earlier("a", 5);
  EXPECT_EQ(q.due_at("a"), 5);
  q.schedule_earlier("new", 7);
  EXPECT_EQ(q.take_due(10, 10), (keys{"a", "new"}));
  EXPECT_TRUE(q.empty());
}

TEST(DueQueue, RemoveAndRemoveFromAPrefix) {
  using key = std::pair<std::string, std::string>;
  due_queue<key> q;
  q.schedule({"m1", "beta.test"}, 1);
  q.schedule({"m1", "gamma.test"}, 2);
  q.schedule({"m2", "beta.test"}, 3);
  q.remove({"nothing", "here"});  // absent: nothing happens
  q.remove_from({"m1", ""}, [](const key& k) { return k.first == "m1"; });
  EXPECT_FALSE(q.contains({"m1", "beta.test"}));
  EXPECT_FALSE(q.contains({"m1", "gamma.test"}));
  EXPECT_TRUE(q.contains({"m2", "beta.test"}));
  EXPECT_EQ(q.next(), 3);
  q.remove({"m2", "beta.test"});
  EXPECT_FALSE(q.next().has_value());
  EXPECT_FALSE(q.due_at({"m2", "beta.test"}).has_value());
}

}  // namespace
}  // namespace im2k::store
