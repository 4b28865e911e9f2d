#include "tools/sim/outages.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tools/sim/local_time.h"
#include "tools/sim/outage_behaviour.h"

namespace vigil::sim {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr int64_t kFrequentWindow = 60 * kDay;  // §1.3: 3 outages within 2 months
constexpr int kMaxImportantIds = 50;

int64_t Secs(double s) { return static_cast<int64_t>(std::llround(s)); }
int64_t RoundUpQuarter(int64_t t) { return (t + 899) / 900 * 900; }

}  // namespace

struct OutageProcess::Outage {
  std::string id;
  v1::OutageEvent::Kind kind = v1::OutageEvent::FAULT;
  std::vector<uint32_t> areas;
  std::vector<uint32_t> feeders;
  int64_t start = 0;
  int64_t crew_arrival = 0;  // faults: the first crew on site
  int64_t restore = 0;
  int64_t etr0 = 0;
  int coverage = 0;
  bool notified = false;
  double call_factor = 1;
  double complaint_factor = 1;
  double tendency_share = -1;
  v1::Ticket::Category complaint_category = v1::Ticket::CATEGORY_UNSPECIFIED;
  uint32_t customers = 0;
  std::vector<std::string> important_ids;
  v1::Region region;
  std::vector<EtrUpdate> updates;
  std::shared_ptr<OutageTimeline> timeline;
};

OutageProcess::OutageProcess(SimContext& ctx, TicketDesk& desk) : ctx_(ctx), desk_(desk) {
  const ModelParams& p = ctx.params;
  double f = 0, pl = 0;
  for (const Area& a : ctx.topology.areas()) {
    const int cls = static_cast<int>(a.cls);
    f += p.fault_origins_per_area_year[cls] * a.proneness / 365.0;
    pl += p.planned_origins_per_area_year[cls] / 365.0;
    fault_cum_.push_back(f);
    planned_cum_.push_back(pl);
  }
}

double OutageProcess::FaultOriginsPerDay(uint32_t first, uint32_t count) const {
  if (count == 0) return 0;
  return fault_cum_[first + count - 1] - (first == 0 ? 0.0 : fault_cum_[first - 1]);
}

uint32_t OutageProcess::SampleOrigin(Rng& rng, const std::vector<double>& cum, uint32_t first,
                                     uint32_t count) const {
  const double lo = first == 0 ? 0.0 : cum[first - 1];
  const double u = lo + rng.Uniform() * (cum[first + count - 1] - lo);
  const auto begin = cum.begin() + first;
  const auto it = std::upper_bound(begin, begin + count, u);
  return std::min(first + count - 1, static_cast<uint32_t>(it - cum.begin()));
}

std::vector<uint32_t> OutageProcess::Scope(Rng& rng, uint32_t origin, double single,
                                           double section) const {
  const Topology& t = ctx_.topology;
  const Feeder& f = t.feeders()[t.areas()[origin].feeder];
  const double u = rng.Uniform();
  if (u < single || f.areas == 1) return {origin};
  if (u < single + section) {
    // A contiguous run of 30–70 % of the feeder's areas, containing the origin.
    const uint32_t n = std::clamp<uint32_t>(
        static_cast<uint32_t>(std::lround(f.areas * rng.Uniform(0.3, 0.7))), 1, f.areas);
    const uint32_t pos = origin - f.first_area;
    const uint32_t lo = pos + 1 >= n ? pos + 1 - n : 0;
    const uint32_t hi = std::min(pos, f.areas - n);
    const uint32_t first = static_cast<uint32_t>(rng.UniformInt(lo, std::max(lo, hi)));
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < n; ++i) out.push_back(f.first_area + first + i);
    return out;
  }
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < f.areas; ++i) out.push_back(f.first_area + i);
  return out;
}

void OutageProcess::Finish(Outage& o) {
  const Topology& t = ctx_.topology;
  o.id = ctx_.NextOutageId();
  std::set<uint32_t> feeders;
  std::set<uint32_t> stations;
  for (uint32_t a : o.areas) {
    o.customers += t.areas()[a].customers;
    feeders.insert(t.areas()[a].feeder);
    stations.insert(t.StationOfArea(a));
    const Area& area = t.areas()[a];
    for (uint32_t i = 0; i < area.tagged; ++i) {
      const TaggedCustomer& c = t.tagged()[area.first_tagged + i];
      if ((c.tags & kImportant) && o.important_ids.size() < kMaxImportantIds) {
        o.important_ids.push_back(t.CustomerId(a, c.slot));
      }
    }
  }
  o.feeders.assign(feeders.begin(), feeders.end());
  if (o.areas.size() == 1) {
    t.FillAreaRegion(o.areas.front(), &o.region);
  } else {
    t.FillFeederRegion(o.feeders.front(), &o.region);
    if (feeders.size() > 1) o.region.clear_feeder_id();
    if (stations.size() > 1) o.region.clear_station_id();
  }
  o.updates = EtrUpdates(o.start, o.restore, o.etr0);
  o.timeline = std::make_shared<OutageTimeline>();
  o.timeline->outage_id = o.id;
  o.timeline->start = o.start;
  o.timeline->crew_arrival = o.crew_arrival;
  o.timeline->restore = o.restore;
  o.timeline->etr_passes = EtrPasses(o.restore, o.etr0, o.updates);
}

