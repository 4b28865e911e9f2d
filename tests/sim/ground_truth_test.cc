// The labels agree with the events: they cite existing events, the cluster
// labels are true R13 clusters as rules/R13_complaint_cluster.yaml defines
// them, and every cluster in the stream is labelled — checked by a
// brute-force scan and by the rule engine running the catalogue's R13 (and
// R09) files, as vigild does.
#include "tools/sim/ground_truth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "processors/engine/rule_engine.h"
#include "processors/ingest/region.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "tests/sim/sim_test_util.h"
#include "tools/sim/score.h"

namespace vigil::sim {
namespace {

constexpr int64_t kDay = 86400;

testing::Run ClusterRich(const std::string& preset, uint64_t seed) {
  SimOptions o =
      testing::Options(preset, seed, 0.5, 1, absl::Hours(preset == "planned_no_notice" ? 48 : 24));
  o.warmup = absl::Hours(48);
  return testing::Generate(o);
}

// rules/ of this source tree.
std::string RuleFile(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "rules" /
          name)
      .string();
}

// R13-feeder's key of an event (every simulated ticket has a feeder).
std::string FeederKey(const v1::Envelope& e) { return "feeder:" + e.region().feeder_id(); }

bool IsAcceptedComplaint(const v1::Envelope& e) {
  return e.has_ticket() &&
         (e.ticket().kind() == v1::Ticket::COMPLAINT || e.ticket().kind() == v1::Ticket::OPINION) &&
         e.ticket().status() == v1::Ticket::ACCEPTED;
}

// Runs the rule engine over the events as `vigilctl replay` does (watermark =
// the latest event time), without reference data.
struct EngineRun {
  std::set<std::pair<std::string, int64_t>> raised;       // (key, raised_at)
  std::map<std::string, std::set<std::string>> evidence;  // key → event ids of its warnings
  std::map<std::pair<std::string, int64_t>, v1::Grade> max_grade;  // (key, raised_at)
  std::set<std::string> rule_ids;
};

EngineRun RunEngine(const std::string& rule_file, const std::vector<v1::Envelope>& events) {
  EngineRun r;
  auto rules = rules::LoadRuleFiles({RuleFile(rule_file)});
  EXPECT_TRUE(rules.ok()) << rules.status();
  if (!rules.ok()) return r;
  reference::ReferenceStore ref;
  engine::RuleEngine engine(*rules, &ref);
  engine::EngineOutput out;
  const auto take = [&] {
    for (const v1::WarningEvent& w : out.events) {
      const v1::Warning& x = w.warning();
      const std::pair<std::string, int64_t> id{x.key(), x.raised_at().seconds()};
      r.rule_ids.insert(x.rule_id());
      if (w.type() == v1::WarningEvent::RAISED) r.raised.insert(id);
      for (const std::string& e : x.evidence().event_ids()) r.evidence[x.key()].insert(e);
      v1::Grade& g = r.max_grade[id];
      g = std::max(g, x.grade());
    }
    out.events.clear();
    out.rejection.reset();
  };
  for (const v1::Envelope& e : events) {
    const absl::Time t =
        absl::FromUnixSeconds(e.event_time().seconds()) + absl::Nanoseconds(e.event_time().nanos());
    if (t > engine.watermark()) engine.AdvanceWatermark(t, &out);
    take();
    engine.Apply(e, &out);
    EXPECT_FALSE(out.rejection) << out.rejection->detail;
    take();
  }
  return r;
}

class GroundTruthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GroundTruthTest, LabelsCiteExistingEventsAndAreWellFormed) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  std::set<std::string> ids;
  for (const v1::Envelope& e : run.events) ids.insert(e.event_id());
  std::set<std::string> incidents;
  ASSERT_FALSE(run.result.labels.empty());
  // Kinds with a rule in the catalogue name its family and its warning key.
  const std::map<std::string, std::pair<std::string, std::string>> catalogue = {
      {"complaint_cluster", {"R13", "feeder:"}},  {"frequent_outage", {"R17", "area:"}},
      {"long_outage", {"R18", "outage:"}},        {"important_customer_outage", {"R16", "outage:"}},
      {"escalation_12398", {"R09", "customer:"}}, {"traffic_surge", {"R20", "city:"}},
      {"ticket_burst", {"R20", "city:"}}};
  for (const Label& l : run.result.labels) {
    EXPECT_TRUE(incidents.insert(l.incident_id).second) << l.incident_id;
    EXPECT_FALSE(l.rule_ids.empty()) << l.incident_id;
    EXPECT_FALSE(l.region_key.empty()) << l.incident_id;
    EXPECT_LE(l.start, l.end) << l.incident_id;
    EXPECT_GE(l.detectable_at, run.spec.start) << l.incident_id;
    EXPECT_LT(l.detectable_at, run.spec.end) << l.incident_id;
    for (const std::string& id : l.event_ids)
      EXPECT_TRUE(ids.count(id)) << l.incident_id << " " << id;
    auto it = catalogue.find(l.kind);
    if (it != catalogue.end()) {
      EXPECT_EQ(l.rule_ids, std::vector<std::string>{it->second.first}) << l.incident_id;
      EXPECT_TRUE(l.warning_key.starts_with(it->second.second)) << l.incident_id;
      EXPECT_GT(l.warning_key.size(), it->second.second.size()) << l.incident_id;
    } else {
      EXPECT_EQ(l.warning_key, "") << l.incident_id;
    }
    // Round trip through the file format.
    absl::StatusOr<Label> back = LabelFromJson(LabelToJson(l));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->key, l.key);
    EXPECT_EQ(back->warning_key, l.warning_key);
    EXPECT_EQ(back->event_ids, l.event_ids);
  }
}

