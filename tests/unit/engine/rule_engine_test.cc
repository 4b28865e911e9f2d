#include "processors/engine/rule_engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "processors/engine/watermark.h"
#include "processors/rules/rule_set.h"

namespace vigil::engine {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 7, 1, 0, 0, 0), absl::UTCTimeZone());

std::shared_ptr<const rules::RuleSet> Rules(const std::string& yaml) {
  auto specs = rules::ParseRuleFile(yaml, "test.yaml");
  EXPECT_TRUE(specs.ok()) << specs.status();
  auto set = std::make_shared<rules::RuleSet>();
  if (specs.ok()) set->rules = *specs;
  return set;
}

// A rule over accepted complaints; `extra` is appended (YAML at rule level).
std::string ComplaintRule(const std::string& id, const std::string& window,
                          const std::string& grades, const std::string& extra = "",
                          const std::string& key = "area") {
  return "  - id: " + id +
         "\n    version: \"1\"\n    title: t\n    input:\n      stream: ticket\n" +
         "      filter: {kind: [COMPLAINT], status: [ACCEPTED]}\n    key: " + key +
         "\n    window: " + window + "\n    condition: {measure: count}\n    grades: " + grades +
         "\n    resolve: {below_for: 10m}\n    message: \"{count} in {key}\"\n" + extra;
}

v1::Region Region(const std::string& area = "T0001", const std::string& feeder = "L370102001") {
  v1::Region r;
  r.set_province_code("370000");
  r.set_city_code("370100");
  r.set_county_code("370102");
  r.set_station_id("37010201");
  r.set_feeder_id(feeder);
  r.set_area_id(area);
  return r;
}

v1::Envelope Complaint(const std::string& id, int64_t offset_ms,
                       const v1::Region& region = Region(), const std::string& customer = "") {
  v1::Envelope e;
  e.set_event_id("e-" + id);
  const int64_t ms = absl::ToUnixMillis(kT0) + offset_ms;
  e.mutable_event_time()->set_seconds(ms / 1000);
  e.mutable_event_time()->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
  *e.mutable_region() = region;
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id("t-" + id);
  t->set_kind(v1::Ticket::COMPLAINT);
  t->set_category(v1::Ticket::LOW_VOLTAGE);
  t->set_status(v1::Ticket::ACCEPTED);
  t->set_customer_id(customer.empty() ? "c-" + id : customer);
  return e;
}

v1::Envelope Outage(const std::string& id, v1::OutageEvent::Phase phase, int64_t offset_ms,
                    const std::vector<std::string>& areas) {
  v1::Envelope e;
  e.set_event_id("o-" + id + "-" + std::to_string(phase));
  const int64_t ms = absl::ToUnixMillis(kT0) + offset_ms;
  e.mutable_event_time()->set_seconds(ms / 1000);
  *e.mutable_region() = Region(areas.empty() ? "T0001" : areas[0]);
  v1::OutageEvent* o = e.mutable_outage();
  o->set_outage_id(id);
  o->set_kind(v1::OutageEvent::FAULT);
  o->set_phase(phase);
  for (const auto& a : areas) o->add_area_ids(a);
  o->set_affected_customers(100);
  return e;
}

// Drives an engine like replay: the watermark follows event time.
class Harness {
 public:
  explicit Harness(std::shared_ptr<const rules::RuleSet> set) : engine_(set, &ref_) {}
  EngineOutput Apply(const v1::Envelope& e) {
    EngineOutput out;
    const absl::Time t =
        absl::FromUnixSeconds(e.event_time().seconds()) + absl::Nanoseconds(e.event_time().nanos());
    engine_.AdvanceWatermark(t, &out);
    engine_.Apply(e, &out);
    Record(out);
    return out;
  }
  EngineOutput AdvanceTo(int64_t offset_ms) {
    EngineOutput out;
    engine_.AdvanceWatermark(kT0 + absl::Milliseconds(offset_ms), &out);
    Record(out);
    return out;
  }
  // "TYPE rule key grade" of every warning event so far.
  std::vector<std::string> log;
  RuleEngine& engine() { return engine_; }
  reference::ReferenceStore& ref() { return ref_; }
  std::string Grade(const std::string& rule, const std::string& key) const {
    for (const auto& w : engine_.ActiveWarnings()) {
      if (w.rule_id() == rule && w.key() == key) return v1::Grade_Name(w.grade());
    }
    return "none";
  }

