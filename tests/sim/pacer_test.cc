// Kafka pacing against a fake clock: no real sleeping in tests.
#include "tools/sim/pacer.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::sim {
namespace {

class FakeClock final : public PaceClock {
 public:
  absl::Time Now() override { return now; }
  void SleepUntil(absl::Time t) override {
    sleeps.push_back(t);
    if (t > now) now = t;
  }
  absl::Time now = absl::FromUnixSeconds(1000000);
  std::vector<absl::Time> sleeps;
};

TEST(Speed, Parses) {
  EXPECT_FALSE(ParseSpeed("max")->factor.has_value());
  EXPECT_EQ(*ParseSpeed("realtime")->factor, 1.0);
  EXPECT_EQ(*ParseSpeed("60x")->factor, 60.0);
  EXPECT_EQ(*ParseSpeed("0.5x")->factor, 0.5);
  EXPECT_FALSE(ParseSpeed("fast").ok());
  EXPECT_FALSE(ParseSpeed("0x").ok());
  EXPECT_FALSE(ParseSpeed("x").ok());
}

TEST(Pacer, WaitsEventTimeOverFactor) {
  FakeClock clock;
  const absl::Time wall0 = clock.now;
  Pacer pacer(&clock, *ParseSpeed("60x"));
  const absl::Time t0 = absl::FromUnixSeconds(1784102400);
  pacer.WaitFor(t0);                      // anchors, no wait
  pacer.WaitFor(t0 + absl::Seconds(60));  // due 1 s later
  pacer.WaitFor(t0 + absl::Seconds(60));  // already due
  pacer.WaitFor(t0 + absl::Minutes(10));  // due 10 s after the start
  ASSERT_EQ(clock.sleeps.size(), 2u);
  EXPECT_EQ(clock.sleeps[0], wall0 + absl::Seconds(1));
  EXPECT_EQ(clock.sleeps[1], wall0 + absl::Seconds(10));
}

TEST(Pacer, LateEventsAndMaxSpeedDoNotWait) {
  FakeClock clock;
  Pacer realtime(&clock, *ParseSpeed("realtime"));
  const absl::Time t0 = absl::FromUnixSeconds(1784102400);
  realtime.WaitFor(t0);
  clock.now += absl::Seconds(30);  // the producer fell behind
  realtime.WaitFor(t0 + absl::Seconds(10));
  EXPECT_TRUE(clock.sleeps.empty());
  Pacer max(&clock, *ParseSpeed("max"));
  max.WaitFor(t0);
  max.WaitFor(t0 + absl::Hours(5));
  EXPECT_TRUE(clock.sleeps.empty());
}

}  // namespace
}  // namespace vigil::sim
