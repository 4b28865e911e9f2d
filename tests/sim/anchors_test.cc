// Each preset reproduces its anchor (docs/domain 95598.md §3.2–3.5), measured
// from the generated events or the run's call bins. The measured values are
// printed (and recorded as test properties) for the record.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "processors/ingest/region.h"
#include "tests/sim/sim_test_util.h"
#include "tools/sim/local_time.h"
#include "tools/sim/model.h"
#include "tools/sim/sim_context.h"

namespace vigil::sim {
namespace {

void Report(const std::string& name, double value) {
  ::testing::Test::RecordProperty(name, absl::StrCat(value));
  std::cout << "[anchor] " << name << " = " << value << "\n";
}

std::map<v1::Ticket::Kind, int64_t> AcceptedByKind(const testing::Run& run) {
  std::map<v1::Ticket::Kind, int64_t> n;
  for (const v1::Envelope& e : run.events) {
    if (e.has_ticket() && e.ticket().status() == v1::Ticket::ACCEPTED) ++n[e.ticket().kind()];
  }
  return n;
}

TEST(Anchors, NormalWeekdayFollowsTheIntradayWeightsAndTheTicketMix) {
  // Three weekdays (Wed–Fri), so one large outage burst does not bend the curve.
  const testing::Run run =
      testing::Generate(testing::Options("normal_weekday", 3, 0.5, 0, absl::Hours(72)));
  // Volume: §3.2 0.2 calls per 1,000 customers and day.
  const double per_1000 = 1000.0 * run.result.summary.calls / run.topology.customers() / 3;
  Report("normal_weekday.calls_per_1000_customers", per_1000);
  EXPECT_NEAR(per_1000, 0.2, 0.04);
  // Hourly shape of the accepted tickets against the §3.2 weights.
  std::array<double, 24> hours{};
  double tickets = 0;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_ticket() || e.ticket().status() != v1::Ticket::ACCEPTED) continue;
    hours[testing::LocalHourOf(e)] += 1;
    tickets += 1;
  }
  ASSERT_GT(tickets, 5000);
  Report("normal_weekday.share_09_10", hours[9] / tickets);
  EXPECT_NEAR(hours[9] / tickets, kIntradayWeights[9], 0.012);
  double err = 0, night = 0;
  for (int h = 0; h < 24; ++h) {
    err += std::abs(hours[h] / tickets - kIntradayWeights[h]);
    if (h < 6) night += hours[h] / tickets;
  }
  Report("normal_weekday.hourly_total_abs_error", err);
  EXPECT_LT(err, 0.2);  // sum over 24 h of |share - weight| (kinds have own shapes, §3.2)
  EXPECT_NEAR(night, 6 * 0.012, 0.035);
  // Ticket mix (§3.2): repairs 40 %, consultation 30 %, service 12 %, urges 7 %,
  // opinions 5 %, complaints 2.5 %, praise 2 %, reports 0.5 %.
  const auto kinds = AcceptedByKind(run);
  auto share = [&](v1::Ticket::Kind k) { return kinds.count(k) ? kinds.at(k) / tickets : 0.0; };
  const std::vector<std::tuple<v1::Ticket::Kind, double, double>> mix = {
      {v1::Ticket::FAULT_REPAIR, 0.40, 0.05},    {v1::Ticket::CONSULTATION, 0.30, 0.04},
      {v1::Ticket::SERVICE_REQUEST, 0.12, 0.02}, {v1::Ticket::URGE, 0.07, 0.025},
      {v1::Ticket::OPINION, 0.05, 0.012},        {v1::Ticket::COMPLAINT, 0.025, 0.01},
      {v1::Ticket::PRAISE, 0.02, 0.007},         {v1::Ticket::REPORT, 0.005, 0.003}};
  for (const auto& [kind, expected, tolerance] : mix) {
    Report(absl::StrCat("normal_weekday.mix.", v1::Ticket::Kind_Name(kind)), share(kind));
    EXPECT_NEAR(share(kind), expected, tolerance) << v1::Ticket::Kind_Name(kind);
  }
}