 private:
  void Record(const EngineOutput& out) {
    for (const auto& we : out.events) {
      log.push_back(v1::WarningEvent::Type_Name(we.type()) + " " + we.warning().rule_id() + " " +
                    we.warning().key() + " " + v1::Grade_Name(we.warning().grade()));
    }
  }
  reference::ReferenceStore ref_;
  RuleEngine engine_;
};

TEST(RuleEngineTest, SlidingCountRaisesUpdatesAndResolvesWithoutNewEvents) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 3, III: 5}")));
  h.Apply(Complaint("1", 0));
  h.Apply(Complaint("2", 10 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  h.Apply(Complaint("3", 20 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
  h.Apply(Complaint("4", 25 * kMin));
  h.Apply(Complaint("5", 30 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_III");
  // No more events: entries leave the window, the measure falls below the
  // clear threshold at 1h20m (3 left → 2), resolution 10 min later.
  h.AdvanceTo(89 * kMin);
  EXPECT_NE(h.Grade("R", "area:T0001"), "none");
  h.AdvanceTo(3 * kHour);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  ASSERT_FALSE(h.log.empty());
  EXPECT_EQ(h.log.front(), "RAISED R area:T0001 GRADE_IV");
  EXPECT_EQ(h.log.back().substr(0, 8), "RESOLVED");
}

TEST(RuleEngineTest, DuplicateTicketCountsOnce) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 3}")));
  h.Apply(Complaint("1", 0));
  h.Apply(Complaint("1", 1 * kMin));
  h.Apply(Complaint("2", 2 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  h.Apply(Complaint("3", 3 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
}

TEST(RuleEngineTest, TumblingBinsDoNotAddUp) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: tumbling, size: 15m}", "{IV: 3}")));
  h.Apply(Complaint("1", 10 * kMin));
  h.Apply(Complaint("2", 14 * kMin));
  h.Apply(Complaint("3", 16 * kMin));  // next bin
  h.Apply(Complaint("4", 17 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  h.Apply(Complaint("5", 29 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
  // The bin closes at 30 min on the watermark: measure 0 → resolved 10 min later.
  h.AdvanceTo(41 * kMin);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
}

TEST(RuleEngineTest, HoppingWindowTakesBestHop) {
  Harness h(Rules("rules:\n" +
                  ComplaintRule("R", "{type: hopping, size: 30m, advance: 10m}", "{IV: 3}")));
  // 3 events within 25 min straddling a 30-min tumbling boundary: one hop holds them all.
  h.Apply(Complaint("1", 22 * kMin));
  h.Apply(Complaint("2", 31 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  h.Apply(Complaint("3", 45 * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
}

TEST(RuleEngineTest, HoppingWindowMissesSpreadEvents) {
  Harness h(Rules("rules:\n" +
                  ComplaintRule("R", "{type: hopping, size: 30m, advance: 10m}", "{IV: 3}")));
  h.Apply(Complaint("1", 9 * kMin));
  h.Apply(Complaint("2", 31 * kMin));
  h.Apply(Complaint("3", 39 * kMin));  // [9, 39] spans 30 min: no aligned hop holds all three
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
}

TEST(RuleEngineTest, SessionWindowGrowsUntilGap) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: session, gap: 10m}", "{IV: 4}")));
  for (int i = 0; i < 3; ++i) h.Apply(Complaint(std::to_string(i), i * 8 * kMin));
  h.Apply(Complaint("late-gap", 40 * kMin));  // 24 min after the last: a new session
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  for (int i = 0; i < 3; ++i) h.Apply(Complaint("s2-" + std::to_string(i), (48 + i * 9) * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");  // 40, 48, 57, 66: one session of 4
}

TEST(RuleEngineTest, EventBehindWatermarkBeyondLatenessIsRejectedAndNotApplied) {
  Harness h(
      Rules("rules:\n" +
            ComplaintRule("R", "{type: sliding, size: 24h, allowed_lateness: 1h}", "{IV: 2}")));
  h.Apply(Complaint("1", 3 * kHour));
  EngineOutput ok = h.Apply(Complaint("2", 2 * kHour + kMin));  // 59 min behind: accepted
  EXPECT_FALSE(ok.rejection.has_value());
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
  EngineOutput late = h.Apply(Complaint("3", 1 * kHour));  // 2 h behind
  ASSERT_TRUE(late.rejection.has_value());
  EXPECT_EQ(late.rejection->reason, ingest::RejectReason::kLate);
  EXPECT_NE(late.rejection->detail.find("rule R allows 1h"), std::string::npos)
      << late.rejection->detail;
  EXPECT_EQ(h.engine().late_events(), 1u);
}

TEST(RuleEngineTest, UnmatchedEventIsNeverLate) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2}")));
  h.AdvanceTo(10 * kHour);
  v1::Envelope e = Complaint("x", 0);
  e.mutable_ticket()->set_kind(v1::Ticket::PRAISE);
  EngineOutput out;
  h.engine().Apply(e, &out);
  EXPECT_FALSE(out.rejection.has_value());
}

TEST(WatermarkTrackerTest, IdlePartitionDoesNotHoldWatermarkBack) {
  WatermarkTracker wm(absl::Seconds(30));
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  wm.Observe("a/0", kT0 + absl::Hours(1), now);
  wm.Observe("a/1", kT0, now);
  EXPECT_EQ(wm.Current(now), kT0);  // min over active partitions
  // a/1 goes quiet; a/0 keeps delivering.
  wm.Observe("a/0", kT0 + absl::Hours(2), now + absl::Seconds(40));
  EXPECT_EQ(wm.Current(now + absl::Seconds(40)), kT0 + absl::Hours(2));
  // Everything quiet: event time follows the wall clock.
  const absl::Time later = now + absl::Minutes(10);
  EXPECT_EQ(wm.Current(later), later - absl::Seconds(30));
  // Never backwards.
  wm.Observe("a/1", kT0, later);
  EXPECT_EQ(wm.Current(later), later - absl::Seconds(30));
}

TEST(WatermarkTrackerTest, AssignedPartitionHoldsWatermarkUntilItDeliversOrIdles) {
  WatermarkTracker wm(absl::Seconds(30));
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  wm.Assign("t/0", now);
  wm.Assign("t/1", now);
  // A backlog: partition 0 delivers hours of events before partition 1 delivers any.
  wm.Observe("t/0", kT0 + absl::Hours(5), now + absl::Seconds(1));
  EXPECT_EQ(wm.Current(now + absl::Seconds(1)), absl::InfinitePast());
  wm.Observe("t/1", kT0, now + absl::Seconds(2));
  EXPECT_EQ(wm.Current(now + absl::Seconds(2)), kT0);
  // An assigned partition that never delivers stops holding it after idle_timeout.
  wm.Assign("t/2", now + absl::Seconds(3));
  wm.Observe("t/1", kT0 + absl::Hours(1), now + absl::Seconds(40));
  wm.Observe("t/0", kT0 + absl::Hours(6), now + absl::Seconds(40));
  EXPECT_EQ(wm.Current(now + absl::Seconds(40)), kT0 + absl::Hours(1));
}

// What is committed and restored after a restart: a partition that never
// delivered is not kept (restored as "delivered long ago" it would pin the
// watermark to the infinite past until idle_timeout, and no timer would fire).
TEST(WatermarkTrackerTest, OnlyPartitionsThatDeliveredAreKeptAcrossARestart) {
  WatermarkTracker wm(absl::Hours(1));
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  wm.Assign("t/0", now);
  wm.Assign("t/1", now);
  wm.Observe("t/1", kT0, now);
  const auto kept = wm.MaxEventTimes();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.at("t/1"), kT0);
  WatermarkTracker restarted(absl::Hours(1));
  for (const auto& [source, t] : kept) restarted.Restore(source, t, now + absl::Seconds(5));
  restarted.RestoreWatermark(kT0);
  // t/0 is assigned again and found empty (the caller forgets it); t/1 goes on.
  restarted.Assign("t/0", now + absl::Seconds(5));
  restarted.Forget("t/0");
  restarted.Observe("t/1", kT0 + absl::Hours(2), now + absl::Seconds(6));
  EXPECT_EQ(restarted.Current(now + absl::Seconds(6)), kT0 + absl::Hours(2));
}

TEST(WatermarkTrackerTest, FreshTaskWaitsForItsPartitionsBeforeFollowingTheClock) {
  WatermarkTracker wm(absl::Seconds(30));
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(wm.Current(now), absl::InfinitePast());
  EXPECT_EQ(wm.Current(now + absl::Seconds(29)), absl::InfinitePast());
  EXPECT_EQ(wm.Current(now + absl::Seconds(31)), now + absl::Seconds(1));
}

TEST(RuleEngineTest, ChildWarningsFoldIntoActiveParent) {
  const std::string rules =
      "rules:\n" + ComplaintRule("F", "{type: sliding, size: 1h}", "{IV: 4}", "", "feeder") +
      ComplaintRule("A", "{type: sliding, size: 1h}", "{IV: 2}", "    fold_into: F\n", "area");
  Harness h(Rules(rules));
  h.Apply(Complaint("1", 0, Region("T0001")));
  h.Apply(Complaint("2", 1 * kMin, Region("T0001")));
  EXPECT_EQ(h.Grade("A", "area:T0001"), "GRADE_IV");  // before the feeder crosses: own warning
  h.Apply(Complaint("3", 2 * kMin, Region("T0002")));
  h.Apply(Complaint("4", 3 * kMin, Region("T0002")));
  // The feeder's 4th complaint raises it; the area warning folds into it and
  // the second area never gets its own.
  EXPECT_EQ(h.Grade("F", "feeder:L370102001"), "GRADE_IV");
  EXPECT_EQ(h.Grade("A", "area:T0001"), "none");
  EXPECT_EQ(h.Grade("A", "area:T0002"), "none");
  h.Apply(Complaint("5", 4 * kMin, Region("T0003")));
  h.Apply(Complaint("6", 5 * kMin, Region("T0003")));
  EXPECT_EQ(h.Grade("A", "area:T0003"), "none");
  const auto active = h.engine().ActiveWarnings();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].rule_id(), "F");
  std::vector<std::string> folded(active[0].folded_keys().begin(), active[0].folded_keys().end());
  EXPECT_EQ(folded, (std::vector<std::string>{"A:area:T0001", "A:area:T0002", "A:area:T0003"}));
  int raised_a = 0;
  for (const auto& l : h.log) raised_a += l.rfind("RAISED A", 0) == 0;
  EXPECT_EQ(raised_a, 1);
}

TEST(RuleEngineTest, FoldingWalksUpTheChain) {
  const std::string rules =
      "rules:\n" + ComplaintRule("S", "{type: sliding, size: 1h}", "{III: 6}", "", "station") +
      ComplaintRule("F", "{type: sliding, size: 1h}", "{IV: 3}", "    fold_into: S\n", "feeder") +
      ComplaintRule("A", "{type: sliding, size: 1h}", "{IV: 2}", "    fold_into: F\n", "area");
  Harness h(Rules(rules));
  // Feeder 1: area warnings fold into the feeder warning.
  for (int i = 0; i < 3; ++i) {
    h.Apply(Complaint("a" + std::to_string(i), i * kMin, Region("T0001", "L370102001")));
  }
  EXPECT_EQ(h.Grade("F", "feeder:L370102001"), "GRADE_IV");
  // Feeder 2 crosses the station threshold: the station warning takes
  // everything, including areas whose feeder never had a warning of its own.
  for (int i = 0; i < 3; ++i) {
    h.Apply(Complaint("b" + std::to_string(i), (5 + i) * kMin, Region("T0002", "L370102002")));
  }
  EXPECT_EQ(h.Grade("S", "station:37010201"), "GRADE_III");
  for (int i = 0; i < 2; ++i) {
    h.Apply(Complaint("c" + std::to_string(i), (10 + i) * kMin, Region("T0003", "L370102003")));
  }
  const auto active = h.engine().ActiveWarnings();
  ASSERT_EQ(active.size(), 1u) << active[0].rule_id() << " " << active[0].key();
  EXPECT_EQ(active[0].rule_id(), "S");
}

TEST(RuleEngineTest, FoldedChildLiftsParentGrade) {
  const std::string rules =
      "rules:\n" + ComplaintRule("F", "{type: sliding, size: 1h}", "{IV: 3}", "", "feeder") +
      ComplaintRule("A", "{type: sliding, size: 1h}", "{IV: 2, II: 5}", "    fold_into: F\n",
                    "area");
  Harness h(Rules(rules));
  for (int i = 0; i < 3; ++i) h.Apply(Complaint(std::to_string(i), i * kMin));
  EXPECT_EQ(h.Grade("F", "feeder:L370102001"), "GRADE_IV");
  EXPECT_EQ(h.Grade("A", "area:T0001"), "none");
  for (int i = 3; i < 5; ++i) h.Apply(Complaint(std::to_string(i), i * kMin));
  // The area reached II while folded: the feeder warning carries it.
  EXPECT_EQ(h.Grade("F", "feeder:L370102001"), "GRADE_II");
  EXPECT_EQ(h.Grade("A", "area:T0001"), "none");
  // Folded keys expire like idle ones once their window is empty.
  h.AdvanceTo(5 * kHour);
  EXPECT_EQ(h.engine().key_count(), 0u);
}

TEST(RuleEngineTest, HysteresisAndMinimumDwell) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2, III: 4}",
                                             "    clear: {III: 3}\n    min_dwell: 30m\n")));
  for (int i = 0; i < 4; ++i) h.Apply(Complaint(std::to_string(i), i * kMin));  // 0..3 min
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_III");
  h.Apply(Complaint("4", 40 * kMin));
  // At 61 min two have left: 3 = the clear threshold (below the raise
  // threshold 4): III holds.
  h.AdvanceTo(61 * kMin);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_III");
  // At 62 min, 2 left (< clear 3): down to IV (the 30-min dwell long passed).
  h.AdvanceTo(62 * kMin);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
}

TEST(RuleEngineTest, DwellDelaysDowngrade) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 10m}", "{IV: 1, III: 3}",
                                             "    min_dwell: 30m\n")));
  for (int i = 0; i < 3; ++i) h.Apply(Complaint(std::to_string(i), i * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_III");  // since 2 min
  // One complaint every 9 min: the window holds 1 (grade IV level) from 12 min on.
  for (int i = 1; i <= 3; ++i) h.Apply(Complaint("s" + std::to_string(i), i * 9 * kMin));
  h.AdvanceTo(31 * kMin);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_III");  // held until 2 + 30 min
  h.AdvanceTo(32 * kMin);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
}

TEST(RuleEngineTest, IdleKeysExpire) {
  Harness h(
      Rules("rules:\n" +
            ComplaintRule("R", "{type: sliding, size: 1h, allowed_lateness: 10m}", "{IV: 5}")));
  for (int i = 0; i < 100; ++i) {
    h.Apply(Complaint(std::to_string(i), i * 20'000, Region("T" + std::to_string(1000 + i))));
  }
  EXPECT_EQ(h.engine().key_count(), 100u);
  h.AdvanceTo(kHour);
  EXPECT_EQ(h.engine().key_count(), 100u);
  h.AdvanceTo(34 * kMin + kHour + 10 * kMin);
  EXPECT_EQ(h.engine().key_count(), 0u);
  // Deleted keys are persisted as deletions.
  int deletes = 0;
  for (const auto& c : h.engine().TakeDirty()) deletes += !c.value.has_value();
  EXPECT_EQ(deletes, 100);
}

TEST(RuleEngineTest, EventAfterExpiryDueCountsWhetherOrNotTheWatermarkFiredIt) {
  const std::string yaml =
      "rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h, allowed_lateness: 0s}", "{IV: 2}");
  std::vector<std::string> logs[2];
  for (int run = 0; run < 2; ++run) {
    Harness h(Rules(yaml));
    h.Apply(Complaint("1", 0));
    if (run == 1) h.AdvanceTo(3 * kHour);  // the expiry fires on the watermark first
    EngineOutput out;
    v1::Envelope e2 = Complaint("2", 3 * kHour + kMin);
    h.engine().Apply(e2, &out);  // run 0: the expiry fires lazily, before this event
    h.Apply(Complaint("3", 3 * kHour + 2 * kMin));
    EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV") << "run " << run;
    logs[run] = h.log;
  }
  EXPECT_EQ(logs[0], logs[1]);
}

std::vector<std::string> Serialized(const EngineOutput& out) {
  std::vector<std::string> v;
  for (const auto& we : out.events) v.push_back(we.SerializeAsString());
  return v;
}

TEST(RuleEngineTest, RestoredStateContinuesIdentically) {
  const std::string yaml =
      "rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2, III: 4}") +
      ComplaintRule("F", "{type: tumbling, size: 15m}", "{IV: 3}", "", "feeder");
  std::vector<v1::Envelope> events;
  for (int i = 0; i < 60; ++i) {
    events.push_back(
        Complaint(std::to_string(i), i * 7 * kMin, Region("T000" + std::to_string(i % 3))));
  }
  auto set = Rules(yaml);
  std::vector<std::string> uninterrupted;
  {
    Harness h(set);
    for (const auto& e : events) {
      auto s = Serialized(h.Apply(e));
      uninterrupted.insert(uninterrupted.end(), s.begin(), s.end());
    }
  }
  std::vector<std::string> resumed;
  std::vector<StateChange> saved;
  {
    Harness h(set);
    for (size_t i = 0; i < 30; ++i) {
      auto s = Serialized(h.Apply(events[i]));
      resumed.insert(resumed.end(), s.begin(), s.end());
    }
    saved = h.engine().TakeDirty();
  }
  Harness h(set);
  for (const auto& c : saved) {
    if (c.value) {
      EXPECT_TRUE(h.engine().Restore(c)) << c.rule_id << " " << c.key;
    }
  }
  for (size_t i = 30; i < events.size(); ++i) {
    auto s = Serialized(h.Apply(events[i]));
    resumed.insert(resumed.end(), s.begin(), s.end());
  }
  EXPECT_FALSE(uninterrupted.empty());
  EXPECT_EQ(resumed, uninterrupted);
}

TEST(RuleEngineTest, ReloadKeepsWindowsAndAppliesNewThresholdToThem) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 5}")));
  for (int i = 0; i < 4; ++i) h.Apply(Complaint(std::to_string(i), i * kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "none");
  EngineOutput out;
  ReloadReport r = h.engine().Reload(
      Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 4}")), &out);
  EXPECT_EQ(r.changed, std::vector<std::string>{"R"});
  ASSERT_EQ(out.events.size(), 1u);  // the 4 complaints already in the window now suffice
  EXPECT_EQ(out.events[0].type(), v1::WarningEvent::RAISED);
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
  // A changed window resets that rule's state (and resolves its warnings).
  EngineOutput out2;
  r = h.engine().Reload(
      Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 2h}", "{IV: 4}")), &out2);
  EXPECT_EQ(r.reset, std::vector<std::string>{"R"});
  ASSERT_EQ(out2.events.size(), 1u);
  EXPECT_EQ(out2.events[0].type(), v1::WarningEvent::RESOLVED);
  EXPECT_EQ(h.engine().key_count(), 0u);
}