std::unique_ptr<v1::Envelope> OutageProcess::Envelope(const Outage& o, v1::OutageEvent::Phase phase,
                                                      int64_t etr, int coverage) const {
  auto e = std::make_unique<v1::Envelope>();
  *e->mutable_region() = o.region;
  v1::OutageEvent* out = e->mutable_outage();
  out->set_outage_id(o.id);
  out->set_kind(o.kind);
  out->set_phase(phase);
  const Topology& t = ctx_.topology;
  for (uint32_t a : o.areas) out->add_area_ids(t.AreaId(a));
  for (uint32_t f : o.feeders) out->add_feeder_ids(t.FeederId(f));
  out->set_affected_customers(o.customers);
  for (const std::string& id : o.important_ids) out->add_important_customer_ids(id);
  out->mutable_start_time()->set_seconds(o.start);
  out->mutable_estimated_restoration()->set_seconds(std::max(etr, o.start));
  out->set_notice_coverage_permille(static_cast<uint32_t>(std::clamp(coverage, 0, 1000)));
  return e;
}

std::shared_ptr<OutageProcess::Outage> OutageProcess::FromScript(const ScriptedOutage& s) {
  auto o = std::make_shared<Outage>();
  o->kind = s.kind;
  o->areas = s.areas;
  o->start = s.start;
  o->restore = s.restore;
  o->etr0 = s.etr0;
  o->coverage = s.coverage_permille;
  o->notified = s.notified;
  o->call_factor = s.call_factor;
  o->complaint_factor = s.complaint_factor;
  o->tendency_share = s.tendency_share;
  o->complaint_category = s.complaint_category;
  if (o->kind == v1::OutageEvent::FAULT) {
    // Storm and long trips: reinforcement crews, often slower than the
    // commitment (§3.5), on site before the end of the outage.
    const ModelParams& p = ctx_.params;
    const int cls = static_cast<int>(ctx_.topology.areas()[o->areas.front()].cls);
    const double travel =
        ctx_.outage_rng.LogNormal(2 * absl::ToDoubleSeconds(p.travel_median[cls]), 0.6);
    const int64_t span = o->restore - o->start;
    const int64_t lo = std::min<int64_t>(10 * kMinute, span / 2);
    o->crew_arrival = o->start + std::clamp<int64_t>(Secs(travel), lo, std::max(lo, span * 4 / 5));
  }
  Finish(*o);
  return o;
}

void OutageProcess::Notices(const Outage& o, const std::vector<std::pair<int64_t, int>>& rounds) {
  // Notice rounds published before the stream starts are summarised in one
  // NOTICED event at the stream start (the state the stream begins with).
  int before = -1;
  for (const auto& [at, coverage] : rounds) {
    if (at >= ctx_.start) {
      ctx_.Emit(at, Envelope(o, v1::OutageEvent::NOTICED, o.etr0, coverage));
    } else {
      before = coverage;
    }
  }
  if (before >= 0 && o.start >= ctx_.start) {
    ctx_.Emit(ctx_.start, Envelope(o, v1::OutageEvent::NOTICED, o.etr0, before));
  }
}

