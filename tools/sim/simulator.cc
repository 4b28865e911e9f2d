#include "tools/sim/simulator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/sim/crews.h"
#include "tools/sim/demand.h"
#include "tools/sim/ground_truth.h"
#include "tools/sim/local_time.h"
#include "tools/sim/model.h"
#include "tools/sim/outages.h"
#include "tools/sim/scenario_plan.h"
#include "tools/sim/sim_context.h"
#include "tools/sim/tickets.h"

namespace vigil::sim {
namespace {

constexpr int64_t kProgressEvery = 4096;

// "<initials of the preset words><seed>-", e.g. "tc7-" for thunderstorm_city, seed 7.
std::string RunTag(const std::string& preset, uint64_t seed) {
  std::string tag;
  bool word_start = true;
  for (char c : preset) {
    if (word_start && c != '_') tag += c;
    word_start = c == '_';
  }
  return absl::StrCat(tag, seed, "-");
}

// Crews per county, sized so the evening peak of the run's first day keeps
// them ~35 % busy (the backlog preset then cuts them).
std::vector<int> SizeCrews(const Topology& t, const ModelParams& p, const Demand& d,
                           const ScenarioPlan& plan, int64_t start) {
  const int64_t noon = absl::ToUnixSeconds(LocalMidnight(absl::FromUnixSeconds(start))) + 12 * 3600;
  const double repairs_per_customer =
      d.daily(CallKind::kRepair) * d.Factor(CallKind::kRepair, noon, plan.adjust);
  const double season = kRepairSeason[LocalMonth(absl::FromUnixSeconds(noon)) - 1];
  const double lv = 1 + p.scope_single_area * (plan.lv_fault_multiplier - 1);
  // Crew hours per customer-side repair: travel and the fix (lognormal mean),
  // with the margin of the 1.2 h that a 35-minute fix used to need.
  const double repair_hours =
      1.2 * (25 + absl::ToDoubleMinutes(p.fix_median) * std::exp(p.fix_sigma * p.fix_sigma / 2)) /
      (25 + 35 * std::exp(0.125));
  std::vector<int> crews;
  for (const County& c : t.counties()) {
    double faults = 0;
    for (uint32_t a = c.first_area; a < c.first_area + c.areas; ++a) {
      const Area& area = t.areas()[a];
      faults += p.fault_origins_per_area_year[static_cast<int>(area.cls)] * area.proneness / 365.0;
    }
    const double repair_jobs = static_cast<double>(c.customers) * repairs_per_customer * 0.08;
    const double fault_jobs = faults * season * lv * FaultDiurnal(20);
    const double busy = repair_jobs * repair_hours + fault_jobs * 2.2;
    crews.push_back(std::max(2, static_cast<int>(std::ceil(busy / p.crew_target_utilisation))));
  }
  return crews;
}

// The background demand and the scenario loads, one 5-minute tick at a time.
class Driver {
 public:
  Driver(SimContext& ctx, TicketDesk& desk, OutageProcess& outages)
      : ctx_(ctx), desk_(desk), outages_(outages) {}

  void Tick(int64_t t0) {
    Background(t0);
    outages_.Tick(t0);
    Loads(t0);
    if (t0 + kBinSeconds < ctx_.end) {
      ctx_.queue.Schedule(t0 + kBinSeconds, [this](int64_t now) { Tick(now); });
    }
  }

 private:
  void Background(int64_t t0) {
    const Topology& t = ctx_.topology;
    Rng& rng = ctx_.background_rng;
    for (uint32_t c = 0; c < t.cities().size(); ++c) {
      for (int k = 0; k < kCallKinds; ++k) {
        const auto kind = static_cast<CallKind>(k);
        const double lambda = ctx_.demand.Rate(c, kind, t0, ctx_.plan.adjust) * kBinSeconds;
        for (int64_t n = rng.Poisson(lambda); n > 0; --n) {
          const int64_t at = t0 + rng.UniformInt(0, kBinSeconds - 1);
          const uint32_t area = t.SampleAreaInCity(rng, c);
          Place(rng, at, kind, area, TicketRequest::Handling::kCrews);
        }
      }
    }
  }

  void Loads(int64_t t0) {
    const Topology& t = ctx_.topology;
    Rng& rng = ctx_.load_rng;
    for (const LoadCurve& load : ctx_.plan.loads) {
      for (int64_t m = t0; m < t0 + kBinSeconds; m += 60) {
        if (m < load.t0) continue;
        const size_t i = static_cast<size_t>((m - load.t0) / 60);
        if (i >= load.per_minute.size()) break;
        for (int64_t n = rng.Poisson(load.per_minute[i]); n > 0; --n) {
          const int64_t at = m + rng.UniformInt(0, 59);
          const uint32_t area = load.county >= 0 ? t.SampleAreaInCounty(rng, load.county)
                                                 : t.SampleAreaInCity(rng, load.city);
          const double u = rng.Uniform();
          const CallKind kind = u < load.repair_share ? CallKind::kRepair
                                : u < load.repair_share + load.consultation_share
                                    ? CallKind::kConsultation
                                    : CallKind::kNoTicket;
          Place(rng, at, kind, area,
                load.mutual_aid ? TicketRequest::Handling::kMutualAid
                                : TicketRequest::Handling::kCrews);
        }
      }
    }
  }

