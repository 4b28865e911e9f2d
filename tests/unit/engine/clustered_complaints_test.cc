#include "processors/engine/clustered_complaints.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "processors/warnings/warning_id.h"
#include "tests/unit/printers.h"
#include "tools/sim/complaint_stream.h"

namespace vigil::engine {
namespace {

constexpr int64_t kStartMs = 1784102400000;  // 2026-07-15T08:00:00Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr char kKey[] = "370100/370102/S01/T0001|LOW_VOLTAGE";

// An ACCEPTED complaint in area T0001 at `ms`, ticket "TK<n>", event "evt-<n>".
v1::Envelope Complaint(int n, int64_t ms, v1::Ticket::Category category = v1::Ticket::LOW_VOLTAGE) {
  v1::Envelope e;
  e.set_event_id("evt-" + std::to_string(n));
  e.mutable_event_time()->set_seconds(ms / 1000);
  e.mutable_event_time()->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
  v1::Region* r = e.mutable_region();
  r->set_province_code("370000");
  r->set_city_code("370100");
  r->set_county_code("370102");
  r->set_station_id("S01");
  r->set_feeder_id("F7");
  r->set_area_id("T0001");
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id("TK" + std::to_string(n));
  t->set_kind(v1::Ticket::COMPLAINT);
  t->set_category(category);
  t->set_status(v1::Ticket::ACCEPTED);
  return e;
}

int64_t Ms(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1'000'000;
}

class ClusteredComplaintsTest : public ::testing::Test {
 protected:
  // Applies one event and returns what it produced.
  RuleOutput Apply(const v1::Envelope& e) {
    RuleOutput out;
    rule_.Apply(e, &out);
    return out;
  }
  // Applies complaints n = first..last, `gap` apart starting at `start`; returns all events.
  std::vector<v1::WarningEvent> ApplyRun(int first, int last, int64_t start, int64_t gap) {
    std::vector<v1::WarningEvent> events;
    for (int n = first; n <= last; ++n) {
      RuleOutput out = Apply(Complaint(n, start + (n - first) * gap));
      EXPECT_FALSE(out.rejection.has_value());
      for (auto& we : out.events) events.push_back(std::move(we));
    }
    return events;
  }