void OutageProcess::Setup() {
  const Topology& t = ctx_.topology;
  // Planned outages up to 7 days past the end: their notices fall in the stream.
  for (int64_t day = absl::ToUnixSeconds(LocalMidnight(absl::FromUnixSeconds(ctx_.warm_begin)));
       day < ctx_.end + 7 * kDay; day += kDay) {
    for (uint32_t c = 0; c < t.cities().size(); ++c) PlanDay(day, c);
  }
  for (const ScriptedOutage& s : ctx_.plan.outages) {
    if (s.start < ctx_.warm_begin || s.start >= ctx_.end) continue;
    std::shared_ptr<Outage> o = FromScript(s);
    if (o->kind == v1::OutageEvent::PLANNED) {
      Notices(*o, {{o->start - 7 * kDay, o->coverage}, {o->start - kDay, o->coverage}});
    } else if (o->kind == v1::OutageEvent::TEMPORARY) {
      Notices(*o, {{o->start - kDay, o->coverage}});
    }
    ctx_.queue.Schedule(o->start, [this, o](int64_t now) { Launch(now, o); });
  }
  Rng& rng = ctx_.outage_rng;
  for (const ClusterInjection& cl : ctx_.plan.clusters) {
    if (cl.to <= cl.from) continue;
    std::set<uint32_t> slots;
    const uint32_t customers = t.areas()[cl.area].customers;
    while (slots.size() < static_cast<size_t>(std::min<uint32_t>(cl.count, customers))) {
      slots.insert(static_cast<uint32_t>(rng.UniformInt(0, customers - 1)));
    }
    std::vector<int64_t> times;
    for (size_t i = 0; i < slots.size(); ++i) times.push_back(rng.UniformInt(cl.from, cl.to - 1));
    std::sort(times.begin(), times.end());
    size_t i = 0;
    for (uint32_t slot : slots) {
      const bool force = i == 0 && cl.tendency_share > 0;
      const int64_t at = times[i++];
      const uint32_t area = cl.area;
      const auto category = cl.category;
      const double share = cl.tendency_share;
      ctx_.queue.Schedule(at, [this, area, slot, category, share, force](int64_t now) {
        desk_.Complaint(now, area, slot, category, share, force);
      });
    }
  }
}

void OutageProcess::PlanDay(int64_t day, uint32_t city) {
  const Topology& t = ctx_.topology;
  const ModelParams& p = ctx_.params;
  Rng& rng = ctx_.outage_rng;
  const City& c = t.cities()[city];
  const double per_day = planned_cum_[c.first_area + c.areas - 1] -
                         (c.first_area == 0 ? 0.0 : planned_cum_[c.first_area - 1]);
  const bool weekend = IsWeekend(absl::FromUnixSeconds(day + 12 * kHour));
  const int64_t n = rng.Poisson(per_day * (weekend ? p.planned_weekend_factor : 1.0));
  for (int64_t i = 0; i < n; ++i) {
    auto o = std::make_shared<Outage>();
    const uint32_t origin = SampleOrigin(rng, planned_cum_, c.first_area, c.areas);
    o->areas = Scope(rng, origin, p.planned_scope_single_area, p.planned_scope_feeder_section);
    o->kind =
        rng.Bernoulli(p.temporary_share) ? v1::OutageEvent::TEMPORARY : v1::OutageEvent::PLANNED;
    o->start = day + 7 * kHour + rng.UniformInt(0, 4) * 30 * kMinute;
    o->etr0 = o->start + Secs(rng.Uniform(6, 10) * kHour);
    o->restore = rng.Bernoulli(p.planned_overrun_share) ? o->etr0 + Secs(rng.Uniform(1, 3) * kHour)
                                                        : o->etr0 - rng.UniformInt(0, 30 * kMinute);
    const bool no_notice = rng.Bernoulli(p.no_notice_share);
    o->notified = !no_notice;
    int first = 0;
    if (!no_notice) {
      first = static_cast<int>(o->kind == v1::OutageEvent::TEMPORARY ? rng.UniformInt(900, 990)
                                                                     : rng.UniformInt(930, 980));
      o->coverage = std::min(1000, first + static_cast<int>(rng.UniformInt(5, 20)));
    }
    if (o->start < ctx_.warm_begin) continue;
    Finish(*o);
    if (o->kind == v1::OutageEvent::PLANNED) {  // 7 days ahead, and the day-before reminder
      Notices(*o, {{o->start - 7 * kDay, first}, {o->start - kDay, o->coverage}});
    } else {
      Notices(*o, {{o->start - kDay, o->coverage}});
    }
    if (o->start < ctx_.end) {
      ctx_.queue.Schedule(o->start, [this, o](int64_t now) { Launch(now, o); });
    }
  }
}