TEST(RuleEngineTest, AWarningKeptAcrossAReloadCarriesTheNewRuleVersion) {
  Harness h(Rules("rules:\n" + ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2}")));
  h.Apply(Complaint("0", 0));
  h.Apply(Complaint("1", kMin));
  EXPECT_EQ(h.Grade("R", "area:T0001"), "GRADE_IV");
  std::string v2 = ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2, III: 5}");
  v2.replace(v2.find("version: \"1\""), 12, "version: \"2\"");
  EngineOutput out;
  ReloadReport r = h.engine().Reload(Rules("rules:\n" + v2), &out);
  EXPECT_EQ(r.changed, std::vector<std::string>{"R"});
  EngineOutput next = h.Apply(Complaint("2", 2 * kMin));
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].type(), v1::WarningEvent::UPDATED);
  EXPECT_EQ(next.events[0].warning().rule_version(), "2");
}

TEST(RuleEngineTest, NoOutageGateAndResolutionWhenOutageRegistered) {
  const std::string rule =
      "rules:\n  - id: R12\n    version: \"1\"\n    title: t\n    input:\n      stream: ticket\n"
      "      filter: {kind: [FAULT_REPAIR]}\n    key: area\n"
      "    window: {type: sliding, size: 15m}\n"
      "    condition: {measure: distinct_customers, outage: none}\n    grades: {III: 3}\n"
      "    resolve: {outage_registered: true, below_for: 1h}\n    message: m\n";
  Harness h(Rules(rule));
  auto repair = [](const std::string& id, int64_t at, const std::string& area) {
    v1::Envelope e = Complaint(id, at, Region(area));
    e.mutable_ticket()->set_kind(v1::Ticket::FAULT_REPAIR);
    return e;
  };
  // Area T0001 has an outage open: its calls raise nothing.
  h.Apply(Outage("o1", v1::OutageEvent::STARTED, 0, {"T0001"}));
  for (int i = 0; i < 3; ++i) h.Apply(repair("a" + std::to_string(i), (1 + i) * kMin, "T0001"));
  EXPECT_EQ(h.Grade("R12", "area:T0001"), "none");
  // T0002 has none: three customers calling raise it; the outage record resolves it.
  for (int i = 0; i < 3; ++i) h.Apply(repair("b" + std::to_string(i), (1 + i) * kMin, "T0002"));
  EXPECT_EQ(h.Grade("R12", "area:T0002"), "GRADE_III");
  h.Apply(Outage("o2", v1::OutageEvent::STARTED, 5 * kMin, {"T0002"}));
  EXPECT_EQ(h.Grade("R12", "area:T0002"), "none");
  EXPECT_EQ(h.log.back().rfind("RESOLVED R12 area:T0002", 0), 0u) << h.log.back();
}