TEST_P(GroundTruthTest, ClusterLabelsAreR13ClustersAndBruteForceFindsNoOther) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  std::map<std::string, const v1::Envelope*> by_id;
  std::map<std::string, std::vector<const v1::Envelope*>> by_key;  // accepted complaints
  for (const v1::Envelope& e : run.events) {
    by_id[e.event_id()] = &e;
    if (IsAcceptedComplaint(e)) {
      ASSERT_FALSE(e.region().feeder_id().empty()) << e.event_id();
      by_key[FeederKey(e)].push_back(&e);
    }
  }
  std::map<std::string, std::set<std::string>> labelled;  // key → event ids in cluster labels
  int clusters = 0;
  for (const Label& l : run.result.labels) {
    if (l.kind != "complaint_cluster") continue;
    ++clusters;
    ASSERT_GE(l.event_ids.size(), 3u) << l.incident_id;
    std::set<std::string> areas;
    for (const std::string& id : l.event_ids) {
      const v1::Envelope& e = *by_id.at(id);
      ASSERT_TRUE(IsAcceptedComplaint(e)) << id;
      EXPECT_EQ(FeederKey(e), l.warning_key) << id;
      EXPECT_TRUE(ingest::RegionKey(e.region()).starts_with(l.region_key)) << id;
      areas.insert(ingest::RegionKey(e.region()));
      labelled[l.warning_key].insert(id);
    }
    // One area: the region is the area, and the key is the pre-catalogue R13 key.
    if (areas.size() == 1) {
      EXPECT_EQ(l.region_key, *areas.begin()) << l.incident_id;
    }
    EXPECT_TRUE(l.key.starts_with(l.region_key + "|")) << l.incident_id;
    // The definition holds at detectable_at: >= 3 of the feeder within 24 h up to it.
    const int64_t at = absl::ToUnixSeconds(l.detectable_at);
    int in_window = 0;
    for (const v1::Envelope* e : by_key[l.warning_key]) {
      in_window += testing::Seconds(*e) > at - kDay && testing::Seconds(*e) <= at;
    }
    EXPECT_GE(in_window, 3) << l.incident_id;
  }
  EXPECT_GT(clusters, 0) << "the preset should inject complaint clusters";
  // Brute force: every complaint that completes 3 within 24 h is in a label.
  for (const auto& [key, complaints] : by_key) {
    for (const v1::Envelope* c : complaints) {
      const int64_t t = testing::Seconds(*c);
      int n = 0;
      for (const v1::Envelope* d : complaints)
        n += testing::Seconds(*d) > t - kDay && testing::Seconds(*d) <= t;
      if (n >= 3) {
        EXPECT_TRUE(labelled[key].count(c->event_id())) << key << " " << c->event_id();
      }
    }
  }
}

