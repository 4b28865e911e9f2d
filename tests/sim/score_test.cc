// The scorer on a hand-made case: known incidents, known warnings, known figures.
#include "tools/sim/score.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tools/sim/labels.h"
#include "tools/sim/score_command.h"

namespace vigil::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1784102400);  // 2026-07-15T08:00Z
const std::string kStation = "370100/370102/37010201";

// A complaint cluster on feeder `feeder` (the catalogue's R13-feeder key).
Label Cluster(const std::string& id, const std::string& feeder, int start_min, int detect_min,
              int end_min) {
  Label l;
  l.incident_id = id;
  l.kind = "complaint_cluster";
  l.rule_ids = {"R13"};
  l.region_key = kStation + "/T" + feeder + "001";
  l.key = l.region_key + "|LOW_VOLTAGE";
  l.warning_key = "feeder:" + feeder;
  l.start = kT0 + absl::Minutes(start_min);
  l.detectable_at = kT0 + absl::Minutes(detect_min);
  l.end = kT0 + absl::Minutes(end_min);
  return l;
}

v1::WarningEvent Warning(const std::string& id, const std::string& key, int raised_min,
                         uint64_t version, v1::Grade grade, const std::string& rule = "R13-feeder",
                         const std::string& region_key = kStation) {
  v1::WarningEvent e;
  v1::Warning* w = e.mutable_warning();
  w->set_warning_id(id);
  w->set_version(version);
  w->set_rule_id(rule);
  w->set_region_key(region_key);
  w->set_key(key);
  w->mutable_raised_at()->set_seconds(absl::ToUnixSeconds(kT0 + absl::Minutes(raised_min)));
  w->set_grade(grade);
  return e;
}