TEST(RuleEngineTest, CustomersOutShareUsesReferenceData) {
  const std::string rule =
      "rules:\n  - id: R19\n    version: \"1\"\n    title: t\n    input:\n      stream: outage\n"
      "    key: county\n    condition: {measure: customers_out_share}\n"
      "    grades: {III: \"10%\", II: \"30%\"}\n    resolve: {below_for: 30m}\n    message: m\n";
  Harness h(Rules(rule));
  for (int i = 0; i < 10; ++i) {
    v1::ReferenceRecord rec;
    *rec.mutable_area()->mutable_region() = Region("T000" + std::to_string(i));
    rec.mutable_area()->set_customers(100);
    ASSERT_TRUE(h.ref().Apply(rec).ok());
  }
  h.Apply(Outage("o1", v1::OutageEvent::STARTED, 0, {"T0000"}));
  EXPECT_EQ(h.Grade("R19", "county:370102"), "GRADE_III");  // 100 / 1000
  h.Apply(Outage("o2", v1::OutageEvent::STARTED, kMin, {"T0001", "T0002"}));
  EXPECT_EQ(h.Grade("R19", "county:370102"), "GRADE_II");  // 300 / 1000
  h.Apply(Outage("o2", v1::OutageEvent::RESTORED, 2 * kMin, {"T0001", "T0002"}));
  h.Apply(Outage("o1", v1::OutageEvent::RESTORED, 3 * kMin, {"T0000"}));
  h.AdvanceTo(40 * kMin);
  EXPECT_EQ(h.Grade("R19", "county:370102"), "none");
}

