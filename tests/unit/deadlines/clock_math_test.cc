#include "processors/deadlines/clock_math.h"

#include <gtest/gtest.h>

#include "tests/unit/deadlines/test_files.h"

namespace vigil::deadlines {
namespace {

class ClockMathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<BusinessCalendar> cal =
        BusinessCalendar::LoadDir(testing::RulesDir() + "/calendars");
    ASSERT_TRUE(cal.ok()) << cal.status();
    cal_ = *std::move(cal);
  }
  absl::Time At(int y, int m, int d, int hh = 0, int mm = 0) const {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), cal_.zone());
  }

  BusinessCalendar cal_;
};

ClockPoint Fraction(double f) {
  return {.kind = ClockPoint::Kind::kFraction, .fraction = f, .amount = {}};
}
ClockPoint Point(ClockPoint::Kind kind, Limit amount) { return {.kind = kind, .amount = amount}; }
Limit Hours(int h) { return Limit{.duration = absl::Hours(h)}; }
Limit WorkingDays(int n) { return Limit{.working_days = n}; }

// A duration limit is added; working days follow the calendar.
TEST_F(ClockMathTest, DeadlineOf) {
  const absl::Time wed = At(2026, 9, 30, 10);
  EXPECT_EQ(DeadlineOf(wed, Hours(24), 1.0, cal_), At(2026, 10, 1, 10));
  EXPECT_EQ(DeadlineOf(wed, WorkingDays(4), 1.0, cal_), At(2026, 10, 12, 10));
  EXPECT_EQ(DeadlineOf(wed, Limit{.duration = absl::Minutes(45)}, 1.0, cal_),
            At(2026, 9, 30, 10, 45));
}

// A scale shortens the span from the start to the full deadline.
TEST_F(ClockMathTest, DeadlineOfScaled) {
  const absl::Time wed = At(2026, 9, 30, 10);
  EXPECT_EQ(DeadlineOf(wed, Hours(24), 0.5, cal_), At(2026, 9, 30, 22));
  // 4 wd from Wed 30 Sep 10:00 end Mon 12 Oct 10:00: 12 days; half is 6 days.
  EXPECT_EQ(DeadlineOf(wed, WorkingDays(4), 0.5, cal_), At(2026, 10, 6, 10));
  EXPECT_EQ(DeadlineOf(wed, Limit{.duration = absl::Minutes(45)}, 0.5, cal_),
            wed + absl::Seconds(22 * 60 + 30));
}

// Every kind of point, in durations and working days.
TEST_F(ClockMathTest, PointOf) {
  const absl::Time start = At(2026, 9, 30, 10);
  const absl::Time deadline = At(2026, 10, 12, 10);  // 4 wd
  using K = ClockPoint::Kind;
  EXPECT_EQ(PointOf(Fraction(0.5), start, deadline, cal_), At(2026, 10, 6, 10));
  EXPECT_EQ(PointOf(Fraction(2.0), start, deadline, cal_), At(2026, 10, 24, 10));
  EXPECT_EQ(PointOf(Point(K::kBefore, Hours(4)), start, deadline, cal_), At(2026, 10, 12, 6));
  EXPECT_EQ(PointOf(Point(K::kBefore, WorkingDays(2)), start, deadline, cal_), At(2026, 10, 9, 10));
  EXPECT_EQ(PointOf(Point(K::kBefore, WorkingDays(3)), start, deadline, cal_), At(2026, 10, 8, 10));
  EXPECT_EQ(PointOf(Point(K::kAfter, Hours(20)), start, deadline, cal_), At(2026, 10, 13, 6));
  EXPECT_EQ(PointOf(Point(K::kAfter, WorkingDays(2)), start, deadline, cal_), At(2026, 10, 14, 10));
  EXPECT_EQ(PointOf(Point(K::kSinceStart, Hours(8)), start, deadline, cal_), At(2026, 9, 30, 18));
  EXPECT_EQ(PointOf(Point(K::kSinceStart, WorkingDays(1)), start, deadline, cal_),
            At(2026, 10, 8, 10));
}

}  // namespace
}  // namespace vigil::deadlines