  ClusteredComplaints rule_{ClusterRuleConfig{}};  // N = 3, W = 24h, lateness 1h, 5/10/20
};

// Fewer than N complaints in the window raise nothing.
TEST_F(ClusteredComplaintsTest, BelowThresholdNoWarning) {
  EXPECT_TRUE(ApplyRun(1, 2, kStartMs, kHour).empty());
  EXPECT_EQ(rule_.key_count(), 1u);
}

// The N-th complaint raises one warning with a deterministic id, version 1, grade IV.
TEST_F(ClusteredComplaintsTest, NthComplaintRaises) {
  const std::vector<v1::WarningEvent> events = ApplyRun(1, 3, kStartMs, 2 * kHour);
  ASSERT_EQ(events.size(), 1u);
  const v1::WarningEvent& we = events[0];
  const v1::Warning& w = we.warning();
  const std::string id = warnings::WarningId("R13", kKey, kStartMs, "TK1");
  EXPECT_EQ(we.type(), v1::WarningEvent::RAISED);
  EXPECT_EQ(w.warning_id(), id);
  EXPECT_EQ(we.event_id(), id + ":1");
  EXPECT_EQ(w.version(), 1u);
  EXPECT_EQ(w.rule_id(), "R13");
  EXPECT_EQ(w.rule_version(), "1");
  EXPECT_EQ(w.key(), kKey);
  EXPECT_EQ(w.region_key(), "370100/370102/S01/T0001");
  EXPECT_EQ(w.region().area_id(), "T0001");
  EXPECT_EQ(w.region().feeder_id(), "");
  EXPECT_EQ(w.grade(), v1::GRADE_IV);
  EXPECT_EQ(w.state(), v1::OPEN);
  EXPECT_EQ(w.category(), v1::Ticket::LOW_VOLTAGE);
  EXPECT_EQ(w.evidence().count(), 3u);
  EXPECT_EQ(
      std::vector<std::string>(w.evidence().event_ids().begin(), w.evidence().event_ids().end()),
      (std::vector<std::string>{"evt-1", "evt-2", "evt-3"}));
  EXPECT_EQ(std::vector<std::string>(w.evidence().subject_ids().begin(),
                                     w.evidence().subject_ids().end()),
            (std::vector<std::string>{"TK1", "TK2", "TK3"}));
  EXPECT_EQ(Ms(w.evidence().window_start()), kStartMs);
  EXPECT_EQ(Ms(w.evidence().window_end()), kStartMs + 4 * kHour);
  EXPECT_EQ(Ms(w.raised_at()), kStartMs + 4 * kHour);
  EXPECT_EQ(Ms(w.updated_at()), kStartMs + 4 * kHour);
  EXPECT_NE(w.title().find("3 LOW_VOLTAGE complaints in area T0001"), std::string::npos)
      << w.title();
  EXPECT_NE(w.message().find("TK1, TK2, TK3"), std::string::npos) << w.message();
}

// N complaints spread wider than W never share a window and raise nothing.
TEST_F(ClusteredComplaintsTest, ComplaintsSpreadOverMoreThanWindow) {
  EXPECT_TRUE(ApplyRun(1, 3, kStartMs, 12 * kHour).empty());  // 0h, 12h, 24h
  // A fourth at 24h - 1ms completes [0h, 24h): 0h, 12h, 24h - 1ms.
  EXPECT_EQ(ApplyRun(4, 4, kStartMs + 24 * kHour - 1, 0).size(), 1u);
}

// Further complaints update the same warning, version + 1, grade rising at 5, 10 and 20.
TEST_F(ClusteredComplaintsTest, UpdatesRaiseVersionAndGrade) {
  const std::vector<v1::WarningEvent> events = ApplyRun(1, 21, kStartMs, 10 * kMinute);
  ASSERT_EQ(events.size(), 19u);
  const std::string id = events[0].warning().warning_id();
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Warning& w = events[i].warning();
    const uint32_t count = static_cast<uint32_t>(i + 3);
    EXPECT_EQ(events[i].type(), i == 0 ? v1::WarningEvent::RAISED : v1::WarningEvent::UPDATED);
    EXPECT_EQ(w.warning_id(), id);
    EXPECT_EQ(w.version(), i + 1);
    EXPECT_EQ(events[i].event_id(), id + ":" + std::to_string(i + 1));
    EXPECT_EQ(w.evidence().count(), count);
    EXPECT_EQ(w.evidence().event_ids_size(), static_cast<int>(count));
    EXPECT_EQ(Ms(w.raised_at()), kStartMs + 20 * kMinute);
    EXPECT_EQ(Ms(w.updated_at()), kStartMs + (count - 1) * 10 * kMinute);
    const v1::Grade grade = count >= 20   ? v1::GRADE_I
                            : count >= 10 ? v1::GRADE_II
                            : count >= 5  ? v1::GRADE_III
                                          : v1::GRADE_IV;
    EXPECT_EQ(w.grade(), grade) << "count " << count;
  }
}

// An episode lasts while complaints come within W of its evidence; after a quiet gap of W a
// new episode needs N complaints again and gets a new id.
TEST_F(ClusteredComplaintsTest, QuietGapStartsNewEpisode) {
  const std::vector<v1::WarningEvent> first = ApplyRun(1, 3, kStartMs, kHour);
  ASSERT_EQ(first.size(), 1u);
  const int64_t last = kStartMs + 2 * kHour;
  // One millisecond short of W after the last evidence: still the same episode.
  std::vector<v1::WarningEvent> more = ApplyRun(4, 4, last + 24 * kHour - 1, 0);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].type(), v1::WarningEvent::UPDATED);
  EXPECT_EQ(more[0].warning().warning_id(), first[0].warning().warning_id());
  // Exactly W after the last evidence: the episode lapsed; alone it raises nothing.
  const int64_t restart = last + 24 * kHour - 1 + 24 * kHour;
  EXPECT_TRUE(ApplyRun(5, 6, restart, kMinute).empty());
  more = ApplyRun(7, 7, restart + 2 * kMinute, 0);
  ASSERT_EQ(more.size(), 1u);
  const v1::Warning& w = more[0].warning();
  EXPECT_EQ(more[0].type(), v1::WarningEvent::RAISED);
  EXPECT_NE(w.warning_id(), first[0].warning().warning_id());
  EXPECT_EQ(w.warning_id(), warnings::WarningId("R13", kKey, restart, "TK5"));
  EXPECT_EQ(w.version(), 1u);
  EXPECT_EQ(w.evidence().count(), 3u);
  EXPECT_EQ(w.grade(), v1::GRADE_IV);
}