TEST(RuleEngineTest, OpenDurationEscalatesOnTimeAndResolvesOnRestore) {
  const std::string rule =
      "rules:\n  - id: R18\n    version: \"1\"\n    title: t\n    input:\n      stream: outage\n"
      "      filter: {phase: [STARTED]}\n    key: outage\n"
      "    condition: {measure: open_duration}\n    grades: {IV: 3h, III: 8h}\n"
      "    resolve: {outage_phase: [RESTORED]}\n    message: \"{value}\"\n";
  Harness h(Rules(rule));
  h.Apply(Outage("o1", v1::OutageEvent::STARTED, 0, {"T0001"}));
  h.AdvanceTo(2 * kHour);
  EXPECT_EQ(h.Grade("R18", "outage:o1"), "none");
  h.AdvanceTo(3 * kHour);
  EXPECT_EQ(h.Grade("R18", "outage:o1"), "GRADE_IV");
  h.AdvanceTo(9 * kHour);
  EXPECT_EQ(h.Grade("R18", "outage:o1"), "GRADE_III");
  h.Apply(Outage("o1", v1::OutageEvent::RESTORED, 9 * kHour + kMin, {"T0001"}));
  EXPECT_EQ(h.Grade("R18", "outage:o1"), "none");
}

TEST(RuleEngineTest, RateAgainstBaseline) {
  const std::string rule =
      "rules:\n  - id: R20\n    version: \"1\"\n    title: t\n    input:\n      stream: ticket\n"
      "    key: city\n    window: {type: tumbling, size: 5m}\n"
      "    condition: {measure: rate_vs_baseline, baseline: {history_days: 3, "
      "min_history_days: 2, min_baseline: 1}}\n"
      "    grades: {IV: 3, III: 5}\n    update_on_evidence: false\n"
      "    resolve: {below_for: 30m}\n    message: m\n";
  Harness h(Rules(rule));
  int n = 0;
  // Three days with 2 calls in the 10:00 slot: baseline 2.
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 2; ++i) {
      h.Apply(Complaint(std::to_string(n++), d * 24 * kHour + 10 * kHour + i * kMin));
    }
  }
  for (int i = 0; i < 5; ++i)
    h.Apply(Complaint(std::to_string(n++), 3 * 24 * kHour + 10 * kHour + i * kMin));
  EXPECT_EQ(h.Grade("R20", "city:370100"), "none");  // 5 / 2 = 2.5
  h.Apply(Complaint(std::to_string(n++), 3 * 24 * kHour + 10 * kHour + 4 * kMin));
  EXPECT_EQ(h.Grade("R20", "city:370100"), "GRADE_IV");  // 6 / 2 = 3
  for (int i = 0; i < 4; ++i)
    h.Apply(Complaint(std::to_string(n++), 3 * 24 * kHour + 10 * kHour + 4 * kMin));
  EXPECT_EQ(h.Grade("R20", "city:370100"), "GRADE_III");  // 10 / 2
}

TEST(RuleEngineTest, SameInputSameBytes) {
  const std::string yaml = "rules:\n" +
                           ComplaintRule("R", "{type: sliding, size: 1h}", "{IV: 2, III: 4}") +
                           ComplaintRule("F", "{type: session, gap: 20m}", "{IV: 3}", "", "feeder");
  std::vector<std::string> runs[2];
  for (auto& run : runs) {
    Harness h(Rules(yaml));
    for (int i = 0; i < 200; ++i) {
      auto s = Serialized(h.Apply(Complaint(std::to_string(i), (i * 37 % 400) * kMin,
                                            Region("T000" + std::to_string(i % 4)))));
      run.insert(run.end(), s.begin(), s.end());
    }
    auto s = Serialized(h.AdvanceTo(48 * kHour));
    run.insert(run.end(), s.begin(), s.end());
  }
  EXPECT_FALSE(runs[0].empty());
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
}  // namespace vigil::engine
