// The labels agree with the events: they cite existing events, the cluster
// labels are true R13 clusters, and every cluster in the stream is labelled —
// checked by a brute-force scan and by vigild's own R13 implementation.
#include "tools/sim/ground_truth.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "processors/engine/clustered_complaints.h"
#include "processors/ingest/region.h"
#include "tests/sim/sim_test_util.h"

namespace vigil::sim {
namespace {

constexpr int64_t kDay = 86400;

testing::Run ClusterRich(const std::string& preset, uint64_t seed) {
  SimOptions o =
      testing::Options(preset, seed, 0.5, 1, absl::Hours(preset == "planned_no_notice" ? 48 : 24));
  o.warmup = absl::Hours(48);
  return testing::Generate(o);
}

std::string R13Key(const v1::Envelope& e) {
  return absl::StrCat(ingest::RegionKey(e.region()), "|",
                      v1::Ticket::Category_Name(e.ticket().category()));
}

bool IsAcceptedComplaint(const v1::Envelope& e) {
  return e.has_ticket() && e.ticket().kind() == v1::Ticket::COMPLAINT &&
         e.ticket().status() == v1::Ticket::ACCEPTED;
}

class GroundTruthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GroundTruthTest, LabelsCiteExistingEventsAndAreWellFormed) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  std::set<std::string> ids;
  for (const v1::Envelope& e : run.events) ids.insert(e.event_id());
  std::set<std::string> incidents;
  ASSERT_FALSE(run.result.labels.empty());
  for (const Label& l : run.result.labels) {
    EXPECT_TRUE(incidents.insert(l.incident_id).second) << l.incident_id;
    EXPECT_FALSE(l.rule_ids.empty()) << l.incident_id;
    EXPECT_FALSE(l.region_key.empty()) << l.incident_id;
    EXPECT_LE(l.start, l.end) << l.incident_id;
    EXPECT_GE(l.detectable_at, run.spec.start) << l.incident_id;
    EXPECT_LT(l.detectable_at, run.spec.end) << l.incident_id;
    for (const std::string& id : l.event_ids)
      EXPECT_TRUE(ids.count(id)) << l.incident_id << " " << id;
    // Round trip through the file format.
    absl::StatusOr<Label> back = LabelFromJson(LabelToJson(l));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->key, l.key);
    EXPECT_EQ(back->event_ids, l.event_ids);
  }
}

TEST_P(GroundTruthTest, ClusterLabelsAreR13ClustersAndBruteForceFindsNoOther) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  std::map<std::string, const v1::Envelope*> by_id;
  std::map<std::string, std::vector<const v1::Envelope*>> by_key;  // accepted complaints
  for (const v1::Envelope& e : run.events) {
    by_id[e.event_id()] = &e;
    if (IsAcceptedComplaint(e)) by_key[R13Key(e)].push_back(&e);
  }
  std::map<std::string, std::set<std::string>> labelled;  // key → event ids in cluster labels
  int clusters = 0;
  for (const Label& l : run.result.labels) {
    if (l.kind != "complaint_cluster") continue;
    ++clusters;
    EXPECT_EQ(l.rule_ids, std::vector<std::string>{"R13"});
    ASSERT_GE(l.event_ids.size(), 3u) << l.incident_id;
    for (const std::string& id : l.event_ids) {
      const v1::Envelope& e = *by_id.at(id);
      ASSERT_TRUE(IsAcceptedComplaint(e)) << id;
      EXPECT_EQ(R13Key(e), l.key) << id;
      EXPECT_TRUE(l.key.starts_with(l.region_key + "|"));
      labelled[l.key].insert(id);
    }
    // The definition holds at detectable_at: >= 3 of the key within 24 h up to it.
    const int64_t at = absl::ToUnixSeconds(l.detectable_at);
    int in_window = 0;
    for (const v1::Envelope* e : by_key[l.key]) {
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

TEST_P(GroundTruthTest, VigildR13RaisesExactlyTheClusterLabels) {
  const testing::Run run = ClusterRich(GetParam(), 5);
  engine::ClusteredComplaints rule(engine::ClusterRuleConfig{});
  std::set<std::pair<std::string, int64_t>> raised;       // (key, raised_at)
  std::map<std::string, std::set<std::string>> evidence;  // key → event ids of raised warnings
  for (const v1::Envelope& e : run.events) {
    engine::RuleOutput out;
    rule.Apply(e, &out);
    ASSERT_FALSE(out.rejection) << out.rejection->detail;
    for (const v1::WarningEvent& w : out.events) {
      if (w.type() == v1::WarningEvent::RAISED) {
        raised.insert({w.warning().key(), w.warning().raised_at().seconds()});
      }
      for (const std::string& id : w.warning().evidence().event_ids()) {
        evidence[w.warning().key()].insert(id);
      }
    }
  }
  std::set<std::pair<std::string, int64_t>> labels;
  std::map<std::string, std::set<std::string>> labelled;
  for (const Label& l : run.result.labels) {
    if (l.kind != "complaint_cluster") continue;
    labels.insert({l.key, absl::ToUnixSeconds(l.detectable_at)});
    labelled[l.key].insert(l.event_ids.begin(), l.event_ids.end());
  }
  EXPECT_FALSE(labels.empty());
  EXPECT_EQ(raised, labels);
  EXPECT_EQ(evidence, labelled);
}

INSTANTIATE_TEST_SUITE_P(Presets, GroundTruthTest,
                         ::testing::Values("thunderstorm_city", "planned_no_notice"));

TEST(Episodes, FollowR13) {
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
}

}  // namespace
}  // namespace vigil::sim