// An out-of-order complaint within the lateness joins the episode and widens its evidence.
TEST_F(ClusteredComplaintsTest, OutOfOrderComplaintUpdatesEpisode) {
  ASSERT_EQ(ApplyRun(1, 3, kStartMs + kHour, kMinute).size(), 1u);
  const RuleOutput out = Apply(Complaint(4, kStartMs + kHour - 30 * kMinute));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].warning().version(), 2u);
  EXPECT_EQ(Ms(out.events[0].warning().evidence().window_start()), kStartMs + kHour - 30 * kMinute);
  EXPECT_EQ(Ms(out.events[0].warning().updated_at()), kStartMs + kHour + 2 * kMinute);
}

// The cluster that completes out of order still raises, with the earliest event as opener.
TEST_F(ClusteredComplaintsTest, OutOfOrderCompletionRaises) {
  EXPECT_TRUE(ApplyRun(1, 2, kStartMs + kHour, kMinute).empty());
  const RuleOutput out = Apply(Complaint(3, kStartMs + 10 * kMinute));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].warning().warning_id(),
            warnings::WarningId("R13", kKey, kStartMs + 10 * kMinute, "TK3"));
  EXPECT_EQ(out.events[0].warning().evidence().subject_ids(0), "TK3");
}

// Tickets that are not ACCEPTED complaints are ignored entirely.
TEST_F(ClusteredComplaintsTest, IgnoresOtherTickets) {
  int n = 0;
  for (auto kind : {v1::Ticket::REPORT, v1::Ticket::OPINION, v1::Ticket::FAULT_REPAIR}) {
    for (int i = 0; i < 3; ++i) {
      ++n;
      v1::Envelope e = Complaint(n, kStartMs + n * kMinute);
      e.mutable_ticket()->set_kind(kind);
      EXPECT_TRUE(Apply(e).events.empty());
    }
  }
  for (auto status : {v1::Ticket::DISPATCHED, v1::Ticket::REPLIED, v1::Ticket::CLOSED}) {
    for (int i = 0; i < 3; ++i) {
      ++n;
      v1::Envelope e = Complaint(n, kStartMs + n * kMinute);
      e.mutable_ticket()->set_status(status);
      EXPECT_TRUE(Apply(e).events.empty());
    }
  }
  v1::Envelope outage;
  outage.mutable_outage()->set_outage_id("O1");
  EXPECT_TRUE(Apply(outage).events.empty());
  EXPECT_EQ(rule_.key_count(), 0u);
  EXPECT_TRUE(rule_.TakeDirty().empty());
}

// The same area with different categories, or different areas, are separate keys.
TEST_F(ClusteredComplaintsTest, KeyedByAreaAndCategory) {
  EXPECT_TRUE(Apply(Complaint(1, kStartMs)).events.empty());
  EXPECT_TRUE(Apply(Complaint(2, kStartMs + kMinute)).events.empty());
  EXPECT_TRUE(Apply(Complaint(3, kStartMs + 2 * kMinute, v1::Ticket::BILLING)).events.empty());
  v1::Envelope other_area = Complaint(4, kStartMs + 3 * kMinute);
  other_area.mutable_region()->set_area_id("T0002");
  EXPECT_TRUE(Apply(other_area).events.empty());
  EXPECT_EQ(rule_.key_count(), 3u);
  const RuleOutput out = Apply(Complaint(5, kStartMs + 4 * kMinute));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].warning().key(), kKey);
}

