#include "processors/deadlines/deadline_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/deadlines/test_files.h"

namespace vigil::deadlines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class DeadlineParserTest : public testing::TempFiles {
 protected:
  void SetUp() override {
    TempFiles::SetUp();
    absl::StatusOr<TimeLimitTable> table =
        TimeLimitTable::Load(testing::RulesDir() + "/limits/time_limits.yaml");
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *std::move(table);
  }

  // The errors of one file holding `rules` (the list items, indented by 2).
  std::vector<std::string> Errors(const std::string& rules) {
    return Lines(
        LoadDeadlineRules({Write("r.yaml", "deadline_rules:\n" + rules)}, table_).status());
  }
  // "r.yaml:line:col: " for expectations.
  std::string At(int line, int col) const {
    return Dir() + "/r.yaml:" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  }

  TimeLimitTable table_;
};

// A valid ticket rule of 8 lines (lines 2–9 of the file); extra lines follow
// from line 10.
std::string Rule(const std::string& extra = "", const std::string& id = "X") {
  return "  - id: " + id +
         "\n"
         "    version: \"1\"\n"
         "    title: t\n"
         "    tickets: {kind: [COMPLAINT]}\n"
         "    stops_on: [REPLIED]\n"
         "    clock: complaint_contact\n"
         "    overdue: III\n"
         "    message: \"{subject} due {deadline}\"\n" +
         extra;
}

// The shipped catalogue loads and reads as documented.
TEST_F(DeadlineParserTest, ShippedRulesLoad) {
  const absl::StatusOr<std::vector<DeadlineRule>> rules =
      LoadDeadlineDir(testing::RulesDir() + "/deadlines", table_);
  ASSERT_TRUE(rules.ok()) << rules.status();
  std::vector<std::string> ids;
  for (const DeadlineRule& r : *rules) ids.push_back(r.id);
  EXPECT_THAT(ids, ElementsAre("R01", "R02", "R03-dispatch", "R03-accept", "R04", "R05",
                               "R06-report", "R06-opinion", "R06-service", "R07", "R14", "R15",
                               "R21-arrival", "R21-contact", "R21-reply"));
  const auto find = [&](std::string_view id) -> const DeadlineRule& {
    for (const DeadlineRule& r : *rules) {
      if (r.id == id) return r;
    }
    ADD_FAILURE() << id;
    return rules->front();
  };
  const DeadlineRule& r01 = find("R01");
  EXPECT_EQ(r01.clock, "repair_arrival");
  EXPECT_THAT(r01.starts_on, ElementsAre(v1::Ticket::ACCEPTED));
  ASSERT_EQ(r01.countdown.size(), 1u);
  EXPECT_EQ(r01.countdown[0].at.fraction, 0.7);
  EXPECT_EQ(r01.countdown[0].grade, v1::GRADE_IV);
  EXPECT_EQ(r01.overdue_grade, v1::GRADE_III);
  ASSERT_EQ(r01.escalations.size(), 1u);
  EXPECT_EQ(r01.escalations[0].at.fraction, 2.0);
  ASSERT_EQ(r01.overdue_floors.size(), 1u);
  EXPECT_EQ(r01.overdue_floors[0].grade, v1::GRADE_II);
  EXPECT_EQ(r01.lookback, absl::Hours(24 * 7));

  const DeadlineRule& r05 = find("R05");
  ASSERT_EQ(r05.countdown.size(), 2u);
  EXPECT_EQ(r05.countdown[0].at.kind, ClockPoint::Kind::kBefore);
  EXPECT_EQ(r05.countdown[0].at.amount, Limit{.working_days = 2});
  EXPECT_EQ(r05.countdown[1].at.amount, Limit{.duration = absl::Hours(4)});
  EXPECT_EQ(r05.lookback, absl::Hours(24 * 30));

  const DeadlineRule& r07 = find("R07");
  EXPECT_EQ(r07.mode, DeadlineRule::Mode::kUrges);
  EXPECT_TRUE(r07.clock.empty());
  ASSERT_EQ(r07.urge_grades.size(), 3u);
  EXPECT_EQ(r07.urge_grades[2].count, 3u);
  EXPECT_EQ(r07.urge_after_overdue_grade, v1::GRADE_III);

  const DeadlineRule& r14 = find("R14");
  EXPECT_EQ(r14.subject, DeadlineRule::Subject::kOutage);
  EXPECT_EQ(r14.anchor, DeadlineRule::Anchor::kOutageStart);
  EXPECT_THAT(r14.starts_on_phase, ElementsAre(v1::OutageEvent::NOTICED));
  EXPECT_EQ(r14.stop_at_coverage_permille, 950u);
  ASSERT_EQ(r14.countdown.size(), 2u);
  EXPECT_EQ(r14.countdown[1].coverage_below_permille, 900u);
  EXPECT_EQ(r14.overdue_grade, v1::GRADE_UNSPECIFIED);
  EXPECT_TRUE(r14.clock.empty());
  EXPECT_FALSE(r14.fixed_limit.has_value());

  const DeadlineRule& r15 = find("R15");
  EXPECT_EQ(r15.stop_at_coverage_permille, 1u);
  EXPECT_EQ(r15.escalations[0].at.kind, ClockPoint::Kind::kAfter);

  const DeadlineRule& r21 = find("R21-reply");
  EXPECT_EQ(r21.scale, 0.5);
  EXPECT_THAT(r21.require_tags, ElementsAre(v1::Ticket::SENSITIVE, v1::Ticket::TENDENCY_12398));
  EXPECT_EQ(r21.file, testing::RulesDir() + "/deadlines/R21_sensitive_shadow.yaml");
  EXPECT_GT(r21.line, 0);
}

