#pragma once

#include <array>
#include <cstdint>

#include "tools/sim/model.h"
#include "tools/sim/topology.h"

namespace vigil::sim {

// What a background call (one not caused by an outage or a re-call) becomes.
enum class CallKind : int {
  kRepair = 0,      // customer-side fault → FAULT_REPAIR ticket
  kConsultation,    // CONSULTATION ticket
  kServiceRequest,  // SERVICE_REQUEST ticket
  kOpinion,         // OPINION ticket
  kComplaint,       // COMPLAINT ticket
  kPraise,          // PRAISE ticket
  kReport,          // REPORT ticket
  kNoTicket,        // consultation closed on the call
};
inline constexpr int kCallKinds = 8;

// Scenario adjustments of the background demand.
struct DemandAdjust {
  double repair = 1.0;          // multiplier on background repairs
  double repair_evening = 1.0;  // extra 18–23 h weight on repairs (the day total is kept)
  bool has_temperature = false;
  double tmax_celsius = 0;  // daily maximum
};

// Expected outage-driven volume of a normal weekday, per customer and day
// (season factor 1), from the outage rates and the topology.
struct OutageExpectation {
  double fault_exposure = 0;    // customer-outages (fault) per customer-day
  double planned_exposure = 0;  // customer-outages (planned/temporary)
  double calls = 0;
  double repair_tickets = 0;
  double complaints = 0;
  double etr_urges = 0;
};

// Mean open hours (accepted → replied) of a ticket of each kind, as the
// ticket desk schedules them; used to calibrate the urge rate.
double MeanOpenHours(CallKind kind);

// Diurnal shape of fault outages (load-driven; sums to 1 over 24 h).
double FaultDiurnal(int hour);

// The background demand (§3.2): per city, kind and time, calibrated so a
// normal weekday has calls_per_1000_customers calls per 1,000 customers and
// the §3.2 ticket mix once the outage and re-call processes are added.
class Demand {
 public:
  Demand(const Topology& topology, const ModelParams& params);

  // Expected background calls per second of `kind` in `city` at `t`.
  double Rate(uint32_t city, CallKind kind, int64_t t, const DemandAdjust& adjust) const;
  // Same, for the customers of one county.
  double CountyRate(uint32_t county, CallKind kind, int64_t t, const DemandAdjust& adjust) const;

  // The anchor baseline: expected calls per second of `city` at `t` on a
  // normal day of that date (background + outages + re-calls, no scenario).
  double BaselineRate(uint32_t city, int64_t t) const;

  // Re-call rate per hour on an open ticket before its deadline (calibrated).
  double urge_rate_per_hour() const { return urge_rate_; }
  // Background calls per customer-day of each kind (weekday, factor 1).
  double daily(CallKind kind) const { return daily_[static_cast<int>(kind)]; }
  const OutageExpectation& outages() const { return outages_; }
  // Calls per customer-day of a normal weekday at season factor 1.
  double total_daily() const { return total_daily_; }

  // Factor of `kind` at `t` (season, weekend, temperature).
  double Factor(CallKind kind, int64_t t, const DemandAdjust& adjust) const;
  // Share of the kind's daily volume in the local hour of `t`.
  double HourShare(CallKind kind, int64_t t, const DemandAdjust& adjust) const;

 private:
  double PerCustomerRate(CallKind kind, int64_t t, const DemandAdjust& adjust) const;

  const Topology& topology_;
  const ModelParams& params_;
  std::array<double, kCallKinds> daily_{};
  OutageExpectation outages_;
  double urge_rate_ = 0;
  double urges_daily_ = 0;
  double total_daily_ = 0;
};

// Expected customers affected by a fault / planned outage originating in `area`.
double ExpectedFaultCustomers(const Topology& topology, const ModelParams& params, uint32_t area);
double ExpectedPlannedCustomers(const Topology& topology, uint32_t area);

}  // namespace vigil::sim
