#include "processors/deadlines/time_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/deadlines/test_files.h"

namespace vigil::deadlines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TimeLimitTableTest : public testing::TempFiles {};

Limit Minutes(int m) { return Limit{.duration = absl::Minutes(m)}; }
Limit WorkingDays(int n) { return Limit{.working_days = n}; }

// The most specific row wins: exact subtype first, then exact class.
TEST_F(TimeLimitTableTest, FindPrefersExactSubtypeThenClass) {
  const std::string path =
      Write("t.yaml",
            "time_limits:\n"
            "  - {clock: c, limit: 10m, source: s, tag: I}\n"
            "  - {clock: c, area_class: RURAL, limit: 20m, source: s, tag: I}\n"
            "  - {clock: c, subtype: x, limit: 30m, source: s, tag: I}\n"
            "  - {clock: c, subtype: x, area_class: RURAL, limit: 40m, "
            "source: s, tag: I}\n"
            "  - {clock: d, area_class: URBAN, limit: 2wd, source: s, tag: S}\n");
  const absl::StatusOr<TimeLimitTable> t = TimeLimitTable::Load(path);
  ASSERT_TRUE(t.ok()) << t.status();
  const auto limit = [&](std::string_view clock, v1::AreaClass cls, std::string_view subtype) {
    const TimeLimitRow* row = t->Find(clock, cls, subtype);
    return row == nullptr ? Limit{.duration = absl::InfiniteDuration()} : row->limit;
  };
  EXPECT_EQ(limit("c", v1::URBAN, ""), Minutes(10));
  EXPECT_EQ(limit("c", v1::RURAL, ""), Minutes(20));
  EXPECT_EQ(limit("c", v1::AREA_CLASS_UNSPECIFIED, ""), Minutes(10));
  EXPECT_EQ(limit("c", v1::URBAN, "x"), Minutes(30));
  EXPECT_EQ(limit("c", v1::RURAL, "x"), Minutes(40));
  EXPECT_EQ(limit("c", v1::RURAL, "y"), Minutes(20));
  EXPECT_EQ(limit("d", v1::URBAN, "x"), WorkingDays(2));
  EXPECT_EQ(t->Find("d", v1::RURAL, ""), nullptr);
  EXPECT_EQ(t->Find("d", v1::AREA_CLASS_UNSPECIFIED, ""), nullptr);
  EXPECT_EQ(t->Find("e", v1::URBAN, ""), nullptr);
  EXPECT_TRUE(t->HasClock("d"));
  EXPECT_FALSE(t->HasClock("e"));
  EXPECT_THAT(t->Clocks(), ElementsAre("c", "d"));
  EXPECT_EQ(t->Find("c", v1::RURAL, "x")->line, 5);
}

// The shipped table has every clock of the catalogue with its numbers.
TEST_F(TimeLimitTableTest, ShippedTable) {
  const absl::StatusOr<TimeLimitTable> t =
      TimeLimitTable::Load(testing::RulesDir() + "/limits/time_limits.yaml");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->Clocks(),
              ElementsAre("complaint_contact", "complaint_reply", "fault_outage_notice",
                          "opinion_reply", "repair_arrival", "repair_dispatch", "repair_restore",
                          "repair_unit_accept", "report_reply", "service_request_reply"));
  EXPECT_EQ(t->Find("repair_arrival", v1::URBAN, "")->limit, Minutes(45));
  EXPECT_EQ(t->Find("repair_arrival", v1::RURAL, "")->limit, Minutes(90));
  EXPECT_EQ(t->Find("repair_arrival", v1::REMOTE, "")->limit, Minutes(120));
  EXPECT_EQ(t->Find("repair_arrival", v1::AREA_CLASS_UNSPECIFIED, "")->limit, Minutes(45));
  EXPECT_EQ(t->Find("repair_restore", v1::RURAL, "")->limit, Minutes(240));
  EXPECT_EQ(t->Find("complaint_reply", v1::URBAN, "")->limit, WorkingDays(4));
  EXPECT_EQ(t->Find("complaint_reply", v1::URBAN, "")->tag, "S");
  EXPECT_EQ(t->Find("service_request_reply", v1::RURAL, "meter_data")->limit, WorkingDays(6));
  EXPECT_EQ(t->Find("service_request_reply", v1::RURAL, "charging_booking")->limit, Minutes(45));
  EXPECT_EQ(t->Find("service_request_reply", v1::RURAL, "")->limit, WorkingDays(5));
  EXPECT_EQ(t->Find("service_request_reply", v1::RURAL, "unknown")->tag, "I");
  EXPECT_EQ(t->Find("fault_outage_notice", v1::URBAN, "")->limit, Minutes(10));
  for (const TimeLimitRow& row : t->rows()) {
    EXPECT_FALSE(row.source.empty()) << row.clock;
    EXPECT_GT(row.line, 0);
  }
}

// Every problem is reported with file:line:col.
TEST_F(TimeLimitTableTest, LoadErrors) {
  const std::string path =
      Write("t.yaml",
            "time_limits:\n"
            "  - {clock: c, kind: COMPLAINT, limit: 10m, source: s, tag: I}\n"
            "  - {clock: c, limit: 20m, source: s, tag: S}\n"
            "  - {clock: c, kind: REPORT, subtype: x, limit: 1h, source: s, tag: I}\n"
            "  - {clock: C, limit: 3x, source: s, tag: Q}\n"
            "  - {clock: d, area_class: CITY, limit: 0m, tag: I}\n"
            "  - {clock: e, limit: 1h, source: s, tag: I, note: n}\n");
  EXPECT_THAT(
      Lines(TimeLimitTable::Load(path).status()),
      ElementsAre(
          path + ":3:5: time_limits[1]: duplicate row for clock c, subtype any, class any (first "
                 "at line 2)",
          path + ":4:22: time_limits[2].kind: clock c is for kind COMPLAINT (line 2); one kind "
                 "per clock",
          path + ":5:13: time_limits[3].clock: must be 1-32 characters of [a-z0-9_]",
          HasSubstr(path + ":5:23: time_limits[3].limit: must be a duration like"),
          path + ":5:43: time_limits[3].tag: \"Q\" is not a tag; allowed: S | S* | M | I",
          HasSubstr(path + ":6:5: time_limits[4].source: missing"),
          HasSubstr(path +
                    ":6:28: time_limits[4].area_class: \"CITY\" is not a vigil.v1.AreaClass"),
          HasSubstr(path + ":6:41: time_limits[4].limit: must be a duration"),
          HasSubstr(path + ":7:46: time_limits[5].note: unknown key")));
  EXPECT_THAT(Lines(TimeLimitTable::Load(Write("u.yaml", "time_limits: [\n")).status()),
              ElementsAre(HasSubstr("u.yaml:2:1: YAML error: ")));
  EXPECT_THAT(Lines(TimeLimitTable::Load(Write("v.yaml", "rows: []\n")).status()),
              ElementsAre(HasSubstr("v.yaml:1:1: rows: unknown key"),
                          HasSubstr("v.yaml:1:1: time_limits: missing")));
  EXPECT_EQ(TimeLimitTable::Load(Dir() + "/none.yaml").status().message(),
            Dir() + "/none.yaml: cannot read the file");
}

}  // namespace
}  // namespace vigil::deadlines
