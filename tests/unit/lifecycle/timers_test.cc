#include <gtest/gtest.h>

#include <ostream>
#include <vector>

#include "processors/lifecycle/lifecycle.h"
#include "tests/unit/lifecycle/fixtures.h"

namespace vigil::lifecycle {

void PrintTo(const PlannedTimer& t, std::ostream* os) {
  *os << v1::TimerRecord::Kind_Name(t.kind) << "@" << absl::FormatTime(t.due);
}

namespace {

using testing::MakeWarning;
using testing::T0;
using testing::Ts;
using Kind = v1::TimerRecord;

class LifecycleTimersTest : public ::testing::Test {
 protected:
  v1::Warning Raised(v1::Grade grade) {
    v1::Warning w = MakeWarning(grade);
    OnRaised(policy_, T0(), &w);
    return w;
  }
  static absl::Time H(double hours) { return T0() + absl::Hours(hours); }

  const LifecyclePolicy policy_ = LifecyclePolicy::Default();
};

// OPEN (grade III: ack 2h, feedback 24h): countdowns at 50 % and 80 % of both
// windows and the overdue timers, sorted by due.
TEST_F(LifecycleTimersTest, OpenHasAckAndFeedbackTimers) {
  const std::vector<PlannedTimer> expected = {
      {Kind::ACK_COUNTDOWN, H(1)},         {Kind::ACK_COUNTDOWN, H(1.6)},
      {Kind::ACK_OVERDUE, H(2)},           {Kind::FEEDBACK_COUNTDOWN, H(12)},
      {Kind::FEEDBACK_COUNTDOWN, H(19.2)}, {Kind::FEEDBACK_OVERDUE, H(24)}};
  EXPECT_EQ(LifecycleTimers(policy_, Raised(v1::GRADE_III)), expected);
}

// ACKNOWLEDGED: only the feedback timers.
TEST_F(LifecycleTimersTest, AcknowledgedHasFeedbackTimers) {
  v1::Warning w = Raised(v1::GRADE_I);  // feedback 2h
  w.set_state(v1::ACKNOWLEDGED);
  const std::vector<PlannedTimer> expected = {{Kind::FEEDBACK_COUNTDOWN, H(1)},
                                              {Kind::FEEDBACK_COUNTDOWN, H(1.6)},
                                              {Kind::FEEDBACK_OVERDUE, H(2)}};
  EXPECT_EQ(LifecycleTimers(policy_, w), expected);
}

// FEEDBACK_SUBMITTED waits for the province: nothing timed.
TEST_F(LifecycleTimersTest, FeedbackSubmittedHasNone) {
  v1::Warning w = Raised(v1::GRADE_II);
  w.set_state(v1::FEEDBACK_SUBMITTED);
  EXPECT_TRUE(LifecycleTimers(policy_, w).empty());
}

// CLOSED: the end of the look-back only.
TEST_F(LifecycleTimersTest, ClosedHasLookbackEnd) {
  v1::Warning w = Raised(v1::GRADE_II);
  w.set_state(v1::CLOSED);
  *w.mutable_lifecycle()->mutable_lookback_until() = Ts(H(24 * 30));
  EXPECT_EQ(LifecycleTimers(policy_, w),
            (std::vector<PlannedTimer>{{Kind::LOOKBACK_END, H(24 * 30)}}));
}

// REOPENED: windows run from the reopening, not from the original raise.
TEST_F(LifecycleTimersTest, ReopenedWindowsStartAtReopen) {
  v1::Warning w = Raised(v1::GRADE_IV);
  w.set_state(v1::CLOSED);
  *w.mutable_lifecycle()->mutable_closed_at() = Ts(H(10));
  *w.mutable_lifecycle()->mutable_lookback_until() = Ts(H(10 + 24 * 30));
  ASSERT_TRUE(ReopenOnRecurrence(policy_, H(20), v1::GRADE_IV, &w));  // → III at 20h
  const std::vector<PlannedTimer> expected = {
      {Kind::ACK_COUNTDOWN, H(21)},        {Kind::ACK_COUNTDOWN, H(21.6)},
      {Kind::ACK_OVERDUE, H(22)},          {Kind::FEEDBACK_COUNTDOWN, H(32)},
      {Kind::FEEDBACK_COUNTDOWN, H(39.2)}, {Kind::FEEDBACK_OVERDUE, H(44)}};
  EXPECT_EQ(LifecycleTimers(policy_, w), expected);
}

// After a regrade up the shares apply to the new, shorter window.
TEST_F(LifecycleTimersTest, RegradeUpRestartsShares) {
  v1::Warning w = Raised(v1::GRADE_IV);
  w.set_grade(v1::GRADE_II);
  OnRegraded(policy_, H(1), v1::GRADE_IV, &w);  // ack 1h30, feedback 5h
  const std::vector<PlannedTimer> got = LifecycleTimers(policy_, w);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0], (PlannedTimer{Kind::ACK_COUNTDOWN, H(1.25)}));
  EXPECT_EQ(got[1], (PlannedTimer{Kind::ACK_COUNTDOWN, H(1.4)}));
  EXPECT_EQ(got[2], (PlannedTimer{Kind::ACK_OVERDUE, H(1.5)}));
  EXPECT_EQ(got[3], (PlannedTimer{Kind::FEEDBACK_COUNTDOWN, H(3)}));
}

// After a regrade down the (longer) window does not start before the raise.
TEST_F(LifecycleTimersTest, RegradeDownWindowStartsAtRaise) {
  v1::Warning w = Raised(v1::GRADE_I);  // ack 15m
  w.set_grade(v1::GRADE_IV);
  OnRegraded(policy_, H(0.1), v1::GRADE_I, &w);
  const std::vector<PlannedTimer> got = LifecycleTimers(policy_, w);
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[0], (PlannedTimer{Kind::ACK_COUNTDOWN, T0() + absl::Seconds(450)}));
  EXPECT_EQ(got[1], (PlannedTimer{Kind::ACK_COUNTDOWN, T0() + absl::Seconds(720)}));
  EXPECT_EQ(got[2], (PlannedTimer{Kind::ACK_OVERDUE, T0() + absl::Minutes(15)}));
}

// Timers already past are returned; no countdown shares gives only overdue timers.
TEST_F(LifecycleTimersTest, NoCountdownSharesAndUnsetDeadlines) {
  LifecyclePolicy none = policy_;
  none.countdown.clear();
  const v1::Warning w = Raised(v1::GRADE_II);
  EXPECT_EQ(LifecycleTimers(none, w), (std::vector<PlannedTimer>{{Kind::ACK_OVERDUE, H(0.5)},
                                                                 {Kind::FEEDBACK_OVERDUE, H(4)}}));
  v1::Warning bare = MakeWarning(v1::GRADE_II);
  bare.set_state(v1::OPEN);
  EXPECT_TRUE(LifecycleTimers(policy_, bare).empty());
  bare.set_state(v1::CLOSED);
  EXPECT_TRUE(LifecycleTimers(policy_, bare).empty());
}

}  // namespace
}  // namespace vigil::lifecycle