TEST(Anchors, ThunderstormPeakIsAboutTwelveTimesTheBaseline) {
  // One large city, so a 5-minute bin holds enough calls to measure a ratio.
  const testing::Run storm =
      testing::Generate(testing::Options("thunderstorm_city", 3, 4.0, 1, absl::Hours(24)));
  const Summary& s = storm.result.summary;
  ASSERT_EQ(s.cities.size(), 1u);
  const Summary::CityCalls& city = s.cities[0];
  // Baseline (definition): the model's expected calls of that city in the
  // same 5-minute slot of a normal day of that date (§3.2 demand + normal
  // outages + re-calls, no storm) — Summary::baseline_at_peak.
  const double ratio = city.peak / city.baseline_at_peak;
  Report("thunderstorm.peak_calls_5min", city.peak);
  Report("thunderstorm.baseline_calls_5min", city.baseline_at_peak);
  Report("thunderstorm.peak_over_baseline", ratio);
  EXPECT_GE(ratio, 10);
  EXPECT_LE(ratio, 14);
  const absl::Time cell = storm.spec.start + absl::Hours(15);
  const absl::Time peak = absl::FromUnixSeconds(city.peak_time);
  EXPECT_GE(peak, cell - absl::Minutes(20));
  EXPECT_LE(peak, cell + absl::Hours(2));
  // The same against a measured baseline: a normal weekday of the same date and
  // topology, mean 5-minute calls over the storm's hours.
  SimOptions normal = testing::Options("normal_weekday", 3, 4.0, 1, absl::Hours(24));
  normal.start = storm.spec.start;
  const testing::Run calm = testing::Generate(normal);
  const int64_t calm_calls =
      testing::CallsBetween(calm, 0, cell - absl::Minutes(20), cell + absl::Hours(2));
  const double measured = calm_calls / 28.0;  // 28 bins of 5 minutes
  Report("thunderstorm.measured_baseline_calls_5min", measured);
  Report("thunderstorm.peak_over_measured_baseline", city.peak / measured);
  EXPECT_GE(city.peak / measured, 9);
  EXPECT_LE(city.peak / measured, 15);
  // §3.3: the storm city's day is x2–3.
  const double day = static_cast<double>(city.calls) / calm.result.summary.cities[0].calls;
  Report("thunderstorm.day_over_normal_day", day);
  EXPECT_GE(day, 1.8);
  EXPECT_LE(day, 3.2);
  // A traffic_surge label for the city.
  int surges = 0;
  for (const Label& l : storm.result.labels) surges += l.kind == "traffic_surge";
  EXPECT_EQ(surges, 1);
}

TEST(Anchors, TyphoonDayTwoIsAboutHalfOfDayOne) {
  const testing::Run run =
      testing::Generate(testing::Options("typhoon_coastal", 1, 0.3, 6, absl::Hours(5 * 24)));
  const Summary& s = run.result.summary;
  ASSERT_EQ(s.focus_cities.size(), 3u);
  const absl::Time d1 = run.spec.start, d2 = d1 + absl::Hours(24), d3 = d2 + absl::Hours(24);
  int64_t all1 = 0, all2 = 0;
  for (size_t i = 0; i < s.focus_cities.size(); ++i) {
    const int city = run.topology.CityIndex(std::stoi(s.focus_cities[i]));
    ASSERT_GE(city, 0);
    const int64_t day1 = testing::CallsBetween(run, city, d1, d2);
    const int64_t day2 = testing::CallsBetween(run, city, d2, d3);
    all1 += day1;
    all2 += day2;
    if (i == 0) {  // the landfall city
      Report("typhoon.landfall_day2_over_day1", static_cast<double>(day2) / day1);
      EXPECT_GE(static_cast<double>(day2) / day1, 0.4);
      EXPECT_LE(static_cast<double>(day2) / day1, 0.6);
      // Day 1 about x9 a normal day (§3.5: x8–10); the baseline is the
      // model's expectation, and a realised normal day runs ~10 % above it
      // (outage bursts, repeat calls), hence the upper bound 11.
      double baseline = 0;
      for (const Summary::CityCalls& c : s.cities) {
        if (c.city_code == s.focus_cities[0]) baseline = c.baseline_calls / 5;
      }
      Report("typhoon.landfall_day1_over_normal", day1 / baseline);
      EXPECT_GE(day1 / baseline, 7.5);
      EXPECT_LE(day1 / baseline, 11);
    }
  }
  Report("typhoon.three_cities_day2_over_day1", static_cast<double>(all2) / all1);
  EXPECT_GE(static_cast<double>(all2) / all1, 0.4);
  EXPECT_LE(static_cast<double>(all2) / all1, 0.6);
  int long_outages = 0;
  for (const Label& l : run.result.labels) {
    long_outages += l.kind == "outage_over_etr" && l.min_grade == v1::GRADE_II;  // > 24 h
  }
  EXPECT_GT(long_outages, 0);
}