// The catalogue's R13 (R13-feeder, R13-area folded into it) run by the rule
// engine raises exactly one warning per cluster label, at its detectable_at,
// cites exactly its events and reaches exactly its min_grade.
TEST_P(GroundTruthTest, CatalogueR13RaisesExactlyTheClusterLabels) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  const EngineRun engine = RunEngine("R13_complaint_cluster.yaml", run.events);
  std::set<std::pair<std::string, int64_t>> labels;
  std::map<std::string, std::set<std::string>> labelled;
  for (const Label& l : run.result.labels) {
    if (l.kind != "complaint_cluster") continue;
    const std::pair<std::string, int64_t> id{l.warning_key, absl::ToUnixSeconds(l.detectable_at)};
    labels.insert(id);
    labelled[l.warning_key].insert(l.event_ids.begin(), l.event_ids.end());
    auto g = engine.max_grade.find(id);
    ASSERT_NE(g, engine.max_grade.end()) << l.incident_id;
    EXPECT_EQ(g->second, l.min_grade) << l.incident_id << " " << l.description;
  }
  EXPECT_FALSE(labels.empty());
  EXPECT_EQ(engine.rule_ids, std::set<std::string>{"R13-feeder"});  // areas fold, never sent
  EXPECT_EQ(engine.raised, labels);
  EXPECT_EQ(engine.evidence, labelled);
}

// The same for R09: one warning per escalation label (customer, first flag).
TEST_P(GroundTruthTest, CatalogueR09RaisesExactlyTheEscalationLabels) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  const EngineRun engine = RunEngine("R09_escalation_risk.yaml", run.events);
  std::set<std::pair<std::string, int64_t>> labels;
  for (const Label& l : run.result.labels) {
    if (l.kind != "escalation_12398") continue;
    const std::pair<std::string, int64_t> id{l.warning_key, absl::ToUnixSeconds(l.detectable_at)};
    labels.insert(id);
    auto g = engine.max_grade.find(id);
    ASSERT_NE(g, engine.max_grade.end()) << l.incident_id;
    EXPECT_EQ(g->second, l.min_grade) << l.incident_id << " " << l.description;
  }
  EXPECT_FALSE(labels.empty());
  EXPECT_EQ(engine.raised, labels);
}

INSTANTIATE_TEST_SUITE_P(Presets, GroundTruthTest,
                         ::testing::Values("thunderstorm_city", "planned_no_notice"));

TEST(Episodes, RaiseWithinWindowContinueWhileNotQuiet) {
  const int64_t h = 3600;
  // Two complaints, then a third within 24 h of both: raised by the third;
  // the fourth (within 24 h of the last) extends the episode; after 24 quiet
  // hours a new episode needs 3 within 24 h again (70 h, 71 h are not enough).
  const std::vector<int64_t> t = {0,      10 * h,  20 * h,  40 * h, 70 * h,
                                  71 * h, 100 * h, 101 * h, 102 * h};
  const auto episodes = GroundTruth::Episodes(t, 24 * h, 3);
  ASSERT_EQ(episodes.size(), 2u);
  EXPECT_EQ(episodes[0].raised_by, 2u);
  EXPECT_EQ(episodes[0].members, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(episodes[1].raised_by, 8u);
  EXPECT_EQ(episodes[1].members, (std::vector<size_t>{6, 7, 8}));
  EXPECT_TRUE(GroundTruth::Episodes({0, 24 * h, 48 * h}, 24 * h, 2).empty());
  // R13's 72 h quiet period: the same times make one episode (gaps < 72 h).
  const auto r13 = GroundTruth::Episodes(t, 24 * h, 3, 72 * h);
  ASSERT_EQ(r13.size(), 1u);
  EXPECT_EQ(r13[0].raised_by, 2u);
  EXPECT_EQ(r13[0].members.size(), t.size());
}

}  // namespace
}  // namespace vigil::sim
