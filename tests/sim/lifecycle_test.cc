// Ticket lifecycles: every ticket's statuses follow its kind's order with
// plausible times against the §1.2 limits the deadline rules time
// (rules/limits/time_limits.yaml): repairs dispatched and taken within 5 min,
// most crews on site within the area class's arrival limit, power restored
// after arrival; complaints contacted within 24 h; urges name the urged
// ticket; service requests carry a subtype.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "tests/sim/sim_test_util.h"
#include "tools/sim/local_time.h"
#include "tools/sim/model.h"

namespace vigil::sim {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;

void Report(const std::string& name, double value) {
  std::printf("[ lifecycle ] %s = %.4f\n", name.c_str(), value);
}

struct Track {
  v1::Ticket::Kind kind = v1::Ticket::KIND_UNSPECIFIED;
  std::string area;
  std::map<v1::Ticket::Status, int64_t> at;  // status → event time
};

// Tickets accepted in the stream, with the time of each status.
std::map<std::string, Track> Tracks(const testing::Run& run) {
  std::map<std::string, Track> tracks;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_ticket()) continue;
    const v1::Ticket& t = e.ticket();
    if (t.status() == v1::Ticket::ACCEPTED) {
      tracks[t.ticket_id()] = {t.kind(), e.region().area_id(), {}};
    }
    auto it = tracks.find(t.ticket_id());
    if (it != tracks.end()) it->second.at[t.status()] = testing::Seconds(e);
  }
  return tracks;
}

// The share of a normal day's repairs whose crew arrives within the limit.
double ArrivalShare(const testing::Run& run, const std::string& name) {
  std::map<std::string, AreaClass> classes;
  for (uint32_t a = 0; a < run.topology.areas().size(); ++a) {
    classes[run.topology.AreaId(a)] = run.topology.areas()[a].cls;
  }
  const ModelParams p;
  double n = 0, within = 0, dispatched = 0, taken = 0, restored = 0;
  for (const auto& [id, tr] : Tracks(run)) {
    if (tr.kind != v1::Ticket::FAULT_REPAIR) continue;
    const auto& at = tr.at;
    const int64_t accepted = at.at(v1::Ticket::ACCEPTED);
    if (!at.contains(v1::Ticket::ARRIVED)) continue;
    const int cls = static_cast<int>(classes.at(tr.area));
    n += 1;
    within += at.at(v1::Ticket::ARRIVED) - accepted <= absl::ToInt64Seconds(p.arrival_limit[cls]);
    dispatched += at.at(v1::Ticket::DISPATCHED) - accepted <= 5 * kMinute;
    taken += at.at(v1::Ticket::UNIT_ACCEPTED) - at.at(v1::Ticket::DISPATCHED) <= 5 * kMinute;
    if (at.contains(v1::Ticket::RESTORED)) {
      restored += at.at(v1::Ticket::RESTORED) - at.at(v1::Ticket::ARRIVED) <=
                  absl::ToInt64Seconds(p.restore_limit[cls]);
    }
  }
  Report(name + ".repairs_arrived", n);
  Report(name + ".arrival_within_limit", within / n);
  Report(name + ".dispatched_within_5min", dispatched / n);
  Report(name + ".unit_accepted_within_5min", taken / n);
  Report(name + ".restored_within_limit_of_arrived", restored / n);
  EXPECT_GE(dispatched / n, 0.9);
  EXPECT_GE(taken / n, 0.9);
  EXPECT_GE(restored / n, 0.8);
  return within / n;
}