// Three incidents, two detected (one late by 10 minutes), one false warning,
// repeats and updates of a warning folded into one; the family "R13" covers
// R13-feeder and R13-area.
TEST(ScoreTest, HandMadeCase) {
  std::vector<Label> labels = {Cluster("a", "L1", 0, 60, 90), Cluster("b", "L2", 100, 130, 200),
                               Cluster("c", "L3", 300, 320, 400)};
  labels[1].min_grade = v1::GRADE_II;
  std::vector<v1::WarningEvent> warnings = {
      Warning("R13-feeder-a", "feeder:L1", 60, 1, v1::GRADE_III),  // a, on time
      Warning("R13-feeder-a", "feeder:L1", 60, 1, v1::GRADE_III),  // a repeated (at-least-once)
      Warning("R13-feeder-a", "feeder:L1", 60, 2, v1::GRADE_II),   // a updated
      Warning("R13-area-b", "feeder:L2", 140, 1, v1::GRADE_III, "R13-area"),  // b, 10 min late,
                                                                              // never reaches II
      Warning("R13-feeder-x", "feeder:L9", 140, 1, v1::GRADE_III),   // nothing happened on L9
      Warning("R18-y", "outage:O1", 330, 1, v1::GRADE_IV, "R18"),    // another rule, not scored
      Warning("R130-z", "feeder:L3", 330, 1, v1::GRADE_IV, "R130"),  // not of family R13
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
  EXPECT_EQ(s.warnings_by_rule, (std::map<std::string, int>{{"R13-area", 1}, {"R13-feeder", 2}}));
  EXPECT_EQ(s.false_by_rule, (std::map<std::string, int>{{"R13-feeder", 1}}));
  EXPECT_EQ(r.false_ids.at("R13"), std::vector<std::string>{"R13-feeder-x"});
  EXPECT_EQ(r.missed.at("R13"), std::vector<std::string>{"c"});
  ASSERT_EQ(s.delays.size(), 2u);
  EXPECT_EQ(s.DelayQuantile(0.0), absl::ZeroDuration());
  EXPECT_EQ(s.DelayQuantile(1.0), absl::Minutes(10));
  EXPECT_EQ(r.unscored_incidents, 0);
  EXPECT_EQ(r.unlabelled_warnings, (std::map<std::string, int>{{"R130", 1}, {"R18", 1}}));
  const std::string table = FormatReport(r);
  EXPECT_NE(table.find("R13-area 1 (0 false), R13-feeder 2 (1 false)"), std::string::npos) << table;
}

TEST(ScoreTest, RuleFamilies) {
  EXPECT_TRUE(RuleInFamily("R13", "R13"));
  EXPECT_TRUE(RuleInFamily("R13-feeder", "R13"));
  EXPECT_TRUE(RuleInFamily("R13-feeder", "R13-feeder"));
  EXPECT_FALSE(RuleInFamily("R130", "R13"));
  EXPECT_FALSE(RuleInFamily("R13-area", "R13-feeder"));
  EXPECT_FALSE(RuleInFamily("R13", "R13-feeder"));
  EXPECT_FALSE(RuleInFamily("R13", ""));
  EXPECT_EQ(RuleFamily("R19-county"), "R19");
  EXPECT_EQ(RuleFamily("R09"), "R09");
}

// A label naming an exact rule is scored under its family's row, and only
// that rule's warnings can match it.
TEST(ScoreTest, ExactRuleIdInAFamilyRow) {
  Label l = Cluster("a", "L1", 0, 0, 10);
  l.rule_ids = {"R13-feeder"};
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r =
      Score({l}, {Warning("w1", "feeder:L1", 5, 1, v1::GRADE_III, "R13-area")}, options);
  EXPECT_EQ(r.rules[0].incidents, 1);
  EXPECT_EQ(r.rules[0].detected, 0);
  EXPECT_EQ(r.rules[0].false_warnings, 1);
}

// A warning for the right key but far outside the incident's span does not count.
TEST(ScoreTest, WarningOutsideTheSlackDoesNotMatch) {
  std::vector<Label> labels = {Cluster("a", "L1", 0, 60, 90)};
  std::vector<v1::WarningEvent> warnings = {
      Warning("R13-a", "feeder:L1", 90 + 25 * 60, 1, v1::GRADE_III)};
  ScoreOptions options;
  options.rules = {"R13"};
  options.match_slack = absl::Hours(24);
  const ScoreReport r = Score(labels, warnings, options);
  EXPECT_EQ(r.rules[0].detected, 0);
  EXPECT_EQ(r.rules[0].false_warnings, 1);
}

// Labels for rules that are not deployed are counted apart, not as misses.
TEST(ScoreTest, LabelsOfUndeployedRulesAreUnscored) {
  Label l = Cluster("o", "L1", 0, 0, 10);
  l.rule_ids = {"R02", "R14"};
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r = Score({l}, {}, options);
  EXPECT_EQ(r.unscored_incidents, 1);
  EXPECT_EQ(r.unscored_families, (std::set<std::string>{"R02", "R14"}));
  EXPECT_EQ(r.rules[0].incidents, 0);
  EXPECT_EQ(LabelledFamilies({l, Cluster("p", "L2", 0, 0, 1)}),
            (std::set<std::string>{"R02", "R13", "R14"}));
}

// Labels without warning_key match warnings inside their region, on whole
// path segments.
TEST(ScoreTest, RegionPrefixMatchWhenLabelHasNoWarningKey) {
  Label l = Cluster("f", "L1", 0, 0, 100);
  l.warning_key.clear();
  l.region_key = "370100/370102";
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport inside = Score(
      {l}, {Warning("R13-z", "area:T7", 50, 1, v1::GRADE_III, "R13-area", "370100/370102/S01/T7")},
      options);
  EXPECT_EQ(inside.rules[0].detected, 1);
  EXPECT_EQ(inside.rules[0].false_warnings, 0);
  const ScoreReport same =
      Score({l}, {Warning("R13-z", "county:370102", 50, 1, v1::GRADE_III, "R13", "370100/370102")},
            options);
  EXPECT_EQ(same.rules[0].detected, 1);
  // 3701021 is another county, not inside 370102.
  const ScoreReport outside = Score(
      {l}, {Warning("R13-z", "area:T7", 50, 1, v1::GRADE_III, "R13-area", "370100/3701021/S01")},
      options);
  EXPECT_EQ(outside.rules[0].detected, 0);
  EXPECT_EQ(outside.rules[0].false_warnings, 1);
}

// With a warning_key the key decides, not the region.
TEST(ScoreTest, WarningKeyMatchesExactly) {
  Label l = Cluster("a", "L1", 0, 0, 100);
  ScoreOptions options;
  options.rules = {"R13"};
  const ScoreReport r = Score({l},
                              {Warning("w1", "feeder:L1", 10, 1, v1::GRADE_III),
                               Warning("w2", "feeder:L12", 10, 1, v1::GRADE_III)},
                              options);
  EXPECT_EQ(r.rules[0].detected, 1);
  EXPECT_EQ(r.false_ids.at("R13"), std::vector<std::string>{"w2"});
}

// Labels survive a JSON round trip, old files without warning_key still
// read, and bad lines name the field.
TEST(LabelsTest, JsonRoundTripAndErrors) {
  Label l = Cluster("a", "L1", 0, 60, 90);
  l.event_ids = {"e1", "e2", "e3"};
  l.min_grade = v1::GRADE_II;
  l.description = "three complaints";
  auto back = LabelFromJson(LabelToJson(l));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->incident_id, "a");
  EXPECT_EQ(back->key, l.key);
  EXPECT_EQ(back->warning_key, "feeder:L1");
  EXPECT_EQ(back->start, l.start);
  EXPECT_EQ(back->detectable_at, l.detectable_at);
  EXPECT_EQ(back->min_grade, v1::GRADE_II);
  EXPECT_EQ(back->event_ids, l.event_ids);
  auto old = LabelFromJson(
      R"({"incident_id":"x","kind":"k","rule_ids":["R13"],"key":"a|B","region_key":"r",)"
      R"("start":"2026-07-15T08:00:00Z","end":"2026-07-15T08:00:00Z",)"
      R"("detectable_at":"2026-07-15T08:00:00Z"})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->warning_key, "");
  auto bad = LabelFromJson(R"({"incident_id":"x","kind":"k","rule_ids":[],"start":"yesterday"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("start"), std::string::npos);
  EXPECT_FALSE(LabelFromJson("not json").ok());
}

std::filesystem::path TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             (name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// `vigil-sim score --warnings FILE` reads `vigilctl replay`'s output: one
// proto3-JSON WarningEvent per line (blank and '#' lines skipped).
TEST(ScoreCommandTest, ReadsWarningEventJsonLines) {
  const auto dir = TempDir("score-warnings");
  const std::vector<v1::WarningEvent> in = {
      Warning("R13-feeder-0123456789abcdef", "feeder:L1", 5, 1, v1::GRADE_III),
      Warning("R16-0123456789abcdef", "outage:tc1-O00000025", 7, 2, v1::GRADE_II, "R16")};
  {
    std::ofstream out(dir / "w.jsonl");
    out << "# replay output\n\n";
    for (v1::WarningEvent e : in) {
      e.set_type(v1::WarningEvent::RAISED);
      e.set_ledger_seq(1);
      std::string json;
      ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &json).ok());
      out << json << "\n";
    }
  }
  auto read = ReadWarnings((dir / "w.jsonl").string());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].warning().key(), "feeder:L1");
  EXPECT_EQ((*read)[1].warning().rule_id(), "R16");
  EXPECT_EQ((*read)[1].warning().grade(), v1::GRADE_II);
  EXPECT_EQ((*read)[1].warning().raised_at().seconds(), in[1].warning().raised_at().seconds());
  { std::ofstream(dir / "bad.jsonl") << "{\"warning\": 3}\n"; }
  auto bad = ReadWarnings((dir / "bad.jsonl").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.jsonl:1"), std::string::npos) << bad.status();
  EXPECT_FALSE(ReadWarnings((dir / "missing.jsonl").string()).ok());
  std::filesystem::remove_all(dir);
}

// The rule ids of a rule directory, for "which labelled families are deployed".
TEST(ScoreCommandTest, RuleIdsInADirectory) {
  const auto dir = TempDir("score-rules");
  {
    std::ofstream(dir / "a.yaml") << "# id: R99 in a comment\nrules:\n  - id: R13-feeder\n"
                                     "    version: \"1\"\n    input: {stream: outage}\n"
                                     "    fold_into: R13-x\n  - id: \"R13-area\"\n";
    std::ofstream(dir / "b.yaml") << "rules:\n  - {id: R20, version: \"1\"}\n";
    std::ofstream(dir / "c.txt") << "  - id: R01\n";
    std::filesystem::create_directories(dir / "tests");
    std::ofstream(dir / "tests" / "t.yaml") << "  - id: R02\n";
  }
  auto ids = RuleIdsIn(dir.string());
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::set<std::string>{"R13-area", "R13-feeder", "R20"}));
  EXPECT_FALSE(RuleIdsIn((dir / "nope").string()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::sim