TEST(Anchors, SummerHeatRepairsAreTwoAndAHalfTimesANormalDay) {
  const testing::Run heat =
      testing::Generate(testing::Options("summer_heat", 2, 1.0, 0, absl::Hours(24)));
  SimOptions normal = testing::Options("normal_weekday", 2, 1.0, 0, absl::Hours(24));
  normal.start = heat.spec.start;  // same date, same season
  const testing::Run calm = testing::Generate(normal);
  const double ratio = static_cast<double>(AcceptedByKind(heat).at(v1::Ticket::FAULT_REPAIR)) /
                       AcceptedByKind(calm).at(v1::Ticket::FAULT_REPAIR);
  Report("summer_heat.repairs_over_normal", ratio);
  EXPECT_GE(ratio, 2.2);
  EXPECT_LE(ratio, 2.8);
}

TEST(Anchors, PlannedOutageWithoutNoticeMakesAComplaintSpike) {
  const testing::Run run =
      testing::Generate(testing::Options("planned_no_notice", 3, 1.0, 1, absl::Hours(48)));
  const std::string county = run.result.summary.focus_key;  // "<city>/<county>"
  ASSERT_FALSE(county.empty());
  int64_t day1 = 0, day2 = 0, flagged = 0;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_ticket() || e.ticket().kind() != v1::Ticket::COMPLAINT ||
        e.ticket().status() != v1::Ticket::ACCEPTED ||
        !ingest::RegionKey(e.region()).starts_with(county + "/")) {
      continue;
    }
    (e.event_time().seconds() < absl::ToUnixSeconds(run.spec.start + absl::Hours(24)) ? day1
                                                                                      : day2)++;
    for (int tag : e.ticket().tags()) flagged += tag == v1::Ticket::TENDENCY_12398;
  }
  Report("planned_no_notice.county_complaints_day1", day1);
  Report("planned_no_notice.county_complaints_day2", day2);
  Report("planned_no_notice.flagged_12398", flagged);
  EXPECT_GE(day1, 30);
  EXPECT_GE(day1, 5 * std::max<int64_t>(day2, 1));
  EXPECT_GE(flagged, 5);
  std::map<std::string, int> kinds;
  for (const Label& l : run.result.labels) {
    if (l.region_key.starts_with(county)) ++kinds[l.kind];
  }
  EXPECT_GE(kinds["notice_missing"], 5);
  EXPECT_GE(kinds["complaint_cluster"], 1);
  EXPECT_GE(kinds["escalation_12398"], 3);
  // The calls come at the start: the city's 5-minute peak is at 08:30.
  const Summary::CityCalls& city = run.result.summary.cities[0];
  Report("planned_no_notice.peak_over_baseline", city.peak / city.baseline_at_peak);
  EXPECT_EQ(absl::FromUnixSeconds(city.peak_time), run.spec.start + absl::Minutes(8 * 60 + 30));
}

