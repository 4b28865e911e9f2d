#include "tools/sim/scenario_plan.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/sim/local_time.h"
#include "tools/sim/outage_behaviour.h"

namespace vigil::sim {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

int64_t Hours(double h) { return static_cast<int64_t>(std::llround(h * kHour)); }

int64_t RoundUpQuarter(int64_t t) { return (t + 899) / 900 * 900; }

int64_t Midnight(int64_t t) { return absl::ToUnixSeconds(LocalMidnight(absl::FromUnixSeconds(t))); }

std::vector<uint32_t> FeederAreas(const Topology& t, uint32_t feeder) {
  const Feeder& f = t.feeders()[feeder];
  std::vector<uint32_t> out;
  for (uint32_t a = 0; a < f.areas; ++a) out.push_back(f.first_area + a);
  return out;
}

// A contiguous run of 30–70 % of the feeder's areas.
std::vector<uint32_t> Section(Rng& rng, const Topology& t, uint32_t feeder) {
  const Feeder& f = t.feeders()[feeder];
  const uint32_t n =
      std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(f.areas * rng.Uniform(0.3, 0.7))));
  const uint32_t first = static_cast<uint32_t>(rng.UniformInt(0, f.areas - n));
  std::vector<uint32_t> out;
  for (uint32_t a = 0; a < n; ++a) out.push_back(f.first_area + first + a);
  return out;
}

// Feeders of a city (they are contiguous, like its areas).
std::pair<uint32_t, uint32_t> CityFeeders(const Topology& t, uint32_t city) {
  const City& c = t.cities()[city];
  const uint32_t first = t.areas()[c.first_area].feeder;
  const uint32_t last = t.areas()[c.first_area + c.areas - 1].feeder;
  return {first, last - first + 1};
}

// Largest county of `type` in the city (any type when it has none).
uint32_t LargestCounty(const Topology& t, uint32_t city, CountyType type) {
  const City& c = t.cities()[city];
  int best = -1;
  for (uint32_t i = c.first_county; i < c.first_county + c.counties; ++i) {
    const County& county = t.counties()[i];
    if (county.type != type) continue;
    if (best < 0 || county.customers > t.counties()[best].customers) best = static_cast<int>(i);
  }
  return best >= 0 ? static_cast<uint32_t>(best) : c.first_county + c.counties - 1;
}

uint32_t LargestArea(const Topology& t, const std::vector<uint32_t>& areas) {
  uint32_t best = areas.front();
  for (uint32_t a : areas) {
    if (t.areas()[a].customers > t.areas()[best].customers) best = a;
  }
  return best;
}

// Minutes from t0 to t1 with a per-minute value.
std::vector<double> Minutes(int64_t t0, int64_t t1, const std::function<double(int64_t)>& f) {
  std::vector<double> out;
  for (int64_t t = t0; t < t1; t += kMinute) out.push_back(f(t));
  return out;
}

// Chooses the call factor c for wide-area outages so that their expected
// calls fill at most `peak_share` of the scenario's extra load in any hour
// where the multiplier reaches `min_multiplier`, and at most `total_share` of
// it overall; the rest of the anchor is "rain" load (customer-side faults,
// inquiries). Hourly sums, because the trips' calls come in bursts.
double CallFactor(const std::vector<double>& excess, const std::vector<double>& expected,
                  const std::vector<double>& multiplier, double min_multiplier, double peak_share,
                  double total_share) {
  double worst = 0, sum_x = 0, sum_e = 0;
  for (size_t h = 0; h < excess.size(); h += 60) {
    double x = 0, e = 0, m = 0;
    for (size_t i = h; i < std::min(excess.size(), h + 60); ++i) {
      x += excess[i];
      e += expected[i];
      m = std::max(m, multiplier[i]);
    }
    sum_x += x;
    sum_e += e;
    if (m >= min_multiplier && x > 0) worst = std::max(worst, e / x);
  }
  double c = 1;
  if (worst > 0) c = std::min(c, peak_share / worst);
  if (sum_e > 0) c = std::min(c, total_share * sum_x / sum_e);
  return c;
}

