#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "processors/sinks/alerts/hub.h"

namespace vigil::alerts {
namespace {

std::vector<v1::WarningEvent> Events(uint64_t from, uint64_t to) {
  std::vector<v1::WarningEvent> out;
  for (uint64_t s = from; s <= to; ++s) out.emplace_back().set_ledger_seq(s);
  return out;
}

TEST(AlertHubTest, EverySubscriberGetsEveryCommitInOrder) {
  Hub hub(0);
  auto a = hub.Subscribe(100);
  auto b = hub.Subscribe(100);
  hub.Publish(Events(1, 3));
  hub.Publish(Events(4, 5));
  EXPECT_EQ(hub.head_seq(), 5u);
  for (const auto& s : {a, b}) {
    for (uint64_t want = 1; want <= 5; ++want) {
      v1::WarningEvent e;
      ASSERT_EQ(s->Pop(absl::ZeroDuration(), &e), Subscription::Next::kEvent);
      EXPECT_EQ(e.ledger_seq(), want);
    }
    v1::WarningEvent e;
    EXPECT_EQ(s->Pop(absl::Milliseconds(1), &e), Subscription::Next::kTimeout);
  }
}

TEST(AlertHubTest, ASlowSubscriberOverflowsAloneAndIsToldOnce) {
  Hub hub(0);
  auto slow = hub.Subscribe(4);
  auto fast = hub.Subscribe(100);
  int told = 0;
  slow->OnOverflow([&] { ++told; });
  hub.Publish(Events(1, 3));
  hub.Publish(Events(4, 6));  // 6 > 4: the slow one is cut off
  hub.Publish(Events(7, 9));
  EXPECT_EQ(told, 1);
  EXPECT_EQ(hub.overflows(), 1u);
  v1::WarningEvent e;
  EXPECT_EQ(slow->Pop(absl::ZeroDuration(), &e), Subscription::Next::kOverflowed);
  for (uint64_t want = 1; want <= 9; ++want) {
    ASSERT_EQ(fast->Pop(absl::ZeroDuration(), &e), Subscription::Next::kEvent);
    EXPECT_EQ(e.ledger_seq(), want);
  }
}

TEST(AlertHubTest, CloseWakesAWaitingStream) {
  Hub hub(7);
  auto s = hub.Subscribe(10);
  std::thread closer([&] { hub.CloseAll(); });
  v1::WarningEvent e;
  EXPECT_EQ(s->Pop(absl::Seconds(30), &e), Subscription::Next::kClosed);
  closer.join();
  EXPECT_EQ(hub.subscribers(), 0u);
  EXPECT_EQ(hub.head_seq(), 7u);
}

TEST(AlertHubTest, UnsubscribedStreamsGetNothing) {
  Hub hub(0);
  auto s = hub.Subscribe(10);
  hub.Unsubscribe(s);
  hub.Publish(Events(1, 2));
  v1::WarningEvent e;
  EXPECT_EQ(s->Pop(absl::ZeroDuration(), &e), Subscription::Next::kClosed);
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace vigil::alerts
