#include "processors/lifecycle/lifecycle.h"

#include <gtest/gtest.h>

#include "tests/unit/lifecycle/fixtures.h"

namespace vigil::lifecycle {
namespace {

using testing::At;
using testing::MakeWarning;
using testing::T0;
using testing::Ts;

class LifecycleTest : public ::testing::Test {
 protected:
  // A warning of `grade` raised at T0 through OnRaised.
  v1::Warning Raised(v1::Grade grade) {
    v1::Warning w = MakeWarning(grade);
    OnRaised(policy_, T0(), &w);
    return w;
  }
  // A raised warning taken through ack, feedback and close at T0 + 1h.
  v1::Warning Closed(v1::Grade grade, const std::string& rule_id = "R05") {
    v1::Warning w = MakeWarning(grade, T0(), rule_id);
    OnRaised(policy_, T0(), &w);
    w.set_state(v1::CLOSED);
    w.mutable_lifecycle()->set_acknowledged_by("op1");
    *w.mutable_lifecycle()->mutable_acknowledged_at() = Ts(T0() + absl::Minutes(5));
    w.mutable_lifecycle()->set_feedback("fixed");
    w.mutable_lifecycle()->set_condition_cleared(true);
    *w.mutable_lifecycle()->mutable_closed_at() = Ts(T0() + absl::Hours(1));
    *w.mutable_lifecycle()->mutable_lookback_until() =
        Ts(T0() + absl::Hours(1) + policy_.LookbackFor(rule_id));
    return w;
  }

  const LifecyclePolicy policy_ = LifecyclePolicy::Default();
};

// A new warning is OPEN, owned by its grade's level, with deadlines from now.
TEST_F(LifecycleTest, RaisedSetsStateOwnerAndDeadlinesByGrade) {
  struct Case {
    v1::Grade grade;
    const char* owner;
    absl::Duration ack;
    absl::Duration feedback;
  };
  for (const Case& c : {Case{v1::GRADE_I, "province", absl::Minutes(15), absl::Hours(2)},
                        Case{v1::GRADE_II, "city", absl::Minutes(30), absl::Hours(4)},
                        Case{v1::GRADE_III, "county", absl::Hours(2), absl::Hours(24)},
                        Case{v1::GRADE_IV, "station", absl::Hours(4), absl::Hours(72)}}) {
    SCOPED_TRACE(v1::Grade_Name(c.grade));
    const v1::Warning w = Raised(c.grade);
    EXPECT_EQ(w.state(), v1::OPEN);
    EXPECT_EQ(w.owner_level(), c.owner);
    EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + c.ack);
    EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + c.feedback);
    EXPECT_EQ(w.version(), 1u);  // versions are the caller's
  }
}

// Grade up while open: both deadlines shorten to now + the new windows, owner moves up.
TEST_F(LifecycleTest, RegradeUpShortensDeadlines) {
  v1::Warning w = Raised(v1::GRADE_IV);  // ack T0+4h, feedback T0+72h
  w.set_grade(v1::GRADE_II);
  OnRegraded(policy_, T0() + absl::Hours(1), v1::GRADE_IV, &w);
  EXPECT_EQ(w.owner_level(), "city");
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + absl::Minutes(90));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + absl::Hours(5));
}

// Grade up never extends: a deadline already closer than now + window stays.
TEST_F(LifecycleTest, RegradeUpKeepsEarlierDeadline) {
  v1::Warning w = Raised(v1::GRADE_IV);  // ack T0+4h
  w.set_grade(v1::GRADE_III);            // ack window 2h
  OnRegraded(policy_, T0() + absl::Hours(3), v1::GRADE_IV, &w);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + absl::Hours(4));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + absl::Hours(27));
  EXPECT_EQ(w.owner_level(), "county");
}

// Grade down: deadlines and owner stay.
TEST_F(LifecycleTest, RegradeDownDoesNotExtendOrMoveOwnerDown) {
  v1::Warning w = Raised(v1::GRADE_I);
  w.set_grade(v1::GRADE_IV);
  OnRegraded(policy_, T0() + absl::Minutes(5), v1::GRADE_I, &w);
  EXPECT_EQ(w.owner_level(), "province");
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + absl::Minutes(15));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + absl::Hours(2));
}

// Once acknowledged only the feedback deadline can shorten; once submitted neither.
TEST_F(LifecycleTest, RegradeUpSkipsDeadlinesAlreadyMet) {
  v1::Warning w = Raised(v1::GRADE_IV);
  w.set_state(v1::ACKNOWLEDGED);
  w.set_grade(v1::GRADE_I);
  OnRegraded(policy_, T0() + absl::Hours(1), v1::GRADE_IV, &w);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + absl::Hours(4));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + absl::Hours(3));
  EXPECT_EQ(w.owner_level(), "province");

  v1::Warning s = Raised(v1::GRADE_IV);
  s.set_state(v1::FEEDBACK_SUBMITTED);
  s.set_grade(v1::GRADE_I);
  OnRegraded(policy_, T0() + absl::Hours(1), v1::GRADE_IV, &s);
  EXPECT_EQ(At(s.lifecycle().feedback_deadline()), T0() + absl::Hours(72));
}