// The "rain" load: the anchor's extra calls minus what the outages are
// expected to bring. With `carry`, minutes where the outages bring more than
// the anchor are paid back from the following minutes (daily totals hold,
// e.g. typhoon days); without it the curve's shape wins (storm peaks).
LoadCurve Filler(uint32_t city, int64_t t0, const std::vector<double>& excess,
                 const std::vector<double>& expected, double c, double repair, double consultation,
                 bool carry) {
  LoadCurve load;
  load.city = city;
  load.t0 = t0;
  load.repair_share = repair;
  load.consultation_share = consultation;
  load.mutual_aid = true;
  double debt = 0;
  for (size_t i = 0; i < excess.size(); ++i) {
    const double surplus = excess[i] - c * expected[i] - (carry ? debt : 0.0);
    load.per_minute.push_back(std::max(0.0, surplus));
    debt = std::max(0.0, -surplus);
  }
  return load;
}

void Thunderstorm(const RunSpec& spec, const Topology& t, const ModelParams& p, const Demand& d,
                  Rng& rng, ScenarioPlan& plan) {
  const int64_t start = absl::ToUnixSeconds(spec.start);
  const int64_t end = absl::ToUnixSeconds(spec.end);
  const uint32_t city = 0;
  plan.focus_cities = {city};
  int64_t cell = Midnight(start) + 15 * kHour;
  if (cell < start + kHour) cell += kDay;
  // The city's call multiplier: ramp to x11 in 40 min, hold 30 min, fall to
  // x4 by 2 h after the cell's start, then decay (day total x2–3, §3.3).
  auto multiplier = [cell](int64_t at) {
    const double rel = static_cast<double>(at - cell) / kMinute;
    if (rel < -20) return 1.0;
    if (rel < 20) return 1.0 + 10.0 * (rel + 20) / 40;
    if (rel < 50) return 11.0;
    if (rel < 120) return 11.0 - 7.0 * (rel - 50) / 70;
    return 1.0 + 3.0 * std::exp(-(rel - 120) / 120);
  };
  const int64_t t0 = cell - 30 * kMinute;
  const int64_t t1 = std::min(end, cell + 10 * kHour);
  if (t1 <= t0) return;
  const std::vector<double> m = Minutes(t0, t1, multiplier);
  const std::vector<double> excess = Minutes(
      t0, t1, [&](int64_t at) { return (multiplier(at) - 1) * d.BaselineRate(city, at) * 60; });

  // Feeder trips: ~5 % of the city's feeders (30–80 at full scale, §3.5).
  const auto [first_feeder, n_feeders] = CityFeeders(t, city);
  const int most = std::max(1, std::min<int>(80, static_cast<int>(n_feeders)));
  const int trips =
      std::clamp(static_cast<int>(std::lround(0.05 * n_feeders)), std::min(3, most), most);
  std::vector<uint32_t> feeders(n_feeders);
  for (uint32_t i = 0; i < n_feeders; ++i) feeders[i] = first_feeder + i;
  std::vector<double> trip_density;
  for (int64_t at = cell - 20 * kMinute; at < cell + 120 * kMinute; at += kMinute) {
    trip_density.push_back(multiplier(at) - 1);
  }
  std::vector<double> expected(m.size(), 0.0);
  for (int i = 0; i < trips; ++i) {
    const size_t pick = static_cast<size_t>(rng.UniformInt(i, n_feeders - 1));
    std::swap(feeders[i], feeders[pick]);
    ScriptedOutage o;
    o.kind = v1::OutageEvent::FAULT;
    o.areas = rng.Bernoulli(0.6) ? Section(rng, t, feeders[i]) : FeederAreas(t, feeders[i]);
    o.start = cell - 20 * kMinute + static_cast<int64_t>(rng.Choose(trip_density)) * kMinute +
              rng.UniformInt(0, 59);
    const double hours = i < 3 ? rng.Uniform(6, 9) : std::clamp(rng.LogNormal(2.5, 0.7), 0.5, 20.0);
    o.restore = o.start + Hours(hours);
    o.etr0 = RoundUpQuarter(o.start + 2 * kHour);  // optimistic in a storm
    o.notified = rng.Bernoulli(0.4);
    o.coverage_permille = o.notified ? static_cast<int>(rng.UniformInt(850, 950)) : 0;
    AddExpectedOutageCalls(t, p, o, t0, &expected);
    plan.outages.push_back(std::move(o));
  }
  const double c = CallFactor(excess, expected, m, 3.0, 0.6, 0.6);
  for (ScriptedOutage& o : plan.outages) o.call_factor = c;
  plan.loads.push_back(Filler(city, t0, excess, expected, c, 0.75, 0.15, /*carry=*/false));
  // Deliberate clusters: complaints about delayed restoration in one area of
  // each of the three long trips, after their ETR passed.
  for (int i = 0; i < 3 && i < trips; ++i) {
    const ScriptedOutage& o = plan.outages[i];
    ClusterInjection cl;
    cl.area = LargestArea(t, o.areas);
    cl.category = v1::Ticket::DELAYED_RESTORATION;
    cl.count = static_cast<int>(rng.UniformInt(3, 5));
    cl.from = o.etr0 + 30 * kMinute;
    cl.to = std::min(o.restore, o.etr0 + 5 * kHour);
    cl.tendency_share = 0.2;
    plan.clusters.push_back(cl);
  }
  plan.surges.push_back({city, cell - 20 * kMinute, cell + 120 * kMinute});
  plan.focus_key = t.CityCode(city);
  plan.notes =
      absl::StrFormat("thunderstorm cell over %d from %s: %d feeder trips, call factor %.3f",
                      t.cities()[city].code, FormatLocal(absl::FromUnixSeconds(cell)), trips, c);
}