// A fixed limit, defaults and an outage rule.
TEST_F(DeadlineParserTest, FixedLimitAndDefaults) {
  EXPECT_THAT(Errors(Rule()), IsEmpty());
  const std::string path = Write("f.yaml",
                                 "deadline_rules:\n"
                                 "  - id: F\n"
                                 "    version: 2\n"
                                 "    title: t\n"
                                 "    subject: outage\n"
                                 "    outages: {stops_on: [RESTORED]}\n"
                                 "    limit: 2wd\n"
                                 "    countdown: [{before: 1wd, grade: IV, coverage_below: 50%}]\n"
                                 "    message: \"{subject}\"\n");
  const absl::StatusOr<std::vector<DeadlineRule>> rules = LoadDeadlineRules({path}, table_);
  ASSERT_TRUE(rules.ok()) << rules.status();
  const DeadlineRule& f = rules->front();
  EXPECT_EQ(f.version, "2");
  EXPECT_EQ(f.fixed_limit, Limit{.working_days = 2});
  EXPECT_THAT(f.starts_on_phase, ElementsAre(v1::OutageEvent::STARTED));
  EXPECT_EQ(f.countdown[0].coverage_below_permille, 500u);
  EXPECT_EQ(f.countdown[0].line, 8);
  EXPECT_EQ(f.line, 2);
}

// Unknown and duplicate keys, unknown enum names, bad grades.
TEST_F(DeadlineParserTest, KeysAndNames) {
  EXPECT_THAT(
      Errors(Rule("    colour: red\n"
                  "    overdue: II\n"
                  "    starts_on: [ACCEPT]\n"
                  "    escalations: [{after: 1h, grade: V}]\n")),
      ElementsAre(At(10, 5) + "deadline_rules[0].colour: unknown key; allowed here: id, version, "
                              "title, description, subject, mode, tickets, starts_on, stops_on, "
                              "outages, clock, limit, anchor, scale, countdown, overdue, "
                              "escalations, overdue_floors, urges, urge_after_overdue, lookback, "
                              "message",
                  At(11, 5) + "deadline_rules[0].overdue: duplicate key (first at line 8); each "
                              "key may appear once",
                  HasSubstr(At(12, 17) + "deadline_rules[0].starts_on[0]: \"ACCEPT\" is not a "
                                         "vigil.v1.Ticket.Status name"),
                  At(13, 38) + "deadline_rules[0].escalations[0].grade: \"V\" is not a grade; "
                               "allowed: IV | III | II | I"));
}

// The clock must be in the table; exactly one of clock and limit.
TEST_F(DeadlineParserTest, ClockAndLimit) {
  EXPECT_THAT(Errors(Rule("", "A") + "  - id: B\n"  // line 10
                                     "    version: \"1\"\n"
                                     "    title: t\n"
                                     "    stops_on: [REPLIED]\n"
                                     "    clock: complaint_replies\n"
                                     "    overdue: III\n"
                                     "    message: m\n"
                                     "  - id: C\n"  // line 17
                                     "    version: \"1\"\n"
                                     "    title: t\n"
                                     "    stops_on: [REPLIED]\n"
                                     "    overdue: III\n"
                                     "    message: m\n"
                                     "  - id: D\n"  // line 23
                                     "    version: \"1\"\n"
                                     "    title: t\n"
                                     "    stops_on: [REPLIED]\n"
                                     "    clock: complaint_reply\n"
                                     "    limit: 4wd\n"
                                     "    overdue: III\n"
                                     "    message: m\n"),
              ElementsAre(HasSubstr(At(14, 12) + "deadline_rules[1].clock: \"complaint_replies\" "
                                                 "is not a clock of the time-limit table; its "
                                                 "clocks: complaint_contact, complaint_reply,"),
                          HasSubstr(At(17, 5) + "deadline_rules[2]: missing clock or limit"),
                          HasSubstr(At(28, 5) + "deadline_rules[3].limit: give either clock")));
}