// An escalated owner stays when the rule regrades down or sideways.
TEST_F(LifecycleTest, RegradeKeepsEscalatedOwner) {
  v1::Warning w = Raised(v1::GRADE_IV);
  w.set_owner_level("city");
  w.set_grade(v1::GRADE_III);
  OnRegraded(policy_, T0(), v1::GRADE_IV, &w);
  EXPECT_EQ(w.owner_level(), "city");
}

// A cleared condition only sets the flag: the warning still needs closing.
TEST_F(LifecycleTest, ConditionClearedKeepsState) {
  v1::Warning w = Raised(v1::GRADE_III);
  OnConditionCleared(&w);
  EXPECT_TRUE(w.lifecycle().condition_cleared());
  EXPECT_EQ(w.state(), v1::OPEN);
}

// Ack overdue: grade + 1, owner up, escalations + 1, new ack deadline of the new grade.
TEST_F(LifecycleTest, AckOverdueEscalates) {
  v1::Warning w = Raised(v1::GRADE_IV);
  const absl::Time due = T0() + absl::Hours(4);
  ASSERT_TRUE(OnAckOverdue(policy_, due, &w));
  EXPECT_EQ(w.grade(), v1::GRADE_III);
  EXPECT_EQ(w.owner_level(), "county");
  EXPECT_EQ(w.lifecycle().escalations(), 1u);
  EXPECT_EQ(w.state(), v1::OPEN);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), due + absl::Hours(2));
  // Feedback: min(T0+72h, due+24h).
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), due + absl::Hours(24));

  ASSERT_TRUE(OnAckOverdue(policy_, due + absl::Hours(2), &w));
  EXPECT_EQ(w.grade(), v1::GRADE_II);
  EXPECT_EQ(w.owner_level(), "city");
  EXPECT_EQ(w.lifecycle().escalations(), 2u);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), due + absl::Hours(2) + absl::Minutes(30));
}

// At grade I and the province, overdue re-notifies: capped, still counted.
TEST_F(LifecycleTest, AckOverdueCapsAtGradeIAndProvince) {
  v1::Warning w = Raised(v1::GRADE_I);
  const absl::Time due = T0() + absl::Minutes(15);
  ASSERT_TRUE(OnAckOverdue(policy_, due, &w));
  EXPECT_EQ(w.grade(), v1::GRADE_I);
  EXPECT_EQ(w.owner_level(), "province");
  EXPECT_EQ(w.lifecycle().escalations(), 1u);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), due + absl::Minutes(15));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), T0() + absl::Hours(2));

  LifecyclePolicy two = policy_;
  two.escalate_on_ack_overdue = 2;
  v1::Warning ii = Raised(v1::GRADE_II);
  ASSERT_TRUE(OnAckOverdue(two, T0() + absl::Minutes(30), &ii));
  EXPECT_EQ(ii.grade(), v1::GRADE_I);
  EXPECT_EQ(ii.owner_level(), "province");
}

// escalate_on_ack_overdue 0: only the ack deadline is renewed.
TEST_F(LifecycleTest, AckOverdueWithoutEscalation) {
  LifecyclePolicy never = policy_;
  never.escalate_on_ack_overdue = 0;
  v1::Warning w = Raised(v1::GRADE_III);
  ASSERT_TRUE(OnAckOverdue(never, T0() + absl::Hours(2), &w));
  EXPECT_EQ(w.grade(), v1::GRADE_III);
  EXPECT_EQ(w.owner_level(), "county");
  EXPECT_EQ(w.lifecycle().escalations(), 0u);
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), T0() + absl::Hours(4));
}

// A stale ack-overdue timer changes nothing: acknowledged, or deadline ahead.
TEST_F(LifecycleTest, AckOverdueIgnoresStaleTimers) {
  v1::Warning w = Raised(v1::GRADE_IV);
  w.set_state(v1::ACKNOWLEDGED);
  const v1::Warning before = w;
  EXPECT_FALSE(OnAckOverdue(policy_, T0() + absl::Hours(4), &w));
  EXPECT_EQ(w.SerializeAsString(), before.SerializeAsString());

  v1::Warning early = Raised(v1::GRADE_IV);
  const v1::Warning early_before = early;
  EXPECT_FALSE(OnAckOverdue(policy_, T0() + absl::Hours(3), &early));
  EXPECT_EQ(early.SerializeAsString(), early_before.SerializeAsString());
}

// A REOPENED warning is waiting for acknowledgement too.
TEST_F(LifecycleTest, AckOverdueOnReopened) {
  v1::Warning w = Closed(v1::GRADE_IV);
  ASSERT_TRUE(ReopenOnRecurrence(policy_, T0() + absl::Hours(2), v1::GRADE_IV, &w));
  ASSERT_EQ(w.grade(), v1::GRADE_III);
  ASSERT_TRUE(OnAckOverdue(policy_, T0() + absl::Hours(4), &w));
  EXPECT_EQ(w.grade(), v1::GRADE_II);
  EXPECT_EQ(w.state(), v1::REOPENED);
}