void Typhoon(const RunSpec& spec, const Topology& t, const ModelParams& p, const Demand& d,
             Rng& rng, ScenarioPlan& plan) {
  const int64_t start = absl::ToUnixSeconds(spec.start);
  const int64_t end = absl::ToUnixSeconds(spec.end);
  const int64_t day0 = Midnight(start);
  std::vector<uint32_t> cities;
  for (uint32_t c = 0; c < t.cities().size() && cities.size() < 3; ++c) {
    if (t.cities()[c].coastal) cities.push_back(c);
  }
  for (uint32_t c = 0; c < t.cities().size() && cities.size() < 3; ++c) {
    if (std::find(cities.begin(), cities.end(), c) == cities.end()) cities.push_back(c);
  }
  plan.focus_cities = cities;
  if (!cities.empty()) plan.focus_key = t.CityCode(cities.front());
  static constexpr double kLandfall[] = {9, 4.5, 2.25, 1.5, 1.1};
  static constexpr double kNeighbour[] = {3.5, 1.75, 1.3, 1.1, 1.0};
  std::string notes = "typhoon:";
  for (size_t ci = 0; ci < cities.size(); ++ci) {
    const uint32_t city = cities[ci];
    const double* days = ci == 0 ? kLandfall : kNeighbour;
    auto multiplier = [&](int64_t at) {
      const int64_t day = (at - day0) / kDay;
      return day >= 0 && day < 5 ? days[day] : 1.0;
    };
    const std::vector<double> m = Minutes(start, end, multiplier);
    const std::vector<double> excess = Minutes(start, end, [&](int64_t at) {
      return (multiplier(at) - 1) * d.BaselineRate(city, at) * 60;
    });
    // 20 % (landfall) / 10 % of the customers lose power on day 1 (§3.5: 10–30 %).
    const double target = (ci == 0 ? 0.2 : 0.1) * static_cast<double>(t.cities()[city].customers);
    const auto [first_feeder, n_feeders] = CityFeeders(t, city);
    std::vector<uint32_t> feeders(n_feeders);
    for (uint32_t i = 0; i < n_feeders; ++i) feeders[i] = first_feeder + i;
    std::vector<double> expected(m.size(), 0.0);
    const size_t first_outage = plan.outages.size();
    double out = 0;
    for (uint32_t i = 0; i < n_feeders && out < target; ++i) {
      const size_t pick = static_cast<size_t>(rng.UniformInt(i, n_feeders - 1));
      std::swap(feeders[i], feeders[pick]);
      ScriptedOutage o;
      o.kind = v1::OutageEvent::FAULT;
      o.areas = rng.Bernoulli(0.7) ? FeederAreas(t, feeders[i]) : Section(rng, t, feeders[i]);
      // Trips between 06:00 and 22:00 of day 1, most around landfall at 14:00.
      const double u = rng.Uniform();
      const double h = u < 0.5 ? 6 + std::sqrt(u * 2) * 8 : 22 - std::sqrt((1 - u) * 2) * 8;
      o.start = day0 + Hours(h);
      const double v = rng.Uniform();
      const double hours = v < 0.05   ? rng.Uniform(24, 60)  // long outages > 24 h (§3.5: 5 %)
                           : v < 0.45 ? rng.LogNormal(14, 0.4)
                                      : rng.LogNormal(6, 0.5);
      o.restore = o.start + Hours(hours);
      o.etr0 = RoundUpQuarter(o.start + Hours(std::clamp(rng.LogNormal(5, 0.4), 2.0, 12.0)));
      o.notified = false;
      for (uint32_t a : o.areas) out += t.areas()[a].customers;
      AddExpectedOutageCalls(t, p, o, start, &expected);
      plan.outages.push_back(std::move(o));
    }
    const double c = CallFactor(excess, expected, m, 2.0, 0.8, 0.5);
    for (size_t i = first_outage; i < plan.outages.size(); ++i) plan.outages[i].call_factor = c;
    plan.loads.push_back(Filler(city, start, excess, expected, c, 0.7, 0.2, /*carry=*/true));
    int surge_days = 0;
    while (surge_days < 5 && days[surge_days] >= 3) ++surge_days;
    if (surge_days > 0) plan.surges.push_back({city, day0, day0 + surge_days * kDay});
    absl::StrAppendFormat(&notes, " %d (%s, %zu feeder outages, %.0f%% out, call factor %.3f)",
                          t.cities()[city].code, ci == 0 ? "landfall" : "neighbour",
                          plan.outages.size() - first_outage,
                          100 * out / static_cast<double>(t.cities()[city].customers), c);
  }
  plan.notes = notes;
}