// A ticket counts once, however many envelopes carry it.
TEST_F(ClusteredComplaintsTest, DuplicateTicketNotCounted) {
  EXPECT_TRUE(Apply(Complaint(1, kStartMs)).events.empty());
  EXPECT_TRUE(Apply(Complaint(2, kStartMs + kMinute)).events.empty());
  v1::Envelope again = Complaint(2, kStartMs + 2 * kMinute);
  again.set_event_id("evt-2-redelivered");
  const RuleOutput out = Apply(again);
  EXPECT_TRUE(out.events.empty());
  EXPECT_FALSE(out.rejection.has_value());
  ASSERT_EQ(ApplyRun(3, 3, kStartMs + 3 * kMinute, 0).size(), 1u);
  // A duplicate during the episode does not update the warning either.
  EXPECT_TRUE(Apply(Complaint(3, kStartMs + 4 * kMinute)).events.empty());
}

// An event further behind its key's newest than the allowed lateness is rejected as late.
TEST_F(ClusteredComplaintsTest, LateEventIsRejected) {
  EXPECT_TRUE(Apply(Complaint(1, kStartMs + 2 * kHour)).events.empty());
  rule_.TakeDirty();
  const RuleOutput out = Apply(Complaint(2, kStartMs + kHour - 1));
  EXPECT_TRUE(out.events.empty());
  ASSERT_TRUE(out.rejection.has_value());
  EXPECT_EQ(out.rejection->reason, ingest::RejectReason::kLate);
  EXPECT_NE(out.rejection->detail.find(kKey), std::string::npos) << out.rejection->detail;
  EXPECT_NE(out.rejection->detail.find("3600s behind"), std::string::npos) << out.rejection->detail;
  EXPECT_TRUE(rule_.TakeDirty().empty());
  // Exactly the allowed lateness behind is accepted.
  EXPECT_FALSE(Apply(Complaint(3, kStartMs + kHour)).rejection.has_value());
}

// Evidence lists keep the newest 100 ids while the count goes on.
TEST_F(ClusteredComplaintsTest, EvidenceIsCapped) {
  const std::vector<v1::WarningEvent> events = ApplyRun(1, 105, kStartMs, kMinute / 10);
  const v1::Evidence& ev = events.back().warning().evidence();
  EXPECT_EQ(ev.count(), 105u);
  ASSERT_EQ(ev.event_ids_size(), 100);
  ASSERT_EQ(ev.subject_ids_size(), 100);
  EXPECT_EQ(ev.event_ids(0), "evt-6");
  EXPECT_EQ(ev.subject_ids(99), "TK105");
}

// TakeDirty reports each changed key once, with its state, and then clears.
TEST_F(ClusteredComplaintsTest, TakeDirty) {
  ApplyRun(1, 3, kStartMs, kMinute);
  auto dirty = rule_.TakeDirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_EQ(dirty[0].first, kKey);
  ASSERT_TRUE(dirty[0].second.has_value());
  EXPECT_EQ(dirty[0].second->entries_size(), 3);
  EXPECT_EQ(dirty[0].second->max_event_time_ms(), kStartMs + 2 * kMinute);
  ASSERT_TRUE(dirty[0].second->has_active());
  EXPECT_EQ(dirty[0].second->active().version(), 1u);
  EXPECT_TRUE(rule_.TakeDirty().empty());
}

// The rule's thresholds come from its config.
TEST(ClusteredComplaintsConfigTest, CustomThresholds) {
  ClusterRuleConfig config;
  config.rule_id = "RX";
  config.min_complaints = 2;
  config.window = absl::Minutes(10);
  config.grade_iii_at = 2;
  ClusteredComplaints rule(config);
  RuleOutput out;
  rule.Apply(Complaint(1, kStartMs), &out);
  rule.Apply(Complaint(2, kStartMs + 10 * kMinute), &out);  // exactly W apart: no
  EXPECT_TRUE(out.events.empty());
  rule.Apply(Complaint(3, kStartMs + 15 * kMinute), &out);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].warning().warning_id(),
            warnings::WarningId("RX", kKey, kStartMs + 10 * kMinute, "TK2"));
  EXPECT_EQ(out.events[0].warning().grade(), v1::GRADE_III);
}

// The demo stream with a little out-of-order jitter (always within the allowed lateness).
std::vector<v1::Envelope> JitteredDemoStream() {
  sim::ComplaintStreamOptions options;
  options.clusters = sim::DemoClusters();
  options.background_complaints = 120;
  options.areas_per_county = 3;  // dense background: more accidental clusters
  std::vector<v1::Envelope> events = sim::ComplaintStream(options);
  std::mt19937 rng(7);
  for (v1::Envelope& e : events) {
    e.mutable_event_time()->set_seconds(e.event_time().seconds() + rng() % 1800);
  }
  return events;
}

