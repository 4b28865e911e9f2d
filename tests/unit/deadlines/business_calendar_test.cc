#include "processors/deadlines/business_calendar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/deadlines/test_files.h"

namespace vigil::deadlines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The shipped 2025 and 2026 calendars.
class BusinessCalendarTest : public testing::TempFiles {
 protected:
  void SetUp() override {
    TempFiles::SetUp();
    absl::StatusOr<BusinessCalendar> cal =
        BusinessCalendar::LoadDir(testing::RulesDir() + "/calendars");
    ASSERT_TRUE(cal.ok()) << cal.status();
    cal_ = *std::move(cal);
  }

  // Local (+08:00) time.
  absl::Time At(int y, int m, int d, int hh = 0, int mm = 0) const {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), cal_.zone());
  }

  BusinessCalendar cal_;
};

// Holidays on weekdays are off, make-up weekend days are worked.
TEST_F(BusinessCalendarTest, HolidaysAndMakeUpDays) {
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2026, 10, 1)));  // 国庆节, Thursday
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2026, 10, 3)));  // Saturday in the holiday
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2026, 10, 8)));   // Thursday after it
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2026, 10, 10)));  // make-up Saturday
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2026, 2, 14)));   // make-up Saturday (春节)
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2026, 2, 23)));  // 春节, Monday
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2026, 3, 9)));    // plain Monday
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2026, 3, 8)));   // plain Sunday
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2025, 1, 28)));  // 除夕 2025, Tuesday
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2025, 1, 26)));   // make-up Sunday 2025
}

// Years without a file are plain Monday to Friday.
TEST_F(BusinessCalendarTest, UncoveredYearIsMondayToFriday) {
  EXPECT_TRUE(cal_.Covers(2025));
  EXPECT_TRUE(cal_.Covers(2026));
  EXPECT_FALSE(cal_.Covers(2027));
  EXPECT_TRUE(cal_.IsWorkingDay(absl::CivilDay(2027, 1, 1)));  // a Friday: no file, no holiday
  EXPECT_FALSE(cal_.IsWorkingDay(absl::CivilDay(2027, 1, 2)));
  EXPECT_EQ(cal_.zone(), absl::FixedTimeZone(8 * 3600));
  EXPECT_FALSE(BusinessCalendar().Covers(2026));
  EXPECT_FALSE(BusinessCalendar().IsWorkingDay(absl::CivilDay(2026, 10, 10)));
}

// Working days skip the National Day week and count its make-up Saturday.
TEST_F(BusinessCalendarTest, AddAcrossNationalDay) {
  const absl::Time wed = At(2026, 9, 30, 10);
  EXPECT_EQ(cal_.AddWorkingDays(wed, 0), wed);
  EXPECT_EQ(cal_.AddWorkingDays(wed, 1), At(2026, 10, 8, 10));
  EXPECT_EQ(cal_.AddWorkingDays(wed, 2), At(2026, 10, 9, 10));
  EXPECT_EQ(cal_.AddWorkingDays(wed, 3), At(2026, 10, 10, 10));  // make-up Saturday
  EXPECT_EQ(cal_.AddWorkingDays(wed, 4), At(2026, 10, 12, 10));
}

// From the Friday before the Spring Festival: the make-up Saturday, then the
// nine days off, then the make-up Saturday after it.
TEST_F(BusinessCalendarTest, AddFromFridayBeforeSpringFestival) {
  const absl::Time fri = At(2026, 2, 13, 15, 30);
  EXPECT_EQ(cal_.AddWorkingDays(fri, 1), At(2026, 2, 14, 15, 30));
  EXPECT_EQ(cal_.AddWorkingDays(fri, 2), At(2026, 2, 24, 15, 30));
  EXPECT_EQ(cal_.AddWorkingDays(fri, 4), At(2026, 2, 26, 15, 30));
  EXPECT_EQ(cal_.AddWorkingDays(fri, 6), At(2026, 2, 28, 15, 30));  // make-up Saturday
  EXPECT_EQ(cal_.AddWorkingDays(fri, 7), At(2026, 3, 2, 15, 30));
}

// A make-up Saturday is a working day to start from.
TEST_F(BusinessCalendarTest, AddFromMakeUpSaturday) {
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 10, 10, 9), 1), At(2026, 10, 12, 9));
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 2, 14, 9), 1), At(2026, 2, 24, 9));
}