void SummerHeat(const RunSpec& spec, const Topology& t, const ModelParams& p, const Demand& d,
                Rng& rng, ScenarioPlan& plan) {
  plan.adjust.repair_evening = 1.5;
  plan.lv_fault_multiplier = 4;
  // Repairs x2.5 in total: the background is raised so that, with the LV
  // overload faults x4, the day's repair tickets are 2.5 x a normal day's.
  double lv = 0;
  for (uint32_t a = 0; a < t.areas().size(); ++a) {
    const Area& area = t.areas()[a];
    lv += p.fault_origins_per_area_year[static_cast<int>(area.cls)] * area.proneness / 365.0 *
          p.scope_single_area * area.customers;
  }
  const double fault_p =
      p.fault_sms_share * p.p_call_fault_sms + (1 - p.fault_sms_share) * p.p_call_fault_unnotified;
  lv = lv / std::max<double>(1, static_cast<double>(t.customers())) * fault_p * 0.93 *
       p.ticket_per_outage_call;
  const double bg = d.daily(CallKind::kRepair);
  const double outage = d.outages().repair_tickets;
  plan.adjust.repair = std::max(1.0, (2.5 * (bg + outage) - outage - 3 * lv) / bg);
  // Low-voltage complaints in two urban areas in the evening.
  const int64_t day0 = Midnight(absl::ToUnixSeconds(spec.start));
  for (int i = 0; i < 2; ++i) {
    uint32_t area = t.SampleAreaInCity(rng, 0);
    for (int tries = 0; tries < 50 && t.areas()[area].cls != AreaClass::kUrban; ++tries) {
      area = t.SampleAreaInCity(rng, 0);
    }
    ClusterInjection cl;
    cl.area = area;
    cl.category = v1::Ticket::LOW_VOLTAGE;
    cl.count = static_cast<int>(rng.UniformInt(3, 4));
    cl.from = day0 + 19 * kHour;
    cl.to = day0 + 23 * kHour;
    plan.clusters.push_back(cl);
  }
  plan.focus_cities = {0};
  plan.notes = absl::StrFormat("summer heat: background repairs x%.2f, LV faults x4, evening x1.5",
                               plan.adjust.repair);
}