void OutageProcess::Tick(int64_t t0) {
  const Topology& t = ctx_.topology;
  const ModelParams& p = ctx_.params;
  const ScenarioPlan& plan = ctx_.plan;
  Rng& rng = ctx_.outage_rng;
  const absl::Time at = absl::FromUnixSeconds(t0);
  const double factor = kRepairSeason[LocalMonth(at) - 1] * FaultDiurnal(LocalHour(at)) * 24 *
                        static_cast<double>(kBinSeconds) / kDay;
  for (uint32_t c = 0; c < t.cities().size(); ++c) {
    const City& city = t.cities()[c];
    const double lambda = FaultOriginsPerDay(city.first_area, city.areas) * factor;
    for (int64_t n = rng.Poisson(lambda); n > 0; --n) {
      const uint32_t origin = SampleOrigin(rng, fault_cum_, city.first_area, city.areas);
      const int64_t when = t0 + rng.UniformInt(0, kBinSeconds - 1);
      ctx_.queue.Schedule(when, [this, origin](int64_t now) { Fault(now, origin, false); });
    }
    if (plan.lv_fault_multiplier > 1) {  // LV area overload faults (summer heat)
      const double extra = lambda * p.scope_single_area * (plan.lv_fault_multiplier - 1);
      for (int64_t n = rng.Poisson(extra); n > 0; --n) {
        const uint32_t origin = SampleOrigin(rng, fault_cum_, city.first_area, city.areas);
        const int64_t when = t0 + rng.UniformInt(0, kBinSeconds - 1);
        ctx_.queue.Schedule(when, [this, origin](int64_t now) { Fault(now, origin, true); });
      }
    }
  }
  if (plan.boost_county >= 0 && t0 >= ctx_.start) {
    const County& county = t.counties()[plan.boost_county];
    const double extra =
        FaultOriginsPerDay(county.first_area, county.areas) * factor * (plan.boost_factor - 1);
    for (int64_t n = rng.Poisson(extra); n > 0; --n) {
      const uint32_t origin = SampleOrigin(rng, fault_cum_, county.first_area, county.areas);
      const int64_t when = t0 + rng.UniformInt(0, kBinSeconds - 1);
      ctx_.queue.Schedule(when, [this, origin](int64_t now) { Fault(now, origin, false); });
    }
  }
}

void OutageProcess::Fault(int64_t now, uint32_t origin, bool single_area) {
  const Topology& t = ctx_.topology;
  const ModelParams& p = ctx_.params;
  Rng& rng = ctx_.outage_rng;
  auto o = std::make_shared<Outage>();
  o->kind = v1::OutageEvent::FAULT;
  o->areas = single_area ? std::vector<uint32_t>{origin}
                         : Scope(rng, origin, p.scope_single_area, p.scope_feeder_section);
  o->start = now;
  const int cls = static_cast<int>(t.areas()[origin].cls);
  const double total =
      std::clamp(rng.LogNormal(absl::ToDoubleSeconds(p.fault_median), p.fault_sigma),
                 15.0 * kMinute, 48.0 * kHour);
  const int64_t travel = Secs(rng.LogNormal(absl::ToDoubleSeconds(p.travel_median[cls]), 0.35));
  const int64_t work = std::max<int64_t>(10 * kMinute, Secs(total) - travel);
  const int64_t ready = now + rng.UniformInt(3 * kMinute, 10 * kMinute);
  o->crew_arrival = ctx_.crews.Assign(t.CountyOfArea(origin), ready, travel, work);
  o->restore = o->crew_arrival + work;
  const double estimate =
      static_cast<double>(o->restore - now) * p.etr_padding * rng.LogNormal(1.0, p.etr_sigma);
  o->etr0 = RoundUpQuarter(now + std::max<int64_t>(30 * kMinute, Secs(estimate)));
  o->notified = rng.Bernoulli(p.fault_sms_share);
  o->coverage = o->notified ? static_cast<int>(rng.UniformInt(900, 990)) : 0;
  Finish(*o);
  Launch(now, o);
}