// A start on a non-working day counts from 00:00 of the next working day.
TEST_F(BusinessCalendarTest, AddFromNonWorkingDay) {
  // Saturday + 4 wd = end of Thursday = Friday 00:00.
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 3, 7, 10), 4), At(2026, 3, 13));
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 3, 7, 10), 0), At(2026, 3, 9));
  // A Saturday inside the National Day holiday: from Thursday 8 October.
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 10, 3, 14), 1), At(2026, 10, 9));
  // An uncovered year: plain weekends.
  EXPECT_EQ(cal_.AddWorkingDays(At(2027, 3, 6, 10), 1), At(2027, 3, 9));
}

// Subtracting inverts adding for starts on working days, across holidays.
TEST_F(BusinessCalendarTest, SubtractInvertsAdd) {
  EXPECT_EQ(cal_.SubtractWorkingDays(At(2026, 10, 9, 10), 2), At(2026, 9, 30, 10));
  EXPECT_EQ(cal_.SubtractWorkingDays(At(2026, 2, 24, 8), 1), At(2026, 2, 14, 8));
  for (absl::Time s : {At(2026, 9, 30, 10), At(2026, 2, 13, 15, 30), At(2026, 10, 10, 9),
                       At(2025, 12, 31, 23, 59), At(2025, 1, 24, 0, 1)}) {
    for (int n = 0; n <= 12; ++n) {
      EXPECT_EQ(cal_.SubtractWorkingDays(cal_.AddWorkingDays(s, n), n), s)
          << absl::FormatTime(s, cal_.zone()) << " n=" << n;
    }
  }
  EXPECT_EQ(cal_.AddWorkingDays(At(2026, 10, 9, 10), -2), At(2026, 9, 30, 10));
  // A deadline on a non-working day counts as 00:00 of the next working day.
  EXPECT_EQ(cal_.SubtractWorkingDays(At(2026, 10, 4, 12), 1), At(2026, 9, 30));
}

// Every problem of every file is reported with file:line:col.
TEST_F(BusinessCalendarTest, LoadErrors) {
  const std::string a = Write("2026.yaml",
                              "year: 2026\n"
                              "utc_offset: \"+08:00\"\n"
                              "source: test\n"
                              "holidays:\n"
                              "  - {date: 2026-02-30, name: bad}\n"
                              "  - {date: 2025-10-01, name: other year}\n"
                              "  - {date: 2026-10-03, name: saturday}\n"
                              "  - {date: 2026-10-01, name: ok}\n"
                              "  - {date: 2026-10-01, name: again}\n"
                              "workdays:\n"
                              "  - {date: 2026-10-09, name: friday}\n"
                              "  - {date: 2026-10-10, name: ok}\n"
                              "  - {date: 2026-10-10}\n");
  const std::string b = Write("2027.yaml",
                              "year: 2027\n"
                              "utc_offset: \"+09:00\"\n"
                              "source: test\n");
  const std::string c = Write("2027b.yaml",
                              "year: 2027\n"
                              "utc_offset: \"+08:00\"\n"
                              "source: test\n"
                              "colour: red\n");
  const std::string ok = Write("ok.yaml", "year: 2028\nutc_offset: \"+08:00\"\nsource: s\n");
  const std::string d = Write("2027c.yaml", "year: 2027\nutc_offset: \"+09:00\"\nsource: s\n");
  const absl::StatusOr<BusinessCalendar> cal = BusinessCalendar::Load({a, b, c, ok, d});
  EXPECT_THAT(
      Lines(cal.status()),
      ElementsAre(
          a + ":5:12: holidays[0].date: must be a date written YYYY-MM-DD, e.g. 2026-10-01",
          a + ":6:12: holidays[1].date: is outside the year of this file (2026)",
          HasSubstr(a + ":7:12: holidays[2].date: 2026-10-03 is a Saturday or Sunday"),
          a + ":9:12: holidays[4].date: duplicate date 2026-10-01 (first in holidays at line 8)",
          HasSubstr(a + ":11:12: workdays[0].date: 2026-10-09 is a Monday to Friday"),
          HasSubstr(a + ":13:5: workdays[2].name: missing"),
          HasSubstr(a + ":13:12: workdays[2].date: duplicate date 2026-10-10"),
          c + ":4:1: colour: unknown key; allowed here: year, utc_offset, source, holidays, "
              "workdays",
          // 2027.yaml itself is fine: the first file that loads sets the offset.
          ok + ":2:13: utc_offset: +08:00 differs from +09:00 in " + b +
              "; all calendar files must use one local time",
          d + ":1:7: year: duplicate year 2027; first in " + b + ":1:7"));
}

}  // namespace
}  // namespace vigil::deadlines