void PlannedNoNotice(const RunSpec& spec, const Topology& t, Rng& rng, ScenarioPlan& plan) {
  const int64_t start = absl::ToUnixSeconds(spec.start);
  int64_t day = Midnight(start);
  if (day + Hours(8.5) < start) day += kDay;
  const uint32_t county = LargestCounty(t, 0, CountyType::kCounty);
  const County& c = t.counties()[county];
  std::vector<uint32_t> feeders;
  for (uint32_t s = c.first_station; s < c.first_station + c.stations; ++s) {
    const Station& st = t.stations()[s];
    for (uint32_t f = st.first_feeder; f < st.first_feeder + st.feeders; ++f) feeders.push_back(f);
  }
  const size_t n = std::min<size_t>(5, feeders.size());
  for (size_t i = 0; i < n; ++i) {
    std::swap(feeders[i], feeders[static_cast<size_t>(rng.UniformInt(
                              static_cast<int64_t>(i), static_cast<int64_t>(feeders.size()) - 1))]);
    ScriptedOutage o;
    o.kind = v1::OutageEvent::PLANNED;
    o.areas = FeederAreas(t, feeders[i]);
    o.start = day + Hours(8.5);
    o.etr0 = day + Hours(16.5);
    o.restore = i == n - 1 ? day + Hours(19.5) : o.etr0 - rng.UniformInt(0, 20 * kMinute);
    o.coverage_permille = 0;
    o.notified = false;
    o.complaint_factor = 5;  // §3.3 x4 for no notice, and this is the scenario's point
    o.tendency_share = 0.25;
    o.complaint_category = v1::Ticket::OTHER;
    plan.outages.push_back(std::move(o));
  }
  plan.surges.push_back({0, day + Hours(8.5), day + Hours(10)});
  plan.focus_cities = {0};
  plan.focus_key = t.CountyKey(county);
  plan.notes = absl::StrFormat("planned outage without notice on %zu feeders of county %d from %s",
                               n, c.code, FormatLocal(absl::FromUnixSeconds(day + Hours(8.5))));
}

void FrequentOutage(const RunSpec& spec, const Topology& t, ScenarioPlan& plan) {
  const int64_t day0 = Midnight(absl::ToUnixSeconds(spec.start));
  const uint32_t county = LargestCounty(t, 0, CountyType::kCounty);
  const County& c = t.counties()[county];
  std::vector<uint32_t> rural;
  for (uint32_t a = c.first_area; a < c.first_area + c.areas; ++a) {
    if (t.areas()[a].cls != AreaClass::kUrban) rural.push_back(a);
  }
  if (rural.empty()) rural.push_back(c.first_area);
  const uint32_t area = LargestArea(t, rural);
  plan.focus_area = static_cast<int>(area);
  plan.focus_cities = {0};
  plan.focus_key = t.AreaKey(area);
  static constexpr double kStartDays[] = {2 + 10.0 / 24, 16 + 19.5 / 24, 30 + 14.0 / 24,
                                          44 + 20.25 / 24};
  static constexpr double kHours[] = {2, 3.5, 2.5, 5};
  for (int i = 0; i < 4; ++i) {
    ScriptedOutage o;
    o.kind = v1::OutageEvent::FAULT;
    o.areas = {area};
    o.start = day0 + Hours(kStartDays[i] * 24);
    o.restore = o.start + Hours(kHours[i]);
    o.etr0 = o.start + 2 * kHour;
    o.notified = i < 2;
    o.coverage_permille = o.notified ? 950 : 0;
    if (i >= 2) {
      o.complaint_category = v1::Ticket::FREQUENT_OUTAGE;
      o.tendency_share = 0.3;
    }
    if (i == 2)
      plan.clusters.push_back(
          {area, v1::Ticket::FREQUENT_OUTAGE, 2, o.restore, o.restore + 6 * kHour, 0});
    if (i == 3)
      plan.clusters.push_back({area, v1::Ticket::FREQUENT_OUTAGE, 4, o.restore + 10 * kMinute,
                               o.restore + 8 * kHour, 0.5});
    plan.outages.push_back(std::move(o));
  }
  plan.notes =
      absl::StrCat("frequent outages: 4 in area ", t.AreaKey(area), " (days 3, 17, 31, 45)");
}