  void Place(Rng& rng, int64_t at, CallKind kind, uint32_t area, TicketRequest::Handling handling) {
    const uint32_t slot =
        static_cast<uint32_t>(rng.UniformInt(0, ctx_.topology.areas()[area].customers - 1));
    if (kind == CallKind::kComplaint) {
      const v1::Ticket::Category category = TicketDesk::DrawComplaintCategory(rng);
      ctx_.queue.Schedule(at, [this, area, slot, category](int64_t now) {
        desk_.Complaint(now, area, slot, category, -1, false);
      });
      return;
    }
    if (kind == CallKind::kNoTicket) {
      ctx_.queue.Schedule(at, [this, area](int64_t now) { desk_.CallWithoutTicket(now, area); });
      return;
    }
    TicketRequest r;
    r.area = area;
    r.slot = slot;
    r.handling = handling;
    switch (kind) {
      case CallKind::kRepair:
        r.kind = v1::Ticket::FAULT_REPAIR;
        break;
      case CallKind::kServiceRequest:
        r.kind = v1::Ticket::SERVICE_REQUEST;
        break;
      case CallKind::kOpinion:
        r.kind = v1::Ticket::OPINION;
        break;
      case CallKind::kPraise:
        r.kind = v1::Ticket::PRAISE;
        break;
      case CallKind::kReport:
        r.kind = v1::Ticket::REPORT;
        break;
      default:
        r.kind = v1::Ticket::CONSULTATION;
        break;
    }
    ctx_.queue.Schedule(at, [this, r](int64_t now) { desk_.Call(now, r); });
  }

  SimContext& ctx_;
  TicketDesk& desk_;
  OutageProcess& outages_;
};

}  // namespace

TopologyOptions TopologyFor(const RunSpec& spec) {
  TopologyOptions o;
  o.seed = spec.seed;
  o.scale = spec.scale;
  o.cities = spec.cities;
  return o;
}

absl::StatusOr<SimResult> Simulate(const RunSpec& spec, const Topology& topology, EventSink& sink,
                                   const ProgressFn& progress) {
  if (topology.cities().empty() || topology.areas().empty()) {
    return absl::InvalidArgumentError("empty topology");
  }
  const ModelParams params;
  const Demand demand(topology, params);
  const ScenarioPlan plan = BuildPlan(spec, topology, params, demand);
  const int64_t start = absl::ToUnixSeconds(spec.start);
  const int64_t end = absl::ToUnixSeconds(spec.end);
  const int64_t warm_bins = (absl::ToInt64Seconds(spec.warmup) + kBinSeconds - 1) / kBinSeconds;
  const int64_t warm_begin = start - warm_bins * kBinSeconds;

  CrewPool crews(SizeCrews(topology, params, demand, plan, start));
  if (plan.backlog_county >= 0) {
    crews.CutCapacity(static_cast<uint32_t>(plan.backlog_county), plan.backlog_from,
                      plan.backlog_crew_factor);
  }
  const std::string tag = RunTag(spec.preset, spec.seed);
  SimContext ctx(topology, params, demand, plan, tag, spec.seed, warm_begin, start, end,
                 std::move(crews));
  TicketDesk desk(ctx);
  OutageProcess outages(ctx, desk);
  Driver driver(ctx, desk, outages);
  outages.Setup();
  ctx.queue.Schedule(warm_begin, [&driver](int64_t now) { driver.Tick(now); });

  GroundTruth truth(topology, plan, start, end);
  SimResult result;
  result.summary.preset = spec.preset;
  result.summary.notes = plan.notes;
  result.summary.focus_key = plan.focus_key;
  for (uint32_t c : plan.focus_cities) result.summary.focus_cities.push_back(topology.CityCode(c));
  result.summary.start = start;
  result.summary.end = end;
  int64_t events = 0;
  while (!ctx.queue.empty() && ctx.queue.next_time() < end) {
    EventQueue::Item item = ctx.queue.Pop();
    if (!item.envelope) {
      item.action(item.time);
      continue;
    }
    v1::Envelope& e = *item.envelope;
    e.set_event_id(absl::StrFormat("%sE%010d", tag, ++events));
    truth.Observe(e);
    result.summary.Observe(e);
    if (absl::Status s = sink.Write(e); !s.ok()) return s;
    if (progress && events % kProgressEvery == 0)
      progress(absl::FromUnixSeconds(item.time), events);
  }
  if (absl::Status s = sink.Close(); !s.ok()) return s;
  if (progress) progress(spec.end, events);
  result.labels = truth.Finish(ctx.call_bins, demand);
  result.summary.Finish(topology, demand, std::move(ctx.call_bins), result.labels);
  return result;
}

absl::StatusOr<SimResult> Generate(const SimOptions& options, EventSink& sink) {
  absl::StatusOr<RunSpec> spec = Resolve(options);
  if (!spec.ok()) return spec.status();
  const Topology topology = Topology::Build(TopologyFor(*spec));
  return Simulate(*spec, topology, sink);
}

}  // namespace vigil::sim