// Countdown steps come before the deadline, escalations after it, in order.
TEST_F(DeadlineParserTest, StepPlacement) {
  EXPECT_THAT(
      Errors(Rule("    countdown:\n"
                  "      - {at: 120%, grade: IV}\n"             // 11
                  "      - {after: 1h, grade: IV}\n"            // 12
                  "      - {before: 24h, grade: IV}\n"          // 13
                  "      - {grade: IV}\n"                       // 14
                  "      - {before: 4h, at: 50%, grade: IV}\n"  // 15
                  "    escalations:\n"
                  "      - {at: 80%, grade: II}\n"           // 17
                  "      - {before: 2h, grade: II}\n"        // 18
                  "      - {since_start: 20h, grade: II}\n"  // 19
                  "      - {after: 2h, grade: II}\n"         // 20
                  "      - {after: 1h, grade: II}\n")),      // 21
      ElementsAre(
          HasSubstr(At(11, 14) + "deadline_rules[0].countdown[0].at: must be a percentage of the "
                                 "limit between 0% and 100%"),
          HasSubstr(At(12, 10) + "deadline_rules[0].countdown[1].after: after is after the "
                                 "deadline: put it in escalations"),
          HasSubstr(At(13, 18) + "deadline_rules[0].countdown[2].before: before 24h is at or "
                                 "ahead of the clock's start"),
          HasSubstr(At(14, 9) + "deadline_rules[0].countdown[3]: missing point on the clock"),
          HasSubstr(At(15, 9) + "deadline_rules[0].countdown[4]: more than one point"),
          HasSubstr(At(17, 14) + "deadline_rules[0].escalations[0].at: must be a percentage of "
                                 "the limit above 100%"),
          HasSubstr(At(18, 10) + "deadline_rules[0].escalations[1].before: before is ahead of "
                                 "the deadline: put it in countdown"),
          HasSubstr(At(19, 23) + "deadline_rules[0].escalations[2].since_start: since_start 20h "
                                 "is before the deadline")));
}

// Steps of one kind are written in clock order.
TEST_F(DeadlineParserTest, StepOrder) {
  EXPECT_THAT(Errors(Rule("    countdown:\n"
                          "      - {before: 8h, grade: IV}\n"   // 11
                          "      - {before: 10h, grade: IV}\n"  // 12
                          "      - {at: 50%, grade: IV}\n"      // 13
                          "    escalations:\n"
                          "      - {after: 2h, grade: III}\n"  // 15
                          "      - {after: 1h, grade: III}\n"  // 16
                          "      - {at: 300%, grade: III}\n"   // 17
                          "      - {at: 200%, grade: I}\n")),  // 18
              ElementsAre(At(12, 9) + "deadline_rules[0].countdown[1]: steps must be written in "
                                      "clock order, each after the one before it",
                          At(16, 9) + "deadline_rules[0].escalations[1]: steps must be written in "
                                      "clock order, each after the one before it",
                          At(18, 9) + "deadline_rules[0].escalations[3]: steps must be written in "
                                      "clock order, each after the one before it"));
}

// Grades must not decrease along the clock, nor against the overdue grade.
TEST_F(DeadlineParserTest, GradeOrder) {
  EXPECT_THAT(
      Errors(Rule("    countdown:\n"
                  "      - {at: 50%, grade: III}\n"  // 11
                  "      - {at: 70%, grade: IV}\n"   // 12
                  "      - {at: 90%, grade: II}\n"   // 13
                  "    escalations:\n"
                  "      - {after: 1h, grade: IV}\n"  // 15
                  "    overdue_floors:\n"
                  "      - {tags: [SENSITIVE], grade: IV}\n")),  // 17
      ElementsAre(
          At(12, 9) + "deadline_rules[0].countdown[1]: grade IV is below the grade III of the "
                      "step before; grades must not decrease along the clock",
          At(13, 9) + "deadline_rules[0].countdown[2]: grade II is above the overdue grade III; "
                      "a countdown notice must not outrank being overdue",
          At(15, 9) + "deadline_rules[0].escalations[0]: grade IV is below the overdue grade III; "
                      "an escalation must not lower the grade",
          At(17, 36) + "deadline_rules[0].overdue_floors[0].grade: grade IV does not lift the "
                       "overdue grade III"));
}