void DispatchBacklog(const RunSpec& spec, const Topology& t, const Demand& d, ScenarioPlan& plan) {
  const int64_t start = absl::ToUnixSeconds(spec.start);
  const int64_t end = absl::ToUnixSeconds(spec.end);
  const uint32_t county = LargestCounty(t, 0, CountyType::kCounty);
  plan.backlog_county = static_cast<int>(county);
  plan.backlog_from = Midnight(start) + 6 * kHour;
  if (plan.backlog_from < start) plan.backlog_from = start;
  plan.backlog_crew_factor = 0.5;
  plan.boost_county = static_cast<int>(county);
  plan.boost_factor = 3;
  LoadCurve load;
  load.city = t.counties()[county].city;
  load.county = static_cast<int>(county);
  load.t0 = start;
  load.repair_share = 1;
  load.mutual_aid = false;
  load.per_minute = Minutes(start, end, [&](int64_t at) {
    return (plan.boost_factor - 1) * d.CountyRate(county, CallKind::kRepair, at, plan.adjust) * 60;
  });
  plan.loads.push_back(std::move(load));
  plan.focus_cities = {t.counties()[county].city};
  plan.focus_key = t.CountyKey(county);
  plan.notes = absl::StrFormat(
      "dispatch backlog in county %d: crews x0.5 from %s, repairs and faults x3",
      t.counties()[county].code, FormatLocal(absl::FromUnixSeconds(plan.backlog_from)));
}

}  // namespace

void AddExpectedOutageCalls(const Topology& t, const ModelParams& p, const ScriptedOutage& o,
                            int64_t t0, std::vector<double>* per_minute) {
  double customers = 0;
  for (uint32_t a : o.areas) customers += t.areas()[a].customers;
  const double calls = customers * CallProbability(p, o.kind, o.notified) * o.call_factor;
  const double mean = CallDelayMeanSeconds(p, o.kind, o.notified);
  auto cdf = [mean](double s) { return s <= 0 ? 0.0 : 1.0 - std::exp(-s / mean); };
  const int64_t n = static_cast<int64_t>(per_minute->size());
  for (int64_t i = std::max<int64_t>(0, (o.start - t0) / kMinute); i < n; ++i) {
    const int64_t a = std::max(t0 + i * kMinute, o.start);
    const int64_t b = std::min(t0 + (i + 1) * kMinute, o.restore);
    if (a >= o.restore) break;
    if (b > a) (*per_minute)[i] += calls * (cdf(double(b - o.start)) - cdf(double(a - o.start)));
  }
  const auto updates = EtrUpdates(o.start, o.restore, o.etr0);
  for (int64_t pass : EtrPasses(o.restore, o.etr0, updates)) {
    const double mass =
        calls * cdf(double(pass - o.start)) * p.ticket_per_outage_call * p.recall_on_etr_pass;
    for (int64_t k = 0; k < 40; ++k) {
      const int64_t at = pass + k * kMinute;
      if (at >= o.restore) break;
      const int64_t i = (at - t0) / kMinute;
      if (i < 0 || i >= n) continue;
      (*per_minute)[i] += mass * (std::exp(-double(k) / 10) - std::exp(-double(k + 1) / 10));
    }
  }
}

ScenarioPlan BuildPlan(const RunSpec& spec, const Topology& t, const ModelParams& p,
                       const Demand& d) {
  ScenarioPlan plan;
  plan.preset = spec.preset;
  if (spec.tmax_celsius) {
    plan.adjust.has_temperature = true;
    plan.adjust.tmax_celsius = *spec.tmax_celsius;
  }
  Rng rng = Rng::Stream(spec.seed, "plan");
  if (spec.preset == "thunderstorm_city") {
    Thunderstorm(spec, t, p, d, rng, plan);
  } else if (spec.preset == "typhoon_coastal") {
    Typhoon(spec, t, p, d, rng, plan);
  } else if (spec.preset == "summer_heat") {
    SummerHeat(spec, t, p, d, rng, plan);
  } else if (spec.preset == "planned_no_notice") {
    PlannedNoNotice(spec, t, rng, plan);
  } else if (spec.preset == "frequent_outage_taiqu") {
    FrequentOutage(spec, t, plan);
  } else if (spec.preset == "dispatch_backlog") {
    DispatchBacklog(spec, t, d, plan);
  } else {
    plan.focus_cities = {0};
    plan.notes = "normal day";
  }
  return plan;
}

}  // namespace vigil::sim