std::vector<std::string> Serialized(const std::vector<v1::WarningEvent>& events) {
  std::vector<std::string> out;
  for (const auto& we : events) out.push_back(we.SerializeAsString());
  return out;
}

std::vector<v1::WarningEvent> RunAll(ClusteredComplaints& rule,
                                     const std::vector<v1::Envelope>& events, size_t from = 0) {
  std::vector<v1::WarningEvent> out;
  for (size_t i = from; i < events.size(); ++i) {
    RuleOutput o;
    rule.Apply(events[i], &o);
    EXPECT_FALSE(o.rejection.has_value()) << "event " << i;
    for (auto& we : o.events) out.push_back(std::move(we));
  }
  return out;
}

// Two instances given the same stream produce byte-identical warning events.
TEST(ClusteredComplaintsDeterminismTest, SameStreamSameBytes) {
  const std::vector<v1::Envelope> events = JitteredDemoStream();
  ClusteredComplaints a{ClusterRuleConfig{}};
  ClusteredComplaints b{ClusterRuleConfig{}};
  const std::vector<v1::WarningEvent> out_a = RunAll(a, events);
  EXPECT_EQ(Serialized(out_a), Serialized(RunAll(b, events)));
  // The three injected clusters all raise; the 11-complaint one reaches grade II.
  std::set<std::string> raised_areas;
  v1::Grade t05002_grade = v1::GRADE_UNSPECIFIED;
  for (const auto& we : out_a) {
    if (we.type() == v1::WarningEvent::RAISED) raised_areas.insert(we.warning().region().area_id());
    if (we.warning().key() == "370100/370105/S04/T05002|DELAYED_RESTORATION") {
      t05002_grade = we.warning().grade();
    }
  }
  EXPECT_TRUE(raised_areas.contains("T02007"));
  EXPECT_TRUE(raised_areas.contains("T03011"));
  EXPECT_TRUE(raised_areas.contains("T05002"));
  EXPECT_EQ(t05002_grade, v1::GRADE_II);
}

// Crash recovery: state taken with TakeDirty at arbitrary commit points, persisted (as bytes)
// and restored into a fresh instance continues exactly like an uninterrupted instance.
TEST(ClusteredComplaintsDeterminismTest, RestoreContinuesIdentically) {
  const std::vector<v1::Envelope> events = JitteredDemoStream();
  ClusteredComplaints uninterrupted{ClusterRuleConfig{}};
  std::vector<std::vector<v1::WarningEvent>> per_event;
  for (const auto& e : events) {
    RuleOutput o;
    uninterrupted.Apply(e, &o);
    per_event.push_back(std::move(o.events));
  }
  std::mt19937 rng(11);
  for (size_t crash = 0; crash <= events.size(); ++crash) {
    // Run up to the crash point, committing dirty state every few events.
    ClusteredComplaints before{ClusterRuleConfig{}};
    std::map<std::string, std::string> store;
    const auto commit = [&] {
      for (auto& [key, state] : before.TakeDirty()) {
        if (state) {
          store[key] = state->SerializeAsString();
        } else {
          store.erase(key);
        }
      }
    };
    for (size_t i = 0; i < crash; ++i) {
      RuleOutput o;
      before.Apply(events[i], &o);
      if (rng() % 4 == 0) commit();
    }
    commit();
    ClusteredComplaints after{ClusterRuleConfig{}};
    for (const auto& [key, bytes] : store) {
      internal::ClusterState state;
      ASSERT_TRUE(state.ParseFromString(bytes));
      after.Restore(key, state);
    }
    std::vector<v1::WarningEvent> expected;
    for (size_t i = crash; i < events.size(); ++i) {
      for (const auto& we : per_event[i]) expected.push_back(we);
    }
    ASSERT_EQ(Serialized(RunAll(after, events, crash)), Serialized(expected))
        << "crash after " << crash << " events";
  }
}

}  // namespace
}  // namespace vigil::engine
