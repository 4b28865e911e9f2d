// The scorer on a hand-made case: known incidents, known warnings, known figures.
#include "tools/sim/score.h"

#include <gtest/gtest.h>

#include "tools/sim/labels.h"

namespace vigil::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1784102400);  // 2026-07-15T08:00Z

Label Cluster(const std::string& id, const std::string& area, int start_min, int detect_min,
              int end_min) {
  Label l;
  l.incident_id = id;
  l.kind = "complaint_cluster";
  l.rule_ids = {"R13"};
  l.region_key = "370100/370102/S01/" + area;
  l.key = l.region_key + "|LOW_VOLTAGE";
  l.start = kT0 + absl::Minutes(start_min);
  l.detectable_at = kT0 + absl::Minutes(detect_min);
  l.end = kT0 + absl::Minutes(end_min);
  return l;
}

v1::WarningEvent Warning(const std::string& id, const std::string& area, int raised_min,
                         uint64_t version, v1::Grade grade, const std::string& rule = "R13") {
  v1::WarningEvent e;
  v1::Warning* w = e.mutable_warning();
  w->set_warning_id(id);
  w->set_version(version);
  w->set_rule_id(rule);
  w->set_region_key("370100/370102/S01/" + area);
  w->set_key(w->region_key() + "|LOW_VOLTAGE");
  w->mutable_raised_at()->set_seconds(absl::ToUnixSeconds(kT0 + absl::Minutes(raised_min)));
  w->set_grade(grade);
  return e;
}

// Three incidents, two detected (one late by 10 minutes), one false warning,
// repeats and updates of a warning folded into one.
TEST(ScoreTest, HandMadeCase) {
  std::vector<Label> labels = {Cluster("a", "T1", 0, 60, 90), Cluster("b", "T2", 100, 130, 200),
                               Cluster("c", "T3", 300, 320, 400)};
  labels[1].min_grade = v1::GRADE_III;
  std::vector<v1::WarningEvent> warnings = {
      Warning("R13-a", "T1", 60, 1, v1::GRADE_IV),   // a, on time
      Warning("R13-a", "T1", 60, 1, v1::GRADE_IV),   // a repeated (at-least-once)
      Warning("R13-a", "T1", 60, 2, v1::GRADE_III),  // a updated
      Warning("R13-b", "T2", 140, 1, v1::GRADE_IV),  // b, 10 min late, never reaches III
      Warning("R13-x", "T9", 140, 1, v1::GRADE_IV),  // nothing happened in T9
      Warning("R18-y", "T3", 330, 1, v1::GRADE_IV, "R18"),  // another rule, not scored
  };
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r = Score(labels, warnings, options);
  ASSERT_EQ(r.rules.size(), 1u);
  const RuleScore& s = r.rules[0];
  EXPECT_EQ(s.rule_id, "R13");
  EXPECT_EQ(s.incidents, 3);
  EXPECT_EQ(s.detected, 2);
  EXPECT_DOUBLE_EQ(s.recall(), 2.0 / 3);
  EXPECT_EQ(s.under_graded, 1);
  EXPECT_EQ(s.warnings, 3);
  EXPECT_EQ(s.false_warnings, 1);
  EXPECT_EQ(r.false_ids.at("R13"), std::vector<std::string>{"R13-x"});
  EXPECT_EQ(r.missed.at("R13"), std::vector<std::string>{"c"});
  ASSERT_EQ(s.delays.size(), 2u);
  EXPECT_EQ(s.DelayQuantile(0.0), absl::ZeroDuration());
  EXPECT_EQ(s.DelayQuantile(1.0), absl::Minutes(10));
  EXPECT_EQ(r.unscored_incidents, 0);
}

// A warning for the right key but far outside the incident's span does not count.
TEST(ScoreTest, WarningOutsideTheSlackDoesNotMatch) {
  std::vector<Label> labels = {Cluster("a", "T1", 0, 60, 90)};
  std::vector<v1::WarningEvent> warnings = {Warning("R13-a", "T1", 90 + 25 * 60, 1, v1::GRADE_IV)};
  ScoreOptions options;
  options.rules = {"R13"};
  options.match_slack = absl::Hours(24);
  const ScoreReport r = Score(labels, warnings, options);
  EXPECT_EQ(r.rules[0].detected, 0);
  EXPECT_EQ(r.rules[0].false_warnings, 1);
}

// Labels for rules that are not deployed are counted apart, not as misses.
TEST(ScoreTest, LabelsOfUndeployedRulesAreUnscored) {
  Label l = Cluster("o", "T1", 0, 0, 10);
  l.rule_ids = {"R18"};
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r = Score({l}, {}, options);
  EXPECT_EQ(r.unscored_incidents, 1);
  EXPECT_EQ(r.rules[0].incidents, 0);
}

// Region-scoped labels (no key) match warnings inside the region.
TEST(ScoreTest, RegionPrefixMatchWhenLabelHasNoKey) {
  Label l = Cluster("f", "", 0, 0, 100);
  l.key.clear();
  l.region_key = "370100/370102";
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r = Score({l}, {Warning("R13-z", "T7", 50, 1, v1::GRADE_IV)}, options);
  EXPECT_EQ(r.rules[0].detected, 1);
  EXPECT_EQ(r.rules[0].false_warnings, 0);
}

// Labels survive a JSON round trip, and bad lines name the field.
TEST(LabelsTest, JsonRoundTripAndErrors) {
  Label l = Cluster("a", "T1", 0, 60, 90);
  l.event_ids = {"e1", "e2", "e3"};
  l.min_grade = v1::GRADE_II;
  l.description = "three complaints";
  auto back = LabelFromJson(LabelToJson(l));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->incident_id, "a");
  EXPECT_EQ(back->key, l.key);
  EXPECT_EQ(back->start, l.start);
  EXPECT_EQ(back->detectable_at, l.detectable_at);
  EXPECT_EQ(back->min_grade, v1::GRADE_II);
  EXPECT_EQ(back->event_ids, l.event_ids);
  auto bad = LabelFromJson(R"({"incident_id":"x","kind":"k","rule_ids":[],"start":"yesterday"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("start"), std::string::npos);
  EXPECT_FALSE(LabelFromJson("not json").ok());
}

}  // namespace
}  // namespace vigil::sim