TEST(Anchors, FrequentOutageAreaHasFourOutagesInFiftyDays) {
  const testing::Run run = testing::Generate(
      testing::Options("frequent_outage_taiqu", 1, 0.02, 1, absl::Hours(60 * 24)));
  const std::string area_key = run.result.summary.focus_key;
  const std::string area_id = area_key.substr(area_key.rfind('/') + 1);
  std::vector<int64_t> starts;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_outage() || e.outage().phase() != v1::OutageEvent::STARTED) continue;
    for (const std::string& a : e.outage().area_ids()) {
      if (a == area_id) starts.push_back(e.outage().start_time().seconds());
    }
  }
  ASSERT_GE(starts.size(), 4u);
  Report("frequent_outage.outages_in_area", starts.size());
  Report("frequent_outage.days_first_to_fourth", (starts[3] - starts[0]) / 86400.0);
  EXPECT_LE(starts[3] - starts[0], 50 * 86400);
  std::map<std::string, int> kinds;
  for (const Label& l : run.result.labels) {
    if (l.region_key == area_key) ++kinds[l.kind];
    if (l.kind == "complaint_cluster" && l.region_key == area_key) {
      EXPECT_TRUE(l.key.ends_with("|FREQUENT_OUTAGE")) << l.key;
    }
  }
  EXPECT_GE(kinds["frequent_outage"], 1);
  EXPECT_GE(kinds["complaint_cluster"], 1);
  EXPECT_GE(kinds["escalation_12398"], 1);
}

TEST(Anchors, DispatchBacklogMakesAnOverdueWaveInTheCounty) {
  const testing::Run run =
      testing::Generate(testing::Options("dispatch_backlog", 3, 1.0, 1, absl::Hours(36)));
  const std::string county = run.result.summary.focus_key;
  ASSERT_FALSE(county.empty());
  // Repairs accepted in the stream whose arrival deadline (R01, carried by
  // UNIT_ACCEPTED) fell inside it: did the crew arrive late?
  struct Repair {
    bool in_county = false;
    int64_t deadline = 0;
    int64_t arrived = -1;
  };
  std::map<std::string, Repair> repairs;
  int64_t urges_in = 0, urges_out = 0;
  for (const v1::Envelope& e : run.events) {
    if (!e.has_ticket()) continue;
    const v1::Ticket& t = e.ticket();
    const bool in = ingest::RegionKey(e.region()).starts_with(county + "/");
    if (t.kind() == v1::Ticket::URGE && t.status() == v1::Ticket::ACCEPTED)
      (in ? urges_in : urges_out)++;
    if (t.kind() != v1::Ticket::FAULT_REPAIR) continue;
    if (t.status() == v1::Ticket::ACCEPTED) repairs[t.ticket_id()].in_county = in;
    auto it = repairs.find(t.ticket_id());
    if (it == repairs.end()) continue;
    if (t.status() == v1::Ticket::UNIT_ACCEPTED) it->second.deadline = t.deadline().seconds();
    if (t.status() == v1::Ticket::ARRIVED) it->second.arrived = e.event_time().seconds();
  }
  const int64_t end = absl::ToUnixSeconds(run.spec.end);
  double late_in = 0, all_in = 0, late_out = 0, all_out = 0;
  for (const auto& [id, r] : repairs) {
    if (r.deadline == 0 || r.deadline >= end) continue;
    const bool late = r.arrived < 0 || r.arrived > r.deadline;
    (r.in_county ? all_in : all_out) += 1;
    (r.in_county ? late_in : late_out) += late;
  }
  Report("dispatch_backlog.county_overdue_repairs", late_in);
  Report("dispatch_backlog.county_overdue_share", late_in / all_in);
  Report("dispatch_backlog.elsewhere_overdue_share", late_out / all_out);
  EXPECT_GE(late_in, 20);
  EXPECT_GE(late_in / all_in, 0.25);
  EXPECT_LE(late_out / all_out, 0.12);
  int backlog_labels = 0;
  for (const Label& l : run.result.labels) {
    if (l.kind == "dispatch_backlog") {
      ++backlog_labels;
      EXPECT_EQ(l.region_key, county);
      EXPECT_GE(l.event_ids.size(), 20u);
    }
  }
  EXPECT_EQ(backlog_labels, 1);
  Report("dispatch_backlog.urges_in_county", urges_in);
  EXPECT_GT(urges_in, 0);
}

}  // namespace
}  // namespace vigil::sim