TEST(Lifecycle, StatusesFollowEachKindsOrder) {
  SimOptions o = testing::Options("normal_weekday", 5, 0.3, 0, absl::Hours(24));
  o.warmup = absl::Hours(48);
  const testing::Run run = testing::Generate(o);
  ASSERT_GT(run.events.size(), 5000u);
  std::map<std::string, int> rank;  // ticket → rank of its last status
  std::map<std::string, std::set<v1::Ticket::Status>> seen;
  std::set<std::string> open;  // accepted in the stream, not yet replied
  int urges = 0, linked = 0, urging_open = 0, services = 0, suspended = 0, dissatisfied = 0;
  std::set<std::string> subtypes;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_ticket()) continue;
    const v1::Ticket& t = e.ticket();
    const std::string& id = t.ticket_id();
    const int r = testing::StatusRank(t.kind(), t.status());
    ASSERT_GE(r, 0) << t.ShortDebugString();
    if (auto it = rank.find(id); it != rank.end()) {
      EXPECT_GT(r, it->second) << id << " " << v1::Ticket::Status_Name(t.status());
    }
    rank[id] = r;
    std::set<v1::Ticket::Status>& s = seen[id];
    const bool accepted_here = s.contains(v1::Ticket::ACCEPTED);
    switch (t.status()) {
      case v1::Ticket::ACCEPTED:
        open.insert(id);
        break;
      case v1::Ticket::ARRIVED:  // a crew arrives for a dispatched and taken ticket
        if (accepted_here) {
          EXPECT_TRUE(s.contains(v1::Ticket::UNIT_ACCEPTED)) << id;
        }
        break;
      case v1::Ticket::RESTORED:
        if (accepted_here) {
          EXPECT_TRUE(s.contains(v1::Ticket::ARRIVED)) << id;
        }
        break;
      case v1::Ticket::RESUMED:
        if (accepted_here) {
          EXPECT_TRUE(s.contains(v1::Ticket::SUSPENDED)) << id;
        }
        break;
      case v1::Ticket::SUSPENDED:
        ++suspended;
        break;
      case v1::Ticket::REVISITED_DISSATISFIED:
        ++dissatisfied;
        break;
      case v1::Ticket::REPLIED:
        open.erase(id);
        break;
      default:
        break;
    }
    s.insert(t.status());
    if (t.kind() == v1::Ticket::URGE && t.status() == v1::Ticket::ACCEPTED) {
      ++urges;
      EXPECT_FALSE(t.related_ticket_id().empty()) << id;
      EXPECT_NE(t.related_ticket_id(), id);
      if (seen.contains(t.related_ticket_id())) ++linked;
      if (open.contains(t.related_ticket_id())) ++urging_open;
    }
    if (t.kind() != v1::Ticket::URGE) {
      EXPECT_TRUE(t.related_ticket_id().empty()) << id;
    }
    if (t.kind() == v1::Ticket::SERVICE_REQUEST) {
      ++services;
      EXPECT_FALSE(t.subtype().empty()) << id;
      subtypes.insert(t.subtype());
    } else {
      EXPECT_TRUE(t.subtype().empty()) << id;
    }
  }
  // Tickets accepted in the stream: ARRIVED after ACCEPTED, RESTORED after ARRIVED
  // (the event order above), and repairs reach both unless still open at the end.
  const int64_t end = absl::ToUnixSeconds(run.spec.end);
  int complete = 0, repairs = 0;
  for (const auto& [id, tr] : Tracks(run)) {
    if (tr.kind != v1::Ticket::FAULT_REPAIR) continue;
    const auto& at = tr.at;
    if (at.contains(v1::Ticket::ARRIVED)) {
      EXPECT_GT(at.at(v1::Ticket::ARRIVED), at.at(v1::Ticket::ACCEPTED)) << id;
    }
    if (at.contains(v1::Ticket::RESTORED)) {
      ASSERT_TRUE(at.contains(v1::Ticket::ARRIVED)) << id;
      EXPECT_GT(at.at(v1::Ticket::RESTORED), at.at(v1::Ticket::ARRIVED)) << id;
    }
    if (at.contains(v1::Ticket::CLOSED)) {
      ++repairs;
      // Closed repairs went all the way, or were answered on the call (a
      // planned outage the caller had not been told about).
      complete += at.contains(v1::Ticket::RESTORED);
      if (!at.contains(v1::Ticket::RESTORED)) {
        EXPECT_FALSE(at.contains(v1::Ticket::DISPATCHED)) << id;
        EXPECT_TRUE(at.contains(v1::Ticket::REPLIED)) << id;
      }
    }
    EXPECT_LT(at.at(v1::Ticket::ACCEPTED), end);
  }
  Report("normal_weekday.closed_repairs", repairs);
  Report("normal_weekday.closed_repairs_restored", static_cast<double>(complete) / repairs);
  EXPECT_GE(static_cast<double>(complete) / repairs, 0.9);
  Report("normal_weekday.urges", urges);
  Report("normal_weekday.urges_of_tickets_in_stream", static_cast<double>(linked) / urges);
  EXPECT_GT(urges, 20);
  EXPECT_EQ(urging_open, linked);  // an urge concerns a ticket not yet answered
  EXPECT_GT(services, 100);
  EXPECT_GE(subtypes.size(), 4u);
  EXPECT_GT(suspended + dissatisfied, 0);
}