// A recurrence inside look-back reopens one grade up with fresh deadlines.
TEST_F(LifecycleTest, RecurrenceInsideLookbackReopens) {
  v1::Warning w = Closed(v1::GRADE_III);
  const absl::Time now = T0() + absl::Hours(24 * 3);
  ASSERT_TRUE(ReopenOnRecurrence(policy_, now, v1::GRADE_IV, &w));
  EXPECT_EQ(w.state(), v1::REOPENED);
  EXPECT_EQ(w.grade(), v1::GRADE_II);
  EXPECT_EQ(w.owner_level(), "city");
  EXPECT_EQ(w.lifecycle().reopenings(), 1u);
  EXPECT_FALSE(w.lifecycle().condition_cleared());
  EXPECT_EQ(At(w.lifecycle().ack_deadline()), now + absl::Minutes(30));
  EXPECT_EQ(At(w.lifecycle().feedback_deadline()), now + absl::Hours(4));
  EXPECT_FALSE(w.lifecycle().has_lookback_until());
  EXPECT_EQ(w.lifecycle().acknowledged_by(), "");
  EXPECT_FALSE(w.lifecycle().has_acknowledged_at());
  EXPECT_EQ(w.lifecycle().feedback(), "");
  EXPECT_EQ(At(w.lifecycle().closed_at()), T0() + absl::Hours(1));  // the last close stays
}

// The recurrence's own grade wins when higher than grade + step; I is the cap.
TEST_F(LifecycleTest, RecurrenceGradeAndCap) {
  v1::Warning w = Closed(v1::GRADE_IV);
  ASSERT_TRUE(ReopenOnRecurrence(policy_, T0() + absl::Hours(2), v1::GRADE_I, &w));
  EXPECT_EQ(w.grade(), v1::GRADE_I);
  EXPECT_EQ(w.owner_level(), "province");

  v1::Warning top = Closed(v1::GRADE_I);
  ASSERT_TRUE(ReopenOnRecurrence(policy_, T0() + absl::Hours(2), v1::GRADE_II, &top));
  EXPECT_EQ(top.grade(), v1::GRADE_I);
}

// An owner escalated beyond the new grade's owner is kept.
TEST_F(LifecycleTest, RecurrenceKeepsHigherOwner) {
  v1::Warning w = Closed(v1::GRADE_IV);
  w.set_owner_level("province");
  ASSERT_TRUE(ReopenOnRecurrence(policy_, T0() + absl::Hours(2), v1::GRADE_IV, &w));
  EXPECT_EQ(w.grade(), v1::GRADE_III);
  EXPECT_EQ(w.owner_level(), "province");
}

// After the look-back (7 d default; 30 d for R05) a recurrence does not reopen.
TEST_F(LifecycleTest, RecurrenceAfterLookbackDoesNothing) {
  v1::Warning w = Closed(v1::GRADE_III, "R08");
  const absl::Time end = T0() + absl::Hours(1) + absl::Hours(24 * 7);
  const v1::Warning before = w;
  EXPECT_FALSE(ReopenOnRecurrence(policy_, end, v1::GRADE_III, &w));
  EXPECT_EQ(w.SerializeAsString(), before.SerializeAsString());
  EXPECT_TRUE(ReopenOnRecurrence(policy_, end - absl::Seconds(1), v1::GRADE_III, &w));

  v1::Warning r05 = Closed(v1::GRADE_III, "R05");
  EXPECT_TRUE(ReopenOnRecurrence(policy_, T0() + absl::Hours(24 * 29), v1::GRADE_III, &r05));
}

// Only CLOSED warnings reopen on recurrence.
TEST_F(LifecycleTest, RecurrenceOnOpenWarningDoesNothing) {
  for (v1::WarningState s : {v1::OPEN, v1::ACKNOWLEDGED, v1::FEEDBACK_SUBMITTED, v1::REOPENED}) {
    v1::Warning w = Raised(v1::GRADE_III);
    w.set_state(s);
    *w.mutable_lifecycle()->mutable_lookback_until() = Ts(T0() + absl::Hours(100));
    const v1::Warning before = w;
    EXPECT_FALSE(ReopenOnRecurrence(policy_, T0() + absl::Hours(1), v1::GRADE_III, &w));
    EXPECT_EQ(w.SerializeAsString(), before.SerializeAsString()) << v1::WarningState_Name(s);
  }
}

// RaiseGrade caps at I; UNSPECIFIED counts as IV.
TEST(RaiseGradeTest, Caps) {
  EXPECT_EQ(RaiseGrade(v1::GRADE_IV, 1), v1::GRADE_III);
  EXPECT_EQ(RaiseGrade(v1::GRADE_IV, 3), v1::GRADE_I);
  EXPECT_EQ(RaiseGrade(v1::GRADE_II, 3), v1::GRADE_I);
  EXPECT_EQ(RaiseGrade(v1::GRADE_III, 0), v1::GRADE_III);
  EXPECT_EQ(RaiseGrade(v1::GRADE_UNSPECIFIED, 0), v1::GRADE_IV);
}

}  // namespace
}  // namespace vigil::lifecycle