void OutageProcess::Launch(int64_t now, const std::shared_ptr<Outage>& op) {
  const Outage& o = *op;
  const Topology& t = ctx_.topology;
  const ModelParams& p = ctx_.params;
  Rng& rng = ctx_.outage_rng;
  const bool fault = o.kind == v1::OutageEvent::FAULT;
  // Phases.
  const int64_t started = now + (fault ? rng.UniformInt(60, 300) : rng.UniformInt(0, 60));
  ctx_.Emit(started, Envelope(o, v1::OutageEvent::STARTED, o.etr0, fault ? 0 : o.coverage));
  if (fault && o.notified) {
    const int64_t sms =
        rng.Bernoulli(0.9) ? now + rng.UniformInt(180, 600) : now + rng.UniformInt(900, 2400);
    ctx_.Emit(std::max(sms, started + 30),
              Envelope(o, v1::OutageEvent::NOTICED, o.etr0, o.coverage));
  }
  for (const EtrUpdate& u : o.updates) {
    ctx_.Emit(std::max(u.at, started + 60),
              Envelope(o, v1::OutageEvent::ESTIMATE_CHANGED, u.etr, o.coverage));
  }
  const int64_t last_etr = o.updates.empty() ? o.etr0 : o.updates.back().etr;
  ctx_.Emit(std::max(o.restore, started + 120),
            Envelope(o, v1::OutageEvent::RESTORED, last_etr, o.coverage));

  // Calls from the affected customers (§3.3).
  const double p_call = CallProbability(p, o.kind, o.notified) * o.call_factor;
  const double delay = CallDelayMeanSeconds(p, o.kind, o.notified);
  const int64_t commitment =
      RestoreCommitmentSeconds(p, static_cast<int>(t.areas()[o.areas.front()].cls));
  // Over the promise: a fault beyond the restore commitment, a planned
  // outage beyond its announced end.
  const bool over = fault ? o.restore - o.start > commitment : o.restore > o.etr0 + 15 * kMinute;
  const double hours = static_cast<double>(o.restore - o.start) / kHour;
  for (uint32_t a : o.areas) {
    const Area& area = t.areas()[a];
    std::set<uint32_t> called;
    const int64_t k = rng.Binomial(area.customers, p_call);
    for (int64_t i = 0; i < k && called.size() < area.customers; ++i) {
      uint32_t slot = static_cast<uint32_t>(rng.UniformInt(0, area.customers - 1));
      while (!called.insert(slot).second)
        slot = static_cast<uint32_t>(rng.UniformInt(0, area.customers - 1));
      const int64_t at = o.start + Secs(rng.Exponential(delay));
      if (at >= o.restore) continue;
      const bool ticket = rng.Bernoulli(p.ticket_per_outage_call);
      std::shared_ptr<const OutageTimeline> timeline = o.timeline;
      // Faults become repair tickets replied at restoration. A notified
      // planned outage draws consultations; an unnotified one repair tickets
      // that the desk answers by explaining the planned work.
      TicketRequest r;
      r.kind = fault || !o.notified ? v1::Ticket::FAULT_REPAIR : v1::Ticket::CONSULTATION;
      r.area = a;
      r.slot = slot;
      r.handling = fault ? TicketRequest::Handling::kOutage : TicketRequest::Handling::kInformed;
      r.outage = timeline;
      ctx_.queue.Schedule(at, [this, a, r, ticket](int64_t when) {
        if (ticket) {
          desk_.Call(when, r);
        } else {
          desk_.CallWithoutTicket(when, a);
        }
      });
    }
    // Complaint conversion per affected customer (§3.3).
    std::vector<int64_t>& history = history_[a];
    int recent = 0;
    for (int64_t s : history) recent += (o.start - s) < kFrequentWindow;
    const bool frequent = recent >= 2;
    history.push_back(o.start);
    if (history.size() > 8) history.erase(history.begin());
    double q = p.complaint_base * o.complaint_factor * o.call_factor;
    if (over) q *= p.complaint_over_commitment;
    if (frequent) q *= p.complaint_frequent;
    if (!fault && !o.notified) q *= p.complaint_unnotified;
    v1::Ticket::Category category = o.complaint_category;
    if (category == v1::Ticket::CATEGORY_UNSPECIFIED) {
      if (frequent) {
        category = v1::Ticket::FREQUENT_OUTAGE;
      } else if (!fault && !o.notified) {
        category = v1::Ticket::OTHER;
      } else if (over) {
        category = hours > 8 ? v1::Ticket::LONG_OUTAGE : v1::Ticket::DELAYED_RESTORATION;
      } else {
        category = fault ? v1::Ticket::DELAYED_RESTORATION : v1::Ticket::OTHER;
      }
    }
    std::vector<uint32_t> complainers;
    for (int64_t n = rng.Binomial(area.customers, q); n > 0; --n) {
      complainers.push_back(static_cast<uint32_t>(rng.UniformInt(0, area.customers - 1)));
    }
    for (uint32_t i = 0; i < area.tagged; ++i) {  // sensitive customers: x2
      const TaggedCustomer& c = t.tagged()[area.first_tagged + i];
      if ((c.tags & kSensitive) && rng.Bernoulli(q * (p.complaint_sensitive - 1))) {
        complainers.push_back(c.slot);
      }
    }
    for (uint32_t slot : complainers) {
      const int64_t at = over ? o.start + commitment + Secs(rng.Exponential(1.5 * kHour))
                              : o.restore + Secs(rng.Exponential(3 * kHour));
      const double share = o.tendency_share;
      ctx_.queue.Schedule(at, [this, a, slot, category, share](int64_t when) {
        desk_.Complaint(when, a, slot, category, share, false);
      });
    }
  }
}

}  // namespace vigil::sim