TEST(Lifecycle, MostRepairsArriveWithinTheLimit) {
  SimOptions o = testing::Options("normal_weekday", 1, 0.3, 0, absl::Hours(24));
  o.warmup = absl::Hours(48);
  const double share = ArrivalShare(testing::Generate(o), "normal_weekday");
  EXPECT_GE(share, 0.80);
  EXPECT_LE(share, 0.98);
}

TEST(Lifecycle, StormRepairsArriveLaterThanOnANormalDay) {
  SimOptions o = testing::Options("thunderstorm_city", 1, 0.5, 1, absl::Hours(24));
  o.warmup = absl::Hours(48);
  SimOptions normal = o;
  normal.preset = "normal_weekday";
  normal.start = *ParseLocalTime("2026-07-22");  // the storm's default day
  const testing::Run storm = testing::Generate(o);
  const double storm_share = ArrivalShare(storm, "thunderstorm_city");
  const double normal_share = ArrivalShare(testing::Generate(normal), "normal_weekday_same_city");
  EXPECT_LT(storm_share, normal_share - 0.05);
}

TEST(Lifecycle, ComplaintsAreContactedAndAnsweredInTime) {
  SimOptions o = testing::Options("normal_weekday", 2, 0.2, 0, absl::Hours(10 * 24));
  o.warmup = absl::Hours(48);
  const testing::Run run = testing::Generate(o);
  const int64_t end = absl::ToUnixSeconds(run.spec.end);
  double n = 0, contacted = 0, replied = 0, answered = 0, revisits = 0, dissatisfied = 0;
  for (const auto& [id, tr] : Tracks(run)) {
    if (tr.kind != v1::Ticket::COMPLAINT) continue;
    const int64_t accepted = tr.at.at(v1::Ticket::ACCEPTED);
    if (accepted + 7 * 24 * kHour > end) continue;  // its whole life lies in the stream
    n += 1;
    const auto contact = tr.at.find(v1::Ticket::CONTACTED);
    contacted += contact != tr.at.end() && contact->second - accepted <= 24 * kHour;
    const auto reply = tr.at.find(v1::Ticket::REPLIED);
    answered += reply != tr.at.end();
    // 4 working days are at most 6 calendar days (weekends), plus a pause.
    const int64_t paused = tr.at.contains(v1::Ticket::RESUMED)
                               ? tr.at.at(v1::Ticket::RESUMED) - tr.at.at(v1::Ticket::SUSPENDED)
                               : 0;
    replied += reply != tr.at.end() && reply->second - accepted - paused <= 6 * 24 * kHour;
    revisits += tr.at.contains(v1::Ticket::REVISITED_SATISFIED) ||
                tr.at.contains(v1::Ticket::REVISITED_DISSATISFIED);
    dissatisfied += tr.at.contains(v1::Ticket::REVISITED_DISSATISFIED);
  }
  Report("complaints.whole_life_in_stream", n);
  Report("complaints.contacted_within_24h", contacted / n);
  Report("complaints.replied_within_6_days", replied / n);
  Report("complaints.dissatisfied_revisits", dissatisfied / revisits);
  ASSERT_GT(n, 50);
  EXPECT_GE(answered / n, 0.97);  // a few late ones are still open a week on
  EXPECT_EQ(revisits, answered);
  EXPECT_GE(contacted / n, 0.9);
  EXPECT_LT(contacted / n, 1.0);
  EXPECT_GE(replied / n, 0.9);
  EXPECT_GT(dissatisfied / revisits, 0.03);
  EXPECT_LT(dissatisfied / revisits, 0.2);
}

}  // namespace
}  // namespace vigil::sim