// Keys of the other subject or mode are rejected where they are written.
TEST_F(DeadlineParserTest, SubjectAndModeKeys) {
  EXPECT_THAT(
      Errors(Rule("    outages: {kind: [FAULT]}\n"                                   // 10
                  "    countdown: [{before: 1h, grade: IV, coverage_below: 90%}]\n"  // 11
                  "    anchor: outage_start\n"                                       // 12
                  "    urges: [{count: 1, grade: IV}]\n") +                          // 13
             "  - id: O\n"                                                           // 14
             "    version: \"1\"\n"
             "    title: t\n"
             "    subject: outage\n"
             "    mode: urges\n"                                             // 18
             "    stops_on: [CLOSED]\n"                                      // 19
             "    outages: {stops_on: [RESTORED], starts_on: [RESTORED]}\n"  // 20
             "    anchor: outage_start\n"
             "    clock: fault_outage_notice\n"                              // 22
             "    urges: [{count: 2, grade: III}, {count: 2, grade: II}]\n"  // 23
             "    message: \"{} {nope}\"\n"),                                // 24
      ElementsAre(
          HasSubstr(At(10, 5) + "deadline_rules[0].outages: only for subject outage"),
          HasSubstr(At(11, 41) + "deadline_rules[0].countdown[0].coverage_below: only for subject "
                                 "outage"),
          HasSubstr(At(12, 13) + "deadline_rules[0].anchor: outage_start is only for subject "
                                 "outage"),
          HasSubstr(At(13, 5) + "deadline_rules[0].urges: only for mode urges"),
          HasSubstr(At(18, 11) + "deadline_rules[1].mode: urges are counted on tickets"),
          HasSubstr(At(19, 5) + "deadline_rules[1].stops_on: only for subject ticket"),
          HasSubstr(At(20, 26) + "deadline_rules[1].outages.stops_on[0]: RESTORED is also in "
                                 "starts_on"),
          HasSubstr(At(21, 13) + "deadline_rules[1].anchor: mode urges has no anchor"),
          HasSubstr(At(22, 5) + "deadline_rules[1].clock: anchor outage_start: the deadline is "
                                "the outage's start time"),
          HasSubstr(At(23, 37) + "deadline_rules[1].urges[1]: count 2 is not above the count 2"),
          HasSubstr(At(24, 14) + "deadline_rules[1].message: invalid template")));
}

// Mode urges needs urges; a rule that never warns is rejected.
TEST_F(DeadlineParserTest, RuleMustWarn) {
  EXPECT_THAT(
      Errors("  - id: U\n"
             "    version: \"1\"\n"
             "    title: t\n"
             "    mode: urges\n"
             "    stops_on: [CLOSED]\n"
             "    message: m\n"
             "  - id: N\n"  // line 8
             "    version: \"1\"\n"
             "    title: t\n"
             "    stops_on: [CLOSED, SUSPENDED]\n"  // 11
             "    limit: 1h\n"
             "    scale: 150%\n"         // 13
             "    message: \"{0}\"\n"),  // 14
      ElementsAre(HasSubstr(At(2, 5) + "deadline_rules[0].urges: missing; mode urges "
                                       "needs urges"),
                  HasSubstr(At(8, 5) + "deadline_rules[1]: the rule never warns"),
                  HasSubstr(At(11, 24) + "deadline_rules[1].stops_on[1]: SUSPENDED and "
                                         "RESUMED pause"),
                  HasSubstr(At(13, 12) + "deadline_rules[1].scale: must be a percentage"),
                  HasSubstr(At(14, 14) + "deadline_rules[1].message: positional placeholders")));
}

// Ids are unique across files; every file's errors are reported.
TEST_F(DeadlineParserTest, DuplicateIdsAcrossFiles) {
  const std::string a = Write("a.yaml", "deadline_rules:\n" + Rule());
  const std::string b = Write("b.yaml", "deadline_rules:\n" + Rule("", "Y") + Rule("", "X"));
  const std::string c = Write("c.yaml", "deadline_rules: []\n");
  EXPECT_THAT(Lines(LoadDeadlineRules({a, b, c}, table_).status()),
              ElementsAre(b +
                              ":10:9: deadline_rules[1].id: duplicate deadline rule id \"X\"; "
                              "first defined at " +
                              a + ":2:9",
                          HasSubstr(c + ":1:17: deadline_rules: must not be empty")));
  EXPECT_EQ(LoadDeadlineDir(Dir() + "/nothing", table_).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil::deadlines
