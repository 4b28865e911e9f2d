#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "tools/sim/scenario_plan.h"
#include "tools/sim/sim_context.h"
#include "tools/sim/tickets.h"

namespace vigil::sim {

// The outage process (§3.3): fault outages from per-area rates (scope, crew
// queue, ETR and its revisions, SMS notice), planned and temporary outages
// with their notices, and the scenario's scripted outages. Each outage emits
// its phases (NOTICED / STARTED / ESTIMATE_CHANGED / RESTORED) and drives
// calls, repair tickets and complaints in the affected areas.
class OutageProcess {
 public:
  OutageProcess(SimContext& ctx, TicketDesk& desk);

  // Schedules the planned outages of the whole run, the scenario's scripted
  // outages and its complaint clusters.
  void Setup();
  // Fault origins in [t0, t0 + kBinSeconds).
  void Tick(int64_t t0);

  // Expected fault origins per day in areas [first, first + count) (season 1).
  double FaultOriginsPerDay(uint32_t first_area, uint32_t count) const;

 private:
  struct Outage;

  void Fault(int64_t now, uint32_t origin, bool single_area);
  void Launch(int64_t now, const std::shared_ptr<Outage>& o);
  void Notices(const Outage& o, const std::vector<std::pair<int64_t, int>>& rounds);
  void PlanDay(int64_t day, uint32_t city);
  std::shared_ptr<Outage> FromScript(const ScriptedOutage& s);
  void Finish(Outage& o);
  std::unique_ptr<v1::Envelope> Envelope(const Outage& o, v1::OutageEvent::Phase phase, int64_t etr,
                                         int coverage) const;
  uint32_t SampleOrigin(Rng& rng, const std::vector<double>& cum, uint32_t first,
                        uint32_t count) const;
  std::vector<uint32_t> Scope(Rng& rng, uint32_t origin, double single, double section) const;

  SimContext& ctx_;
  TicketDesk& desk_;
  std::vector<double> fault_cum_;    // prefix sums of fault origins per area and day
  std::vector<double> planned_cum_;  // same for planned outages
  std::unordered_map<uint32_t, std::vector<int64_t>> history_;  // area → outage starts
};

}  // namespace vigil::sim
