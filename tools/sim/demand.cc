#include "tools/sim/demand.h"

#include <algorithm>

#include "tools/sim/local_time.h"

namespace vigil::sim {
namespace {

bool IsEvening(int h) { return h >= 18 && h < 23; }
bool IsOffHours(int h) { return h < 8 || h >= 18; }

double RawWeight(CallKind kind, int h, double evening) {
  double w = kIntradayWeights[h];
  switch (kind) {
    case CallKind::kRepair:
      return IsEvening(h) ? w * evening : w;
    case CallKind::kConsultation:
    case CallKind::kServiceRequest:
    case CallKind::kNoTicket:
      return IsOffHours(h) ? w * 0.5 : w;
    default:
      return w;
  }
}

}  // namespace

double MeanOpenHours(CallKind kind) {
  switch (kind) {
    case CallKind::kRepair:
      return 1.4;
    case CallKind::kConsultation:
      return 0.3;
    case CallKind::kServiceRequest:
      return 64;
    case CallKind::kOpinion:
      return 88;
    case CallKind::kComplaint:
      return 70;
    case CallKind::kReport:
      return 159;
    default:
      return 0;
  }
}

double FaultDiurnal(int hour) {
  // 0.7 at night (00–06), 1.2 from 10 to 22, 1.0 otherwise; normalised.
  static constexpr double kSum = 6 * 0.7 + 12 * 1.2 + 6 * 1.0;
  const double w = hour < 6 ? 0.7 : (hour >= 10 && hour < 22) ? 1.2 : 1.0;
  return w / kSum;
}

double ExpectedFaultCustomers(const Topology& t, const ModelParams& p, uint32_t area) {
  const Feeder& f = t.feeders()[t.areas()[area].feeder];
  const double whole = 1.0 - p.scope_single_area - p.scope_feeder_section;
  return p.scope_single_area * t.areas()[area].customers +
         p.scope_feeder_section * 0.5 * f.customers + whole * f.customers;
}

double ExpectedPlannedCustomers(const Topology& t, uint32_t area) {
  const Feeder& f = t.feeders()[t.areas()[area].feeder];
  return 0.3 * t.areas()[area].customers + 0.5 * 0.5 * f.customers + 0.2 * f.customers;
}

Demand::Demand(const Topology& topology, const ModelParams& p) : topology_(topology), params_(p) {
  // Outage-driven volume of a normal weekday (season factor 1).
  const double customers = std::max<double>(1, static_cast<double>(topology.customers()));
  double fault = 0, planned = 0;
  for (uint32_t a = 0; a < topology.areas().size(); ++a) {
    const Area& area = topology.areas()[a];
    const int cls = static_cast<int>(area.cls);
    fault += p.fault_origins_per_area_year[cls] * area.proneness / 365.0 *
             ExpectedFaultCustomers(topology, p, a);
    planned += p.planned_origins_per_area_year[cls] / 365.0 * ExpectedPlannedCustomers(topology, a);
  }
  OutageExpectation& o = outages_;
  o.fault_exposure = fault / customers;
  o.planned_exposure = planned / customers;
  const double fault_p =
      p.fault_sms_share * p.p_call_fault_sms + (1 - p.fault_sms_share) * p.p_call_fault_unnotified;
  const double planned_p = (1 - p.no_notice_share) * p.p_call_planned_notified +
                           p.no_notice_share * p.p_call_planned_unnotified;
  const double fault_calls = o.fault_exposure * fault_p * 0.93;
  o.calls = fault_calls + o.planned_exposure * planned_p;
  // Notified planned outages draw consultations, the rest repair tickets.
  o.repair_tickets =
      (fault_calls + o.planned_exposure * p.no_notice_share * p.p_call_planned_unnotified) *
      p.ticket_per_outage_call;
  o.complaints = p.complaint_base * (1.3 * o.fault_exposure + 1.1 * o.planned_exposure);
  o.etr_urges = fault_calls * p.ticket_per_outage_call * 0.25 * p.recall_on_etr_pass * 1.3;

  // Background: the §3.2 totals minus what the other processes add.
  const double calls = p.calls_per_1000_customers / 1000.0;
  const double tickets = calls * p.ticket_share_of_calls;
  auto set = [&](CallKind k, double v) { daily_[static_cast<int>(k)] = v; };
  set(CallKind::kRepair,
      std::max(0.2 * p.mix_repair * tickets, p.mix_repair * tickets - o.repair_tickets));
  const double planned_consultations = o.planned_exposure * (1 - p.no_notice_share) *
                                       p.p_call_planned_notified * p.ticket_per_outage_call;
  set(CallKind::kConsultation, std::max(0.5 * p.mix_consultation * tickets,
                                        p.mix_consultation * tickets - planned_consultations));
  set(CallKind::kServiceRequest, p.mix_service_request * tickets);
  set(CallKind::kOpinion, p.mix_opinion * tickets);
  // Escalations (urges → complaint, dissatisfied revisits) and the heavy tail
  // of long outages add roughly 15 % of the complaints.
  set(CallKind::kComplaint,
      std::max(0.3 * p.mix_complaint * tickets, 0.85 * p.mix_complaint * tickets - o.complaints));
  set(CallKind::kPraise, p.mix_praise * tickets);
  set(CallKind::kReport, p.mix_report * tickets);
  set(CallKind::kNoTicket, calls - tickets);

  // Urges: re-calls before a deadline at a calibrated rate, after a missed
  // deadline at recall_after_deadline_per_hour, and at ETR passes.
  const double urges = p.mix_urge * tickets;
  const double after_deadline = 0.007 * tickets;
  double open_hours = o.repair_tickets * 2.1;
  for (int k = 0; k < kCallKinds; ++k)
    open_hours += daily_[k] * MeanOpenHours(static_cast<CallKind>(k));
  urge_rate_ =
      std::max(0.0005, (urges - after_deadline - o.etr_urges) / std::max(1e-12, open_hours));
  urges_daily_ = urges;
  total_daily_ = calls;
}

double Demand::Factor(CallKind kind, int64_t t, const DemandAdjust& adjust) const {
  const absl::Time at = absl::FromUnixSeconds(t);
  const int month = LocalMonth(at) - 1;
  const bool weekend = IsWeekend(at);
  switch (kind) {
    case CallKind::kRepair: {
      double f = kRepairSeason[month] * adjust.repair;
      if (adjust.has_temperature) {
        f *= 1 + params_.heat_per_degree * std::max(0.0, adjust.tmax_celsius - 30) +
             params_.cold_per_degree * std::max(0.0, -5 - adjust.tmax_celsius);
      }
      return f;
    }
    case CallKind::kConsultation:
    case CallKind::kServiceRequest:
    case CallKind::kNoTicket:
      return weekend ? params_.weekend_consult_factor : 1.0;
    case CallKind::kComplaint:
      return kComplaintSeason[month] * (weekend ? params_.weekend_complaint_factor : 1.0);
    default:
      return 1.0;
  }
}

double Demand::HourShare(CallKind kind, int64_t t, const DemandAdjust& adjust) const {
  const double evening =
      kind == CallKind::kRepair ? params_.repair_evening_factor * adjust.repair_evening : 1.0;
  double sum = 0;
  for (int h = 0; h < 24; ++h) sum += RawWeight(kind, h, evening);
  return RawWeight(kind, LocalHour(absl::FromUnixSeconds(t)), evening) / sum;
}

double Demand::PerCustomerRate(CallKind kind, int64_t t, const DemandAdjust& adjust) const {
  return daily_[static_cast<int>(kind)] * Factor(kind, t, adjust) * HourShare(kind, t, adjust) /
         3600.0;
}

double Demand::Rate(uint32_t city, CallKind kind, int64_t t, const DemandAdjust& adjust) const {
  return static_cast<double>(topology_.cities()[city].customers) * PerCustomerRate(kind, t, adjust);
}

double Demand::CountyRate(uint32_t county, CallKind kind, int64_t t,
                          const DemandAdjust& adjust) const {
  return static_cast<double>(topology_.counties()[county].customers) *
         PerCustomerRate(kind, t, adjust);
}

double Demand::BaselineRate(uint32_t city, int64_t t) const {
  const DemandAdjust normal;
  double per_customer = 0;
  for (int k = 0; k < kCallKinds; ++k)
    per_customer += PerCustomerRate(static_cast<CallKind>(k), t, normal);
  const absl::Time at = absl::FromUnixSeconds(t);
  const int hour = LocalHour(at);
  const double season = kRepairSeason[LocalMonth(at) - 1];
  per_customer += outages_.calls * season * FaultDiurnal(hour) / 3600.0;
  per_customer += urges_daily_ * kIntradayWeights[hour] / 3600.0;
  return static_cast<double>(topology_.cities()[city].customers) * per_customer;
}

}  // namespace vigil::sim
